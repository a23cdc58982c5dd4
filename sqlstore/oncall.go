package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

// OnCallService implements tandem.OnCallService: schedules (this file) and
// their iCalendar feeds (oncall_feed.go).
type OnCallService struct {
	db *DB
}

// NewOnCallService returns the on-call service on db.
func NewOnCallService(db *DB) *OnCallService { return &OnCallService{db: db} }

const scheduleColumns = `s.id, s.organization_id, s.party, s.name, s.time_zone, s.definition, s.created_at, s.updated_at`

func scanSchedule(row scanner) (*tandem.OnCallSchedule, error) {
	s := &tandem.OnCallSchedule{}
	var def string
	if err := row.Scan(&s.ID, &s.OrganizationID, &s.Party, &s.Name, &s.TimeZone, &def, scanTime(&s.CreatedAt), scanTime(&s.UpdatedAt)); err != nil {
		return nil, err
	}
	s.Definition = json.RawMessage(def)
	return s, nil
}

// scheduleScope limits schedules s to those the actor sees at least by
// name: the provider's (every staff member of either party) and those of
// the organisations in scope. Requesters see none.
func scheduleScope(a *tandem.Actor) (string, []any) {
	if !a.System && a.Role == tandem.RoleRequester {
		return "1=0", nil
	}
	cond, args := orgScope(a, "s.organization_id")
	return "(s.organization_id IS NULL OR " + cond + ")", args
}

// seesDefinition reports whether the actor may read a schedule it sees
// whole: its members, turns and shifts. Internal staff see a provider
// schedule's name only.
func seesDefinition(a *tandem.Actor, s *tandem.OnCallSchedule) bool {
	return a.System || a.Party == tandem.PartyProvider || s.Party == tandem.PartyInternal
}

