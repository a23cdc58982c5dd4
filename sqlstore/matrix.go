package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/tandemhq/tandem"
)

// MatrixService implements tandem.MatrixService.
type MatrixService struct{ db *DB }

// NewMatrixService returns the matrix service on db.
func NewMatrixService(db *DB) *MatrixService { return &MatrixService{db: db} }

var _ tandem.MatrixService = (*MatrixService)(nil)

// FindServiceAreas implements tandem.MatrixService.
func (s *MatrixService) FindServiceAreas(ctx context.Context, orgID int64) ([]*tandem.ServiceArea, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionRead, func(_ *tandem.Actor, tx *Tx) ([]*tandem.ServiceArea, error) {
		return findServiceAreas(ctx, tx, orgID)
	})
}

// CreateServiceArea implements tandem.MatrixService.
func (s *MatrixService) CreateServiceArea(ctx context.Context, area *tandem.ServiceArea) error {
	_, err := inMatrixTx(ctx, s, area.OrganizationID, tandem.ActionMatrixEdit, func(a *tandem.Actor, tx *Tx) (*tandem.ServiceArea, error) {
		if err := area.Validate(); err != nil {
			return nil, err
		}
		if area.Position == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM service_areas WHERE organization_id = ?`, area.OrganizationID).Scan(&area.Position); err != nil {
				return nil, err
			}
		}
		if err := createServiceArea(ctx, tx, area); err != nil {
			return nil, err
		}
		if err := tx.audit(ctx, a, &area.OrganizationID, "area.create", areaTarget(area.ID), map[string]any{"key": area.Key, "name": area.Name, "position": area.Position}); err != nil {
			return nil, err
		}
		return area, nil
	})
	return err
}

// UpdateServiceArea implements tandem.MatrixService.
func (s *MatrixService) UpdateServiceArea(ctx context.Context, orgID, areaID int64, upd tandem.ServiceAreaUpdate) (*tandem.ServiceArea, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionMatrixEdit, func(a *tandem.Actor, tx *Tx) (*tandem.ServiceArea, error) {
		areas, err := findServiceAreas(ctx, tx, orgID)
		if err != nil {
			return nil, err
		}
		var area *tandem.ServiceArea
		for _, ar := range areas {
			if ar.ID == areaID {
				area = ar
			}
		}
		if area == nil {
			return nil, tandem.Errorf(tandem.ENOTFOUND, "Service area not found.")
		}
		changes := map[string]any{}
		if upd.Name != nil && *upd.Name != area.Name {
			area.Name, changes["name"] = *upd.Name, *upd.Name
		}
		if upd.Position != nil && *upd.Position != area.Position {
			area.Position, changes["position"] = *upd.Position, *upd.Position
		}
		if err := area.Validate(); err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return area, nil
		}
		area.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE service_areas SET name = ?, position = ?, updated_at = ? WHERE id = ?`,
			area.Name, area.Position, at(area.UpdatedAt), area.ID); err != nil {
			return nil, err
		}
		if err := tx.audit(ctx, a, &orgID, "area.update", areaTarget(area.ID), changes); err != nil {
			return nil, err
		}
		return area, nil
	})
}

