package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/tandemhq/tandem"
)

// Watchers and time entries: who follows a ticket, and who spent how long
// on it for which party.

// AddWatcher implements tandem.TicketService. Staff who work the ticket add
// watchers; a watcher must be able to see the ticket (a user of the
// organisation, or provider staff working for it). Adding a watcher twice
// changes nothing.
func (s *TicketService) AddWatcher(ctx context.Context, id, userID int64) error {
	a, tx, orgID, err := s.beginOnTicket(ctx, id, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := a.Can(tandem.ActionTicketWork, orgID); err != nil {
		return err
	}
	if _, err := checkWatchers(ctx, tx, orgID, []int64{userID}); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ticket_watchers (ticket_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if err := tx.record(ctx, a, orgID, eventBy(a, id, tandem.EventWatcher, tandem.VisibilityTeams, "Added "+userLabel(ctx, tx, userID)+" as a watcher.",
		map[string]any{"user_id": userID, "watching": true}), "ticket.watcher.add", map[string]any{"user_id": userID}); err != nil {
		return err
	}
	return tx.Commit()
}

// RemoveWatcher implements tandem.TicketService. Anyone may stop watching a
// ticket they see; removing someone else needs ticket.work. Removing a user
// who does not watch changes nothing.
func (s *TicketService) RemoveWatcher(ctx context.Context, id, userID int64) error {
	a, tx, orgID, err := s.beginOnTicket(ctx, id, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	self := !a.System && userID == a.UserID
	switch {
	case self && a.ReadOnly:
		return tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	case !self:
		if err := a.Can(tandem.ActionTicketWork, orgID); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM ticket_watchers WHERE ticket_id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	body := "Removed " + userLabel(ctx, tx, userID) + " as a watcher."
	if self {
		body = "Stopped watching the ticket."
	}
	if err := tx.record(ctx, a, orgID, eventBy(a, id, tandem.EventWatcher, tandem.VisibilityTeams, body,
		map[string]any{"user_id": userID, "watching": false}), "ticket.watcher.remove", map[string]any{"user_id": userID}); err != nil {
		return err
	}
	return tx.Commit()
}

// AddTimeEntry implements tandem.TicketService. The entry is the actor's
// unless an admin of a party (provider admin, it-admin) logs it for another
// member of their own party's staff; its party is that person's. SpentOn
// defaults to today in UTC. Logging time is a staff action of the response
// rule: where the policy marks it (a phone call answers the requester too)
// it may record the first response, and it moves a new ticket to open then.
func (s *TicketService) AddTimeEntry(ctx context.Context, id int64, e *tandem.TimeEntry) error {
	ch, err := s.beginWork(ctx, id)
	if err != nil {
		return err
	}
	defer ch.tx.Rollback()
	a, tx, orgID := ch.a, ch.tx, ch.t.OrganizationID
	if err := e.Validate(); err != nil {
		return err
	}
	if e.UserID == 0 {
		e.UserID = a.UserID
	}
	switch {
	case e.UserID == 0:
		return tandem.Errorf(tandem.EINVALID, "user_id is required: name who spent the time.")
	case e.UserID == a.UserID && !a.System:
		e.Party = a.Party
	default:
		if !a.System && a.Role != tandem.RoleAdmin && a.Role != tandem.RoleITAdmin {
			return tandem.Errorf(tandem.EFORBIDDEN, "Only an admin of your party logs time for someone else; log your own time instead.")
		}
		u, err := findDeskUser(ctx, tx, orgID, e.UserID)
		if err != nil {
			return err
		}
		if u == nil || !u.staff() || (!a.System && u.Party != a.Party) {
			return tandem.Errorf(tandem.EINVALID, "User %d is not staff of your party working for this organisation; log time for your own team only.", e.UserID)
		}
		e.Party = u.Party
	}
	if e.SpentOn == "" {
		e.SpentOn = tx.now.UTC().Format(time.DateOnly)
	}
	e.TicketID, e.CreatedAt = id, tx.now
	if e.ID, err = tx.insert(ctx, `INSERT INTO ticket_time_entries (ticket_id, user_id, party, minutes, billable, note, spent_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TicketID, e.UserID, e.Party, e.Minutes, e.Billable, e.Note, e.SpentOn, at(e.CreatedAt)); err != nil {
		return err
	}
	body := fmt.Sprintf("%d min", e.Minutes)
	if e.Billable {
		body += ", billable"
	}
	if e.UserID != a.UserID {
		body += " for " + userLabel(ctx, tx, e.UserID)
	}
	if e.Note != "" {
		body += ": " + e.Note
	}
	summary := map[string]any{"time_entry_id": e.ID, "user_id": e.UserID, "party": e.Party, "minutes": e.Minutes, "billable": e.Billable, "spent_on": e.SpentOn}
	if err := ch.event(ctx, tandem.EventTime, tandem.VisibilityTeams, body, summary); err != nil {
		return err
	}
	if err := ch.acted(ctx, tandem.StaffTime, tandem.VisibilityTeams); err != nil {
		return err
	}
	if len(ch.audit) == 0 {
		// The ticket's row and clocks are as they were.
		err = tx.audit(ctx, a, &orgID, "ticket.time.add", ticketTarget(id), summary)
	} else {
		maps.Copy(summary, ch.audit)
		err = ch.finish(ctx, "ticket.time.add", summary)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// TimeEntries implements tandem.TicketService. Time is the teams' business:
// a requester gets an empty list rather than an error, so one page serves
// every role.
func (s *TicketService) TimeEntries(ctx context.Context, id int64) ([]*tandem.TimeEntry, error) {
	a, tx, _, err := s.beginOnTicket(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if a.IsRequesterRole() {
		return []*tandem.TimeEntry{}, nil
	}
	return queryList(ctx, tx, func(row scanner) (*tandem.TimeEntry, error) {
		e := &tandem.TimeEntry{}
		err := row.Scan(&e.ID, &e.TicketID, &e.UserID, &e.Party, &e.Minutes, &e.Billable, &e.Note, &e.SpentOn, scanTime(&e.CreatedAt))
		return e, err
	}, `SELECT id, ticket_id, user_id, party, minutes, billable, note, spent_on, created_at
		FROM ticket_time_entries WHERE ticket_id = ? ORDER BY id`, id)
}
