package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// Summary implements tandem.TicketService. It reads counts, never tickets:
// a few GROUP BY queries in the actor's scope (ticketScope, orgScope), each
// answered from an index (0007_desk_summary.sql): open tickets from the
// partial index of open tickets, which holds every column they are grouped
// and counted by; handoffs from the index of pending ones; the month's SLA
// verdicts from the indexes of met and breached clocks, one organisation at
// a time. What it costs grows with the open tickets in scope and the
// clocks stopped in the period, not with the history of the desk.
//
// Each count is what FindTickets lists for the same actor under the filter
// its field names (tandem.DeskCounts), so the home pages link every figure
// to its list. A requester's scope is their own and watched tickets; they
// get the open count only, because their SLA states and handoffs are not
// the teams' (FindTickets shows them a requester's view).
func (s *TicketService) Summary(ctx context.Context, q tandem.DeskSummaryQuery) (*tandem.DeskSummary, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if q.OrganizationID != 0 {
		// Narrowed as a token restricted to the organisation is: the
		// scope can only shrink, and one outside it counts nothing.
		if a.OnlyOrganizationID != 0 && a.OnlyOrganizationID != q.OrganizationID {
			return &tandem.DeskSummary{Orgs: []tandem.OrgDeskCounts{}, Load: []tandem.AssigneeLoad{}}, nil
		}
		narrowed := *a
		narrowed.OnlyOrganizationID = q.OrganizationID
		a = &narrowed
	}
	orgs, err := summaryOrgs(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	sum := &tandem.DeskSummary{Orgs: orgs, Load: []tandem.AssigneeLoad{}}
	if len(orgs) == 0 {
		return sum, nil
	}
	byID := make(map[int64]*tandem.OrgDeskCounts, len(orgs))
	for i := range sum.Orgs {
		byID[sum.Orgs[i].Organization.ID] = &sum.Orgs[i]
	}
	held, err := countOpen(ctx, tx, a, byID)
	if err != nil {
		return nil, err
	}
	if !a.IsRequesterRole() {
		if err := countAwaiting(ctx, tx, a, byID); err != nil {
			return nil, err
		}
		if q.Load {
			if sum.Load, err = teamLoad(ctx, tx, a, held); err != nil {
				return nil, err
			}
		}
		if !q.Since.IsZero() {
			if sum.SLA, err = slaAttainment(ctx, tx, a, q); err != nil {
				return nil, err
			}
		}
	}
	sum.Total = tandem.Sum(sum.Orgs)
	return sum, nil
}

// summaryOrgs returns a row for each organisation in scope, by name.
func summaryOrgs(ctx context.Context, tx *Tx, a *tandem.Actor) ([]tandem.OrgDeskCounts, error) {
	scope, args := orgScope(a, "o.id")
	list := []tandem.OrgDeskCounts{}
	err := tx.eachRow(ctx, `SELECT o.id, o.name, o.slug FROM organizations o WHERE `+scope+` ORDER BY o.name, o.id`, args, func(rows *sql.Rows) error {
		o := &tandem.Organization{}
		if err := rows.Scan(&o.ID, &o.Name, &o.Slug); err != nil {
			return err
		}
		list = append(list, tandem.OrgDeskCounts{Organization: o})
		return nil
	})
	return list, err
}

// openCondition is the list's status=active, written exactly as the
// partial index tickets_open's condition so that the index applies.
const openCondition = "t.status NOT IN ('resolved', 'closed')"

// countOpen fills the open-ticket figures in one pass over the open
// tickets in scope, grouped by organisation, owning party, assignee and
// SLA state, and returns the open tickets held by each assignee.
func countOpen(ctx context.Context, tx *Tx, a *tandem.Actor, byID map[int64]*tandem.OrgDeskCounts) (map[int64]int, error) {
	scope, args := ticketScope(a)
	from := "tickets t"
	if a.IsRequesterRole() {
		// Their tickets are few: read them through the requester and
		// watcher indexes (CROSS JOIN keeps SQLite to that order) rather
		// than the organisation's open tickets.
		from = "(SELECT r.id FROM tickets r WHERE r.requester_id = ? UNION SELECT w.ticket_id FROM ticket_watchers w WHERE w.user_id = ?) mine CROSS JOIN tickets t"
		scope = "t.id = mine.id AND " + scope
		args = append([]any{a.UserID, a.UserID}, args...)
	}
	// Grouped by every column of the index, in its order, the groups
	// stream from it with nothing to sort or compute per ticket.
	held := map[int64]int{}
	err := tx.eachRow(ctx, `SELECT t.organization_id, t.owning_party, t.assignee_id, t.sla_state, COUNT(*)
		FROM `+from+` WHERE `+scope+` AND `+openCondition+`
		GROUP BY t.organization_id, t.owning_party, t.assignee_id, t.sla_state`, args, func(rows *sql.Rows) error {
		var (
			orgID    int64
			party    tandem.PartyKind
			assignee *int64
			state    tandem.SLAState
			n        int
		)
		if err := rows.Scan(&orgID, &party, &assignee, &state, &n); err != nil {
			return err
		}
		c := byID[orgID]
		if c == nil {
			return nil
		}
		c.Open += n
		if party == tandem.PartyInternal {
			c.OpenInternal += n
		} else {
			c.OpenProvider += n
		}
		if assignee != nil {
			held[*assignee] += n
			if *assignee == a.UserID {
				c.Mine += n
			}
		}
		if party != a.Party || a.IsRequesterRole() {
			return nil
		}
		if assignee == nil {
			c.Unassigned += n
		}
		switch state {
		case tandem.SLAWarning:
			c.Warning += n
		case tandem.SLABreached:
			c.Breached += n
		}
		return nil
	})
	return held, err
}

// countAwaiting counts the tickets whose pending handoff waits for the
// actor's party, as FindTickets' AwaitingAcceptance does, from the index
// of pending handoffs by organisation (tickets_awaiting).
func countAwaiting(ctx context.Context, tx *Tx, a *tandem.Actor, byID map[int64]*tandem.OrgDeskCounts) error {
	scope, args := ticketScope(a)
	return tx.eachRow(ctx, `SELECT t.organization_id, COUNT(*) FROM tickets t
		JOIN ticket_handoffs h ON h.id = t.pending_handoff_id
		WHERE t.pending_handoff_id IS NOT NULL AND h.to_party = ? AND `+scope+`
		GROUP BY t.organization_id`, append([]any{string(a.Party)}, args...), func(rows *sql.Rows) error {
		var orgID int64
		var n int
		if err := rows.Scan(&orgID, &n); err != nil {
			return err
		}
		if c := byID[orgID]; c != nil {
			c.Awaiting += n
		}
		return nil
	})
}

// teamLoad returns the open tickets in scope held by each working member
// of the actor's party (held, from countOpen): its admins and
// technicians, active or holding open tickets (a deactivated colleague's
// tickets wait for someone). Tickets held by anyone else (the other party)
// are not the team's load.
func teamLoad(ctx context.Context, tx *Tx, a *tandem.Actor, held map[int64]int) ([]tandem.AssigneeLoad, error) {
	uscope, uargs := userScope(a)
	party, roles := "u.organization_id IS NULL", []any{string(tandem.RoleAdmin), string(tandem.RoleTechnician)}
	if a.Party == tandem.PartyInternal {
		party, roles = "u.organization_id = ?", []any{string(tandem.RoleITAdmin), string(tandem.RoleITTechnician)}
		uargs = append(uargs, a.OrganizationID)
	}
	list := []tandem.AssigneeLoad{}
	err := tx.eachRow(ctx, `SELECT u.id, u.name, u.email, u.active FROM users u WHERE `+uscope+` AND `+party+
		` AND u.role IN (?, ?)`, append(uargs, roles...), func(rows *sql.Rows) error {
		var l tandem.AssigneeLoad
		var active bool
		if err := rows.Scan(&l.UserID, &l.Name, &l.Email, &active); err != nil {
			return err
		}
		if l.Open = held[l.UserID]; active || l.Open > 0 {
			list = append(list, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(x, y tandem.AssigneeLoad) int {
		if c := strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)); c != 0 {
			return c
		}
		return strings.Compare(x.Email, y.Email)
	})
	return list, nil
}

// slaAttainment counts the SLA clocks (response and resolution; the
// acceptance clocks of handoffs are OLAs between the teams) met or
// breached since q.Since in the organisations in scope. A correlated count
// per organisation reads each one's range of the indexes of met and of
// breached clocks from the period's start on, on both databases: verdicts
// before the period are never read (PostgreSQL, given the whole
// installation in one query, would rather scan every clock).
func slaAttainment(ctx context.Context, tx *Tx, a *tandem.Actor, q tandem.DeskSummaryQuery) (tandem.SLAAttainment, error) {
	scope, args := orgScope(a, "o.id")
	var att tandem.SLAAttainment
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(met), 0), COALESCE(SUM(breached), 0) FROM (SELECT
		(SELECT COUNT(*) FROM sla_timers s WHERE s.organization_id = o.id AND s.met_at IS NOT NULL AND s.met_at >= ?
			AND s.kind IN ('response', 'resolution') AND s.breached_at IS NULL) AS met,
		(SELECT COUNT(*) FROM sla_timers s WHERE s.organization_id = o.id AND s.breached_at IS NOT NULL AND s.breached_at >= ?
			AND s.kind IN ('response', 'resolution')) AS breached
		FROM organizations o WHERE `+scope+`) x`, append([]any{at(q.Since), at(q.Since)}, args...)...).Scan(&att.Met, &att.Breached)
	return att, err
}
