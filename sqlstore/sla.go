package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// SLAService implements tandem.SLAService.
type SLAService struct{ db *DB }

// NewSLAService returns the SLA service on db.
func NewSLAService(db *DB) *SLAService { return &SLAService{db: db} }

var _ tandem.SLAService = (*SLAService)(nil)

// FindCalendars implements tandem.SLAService.
func (s *SLAService) FindCalendars(ctx context.Context, orgID int64) ([]*tandem.BusinessCalendar, error) {
	_, tx, err := s.begin(ctx, orgID, tandem.ActionRead)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return queryList(ctx, tx, scanCalendar, `SELECT `+calendarColumns+` FROM business_calendars WHERE organization_id = ? ORDER BY name, id`, orgID)
}

// FindCalendar implements tandem.SLAService.
func (s *SLAService) FindCalendar(ctx context.Context, orgID, id int64) (*tandem.BusinessCalendar, error) {
	_, tx, err := s.begin(ctx, orgID, tandem.ActionRead)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findCalendar(ctx, tx, orgID, id)
}

// CreateCalendar implements tandem.SLAService.
func (s *SLAService) CreateCalendar(ctx context.Context, c *tandem.BusinessCalendar) error {
	a, tx, err := s.begin(ctx, c.OrganizationID, tandem.ActionSLAManage)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := c.Validate(); err != nil {
		return err
	}
	def, err := canonicalCalendar(c.Definition)
	if err != nil {
		return err
	}
	c.Definition, c.CreatedAt, c.UpdatedAt = def, tx.now, tx.now
	c.ID, err = tx.insert(ctx, `INSERT INTO business_calendars (organization_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		c.OrganizationID, c.Name, string(c.Definition), at(c.CreatedAt), at(c.UpdatedAt))
	if isUniqueViolation(err) {
		return calendarNameTaken(c.Name)
	} else if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &c.OrganizationID, "calendar.create", calendarTarget(c.ID), map[string]any{"name": c.Name, "definition": c.Definition}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateCalendar implements tandem.SLAService. Changing the calendar the
// SLA policy uses recomputes the timers of the organisation's open tickets
// in the same transaction.
func (s *SLAService) UpdateCalendar(ctx context.Context, c *tandem.BusinessCalendar) error {
	a, tx, err := s.begin(ctx, c.OrganizationID, tandem.ActionSLAManage)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := findCalendar(ctx, tx, c.OrganizationID, c.ID)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	def, err := canonicalCalendar(c.Definition)
	if err != nil {
		return err
	}
	c.Definition, c.CreatedAt = def, old.CreatedAt
	changes := map[string]any{}
	if c.Name != old.Name {
		changes["name"] = c.Name
	}
	if string(def) != string(old.Definition) {
		changes["definition"] = def
	}
	if len(changes) == 0 {
		c.UpdatedAt = old.UpdatedAt
		return nil
	}
	var before *settingsChange
	if _, redefined := changes["definition"]; redefined {
		if before, err = beforeCalendarChange(ctx, tx, c.OrganizationID, c.ID); err != nil {
			return err
		}
	}
	if err := saveCalendar(ctx, tx, c); err != nil {
		return err
	}
	if err := afterCalendarChange(ctx, tx, before, changes); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &c.OrganizationID, "calendar.update", calendarTarget(c.ID), changes); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteCalendar implements tandem.SLAService.
func (s *SLAService) DeleteCalendar(ctx context.Context, orgID, id int64) error {
	a, tx, err := s.begin(ctx, orgID, tandem.ActionSLAManage)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c, err := findCalendar(ctx, tx, orgID, id)
	if err != nil {
		return err
	}
	if used, err := policyUsesCalendar(ctx, tx, orgID, id); err != nil {
		return err
	} else if used {
		return tandem.Errorf(tandem.ECONFLICT, "Calendar %q is the one the SLA policy runs on; choose another calendar (or 24×7) in the policy first.", c.Name)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM business_calendars WHERE id = ?`, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &orgID, "calendar.delete", calendarTarget(id), map[string]any{"name": c.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

// ImportHolidays implements tandem.SLAService. The dates are merged into
// the calendar's holidays, which stay sorted and unique; the audit entry
// also records how many timed events the file held (ignored: they are not
// whole days).
//
// The file is read and parsed between two transactions: the caller's scope
// and rights are checked in a read transaction first, so nobody else makes
// the server parse, and checked again in the write transaction, which
// holds (on SQLite) the only writer for no longer than the merge takes.
func (s *SLAService) ImportHolidays(ctx context.Context, orgID, id int64, ics io.Reader) (*tandem.BusinessCalendar, []string, error) {
	if err := s.checkCalendar(ctx, orgID, id, tandem.ActionSLAManage); err != nil {
		return nil, nil, err
	}
	feed, err := sla.ParseICalHolidays(ics, s.db.now())
	if err != nil {
		return nil, nil, tandem.Errorf(tandem.EINVALID, "The iCalendar file cannot be imported: %s.", err.Error())
	}
	a, tx, err := s.begin(ctx, orgID, tandem.ActionSLAManage)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	c, err := findCalendar(ctx, tx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	var def struct {
		Timezone string          `json:"timezone"`
		Hours    json.RawMessage `json:"hours"`
		Holidays []string        `json:"holidays"`
	}
	if err := json.Unmarshal(c.Definition, &def); err != nil {
		return nil, nil, fmt.Errorf("stored calendar %d: %w", id, err)
	}
	have := map[string]bool{}
	for _, d := range def.Holidays {
		have[d] = true
	}
	added := []string{}
	for _, d := range feed.Dates {
		if !have[d] {
			added = append(added, d)
			def.Holidays = append(def.Holidays, d)
		}
	}
	if len(added) == 0 {
		return c, added, nil
	}
	slices.Sort(def.Holidays)
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, nil, err
	}
	if c.Definition, err = canonicalCalendar(raw); err != nil {
		return nil, nil, err
	}
	before, err := beforeCalendarChange(ctx, tx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	if err := saveCalendar(ctx, tx, c); err != nil {
		return nil, nil, err
	}
	summary := map[string]any{"added": added, "timed_events_ignored": feed.TimedEvents, "cancelled_events_ignored": feed.CancelledEvents, "repeating_events": feed.RepeatingEvents}
	if err := afterCalendarChange(ctx, tx, before, summary); err != nil {
		return nil, nil, err
	}
	if err := tx.audit(ctx, a, &orgID, "calendar.import_holidays", calendarTarget(id), summary); err != nil {
		return nil, nil, err
	}
	return c, added, tx.Commit()
}

// checkCalendar checks, in a read transaction, that the caller may perform
// action on a calendar of the organisation (ENOTFOUND, then EFORBIDDEN).
func (s *SLAService) checkCalendar(ctx context.Context, orgID, id int64, action tandem.Action) error {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := slaAllowed(ctx, tx, a, orgID, action); err != nil {
		return err
	}
	_, err = findCalendar(ctx, tx, orgID, id)
	return err
}

// FindSLAPolicy implements tandem.SLAService.
func (s *SLAService) FindSLAPolicy(ctx context.Context, orgID int64) (*tandem.SLAPolicy, error) {
	_, tx, err := s.begin(ctx, orgID, tandem.ActionRead)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findSLAPolicy(ctx, tx, orgID)
}

// SLATimeZone implements tandem.SLAService.
func (s *SLAService) SLATimeZone(ctx context.Context, orgID int64) (*time.Location, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := findScopedOrg(ctx, tx, a, orgID); err != nil {
		return nil, err
	}
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	return oc.clock.Calendar().Location(), nil
}

// UpdateSLAPolicy implements tandem.SLAService: it replaces the policy and
// recomputes, in the same transaction, the timers of every ticket of the
// organisation that is not closed.
func (s *SLAService) UpdateSLAPolicy(ctx context.Context, p *tandem.SLAPolicy) error {
	a, tx, err := s.begin(ctx, p.OrganizationID, tandem.ActionSLAManage)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := p.Validate(); err != nil {
		return err
	}
	if p.CalendarID != nil {
		if _, err := findCalendar(ctx, tx, p.OrganizationID, *p.CalendarID); tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Errorf(tandem.EINVALID, "Calendar %d is not one of this organisation's calendars; create it first or choose none (24×7).", *p.CalendarID)
		} else if err != nil {
			return err
		}
	}
	if p.Targets == nil {
		p.Targets = []tandem.SLATarget{}
	}
	if p.OLAs == nil {
		p.OLAs = []tandem.OLATarget{}
	}
	targets, err := json.Marshal(p.Targets)
	if err != nil {
		return err
	}
	olas, err := json.Marshal(p.OLAs)
	if err != nil {
		return err
	}
	matrix, err := json.Marshal(p.PriorityMatrix)
	if err != nil {
		return err
	}
	responses, err := json.Marshal(p.ResponseActions)
	if err != nil {
		return err
	}
	change, err := tx.beginSettingsChange(ctx, p.OrganizationID)
	if err != nil {
		return err
	}
	before := change.old
	// Another calendar counts from now on: the current one joins the
	// clock history.
	history, err := json.Marshal(before.history)
	if err != nil {
		return err
	}
	if old, now := before.policy.CalendarID, p.CalendarID; (old == nil) != (now == nil) || old != nil && *old != *now {
		h, err := before.historyAfterChange(tx.now)
		if err != nil {
			return err
		}
		history = []byte(h)
	}
	p.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `INSERT INTO sla_policies (organization_id, calendar_id, warn_percent, targets, olas, priority_matrix, response_actions, clock_history, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (organization_id) DO UPDATE SET calendar_id = excluded.calendar_id, warn_percent = excluded.warn_percent,
		targets = excluded.targets, olas = excluded.olas, priority_matrix = excluded.priority_matrix, response_actions = excluded.response_actions,
		clock_history = excluded.clock_history, updated_at = excluded.updated_at`,
		p.OrganizationID, p.CalendarID, p.WarnPercent, string(targets), string(olas), string(matrix), string(responses), string(history), at(p.UpdatedAt)); err != nil {
		return err
	}
	n, err := tx.recomputeAfterPolicy(ctx, change)
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &p.OrganizationID, "sla_policy.update", "sla_policy:"+strconv.FormatInt(p.OrganizationID, 10), map[string]any{
		"calendar_id": p.CalendarID, "warn_percent": p.WarnPercent, "targets": p.Targets, "olas": p.OLAs,
		"priority_matrix": p.PriorityMatrix, "response_actions": p.ResponseActions, "recomputed_tickets": n,
	}); err != nil {
		return err
	}
	return tx.Commit()
}

// begin opens a transaction as the caller on the organisation's calendars
// and policy once slaAllowed lets the action through: a read transaction for
// tandem.ActionRead, a write transaction for any other action. The caller
// defers tx.Rollback.
func (s *SLAService) begin(ctx context.Context, orgID int64, action tandem.Action) (*tandem.Actor, *Tx, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, nil, err
	}
	// A write may recompute every open ticket's timers: it runs alone.
	begin := s.db.beginWriteAlone
	if action == tandem.ActionRead {
		begin = s.db.beginRead
	}
	tx, err := begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := slaAllowed(ctx, tx, a, orgID, action); err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return a, tx, nil
}

