package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// Who must use MFA: the provider for its staff (on by default) and each
// organisation for its users.

// OrganizationRequiresMFA implements tandem.MFAService.
func (s *MFAService) OrganizationRequiresMFA(ctx context.Context, orgID int64) (bool, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	return organizationRequiresMFA(ctx, tx, a, orgID)
}

// organizationRequiresMFA reads the setting of an organisation in the actor's scope.
func organizationRequiresMFA(ctx context.Context, tx *Tx, a *tandem.Actor, orgID int64) (bool, error) {
	list, _, err := findOrganizations(ctx, tx, a, tandem.OrganizationFilter{ID: &orgID, Limit: 1})
	if err != nil {
		return false, err
	}
	if len(list) == 0 {
		return false, tandem.Errorf(tandem.ENOTFOUND, "Organisation not found.")
	}
	var required bool
	err = tx.QueryRowContext(ctx, `SELECT require_mfa FROM organizations WHERE id = ?`, orgID).Scan(&required)
	return required, err
}

// SetOrganizationRequiresMFA implements tandem.MFAService.
func (s *MFAService) SetOrganizationRequiresMFA(ctx context.Context, orgID int64, required bool) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	was, err := organizationRequiresMFA(ctx, tx, a, orgID)
	if err != nil {
		return err
	}
	if err := a.Can(tandem.ActionOrganizationUpdate, orgID); err != nil {
		return err
	}
	if was == required {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE organizations SET require_mfa = ?, updated_at = ? WHERE id = ?`, required, at(tx.now), orgID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &orgID, "organization.require_mfa", orgTarget(orgID), map[string]any{"require_mfa": required}); err != nil {
		return err
	}
	return tx.Commit()
}

// ProviderRequiresMFA implements tandem.MFAService.
func (s *MFAService) ProviderRequiresMFA(ctx context.Context) (bool, error) {
	if _, err := tandem.RequireActor(ctx); err != nil {
		return false, err
	}
	var required bool
	err := s.db.read.QueryRowContext(ctx, `SELECT require_mfa FROM provider ORDER BY id LIMIT 1`).Scan(&required)
	return required, notFound(err, "Provider")
}

// SetProviderRequiresMFA implements tandem.MFAService.
func (s *MFAService) SetProviderRequiresMFA(ctx context.Context, required bool) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if err := a.Can(tandem.ActionProviderManage, 0); err != nil {
		return err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	var was bool
	if err := tx.QueryRowContext(ctx, `SELECT id, require_mfa FROM provider ORDER BY id LIMIT 1`).Scan(&id, &was); err != nil {
		return notFound(err, "Provider")
	}
	if was == required {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE provider SET require_mfa = ? WHERE id = ?`, required, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, nil, "provider.require_mfa", "provider", map[string]any{"require_mfa": required}); err != nil {
		return err
	}
	return tx.Commit()
}