// ProposeMatrix implements tandem.MatrixService.
func (s *MatrixService) ProposeMatrix(ctx context.Context, orgID int64, list []tandem.Assignment) (*tandem.MatrixVersion, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionMatrixEdit, func(a *tandem.Actor, tx *Tx) (*tandem.MatrixVersion, error) {
		areas, err := findServiceAreas(ctx, tx, orgID)
		if err != nil {
			return nil, err
		}
		if err := tandem.ValidateAssignments(areas, list); err != nil {
			return nil, err
		}
		for _, as := range list {
			if as.UserID != nil {
				if err := checkPartyMember(ctx, tx, orgID, as.Party, *as.UserID); err != nil {
					return nil, err
				}
			}
		}
		// An open proposal gives way to the new one.
		open, err := tx.queryIDs(ctx, `SELECT number FROM matrix_versions WHERE organization_id = ? AND status = ?`, orgID, tandem.MatrixProposed)
		if err != nil {
			return nil, err
		}
		for _, n := range open {
			if _, err := withdrawVersion(ctx, tx, a, orgID, int(n)); err != nil {
				return nil, err
			}
		}
		v := &tandem.MatrixVersion{OrganizationID: orgID, Status: tandem.MatrixProposed, ProposedAt: tx.now, Assignments: list}
		if v.Assignments == nil {
			v.Assignments = []tandem.Assignment{}
		}
		if a.UserID != 0 {
			v.ProposedBy = &a.UserID
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM matrix_versions WHERE organization_id = ?`, orgID).Scan(&v.Number); err != nil {
			return nil, err
		}
		if v.ID, err = tx.insert(ctx, `INSERT INTO matrix_versions (organization_id, number, status, proposed_by, proposed_at) VALUES (?, ?, ?, ?, ?)`,
			orgID, v.Number, v.Status, v.ProposedBy, at(v.ProposedAt)); err != nil {
			return nil, err
		}
		for _, as := range list {
			if _, err := tx.ExecContext(ctx, `INSERT INTO matrix_assignments (version_id, area_id, party, responsible, accountable, consulted, informed, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				v.ID, as.AreaID, as.Party, as.Responsible, as.Accountable, as.Consulted, as.Informed, as.UserID); err != nil {
				return nil, err
			}
		}
		if err := tx.audit(ctx, a, &orgID, "matrix.propose", versionTarget(v.ID), map[string]any{"number": v.Number, "assignments": len(list)}); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// SignMatrix implements tandem.MatrixService.
func (s *MatrixService) SignMatrix(ctx context.Context, orgID int64, number int) (*tandem.MatrixVersion, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionMatrixSign, func(a *tandem.Actor, tx *Tx) (*tandem.MatrixVersion, error) {
		v, err := findVersion(ctx, tx, orgID, number)
		if err != nil {
			return nil, err
		}
		if v.Status != tandem.MatrixProposed {
			return nil, tandem.Errorf(tandem.ECONFLICT, "Version %d is %s; only a proposed version can be signed.", v.Number, v.Status)
		}
		var signer *int64
		if a.UserID != 0 {
			signer = &a.UserID
		}
		now := tx.now
		// The party's three signature columns, and the fields that mirror them.
		column, party, by, signedAt, name := "internal", "the internal team", &v.InternalSignedBy, &v.InternalSignedAt, &v.InternalSigner
		if a.Party != tandem.PartyInternal {
			column, party, by, signedAt, name = "provider", "the provider", &v.ProviderSignedBy, &v.ProviderSignedAt, &v.ProviderSigner
		}
		if *signedAt != nil {
			return nil, tandem.Errorf(tandem.ECONFLICT, "Version %d is already signed for %s.", v.Number, party)
		}
		*by, *signedAt, *name = signer, &now, a.Email
		if _, err := tx.ExecContext(ctx, `UPDATE matrix_versions SET `+column+`_signed_by = ?, `+column+`_signed_at = ?, `+column+`_signer = ? WHERE id = ?`,
			signer, at(now), a.Email, v.ID); err != nil {
			return nil, err
		}
		if err := tx.audit(ctx, a, &orgID, "matrix.sign", versionTarget(v.ID), map[string]any{"number": v.Number, "party": a.Party}); err != nil {
			return nil, err
		}
		if v.InternalSignedAt != nil && v.ProviderSignedAt != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE matrix_versions SET status = ? WHERE organization_id = ? AND status = ?`,
				tandem.MatrixSuperseded, orgID, tandem.MatrixAccepted); err != nil {
				return nil, err
			}
			v.Status, v.AcceptedAt = tandem.MatrixAccepted, &now
			if _, err := tx.ExecContext(ctx, `UPDATE matrix_versions SET status = ?, accepted_at = ? WHERE id = ?`, v.Status, at(now), v.ID); err != nil {
				return nil, err
			}
			if err := tx.audit(ctx, a, &orgID, "matrix.accept", versionTarget(v.ID), map[string]any{"number": v.Number}); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// WithdrawMatrix implements tandem.MatrixService.
func (s *MatrixService) WithdrawMatrix(ctx context.Context, orgID int64, number int) (*tandem.MatrixVersion, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionMatrixEdit, func(a *tandem.Actor, tx *Tx) (*tandem.MatrixVersion, error) {
		return withdrawVersion(ctx, tx, a, orgID, number)
	})
}

// FindMatrixVersion implements tandem.MatrixService.
func (s *MatrixService) FindMatrixVersion(ctx context.Context, orgID int64, number int) (*tandem.MatrixVersion, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionRead, func(_ *tandem.Actor, tx *Tx) (*tandem.MatrixVersion, error) {
		return findVersion(ctx, tx, orgID, number)
	})
}

// MatrixHistory implements tandem.MatrixService.
func (s *MatrixService) MatrixHistory(ctx context.Context, orgID int64) ([]*tandem.MatrixVersion, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionRead, func(_ *tandem.Actor, tx *Tx) ([]*tandem.MatrixVersion, error) {
		list, err := findVersions(ctx, tx, `organization_id = ? ORDER BY number DESC`, orgID)
		if err != nil {
			return nil, err
		}
		for i, v := range list {
			var prev *tandem.MatrixVersion
			if i+1 < len(list) {
				prev = list[i+1]
			}
			v.Changes = tandem.Diff(prev, v)
		}
		return list, nil
	})
}

// MatrixGaps implements tandem.MatrixService.
func (s *MatrixService) MatrixGaps(ctx context.Context, orgID int64, number int) (*tandem.GapReport, error) {
	return inMatrixTx(ctx, s, orgID, tandem.ActionRead, func(_ *tandem.Actor, tx *Tx) (*tandem.GapReport, error) {
		areas, err := findServiceAreas(ctx, tx, orgID)
		if err != nil {
			return nil, err
		}
		v, err := findVersion(ctx, tx, orgID, number)
		if number == 0 && tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return &tandem.GapReport{Gaps: tandem.Gaps(areas, nil)}, nil
		} else if err != nil {
			return nil, err
		}
		return &tandem.GapReport{Version: v.Number, Gaps: tandem.Gaps(areas, v)}, nil
	})
}

// inMatrixTx runs do in a transaction as the caller on the organisation's
// matrix: a read transaction for tandem.ActionRead, a write transaction,
// committed when do succeeds, for any other action. It first finds the
// organisation in the actor's scope (ENOTFOUND) and, for a change, checks the
// action on it (EFORBIDDEN), so a refused caller learns nothing about the
// organisation's areas or versions; whoever may see the organisation may read
// its matrix. Every method of the service is one such call, so none can forget
// the scope, the permission or the commit.
func inMatrixTx[T any](ctx context.Context, s *MatrixService, orgID int64, action tandem.Action, do func(a *tandem.Actor, tx *Tx) (T, error)) (T, error) {
	var zero T
	open := s.db.writeAs
	if action == tandem.ActionRead {
		open = s.db.readAs
	}
	a, tx, err := open(ctx)
	if err != nil {
		return zero, err
	}
	defer tx.Rollback()
	if err := findScopedOrg(ctx, tx, a, orgID); err != nil {
		return zero, err
	}
	if action == tandem.ActionRead {
		return do(a, tx)
	}
	if err := a.Can(action, orgID); err != nil {
		return zero, err
	}
	v, err := do(a, tx)
	if err != nil {
		return zero, err
	}
	return v, tx.Commit()
}

// findScopedOrg returns ENOTFOUND unless the organisation is in the actor's scope.
func findScopedOrg(ctx context.Context, tx *Tx, a *tandem.Actor, orgID int64) error {
	scope, args := orgScope(a, "id")
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE id = ? AND `+scope, append([]any{orgID}, args...)...).Scan(&id)
	return notFound(err, "Organisation")
}

// checkPartyMember refuses a named person who is not an active member of the
// party: an internal user of the organisation, or provider staff.
func checkPartyMember(ctx context.Context, tx *Tx, orgID int64, party tandem.PartyKind, userID int64) error {
	query := `SELECT id FROM users WHERE id = ? AND active = ? AND organization_id = ?`
	args := []any{userID, true, orgID}
	if party == tandem.PartyProvider {
		query, args = `SELECT id FROM users WHERE id = ? AND active = ? AND organization_id IS NULL`, []any{userID, true}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&id); errors.Is(err, sql.ErrNoRows) {
		return tandem.Errorf(tandem.EINVALID, "User %d is not an active member of the %s party.", userID, party)
	} else if err != nil {
		return err
	}
	return nil
}

func areaTarget(id int64) string    { return "service_area:" + strconv.FormatInt(id, 10) }
func versionTarget(id int64) string { return "matrix_version:" + strconv.FormatInt(id, 10) }

// createDefaultServiceAreas gives a new organisation the default catalogue.
func createDefaultServiceAreas(ctx context.Context, tx *Tx, orgID int64) error {
	for i, d := range tandem.DefaultServiceAreas {
		area := d
		area.OrganizationID, area.Position = orgID, i+1
		if err := createServiceArea(ctx, tx, &area); err != nil {
			return err
		}
	}
	return nil
}

func createServiceArea(ctx context.Context, tx *Tx, area *tandem.ServiceArea) error {
	area.CreatedAt, area.UpdatedAt = tx.now, tx.now
	id, err := tx.insert(ctx, `INSERT INTO service_areas (organization_id, slug, name, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		area.OrganizationID, area.Key, area.Name, area.Position, at(area.CreatedAt), at(area.UpdatedAt))
	if isUniqueViolation(err) {
		return tandem.Errorf(tandem.ECONFLICT, "Service area key %q is already in use; choose another.", area.Key)
	} else if err != nil {
		return err
	}
	area.ID = id
	return nil
}

// findServiceAreas returns an organisation's areas in catalogue order; the
// caller has checked the organisation is in scope.
func findServiceAreas(ctx context.Context, tx *Tx, orgID int64) ([]*tandem.ServiceArea, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, organization_id, slug, name, position, created_at, updated_at FROM service_areas WHERE organization_id = ? ORDER BY position, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*tandem.ServiceArea{}
	for rows.Next() {
		ar := &tandem.ServiceArea{}
		if err := rows.Scan(&ar.ID, &ar.OrganizationID, &ar.Key, &ar.Name, &ar.Position, scanTime(&ar.CreatedAt), scanTime(&ar.UpdatedAt)); err != nil {
			return nil, err
		}
		list = append(list, ar)
	}
	return list, rows.Err()
}

// findVersion returns a version by number, or the accepted one for 0.
func findVersion(ctx context.Context, tx *Tx, orgID int64, number int) (*tandem.MatrixVersion, error) {
	where, args := `organization_id = ? AND number = ?`, []any{orgID, number}
	if number == 0 {
		where, args = `organization_id = ? AND status = ?`, []any{orgID, tandem.MatrixAccepted}
	}
	list, err := findVersions(ctx, tx, where, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		if number == 0 {
			return nil, tandem.Errorf(tandem.ENOTFOUND, "No responsibility matrix has been accepted yet.")
		}
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Matrix version %d not found.", number)
	}
	return list[0], nil
}

// findVersions returns the versions matching where, with their assignments;
// where always names the organisation, which the caller has checked is in scope.
func findVersions(ctx context.Context, tx *Tx, where string, args ...any) ([]*tandem.MatrixVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, organization_id, number, status, proposed_by, proposed_at, internal_signed_by, internal_signed_at,
		provider_signed_by, provider_signed_at, accepted_at, internal_signer, provider_signer FROM matrix_versions WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	var list []*tandem.MatrixVersion
	byID := map[int64]*tandem.MatrixVersion{}
	for rows.Next() {
		v := &tandem.MatrixVersion{Assignments: []tandem.Assignment{}}
		if err := rows.Scan(&v.ID, &v.OrganizationID, &v.Number, &v.Status, &v.ProposedBy, scanTime(&v.ProposedAt), &v.InternalSignedBy,
			scanTimePtr(&v.InternalSignedAt), &v.ProviderSignedBy, scanTimePtr(&v.ProviderSignedAt), scanTimePtr(&v.AcceptedAt),
			&v.InternalSigner, &v.ProviderSigner); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, v)
		byID[v.ID] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT m.version_id, m.area_id, m.party, m.responsible, m.accountable, m.consulted, m.informed, m.user_id
		FROM matrix_assignments m JOIN service_areas s ON s.id = m.area_id
		WHERE m.version_id IN (SELECT id FROM matrix_versions WHERE `+where+`) ORDER BY s.position, s.id, m.party`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var vid int64
		var as tandem.Assignment
		if err := rows.Scan(&vid, &as.AreaID, &as.Party, &as.Responsible, &as.Accountable, &as.Consulted, &as.Informed, &as.UserID); err != nil {
			return nil, err
		}
		if v := byID[vid]; v != nil {
			v.Assignments = append(v.Assignments, as)
		}
	}
	return list, rows.Err()
}

func withdrawVersion(ctx context.Context, tx *Tx, a *tandem.Actor, orgID int64, number int) (*tandem.MatrixVersion, error) {
	v, err := findVersion(ctx, tx, orgID, number)
	if err != nil {
		return nil, err
	}
	if v.Status != tandem.MatrixProposed {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Version %d is %s; only a proposed version can be withdrawn.", v.Number, v.Status)
	}
	v.Status = tandem.MatrixWithdrawn
	if _, err := tx.ExecContext(ctx, `UPDATE matrix_versions SET status = ? WHERE id = ?`, v.Status, v.ID); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, &orgID, "matrix.withdraw", versionTarget(v.ID), map[string]any{"number": v.Number}); err != nil {
		return nil, err
	}
	return v, nil
}
