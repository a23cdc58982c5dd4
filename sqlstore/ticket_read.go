package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// ticketColumns are the columns scanTicket reads, from tickets aliased t.
const ticketColumns = `t.id, t.organization_id, t.requester_id, t.title, t.description, t.area_id, t.impact, t.urgency, t.priority, t.status,
	t.owning_party, t.unrouted, t.assignee_id, t.pending_handoff_id, t.sla_state, t.created_by, t.created_at, t.updated_at,
	t.first_response_at, t.resolved_at, t.closed_at`

// scanTicket reads one row of ticketColumns; the pending handoff's id is
// returned for the caller to load.
func scanTicket(row scanner) (*tandem.Ticket, *int64, error) {
	t := &tandem.Ticket{Tags: []string{}, Watchers: []int64{}, Timers: []*tandem.Timer{}}
	var pending *int64
	err := row.Scan(&t.ID, &t.OrganizationID, &t.RequesterID, &t.Title, &t.Description, &t.AreaID, &t.Impact, &t.Urgency, &t.Priority, &t.Status,
		&t.OwningParty, &t.Unrouted, &t.AssigneeID, &pending, &t.SLAState, &t.CreatedBy, scanTime(&t.CreatedAt), scanTime(&t.UpdatedAt),
		scanTimePtr(&t.FirstResponseAt), scanTimePtr(&t.ResolvedAt), scanTimePtr(&t.ClosedAt))
	return t, pending, err
}

// findTicketRow returns a ticket in the actor's scope (ENOTFOUND otherwise)
// with its pending handoff; lock takes PostgreSQL's row lock for an update.
func findTicketRow(ctx context.Context, tx *Tx, a *tandem.Actor, id int64, lock bool) (*tandem.Ticket, error) {
	scope, args := ticketScope(a)
	query := `SELECT ` + ticketColumns + ` FROM tickets t WHERE t.id = ? AND ` + scope
	if lock && tx.db.dialect == Postgres {
		query += " FOR UPDATE OF t"
	}
	t, pending, err := scanTicket(tx.QueryRowContext(ctx, query, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Ticket %d not found.", id)
	} else if err != nil {
		return nil, err
	}
	if pending != nil {
		if t.PendingHandoff, err = findHandoff(ctx, tx, t.ID, *pending); err != nil {
			return nil, err
		}
	}
	if err := loadTags(ctx, tx, []*tandem.Ticket{t}); err != nil {
		return nil, err
	}
	return t, nil
}

// lockTicket is findTicketRow for a change: how every method that changes
// one ticket begins.
func lockTicket(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.Ticket, error) {
	return findTicketRow(ctx, tx, a, id, true)
}

// findTicket returns a ticket in scope with its tags, watchers, pauses,
// pending handoff and timers. Requesters see neither the pending handoff
// (its reason is for the teams) nor the handoff acceptance clocks.
func findTicket(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.Ticket, error) {
	t, err := findTicketRow(ctx, tx, a, id, false)
	if err != nil {
		return nil, err
	}
	if t.Watchers, err = tx.queryIDs(ctx, `SELECT user_id FROM ticket_watchers WHERE ticket_id = ? ORDER BY user_id`, id); err != nil {
		return nil, err
	}
	if t.Watchers == nil {
		t.Watchers = []int64{}
	}
	if t.Pauses, err = findPauses(ctx, tx, id); err != nil {
		return nil, err
	}
	if err := loadTimers(ctx, tx, []*tandem.Ticket{t}); err != nil {
		return nil, err
	}
	if a.IsRequesterRole() {
		requesterView(t, tx.now)
	}
	if err := loadPeople(ctx, tx, a, []*tandem.Ticket{t}); err != nil {
		return nil, err
	}
	return t, nil
}

// requesterView hides from a requester what lies between the teams: the
// pending handoff, the handoff acceptance (OLA) clocks, and the part those
// clocks play in the SLA state, which is recomputed at now from the clocks
// the requester sees (tandem.PlanState). A ticket that never had an
// acceptance clock keeps its stored state: it is already theirs.
func requesterView(t *tandem.Ticket, now time.Time) {
	t.PendingHandoff = nil
	seen := requesterTimers(t.Timers)
	if len(seen) != len(t.Timers) {
		t.SLAState = tandem.PlanState(t.Status, seen, now)
	}
	t.Timers = seen
}

// requesterTimers drops the clocks between the teams (handoff acceptance).
func requesterTimers(list []*tandem.Timer) []*tandem.Timer {
	out := []*tandem.Timer{}
	for _, tm := range list {
		if tm.Kind != tandem.TimerAccept {
			out = append(out, tm)
		}
	}
	return out
}

// findPauses returns the periods a ticket's resolution clock stood still,
// oldest first.
func findPauses(ctx context.Context, tx *Tx, id int64) ([]tandem.Interval, error) {
	return queryList(ctx, tx, func(row scanner) (tandem.Interval, error) {
		var p tandem.Interval
		err := row.Scan(scanTime(&p.Start), scanTimePtr(&p.End))
		return p, err
	}, `SELECT started_at, ended_at FROM ticket_pauses WHERE ticket_id = ? ORDER BY started_at`, id)
}

// idList returns the tickets' ids as query arguments and "?, ?, …".
func idList(list []*tandem.Ticket) (string, []any, map[int64]*tandem.Ticket) {
	args := make([]any, len(list))
	byID := make(map[int64]*tandem.Ticket, len(list))
	for i, t := range list {
		args[i] = t.ID
		byID[t.ID] = t
	}
	return marks(len(list)), args, byID
}

// loadTags fills the tags of a page of tickets in one query.
func loadTags(ctx context.Context, tx *Tx, list []*tandem.Ticket) error {
	if len(list) == 0 {
		return nil
	}
	marks, args, byID := idList(list)
	rows, err := tx.QueryContext(ctx, `SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN (`+marks+`) ORDER BY ticket_id, tag`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return err
		}
		if t := byID[id]; t != nil {
			t.Tags = append(t.Tags, tag)
		}
	}
	return rows.Err()
}