// slaAllowed finds the organisation in the actor's scope (ENOTFOUND) and
// then checks the action on it (EFORBIDDEN), in that order, so a refused
// caller learns nothing about another organisation's calendars. Requesters
// may not even read them: the calendars and policy are the teams'
// settings, and a requester's tickets show their own clocks.
func slaAllowed(ctx context.Context, tx *Tx, a *tandem.Actor, orgID int64, action tandem.Action) error {
	if err := findScopedOrg(ctx, tx, a, orgID); err != nil {
		return err
	}
	if a.IsRequesterRole() {
		return tandem.Errorf(tandem.EFORBIDDEN, "The SLA settings are for the IT teams; your tickets show their own clocks.")
	}
	return a.Can(action, orgID)
}

// canonicalCalendar validates a definition with sla.ParseCalendar and
// returns the form it writes, so equal calendars are stored alike.
func canonicalCalendar(def json.RawMessage) (json.RawMessage, error) {
	cal, err := sla.ParseCalendar(def)
	if err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "Calendar definition is invalid: %s.", err.Error())
	}
	return cal.MarshalJSON()
}

func calendarNameTaken(name string) error {
	return tandem.Errorf(tandem.ECONFLICT, "A calendar named %q already exists in this organisation; choose another name.", name)
}

func calendarTarget(id int64) string { return "calendar:" + strconv.FormatInt(id, 10) }

