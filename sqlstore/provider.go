package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// The provider's own settings (the MFA requirement lives with the other MFA
// rules, in mfa_policy.go).

// providerColumns are the provider's columns in the order scanProvider reads them.
const providerColumns = `id, name, time_zone, created_at`

func scanProvider(row scanner) (*tandem.Provider, error) {
	p := &tandem.Provider{}
	if err := row.Scan(&p.ID, &p.Name, &p.TimeZone, scanTime(&p.CreatedAt)); err != nil {
		return nil, notFound(err, "Provider")
	}
	return p, nil
}

// FindProvider implements tandem.OrganizationService. Pages of provider
// staff ask for it on every request (their zone), so it is one read of one
// row, outside a transaction.
func (s *OrganizationService) FindProvider(ctx context.Context) (*tandem.Provider, error) {
	if _, err := tandem.RequireActor(ctx); err != nil {
		return nil, err
	}
	return scanProvider(s.db.read.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM provider ORDER BY id LIMIT 1`))
}

// UpdateProvider implements tandem.OrganizationService.
func (s *OrganizationService) UpdateProvider(ctx context.Context, upd tandem.ProviderUpdate) (*tandem.Provider, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Can(tandem.ActionProviderManage, 0); err != nil {
		return nil, err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, err := scanProvider(tx.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM provider ORDER BY id LIMIT 1`))
	if err != nil {
		return nil, err
	}
	changes := map[string]any{}
	if upd.TimeZone != nil {
		loc, err := tandem.LoadTimeZone(*upd.TimeZone)
		if err != nil {
			return nil, err
		}
		if loc.String() != p.TimeZone {
			p.TimeZone = loc.String()
			changes["time_zone"] = p.TimeZone
		}
	}
	if len(changes) == 0 {
		return p, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE provider SET time_zone = ? WHERE id = ?`, p.TimeZone, p.ID); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, nil, "provider.update", "provider", changes); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}