// loadTimers fills the SLA and OLA timers of a page of tickets in one
// query; the SLA code (sla_timer.go) writes them. A running clock's due
// and warning instants, and every running clock's elapsed time, are
// derived from its origin under its organisation's policy at tx.now.
func loadTimers(ctx context.Context, tx *Tx, list []*tandem.Ticket) error {
	if len(list) == 0 {
		return nil
	}
	marks, args, byID := idList(list)
	err := tx.eachRow(ctx, `SELECT `+timerColumns+` FROM sla_timers s WHERE s.ticket_id IN (`+marks+`) ORDER BY s.ticket_id, s.id`, args, func(rows *sql.Rows) error {
		tm, err := scanTimer(rows)
		if err != nil {
			return err
		}
		if t := byID[tm.TicketID]; t != nil {
			t.Timers = append(t.Timers, tm)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var orgs []int64
	for _, t := range list {
		if len(t.Timers) > 0 && !slices.Contains(orgs, t.OrganizationID) {
			orgs = append(orgs, t.OrganizationID)
		}
	}
	clocks, err := loadOrgClocks(ctx, tx, orgs)
	if err != nil {
		return err
	}
	planners := map[int64]*tandem.TimerPlanner{}
	for _, t := range list {
		if oc := clocks[t.OrganizationID]; oc != nil {
			pl := planners[t.OrganizationID]
			if pl == nil {
				pl = oc.planner(tx.now)
				planners[t.OrganizationID] = pl
			}
			for _, tm := range t.Timers {
				pl.Refresh(tm, t.Priority)
				storedInstants(tm)
			}
		}
		t.SLAState = liveSLAState(t, tx.now)
	}
	return nil
}

// liveSLAState is a read ticket's SLA state at now. The stored state is
// refreshed by every change and by the timer worker, so between two worker
// runs a clock past its warning or due instant would still read "ok"; the
// ticket's own timers say better (tandem.PlanState). Only a worse state
// replaces the stored one. List filters use the stored state, which the
// worker brings up to date when the timer comes due (it wakes for the next
// one), or within its interval for a timer planned while it slept.
func liveSLAState(t *tandem.Ticket, now time.Time) tandem.SLAState {
	if t.SLAState != tandem.SLAOK && t.SLAState != tandem.SLAWarning {
		return t.SLAState
	}
	switch live := tandem.PlanState(t.Status, t.Timers, now); live {
	case tandem.SLABreached, tandem.SLAWarning:
		return live
	}
	return t.SLAState
}

// replaceTags stores a ticket's tags (already normalised).
func replaceTags(ctx context.Context, tx *Tx, ticketID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_tags WHERE ticket_id = ?`, ticketID); err != nil {
		return err
	}
	return insertTags(ctx, tx, ticketID, tags)
}

// insertTags stores the tags of a ticket that has none, in one statement.
func insertTags(ctx context.Context, tx *Tx, ticketID int64, tags []string) error {
	return insertPairs(ctx, tx, `INSERT INTO ticket_tags (ticket_id, tag) VALUES `, ticketID, tags)
}

// insertPairs runs insert (an INSERT … VALUES of two columns, the ticket's
// id and a value) with one row per value, bulkBatch rows to a statement;
// nothing when there are no values.
func insertPairs[V any](ctx context.Context, tx *Tx, insert string, ticketID int64, values []V) error {
	for len(values) > 0 {
		n := min(len(values), bulkBatch)
		var q strings.Builder
		q.WriteString(insert)
		args := make([]any, 0, 2*n)
		for i, v := range values[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			args = append(args, ticketID, v)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}

// loadPeople fills the People of a page of tickets in one query: the
// names of their requesters, assignees and watchers as the actor may know
// them (tandem.Ticket.People). The ticket scope already let the actor read
// each ticket, so knowing who works it leaks nothing; an email is shown
// only where userScope lets the actor see that user anyway.
func loadPeople(ctx context.Context, tx *Tx, a *tandem.Actor, list []*tandem.Ticket) error {
	people := map[int64]bool{}
	for _, t := range list {
		for _, id := range mentioned(t) {
			people[id] = true
		}
	}
	names, err := peopleNames(ctx, tx, a, people)
	if err != nil {
		return err
	}
	for _, t := range list {
		t.People = map[int64]string{}
		for _, id := range mentioned(t) {
			if n, ok := names[id]; ok {
				t.People[id] = n
			}
		}
	}
	return nil
}

// mentioned returns the users a ticket names: requester, watchers, assignee.
func mentioned(t *tandem.Ticket) []int64 {
	ids := append([]int64{t.RequesterID}, t.Watchers...)
	if t.AssigneeID != nil {
		ids = append(ids, *t.AssigneeID)
	}
	return ids
}

// personLabel names a user to a reader: by name, else by email when the
// reader may see the user (visible), else by party and role. A name that
// holds an address (people set their email as their name) counts as an
// email.
func personLabel(name, email string, role tandem.Role, provider, visible bool) string {
	switch {
	case name != "" && (visible || !strings.Contains(name, "@")):
		return name
	case visible:
		return email
	}
	label := map[tandem.Role]string{tandem.RoleAdmin: "admin", tandem.RoleTechnician: "technician", tandem.RoleITAdmin: "IT admin",
		tandem.RoleITTechnician: "IT technician", tandem.RoleRequester: "requester", tandem.RoleViewer: "viewer"}[role]
	if label == "" {
		label = "user"
	}
	if provider {
		return "provider " + label
	}
	return label
}

// userLabel names a user for a timeline sentence: the name, else the email.
func userLabel(ctx context.Context, tx *Tx, id int64) string {
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT CASE WHEN name <> '' THEN name ELSE email END FROM users WHERE id = ?`, id).Scan(&name); err != nil {
		return fmt.Sprintf("user %d", id)
	}
	return name
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryList runs a query and returns its rows read by scan, in order; an
// empty list, never nil, when there are none.
func queryList[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}