// calendarColumns are the columns scanCalendar reads.
const calendarColumns = `id, organization_id, name, definition, created_at, updated_at`

func scanCalendar(row scanner) (*tandem.BusinessCalendar, error) {
	c := &tandem.BusinessCalendar{}
	var def string
	if err := row.Scan(&c.ID, &c.OrganizationID, &c.Name, &def, scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt)); err != nil {
		return nil, err
	}
	c.Definition = json.RawMessage(def)
	return c, nil
}

// findCalendar returns a calendar of the organisation; the caller has
// checked the organisation is in scope.
func findCalendar(ctx context.Context, tx *Tx, orgID, id int64) (*tandem.BusinessCalendar, error) {
	c, err := scanCalendar(tx.QueryRowContext(ctx, `SELECT `+calendarColumns+` FROM business_calendars WHERE organization_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Calendar %d not found.", id)
	}
	return c, err
}

func saveCalendar(ctx context.Context, tx *Tx, c *tandem.BusinessCalendar) error {
	c.UpdatedAt = tx.now
	_, err := tx.ExecContext(ctx, `UPDATE business_calendars SET name = ?, definition = ?, updated_at = ? WHERE id = ?`,
		c.Name, string(c.Definition), at(c.UpdatedAt), c.ID)
	if isUniqueViolation(err) {
		return calendarNameTaken(c.Name)
	}
	return err
}

func policyUsesCalendar(ctx context.Context, tx *Tx, orgID, calendarID int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sla_policies WHERE organization_id = ? AND calendar_id = ?`, orgID, calendarID).Scan(&n)
	return n > 0, err
}

// settingsChange is a change of an organisation's policy or of the
// calendar it runs on, under way: the settings as they were, and the
// tickets whose breaches were recorded before the change.
type settingsChange struct {
	orgID    int64
	old      *orgClock
	breached []int64
}

// beginSettingsChange starts a change of the organisation's policy or of
// the calendar it runs on: on PostgreSQL it locks the policy row (a
// concurrent change must not write back a clock history read before this
// one's); it reads the settings as they are, and records the breaches due
// under them that the worker has not recorded yet, as the worker would — a
// longer target must not undo them.
func (tx *Tx) beginSettingsChange(ctx context.Context, orgID int64) (*settingsChange, error) {
	if tx.db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT organization_id FROM sla_policies WHERE organization_id = ? FOR UPDATE`, orgID); err != nil {
			return nil, err
		}
	}
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	breached, err := tx.recordDueBreaches(ctx, oc, orgID)
	if err != nil {
		return nil, err
	}
	return &settingsChange{orgID: orgID, old: oc, breached: breached}, nil
}

// beforeCalendarChange begins a settings change when the organisation's
// policy runs on the calendar about to change, and adds the calendar as it
// is to the clock history: the new definition counts from now on. It
// returns nil when the policy runs on another calendar.
func beforeCalendarChange(ctx context.Context, tx *Tx, orgID, calendarID int64) (*settingsChange, error) {
	used, err := policyUsesCalendar(ctx, tx, orgID, calendarID)
	if err != nil || !used {
		return nil, err
	}
	change, err := tx.beginSettingsChange(ctx, orgID)
	if err != nil {
		return nil, err
	}
	history, err := change.old.historyAfterChange(tx.now)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE sla_policies SET clock_history = ? WHERE organization_id = ?`, history, orgID)
	return change, err
}

