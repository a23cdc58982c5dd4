package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

// EscalationService implements tandem.EscalationService: the policies
// (this file), the incidents they run (escalation_incident.go), started by
// ticket events (escalation_trigger.go) and stepped by the scheduler
// (escalation_step.go), acknowledged by link (escalation_ack.go).
type EscalationService struct {
	db *DB
}

// NewEscalationService returns the escalation service on db.
func NewEscalationService(db *DB) *EscalationService { return &EscalationService{db: db} }

const policyColumns = `p.id, p.organization_id, p.party, p.name, p.position, p.owning_party, p.priorities, p.area_ids, p.hours, p.triggers,
	p.levels, p.repeats, p.created_at, p.updated_at`

// policyScope limits escalation_policies (alias p) to those the actor may
// see: provider staff the provider's policies for every organisation or
// one in scope, and the internal policies of the organisations in scope;
// internal team members their organisation's internal policies; requesters
// none.
func policyScope(a *tandem.Actor) (string, []any) {
	cond, args := orgScope(a, "p.organization_id")
	switch {
	case a.System:
		return "1=1", nil
	case a.IsRequesterRole():
		return "1=0", nil
	case a.Party == tandem.PartyProvider:
		return "(p.organization_id IS NULL OR " + cond + ")", args
	}
	return "(p.party = 'internal' AND " + cond + ")", args
}