// findSchedule is a schedule in the actor's scope (ENOTFOUND otherwise),
// its definition left out where the actor may see its name only.
func (tx *Tx) findSchedule(ctx context.Context, a *tandem.Actor, id int64) (*tandem.OnCallSchedule, error) {
	cond, args := scheduleScope(a)
	s, err := scanSchedule(tx.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM oncall_schedules s WHERE s.id = ? AND `+cond,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "On-call schedule %d not found.", id)
	}
	if err == nil && !seesDefinition(a, s) {
		s.Definition = nil
	}
	return s, err
}

// readableSchedule is findSchedule's schedule parsed, for the actors who
// may read its shifts (EFORBIDDEN for those who see its name only).
func (tx *Tx) readableSchedule(ctx context.Context, a *tandem.Actor, id int64) (*tandem.OnCallSchedule, *oncall.Schedule, error) {
	s, err := tx.findSchedule(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if s.Definition == nil {
		return nil, nil, tandem.Errorf(tandem.EFORBIDDEN, "The provider's on-call schedule %q shows its name to internal staff, not who is on call.", s.Name)
	}
	parsed, err := oncall.Parse(s.Definition)
	return s, parsed, err
}

// canManageSchedule: a party manages its own schedules (oncall.manage),
// the system every schedule.
func canManageSchedule(a *tandem.Actor, s *tandem.OnCallSchedule) error {
	if a.System {
		return nil
	}
	if a.Party != s.Party {
		return tandem.Errorf(tandem.EFORBIDDEN, "A %s schedule is managed by the %s party's admins.", s.Party, s.Party)
	}
	var org int64
	if s.OrganizationID != nil {
		org = *s.OrganizationID
	}
	return a.Can(tandem.ActionOnCallManage, org)
}

func scheduleTarget(id int64) string { return fmt.Sprintf("oncall_schedule:%d", id) }

// FindOnCallSchedules implements tandem.OnCallService.
func (o *OnCallService) FindOnCallSchedules(ctx context.Context, orgID *int64) ([]*tandem.OnCallSchedule, error) {
	a, tx, err := o.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cond, args := scheduleScope(a)
	if orgID != nil {
		cond += " AND (s.organization_id IS NULL OR s.organization_id = ?)"
		args = append(args, *orgID)
	}
	var out []*tandem.OnCallSchedule
	err = tx.eachRow(ctx, `SELECT `+scheduleColumns+` FROM oncall_schedules s WHERE `+cond+
		` ORDER BY CASE WHEN s.organization_id IS NULL THEN 0 ELSE 1 END, s.organization_id, s.name, s.id`, args, func(rows *sql.Rows) error {
		s, err := scanSchedule(rows)
		if err != nil {
			return err
		}
		if !seesDefinition(a, s) {
			s.Definition = nil
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// FindOnCallSchedule implements tandem.OnCallService.
func (o *OnCallService) FindOnCallSchedule(ctx context.Context, id int64) (*tandem.OnCallSchedule, error) {
	a, tx, err := o.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.findSchedule(ctx, a, id)
}

// CreateOnCallSchedule implements tandem.OnCallService.
func (o *OnCallService) CreateOnCallSchedule(ctx context.Context, s *tandem.OnCallSchedule) error {
	a, tx, err := o.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.Validate(); err != nil {
		return err
	}
	if err := canManageSchedule(a, s); err != nil {
		return err
	}
	if err := tx.prepareSchedule(ctx, s); err != nil {
		return err
	}
	s.CreatedAt, s.UpdatedAt = tx.now, tx.now
	s.ID, err = tx.insert(ctx, `INSERT INTO oncall_schedules (organization_id, party, name, time_zone, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.OrganizationID, s.Party, s.Name, s.TimeZone, string(s.Definition), at(s.CreatedAt), at(s.UpdatedAt))
	if isUniqueViolation(err) {
		return scheduleNameTaken(s.Name)
	} else if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, s.OrganizationID, "oncall.create", scheduleTarget(s.ID), map[string]any{"name": s.Name, "party": s.Party, "definition": s.Definition}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateOnCallSchedule implements tandem.OnCallService. A schedule keeps
// its party and organisation.
func (o *OnCallService) UpdateOnCallSchedule(ctx context.Context, s *tandem.OnCallSchedule) error {
	a, tx, err := o.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := tx.findSchedule(ctx, a, s.ID)
	if err != nil {
		return err
	}
	if err := canManageSchedule(a, old); err != nil {
		return err
	}
	s.Party, s.OrganizationID, s.CreatedAt = old.Party, old.OrganizationID, old.CreatedAt
	if err := s.Validate(); err != nil {
		return err
	}
	if err := tx.prepareSchedule(ctx, s); err != nil {
		return err
	}
	changes := map[string]any{}
	if s.Name != old.Name {
		changes["name"] = s.Name
	}
	if string(s.Definition) != string(old.Definition) {
		changes["definition"] = s.Definition
	}
	if len(changes) == 0 {
		s.UpdatedAt = old.UpdatedAt
		return nil
	}
	s.UpdatedAt = tx.now
	_, err = tx.ExecContext(ctx, `UPDATE oncall_schedules SET name = ?, time_zone = ?, definition = ?, updated_at = ? WHERE id = ?`,
		s.Name, s.TimeZone, string(s.Definition), at(s.UpdatedAt), s.ID)
	if isUniqueViolation(err) {
		return scheduleNameTaken(s.Name)
	} else if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, s.OrganizationID, "oncall.update", scheduleTarget(s.ID), changes); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteOnCallSchedule implements tandem.OnCallService; its feed goes too.
func (o *OnCallService) DeleteOnCallSchedule(ctx context.Context, id int64) error {
	a, tx, err := o.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	s, err := tx.findSchedule(ctx, a, id)
	if err != nil {
		return err
	}
	if err := canManageSchedule(a, s); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM oncall_feeds WHERE schedule_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM oncall_schedules WHERE id = ?`, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, s.OrganizationID, "oncall.delete", scheduleTarget(id), map[string]any{"name": s.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

func scheduleNameTaken(name string) error {
	return tandem.Errorf(tandem.ECONFLICT, "A schedule named %q exists already; choose another name.", name)
}

// prepareSchedule makes s.Definition canonical, with s.TimeZone as its zone
// when set, and checks its members are active users of its party.
func (tx *Tx) prepareSchedule(ctx context.Context, s *tandem.OnCallSchedule) error {
	def := s.Definition
	if zone := strings.TrimSpace(s.TimeZone); zone != "" {
		// The zone field wins over the definition's "timezone"; a definition
		// that is not an object is left for Parse to refuse.
		var fields map[string]json.RawMessage
		if json.Unmarshal(def, &fields) == nil && fields != nil {
			fields["timezone"], _ = json.Marshal(zone)
			def, _ = json.Marshal(fields)
		}
	}
	parsed, err := oncall.Parse(def)
	if err != nil {
		return err
	}
	canonical, err := parsed.MarshalJSON()
	if err != nil {
		return err
	}
	s.Definition, s.TimeZone = canonical, parsed.Location().String()
	return tx.checkMembers(ctx, s, parsed.Members())
}

// checkMembers refuses (EINVALID, naming them) members who are not active
// users of the schedule's party: provider users for the provider's, the
// organisation's internal staff for an internal one.
func (tx *Tx) checkMembers(ctx context.Context, s *tandem.OnCallSchedule, members []string) error {
	found := map[string]bool{}
	cond, args := "u.organization_id IS NULL", []any{}
	if s.OrganizationID != nil {
		cond, args = "u.organization_id = ? AND u.role IN (?, ?)", []any{*s.OrganizationID, tandem.RoleITAdmin, tandem.RoleITTechnician}
	}
	for chunk := range slices.Chunk(members, 100) {
		q := `SELECT u.email FROM users u WHERE u.active = ? AND ` + cond + ` AND u.email IN (` + marks(len(chunk)) + `)`
		qargs := append(append([]any{true}, args...), anySlice(chunk)...)
		if err := tx.eachRow(ctx, q, qargs, func(rows *sql.Rows) error {
			var email string
			if err := rows.Scan(&email); err != nil {
				return err
			}
			found[email] = true
			return nil
		}); err != nil {
			return err
		}
	}
	for _, m := range members {
		if !found[m] {
			if s.OrganizationID != nil {
				return tandem.Errorf(tandem.EINVALID, "definition: %s is not an active IT admin or technician of this organisation; on-call members must be its internal staff.", m)
			}
			return tandem.Errorf(tandem.EINVALID, "definition: %s is not an active provider user; on-call members of a provider schedule must be provider staff.", m)
		}
	}
	return nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// OnCallAt implements tandem.OnCallService.
func (o *OnCallService) OnCallAt(ctx context.Context, id int64, at time.Time) (string, error) {
	a, tx, err := o.db.readAs(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	_, parsed, err := tx.readableSchedule(ctx, a, id)
	if err != nil {
		return "", err
	}
	return parsed.Who(at), nil
}

// OnCallShifts implements tandem.OnCallService.
func (o *OnCallService) OnCallShifts(ctx context.Context, id int64, from, to time.Time) ([]tandem.OnCallShift, error) {
	if !to.After(from) {
		return nil, tandem.Errorf(tandem.EINVALID, "to: %s is not after from %s; give a later end.", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if to.Sub(from) > oncall.MaxWindow {
		return nil, tandem.Errorf(tandem.EINVALID, "to: the window is longer than %d days; ask for a shorter one.", int(oncall.MaxWindow/(24*time.Hour)))
	}
	a, tx, err := o.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	_, parsed, err := tx.readableSchedule(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return shiftsOf(id, parsed.Shifts(from, to)), nil
}

func shiftsOf(id int64, shifts []oncall.Shift) []tandem.OnCallShift {
	out := make([]tandem.OnCallShift, len(shifts))
	for i, sh := range shifts {
		out[i] = tandem.OnCallShift{ScheduleID: id, From: sh.From, To: sh.To, Member: sh.Member}
	}
	return out
}

// onCallAt is the active user on call in a schedule at an instant: ok is
// false when nobody is (a gap, or a member with no active account of the
// schedule's party). It reads the schedule without scope, for the
// escalation steps the scheduler runs.
func (tx *Tx) onCallAt(ctx context.Context, scheduleID int64, at time.Time) (userID int64, ok bool, err error) {
	s, err := tx.findSchedule(ctx, tandem.SystemActor, scheduleID)
	if err != nil {
		return 0, false, err
	}
	parsed, err := oncall.Parse(s.Definition)
	if err != nil {
		return 0, false, err
	}
	member := parsed.Who(at)
	if member == "" {
		return 0, false, nil
	}
	q, args := `SELECT u.id FROM users u WHERE u.email = ? AND u.active = ? AND u.organization_id IS NULL`, []any{member, true}
	if s.OrganizationID != nil {
		q, args = `SELECT u.id FROM users u WHERE u.email = ? AND u.active = ? AND u.organization_id = ?`, []any{member, true, *s.OrganizationID}
	}
	err = tx.QueryRowContext(ctx, q, args...).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return userID, err == nil, err
}