// afterCalendarChange finishes the change beforeCalendarChange began
// (nothing to do when nil) and notes in the audit summary how many tickets
// it recomputed (recomputed_tickets).
func afterCalendarChange(ctx context.Context, tx *Tx, change *settingsChange, summary map[string]any) error {
	if change == nil {
		return nil
	}
	n, err := tx.recomputeAfterPolicy(ctx, change)
	if err != nil {
		return err
	}
	summary["recomputed_tickets"] = n
	return nil
}

// findSLAPolicy returns the organisation's policy, or the default.
func findSLAPolicy(ctx context.Context, tx *Tx, orgID int64) (*tandem.SLAPolicy, error) {
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	return oc.policy, nil
}

// ProcessTimers implements tandem.SLAService; only the system runs it. It
// looks for timers whose warning or due instant has come, in batches, and
// fires each in its own transaction, guarded so that it fires once however
// many workers run (see fireTimer).
func (s *SLAService) ProcessTimers(ctx context.Context, now time.Time) (int, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return 0, err
	}
	if !a.System {
		return 0, tandem.Errorf(tandem.EFORBIDDEN, "Only the scheduler processes SLA timers.")
	}
	now = now.UTC().Truncate(time.Microsecond)
	const batch = 200
	fired := 0
	after := int64(0)
	for {
		ids, err := s.dueTimers(ctx, now, after, batch)
		if err != nil {
			return fired, err
		}
		for _, id := range ids {
			n, err := s.fireTimer(ctx, a, id, now)
			if err != nil {
				return fired, fmt.Errorf("fire SLA timer %d: %w", id, err)
			}
			fired += n
		}
		if len(ids) < batch {
			return fired, nil
		}
		after = ids[len(ids)-1]
	}
}