func scanPolicy(row scanner) (*tandem.EscalationPolicy, error) {
	p := &tandem.EscalationPolicy{}
	var priorities, areas, triggers, levels string
	err := row.Scan(&p.ID, &p.OrganizationID, &p.Party, &p.Name, &p.Position, &p.OwningParty, &priorities, &areas, &p.Hours, &triggers,
		&levels, &p.Repeats, scanTime(&p.CreatedAt), scanTime(&p.UpdatedAt))
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src string
		dst any
	}{{priorities, &p.Priorities}, {areas, &p.AreaIDs}, {triggers, &p.Triggers}, {levels, &p.Levels}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// FindEscalationPolicies implements tandem.EscalationService.
func (s *EscalationService) FindEscalationPolicies(ctx context.Context, filter tandem.EscalationPolicyFilter) ([]*tandem.EscalationPolicy, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	scope, args := policyScope(a)
	if filter.OrganizationID != nil {
		scope += " AND (p.organization_id IS NULL OR p.organization_id = ?)"
		args = append(args, *filter.OrganizationID)
	}
	return queryList(ctx, tx, scanPolicy, `SELECT `+policyColumns+` FROM escalation_policies p WHERE `+scope+
		` ORDER BY CASE p.party WHEN 'provider' THEN 0 ELSE 1 END, p.position, p.id`, args...)
}

// FindEscalationPolicy implements tandem.EscalationService.
func (s *EscalationService) FindEscalationPolicy(ctx context.Context, id int64) (*tandem.EscalationPolicy, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findPolicy(ctx, tx, a, id)
}

func findPolicy(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.EscalationPolicy, error) {
	scope, args := policyScope(a)
	p, err := scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM escalation_policies p WHERE p.id = ? AND `+scope, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Escalation policy %d not found.", id)
	}
	return p, err
}

// canManagePolicy checks escalation.manage for p: provider policies for a
// provider admin (for every organisation or one in scope), an
// organisation's internal policies for its it-admins.
func canManagePolicy(ctx context.Context, tx *Tx, a *tandem.Actor, p *tandem.EscalationPolicy) error {
	if !a.System && p.Party != a.Party {
		return tandem.Errorf(tandem.EFORBIDDEN, "Your party (%s) manages only its own escalation policies; this one is the %s party's.", a.Party, p.Party)
	}
	var orgID int64
	if p.OrganizationID != nil {
		scope, args := orgScope(a, "o.id")
		err := tx.QueryRowContext(ctx, `SELECT o.id FROM organizations o WHERE o.id = ? AND `+scope, append([]any{*p.OrganizationID}, args...)...).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return &tandem.FieldError{Field: "organization_id", Err: tandem.Errorf(tandem.ENOTFOUND, "Organization %d not found.", *p.OrganizationID)}
		} else if err != nil {
			return err
		}
	}
	return a.Can(tandem.ActionEscalationManage, orgID)
}

// checkPolicyRefs refuses areas of another organisation, users who could
// not work the policy's tickets, and schedules that are neither the
// provider's nor the policy's organisation's.
func checkPolicyRefs(ctx context.Context, tx *Tx, p *tandem.EscalationPolicy) error {
	if len(p.AreaIDs) > 0 && p.OrganizationID == nil {
		return &tandem.FieldError{Field: "area_ids", Err: tandem.Errorf(tandem.EINVALID, "Service areas belong to one organisation: choose the organisation, or match no area.")}
	}
	for _, id := range p.AreaIDs {
		if _, err := findArea(ctx, tx, *p.OrganizationID, id); err != nil {
			return &tandem.FieldError{Field: "area_ids", Err: tandem.Errorf(tandem.EINVALID, "Service area %d is not one of this organisation's areas; pick one of its catalogue.", id)}
		}
	}
	for i, l := range p.Levels {
		for _, t := range l.Targets {
			if t.Kind == escalation.TargetSchedule {
				if err := checkPolicySchedule(ctx, tx, p, i, t.ScheduleID); err != nil {
					return err
				}
			}
			if t.Kind != escalation.TargetUser {
				continue
			}
			var role tandem.Role
			var org *int64
			err := tx.QueryRowContext(ctx, `SELECT role, organization_id FROM users WHERE id = ? AND active = ?`, t.UserID, true).Scan(&role, &org)
			ok := err == nil && role != tandem.RoleRequester && (org == nil || p.OrganizationID != nil && *org == *p.OrganizationID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if !ok {
				return &tandem.FieldError{Field: "levels." + strconv.Itoa(i) + ".targets", Err: tandem.Errorf(tandem.EINVALID,
					"Level %d: user %d cannot be notified: name an active team member of the policy's organisation or provider staff.", i+1, t.UserID)}
			}
		}
	}
	return nil
}

// checkPolicySchedule refuses a schedule of level i that does not exist
// or belongs to another organisation than the policy's (the provider's
// schedules serve every policy).
func checkPolicySchedule(ctx context.Context, tx *Tx, p *tandem.EscalationPolicy, i int, id int64) error {
	var org *int64
	err := tx.QueryRowContext(ctx, `SELECT organization_id FROM oncall_schedules WHERE id = ?`, id).Scan(&org)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err == nil && (org == nil || p.OrganizationID != nil && *org == *p.OrganizationID) {
		return nil
	}
	return &tandem.FieldError{Field: "levels." + strconv.Itoa(i) + ".targets", Err: tandem.Errorf(tandem.EINVALID,
		"Level %d: on-call schedule %d is not one this policy can use: choose one of the provider's schedules or of the policy's organisation.", i+1, id)}
}

// policyRow is the stored form of a policy's lists.
func policyRow(p *tandem.EscalationPolicy) (priorities, areas, triggers, levels string, err error) {
	enc := func(v any) string {
		if err != nil {
			return ""
		}
		var b []byte
		b, err = json.Marshal(v)
		return string(b)
	}
	priorities = enc(orEmpty(p.Priorities))
	areas = enc(orEmpty(p.AreaIDs))
	triggers = enc(orEmpty(p.Triggers))
	levels = enc(p.Levels)
	return
}

// orEmpty stores a nil list as [] rather than null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// CreateEscalationPolicy implements tandem.EscalationService. A policy
// without a position goes last among its party's.
func (s *EscalationService) CreateEscalationPolicy(ctx context.Context, p *tandem.EscalationPolicy) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := canManagePolicy(ctx, tx, a, p); err != nil {
		return err
	}
	if err := checkPolicyRefs(ctx, tx, p); err != nil {
		return err
	}
	if p.Position == 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM escalation_policies WHERE party = ?`, p.Party).Scan(&p.Position); err != nil {
			return err
		}
	}
	priorities, areas, triggers, levels, err := policyRow(p)
	if err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	p.ID, err = tx.insert(ctx, `INSERT INTO escalation_policies (organization_id, party, name, position, owning_party, priorities, area_ids, hours, triggers,
		levels, repeats, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.OrganizationID, p.Party, p.Name, p.Position, p.OwningParty, priorities, areas, p.Hours, triggers, levels, p.Repeats, at(p.CreatedAt), at(p.UpdatedAt))
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, p.OrganizationID, "escalation_policy.create", policyTarget(p.ID), policySummary(p)); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateEscalationPolicy implements tandem.EscalationService. Running
// incidents keep the policy they started with.
func (s *EscalationService) UpdateEscalationPolicy(ctx context.Context, p *tandem.EscalationPolicy) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := findPolicy(ctx, tx, a, p.ID)
	if err != nil {
		return err
	}
	if err := canManagePolicy(ctx, tx, a, old); err != nil {
		return err
	}
	p.Party = old.Party // a policy stays its party's
	if p.Position == 0 {
		p.Position = old.Position
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := canManagePolicy(ctx, tx, a, p); err != nil {
		return err
	}
	if err := checkPolicyRefs(ctx, tx, p); err != nil {
		return err
	}
	priorities, areas, triggers, levels, err := policyRow(p)
	if err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = old.CreatedAt, tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE escalation_policies SET organization_id = ?, name = ?, position = ?, owning_party = ?, priorities = ?, area_ids = ?,
		hours = ?, triggers = ?, levels = ?, repeats = ?, updated_at = ? WHERE id = ?`,
		p.OrganizationID, p.Name, p.Position, p.OwningParty, priorities, areas, p.Hours, triggers, levels, p.Repeats, at(p.UpdatedAt), p.ID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, p.OrganizationID, "escalation_policy.update", policyTarget(p.ID), policySummary(p)); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteEscalationPolicy implements tandem.EscalationService. Its running
// incidents go on with their snapshots.
func (s *EscalationService) DeleteEscalationPolicy(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	p, err := findPolicy(ctx, tx, a, id)
	if err != nil {
		return err
	}
	if err := canManagePolicy(ctx, tx, a, p); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM escalation_policies WHERE id = ?`, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, p.OrganizationID, "escalation_policy.delete", policyTarget(id), map[string]any{"name": p.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

func policyTarget(id int64) string { return "escalation_policy:" + strconv.FormatInt(id, 10) }

func policySummary(p *tandem.EscalationPolicy) map[string]any {
	return map[string]any{"name": p.Name, "party": p.Party, "organization_id": p.OrganizationID, "position": p.Position, "owning_party": p.OwningParty,
		"priorities": p.Priorities, "area_ids": p.AreaIDs, "hours": p.Hours, "triggers": p.Triggers, "levels": p.Levels, "repeats": p.Repeats}
}
