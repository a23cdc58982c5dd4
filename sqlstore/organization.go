package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// OrganizationService implements tandem.OrganizationService.
type OrganizationService struct{ db *DB }

// NewOrganizationService returns the organisation service on db.
func NewOrganizationService(db *DB) *OrganizationService { return &OrganizationService{db: db} }

var _ tandem.OrganizationService = (*OrganizationService)(nil)

// FindOrganizationByID implements tandem.OrganizationService.
func (s *OrganizationService) FindOrganizationByID(ctx context.Context, id int64) (*tandem.Organization, error) {
	return s.findOne(ctx, tandem.OrganizationFilter{ID: &id})
}

// FindOrganizationBySlug implements tandem.OrganizationService.
func (s *OrganizationService) FindOrganizationBySlug(ctx context.Context, slug string) (*tandem.Organization, error) {
	return s.findOne(ctx, tandem.OrganizationFilter{Slug: &slug})
}

func (s *OrganizationService) findOne(ctx context.Context, filter tandem.OrganizationFilter) (*tandem.Organization, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	filter.Limit = 1
	list, _, err := findOrganizations(ctx, tx, a, filter)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Organisation not found.")
	}
	return list[0], nil
}

// FindOrganizations implements tandem.OrganizationService.
func (s *OrganizationService) FindOrganizations(ctx context.Context, filter tandem.OrganizationFilter) ([]*tandem.Organization, string, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	return findOrganizations(ctx, tx, a, filter)
}

// CreateOrganization implements tandem.OrganizationService.
func (s *OrganizationService) CreateOrganization(ctx context.Context, org *tandem.Organization) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if err := a.Can(tandem.ActionOrganizationCreate, 0); err != nil {
		return err
	}
	if err := org.Validate(); err != nil {
		return err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := createOrganization(ctx, tx, org); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &org.ID, "organization.create", orgTarget(org.ID), map[string]any{"name": org.Name, "slug": org.Slug}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateOrganization implements tandem.OrganizationService.
func (s *OrganizationService) UpdateOrganization(ctx context.Context, id int64, upd tandem.OrganizationUpdate) (*tandem.Organization, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	list, _, err := findOrganizations(ctx, tx, a, tandem.OrganizationFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Organisation not found.")
	}
	org := list[0]
	if err := a.Can(tandem.ActionOrganizationUpdate, org.ID); err != nil {
		return nil, err
	}
	changes := map[string]any{}
	if upd.Name != nil && *upd.Name != org.Name {
		org.Name = *upd.Name
		changes["name"] = *upd.Name
	}
	if upd.Slug != nil && *upd.Slug != org.Slug {
		org.Slug = *upd.Slug
		changes["slug"] = *upd.Slug
		if org.Slug == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "Organisation slug cannot be empty.")
		}
	}
	if err := org.Validate(); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return org, nil
	}
	org.UpdatedAt = tx.now
	_, err = tx.ExecContext(ctx, `UPDATE organizations SET name = ?, slug = ?, updated_at = ? WHERE id = ?`, org.Name, org.Slug, at(org.UpdatedAt), org.ID)
	if isUniqueViolation(err) {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Organisation slug %q is already in use; choose another.", org.Slug)
	} else if err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, &org.ID, "organization.update", orgTarget(org.ID), changes); err != nil {
		return nil, err
	}
	return org, tx.Commit()
}

func orgTarget(id int64) string { return "organization:" + strconv.FormatInt(id, 10) }

func createOrganization(ctx context.Context, tx *Tx, org *tandem.Organization) error {
	org.CreatedAt, org.UpdatedAt = tx.now, tx.now
	id, err := tx.insert(ctx, `INSERT INTO organizations (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		org.Name, org.Slug, at(org.CreatedAt), at(org.UpdatedAt))
	if isUniqueViolation(err) {
		return tandem.Errorf(tandem.ECONFLICT, "Organisation slug %q is already in use; choose another.", org.Slug)
	} else if err != nil {
		return err
	}
	org.ID = id
	var provider string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM provider ORDER BY id LIMIT 1`).Scan(&provider); err != nil {
		provider = "Provider"
	}
	org.Parties = []tandem.Party{
		{OrganizationID: id, Kind: tandem.PartyInternal, Name: org.Name + " IT"},
		{OrganizationID: id, Kind: tandem.PartyProvider, Name: provider},
	}
	for i := range org.Parties {
		p := &org.Parties[i]
		if p.ID, err = tx.insert(ctx, `INSERT INTO parties (organization_id, kind, name) VALUES (?, ?, ?)`, p.OrganizationID, p.Kind, p.Name); err != nil {
			return err
		}
	}
	return createDefaultServiceAreas(ctx, tx, id) // sqlstore/matrix.go
}

func findOrganizations(ctx context.Context, tx *Tx, a *tandem.Actor, filter tandem.OrganizationFilter) ([]*tandem.Organization, string, error) {
	limit, err := pageLimit(filter.Limit)
	if err != nil {
		return nil, "", err
	}
	after, err := parseCursor(filter.Cursor)
	if err != nil {
		return nil, "", err
	}
	scope, args := orgScope(a, "o.id")
	where := []string{scope, "o.id > ?"}
	args = append(args, after)
	if filter.ID != nil {
		where, args = append(where, "o.id = ?"), append(args, *filter.ID)
	}
	if filter.Slug != nil {
		where, args = append(where, "o.slug = ?"), append(args, *filter.Slug)
	}
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.name, o.slug, o.created_at, o.updated_at FROM organizations o WHERE `+
		strings.Join(where, " AND ")+` ORDER BY o.id LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var list []*tandem.Organization
	byID := map[int64]*tandem.Organization{}
	for rows.Next() {
		o := &tandem.Organization{Parties: []tandem.Party{}}
		if err := rows.Scan(&o.ID, &o.Name, &o.Slug, scanTime(&o.CreatedAt), scanTime(&o.UpdatedAt)); err != nil {
			return nil, "", err
		}
		list = append(list, o)
		byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	list, cursor := cutPage(list, limit, func(o *tandem.Organization) int64 { return o.ID })
	if len(list) == 0 {
		return list, cursor, nil
	}
	if err := attachParties(ctx, tx, list, byID); err != nil {
		return nil, "", err
	}
	return list, cursor, nil
}

func attachParties(ctx context.Context, tx *Tx, list []*tandem.Organization, byID map[int64]*tandem.Organization) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, organization_id, kind, name FROM parties WHERE organization_id BETWEEN ? AND ? ORDER BY organization_id, kind`,
		list[0].ID, list[len(list)-1].ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p tandem.Party
		if err := rows.Scan(&p.ID, &p.OrganizationID, &p.Kind, &p.Name); err != nil {
			return err
		}
		if o := byID[p.OrganizationID]; o != nil {
			o.Parties = append(o.Parties, p)
		}
	}
	return rows.Err()
}