// NextTimer implements tandem.SLAService: the earliest instant at which a
// running timer of any organisation reaches its warning share or target.
func (s *SLAService) NextTimer(ctx context.Context) (time.Time, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if !a.System {
		return time.Time{}, tandem.Errorf(tandem.EFORBIDDEN, "Only the scheduler asks for the next SLA timer.")
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer tx.Rollback()
	clocks, err := loadOrgClocks(ctx, tx, nil)
	if err != nil {
		return time.Time{}, err
	}
	return tx.nextFire(ctx, clocks)
}

// dueTimers returns the next batch of timers with a warning or breach to
// fire: per organisation and class, the running timers whose origin lies
// the warning share (or, once warned, the target) behind the business
// clock's now.
func (s *SLAService) dueTimers(ctx context.Context, now time.Time, after int64, limit int) ([]int64, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	clocks, err := loadOrgClocks(ctx, tx, nil)
	if err != nil {
		return nil, err
	}
	return tx.dueTimerIDs(ctx, clocks, now, false, after, limit)
}

// recordDueBreaches records, as the worker would, every breach of the
// organisation that has come by tx.now under its policy and calendar oc
// (those in force: a change of them calls it first), at the due instant,
// and returns the tickets whose breaches it recorded.
func (tx *Tx) recordDueBreaches(ctx context.Context, oc *orgClock, orgID int64) ([]int64, error) {
	ids, err := tx.dueTimerIDs(ctx, map[int64]*orgClock{orgID: oc}, tx.now, true, 0, math.MaxInt32)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	ticketOf := map[int64]int64{}
	for chunk := range slices.Chunk(ids, bulkBatch) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		err := tx.eachRow(ctx, `SELECT id, ticket_id FROM sla_timers WHERE id IN (`+marks(len(chunk))+`)`, args, func(rows *sql.Rows) error {
			var id, ticketID int64
			if err := rows.Scan(&id, &ticketID); err != nil {
				return err
			}
			ticketOf[id] = ticketID
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Their tickets are locked first, in id order, as every writer of
	// timers does (PostgreSQL).
	if tx.db.dialect == Postgres {
		tickets := make([]int64, 0, len(ticketOf))
		for _, t := range ticketOf {
			tickets = append(tickets, t)
		}
		slices.Sort(tickets)
		for chunk := range slices.Chunk(slices.Compact(tickets), bulkBatch) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			if _, err := tx.ExecContext(ctx, `SELECT id FROM tickets WHERE id IN (`+marks(len(chunk))+`) ORDER BY id FOR UPDATE`, args...); err != nil {
				return nil, err
			}
		}
	}
	var breached []int64
	for _, id := range ids {
		fired, err := tx.recordTimer(ctx, tandem.SystemActor, id, true, false)
		if err != nil {
			return nil, fmt.Errorf("record the breach of timer %d: %w", id, err)
		}
		if fired {
			breached = append(breached, ticketOf[id])
		}
	}
	slices.Sort(breached)
	return slices.Compact(breached), nil
}

// fireTimer fires one timer's breach or, failing that, its warning, in a
// transaction of its own, and returns how many it fired: the timer, and
// any other breach of its ticket that the resync after it records.
func (s *SLAService) fireTimer(ctx context.Context, a *tandem.Actor, id int64, now time.Time) (int, error) {
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	tx.now = now
	var ticketID int64
	if err := tx.QueryRowContext(ctx, `SELECT ticket_id FROM sla_timers WHERE id = ?`, id).Scan(&ticketID); errors.Is(err, sql.ErrNoRows) {
		return 0, nil // gone with its ticket or handoff
	} else if err != nil {
		return 0, err
	}
	// Lock the ticket first, as the ticket service does, so that a ticket's
	// changes and its timer events queue behind each other.
	if tx.db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT id FROM tickets WHERE id = ? FOR UPDATE`, ticketID); err != nil {
			return 0, err
		}
	}
	fired, err := tx.recordTimer(ctx, a, id, false, true)
	if err != nil || !fired {
		return 0, err
	}
	_, more, err := tx.syncTicketTimers(ctx, false, `t.id = ?`, ticketID)
	if err != nil {
		return 0, err
	}
	return 1 + more, tx.Commit()
}

// recordTimer records a running timer's breach when its due instant has
// come by tx.now under the policy in force — at the due instant when
// atDue, else at tx.now, as the worker notices it — or else (when warn)
// its warning, and writes the timeline event and the audit entry of what
// it recorded, as a. The worker fires timers through it, and so does a
// change to a ticket or a policy that finds a timer run out before the
// worker came round, so a breach is recorded the same way whoever notices
// it first.
//
// The UPDATE … WHERE … IS NULL is the guard: only the transaction whose
// update touched the row writes the event and the audit entry, so a second
// worker, or a restart halfway, never fires it again. A breach supersedes a
// warning not yet fired: the timeline shows the breach alone. The caller
// has locked the ticket and resyncs its timers afterwards.
func (tx *Tx) recordTimer(ctx context.Context, a *tandem.Actor, id int64, atDue, warn bool) (bool, error) {
	tm := &tandem.Timer{ID: id}
	var orgID int64
	var class string
	var origin sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT ticket_id, organization_id, kind, party, state, target_class, origin, started_at, warned_at, breached_at
		FROM sla_timers WHERE id = ?`, id).
		Scan(&tm.TicketID, &orgID, &tm.Kind, &tm.Party, &tm.State, &class, &origin, scanTime(&tm.StartedAt), scanTimePtr(&tm.WarnedAt),
			scanTimePtr(&tm.BreachedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !origin.Valid {
		return false, nil // paused or stopped: nothing comes due
	}
	tm.Origin = (*time.Duration)(&origin.Int64)
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return false, err
	}
	due, breach, warned := oc.planner(tx.now).Fire(tm, classPriority(class))
	switch {
	case breach && tm.BreachedAt == nil:
		// The origin gives the due instant only when it came after the
		// clock's last pause; a target lowered below the time used before
		// a pause ran out earlier: walk the pauses.
		if tm.Kind == tandem.TimerResolution {
			exact, err := tx.resolutionDue(ctx, oc, tm)
			if err != nil {
				return false, err
			}
			due, tm.DueAt = exact, exact
		}
		breachAt := tx.now
		if atDue {
			breachAt = *due
		}
		res, err := tx.ExecContext(ctx, `UPDATE sla_timers SET breached_at = ?, warned_at = COALESCE(warned_at, ?), state = 'breached',
			due_at = ?, target_minutes = ? WHERE id = ? AND breached_at IS NULL AND state = 'running'`,
			at(breachAt), at(breachAt), at(*due), tm.Minutes, id)
		if fired, err := touched(res, err); err != nil || !fired {
			return false, err
		}
		return true, tx.timerEvent(ctx, a, orgID, oc, tm, tandem.EventSLABreach)
	case warn && warned && tm.WarnedAt == nil:
		res, err := tx.ExecContext(ctx, `UPDATE sla_timers SET warned_at = ? WHERE id = ? AND warned_at IS NULL AND state = 'running'`, at(tx.now), id)
		if fired, err := touched(res, err); err != nil || !fired {
			return false, err
		}
		return true, tx.timerEvent(ctx, a, orgID, oc, tm, tandem.EventSLAWarning)
	}
	return false, nil
}

// resolutionDue is the due instant of a running resolution clock, its
// target tm.Minutes counted from its start on oc's clock without the
// ticket's closed pauses.
func (tx *Tx) resolutionDue(ctx context.Context, oc *orgClock, tm *tandem.Timer) (*time.Time, error) {
	var pauses []sla.Interval
	err := tx.eachRow(ctx, `SELECT started_at, ended_at FROM ticket_pauses WHERE ticket_id = ? AND ended_at IS NOT NULL`, []any{tm.TicketID},
		func(rows *sql.Rows) error {
			var p sla.Interval
			if err := rows.Scan(scanTime(&p.Start), scanTime(&p.End)); err != nil {
				return err
			}
			pauses = append(pauses, p)
			return nil
		})
	if err != nil {
		return nil, err
	}
	due, err := oc.clock.Due(tm.StartedAt, time.Duration(tm.Minutes)*time.Minute, pauses)
	if err != nil {
		return nil, err
	}
	return &due, nil
}

// touched reports whether an UPDATE changed a row.
func touched(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// timerEvent writes the timeline event and the audit entry of a timer's
// warning or breach (kind), as a; tm holds its due instant and target.
func (tx *Tx) timerEvent(ctx context.Context, a *tandem.Actor, orgID int64, oc *orgClock, tm *tandem.Timer, kind tandem.EventKind) error {
	body, action := timerLabel(tm.Kind, tm.Party), "sla.breach"
	loc := oc.clock.Calendar().Location()
	if kind == tandem.EventSLAWarning {
		body += fmt.Sprintf(" %d%% used: due %s.", oc.policy.WarnShare(), formatDue(tm.DueAt, loc))
		action = "sla.warning"
	} else {
		body += fmt.Sprintf(" breached: it was due %s.", formatDue(tm.DueAt, loc))
	}
	data := map[string]any{"timer_id": tm.ID, "kind": tm.Kind, "party": tm.Party, "target_minutes": tm.Minutes}
	if tm.DueAt != nil {
		data["due_at"] = storedInstant(*tm.DueAt)
	}
	if err := tx.addEvent(ctx, eventBy(a, tm.TicketID, kind, tandem.VisibilityTeams, body, data)); err != nil {
		return err
	}
	return tx.audit(ctx, a, &orgID, action, ticketTarget(tm.TicketID), data)
}

// timerLabel names a timer in a timeline entry.
func timerLabel(kind tandem.TimerKind, party tandem.PartyKind) string {
	switch kind {
	case tandem.TimerResponse:
		return "Response target"
	case tandem.TimerResolution:
		return "Resolution target"
	}
	return "Acceptance target (OLA) of the " + string(party) + " party"
}

// formatDue shows a due instant in the calendar's zone.
func formatDue(due *time.Time, loc *time.Location) string {
	if due == nil {
		return "when the clock resumes"
	}
	return due.In(loc).Format("2006-01-02 15:04") + " " + loc.String()
}
