package sqlstore

import (
	"context"
	"slices"

	"github.com/tandemhq/tandem"
)

// moveStatus moves the ticket along the workflow as the actor asked: the
// resolution clock's pauses and the resolved and closed instants follow,
// and the move is a staff action of the response rule (acted).
func (ch *ticketChange) moveStatus(ctx context.Context, next tandem.TicketStatus) error {
	if err := ch.move(ctx, next, false); err != nil {
		return err
	}
	return ch.acted(ctx, tandem.StaffStatus, tandem.VisibilityPublic)
}

// move makes one status move; automatic marks the move from new to open
// that follows the first staff action, which its timeline entry says.
func (ch *ticketChange) move(ctx context.Context, next tandem.TicketStatus, automatic bool) error {
	t, tx := ch.t, ch.tx
	prev := t.Status
	if err := prev.CheckMove(next); err != nil {
		return err
	}
	if next.Done() && t.PendingHandoff != nil {
		return tandem.Errorf(tandem.ECONFLICT, "Ticket %d waits for the %s party to accept a handoff; answer the pending handoff first.", t.ID, t.PendingHandoff.ToParty)
	}
	now := tx.now
	switch {
	case !prev.Stopped() && next.Stopped():
		// A pause that started and ended at this same instant is resumed
		// rather than duplicated.
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_pauses (ticket_id, started_at) VALUES (?, ?)
			ON CONFLICT (ticket_id, started_at) DO UPDATE SET ended_at = NULL`, t.ID, at(now)); err != nil {
			return err
		}
	case prev.Stopped() && !next.Stopped():
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_pauses SET ended_at = ? WHERE ticket_id = ? AND ended_at IS NULL`, at(now), t.ID); err != nil {
			return err
		}
	}
	switch next {
	case tandem.StatusResolved:
		t.ResolvedAt, t.ClosedAt = &now, nil
	case tandem.StatusClosed:
		if t.ResolvedAt == nil {
			t.ResolvedAt = &now
		}
		t.ClosedAt = &now
	default:
		t.ResolvedAt, t.ClosedAt = nil, nil
	}
	t.Status = next
	ch.audit["status"] = next
	verb := "Moved the ticket from " + string(prev) + " to " + string(next) + "."
	data := map[string]any{"from": prev, "to": next}
	switch {
	case automatic:
		verb = "Moved the ticket from new to open: work on it has begun."
		data["automatic"] = true
		ch.audit["status_automatic"] = true
	case prev.Done() && next == tandem.StatusOpen:
		verb = "Reopened the ticket."
	}
	return ch.event(ctx, tandem.EventStatus, tandem.VisibilityPublic, verb, data)
}

// acted applies the response rule to an action of the actor on the ticket
// (v: the visibility of a comment): the first action that counts as a
// response (tandem.CountsAsResponse) records first_response_at, once, and
// the first staff action moves a new ticket to open (tandem.OpensTicket).
// The policy is read only for the actions it may mark, and only while
// either can still happen.
func (ch *ticketChange) acted(ctx context.Context, act tandem.StaffAction, v tandem.Visibility) error {
	t := ch.t
	if !ch.a.IsStaff() || t.FirstResponseAt != nil && t.Status != tandem.StatusNew {
		return nil
	}
	var policy *tandem.SLAPolicy
	if slices.Contains(tandem.MarkableActions, act) {
		var err error
		if policy, err = findSLAPolicy(ctx, ch.tx, t.OrganizationID); err != nil {
			return err
		}
	}
	if t.FirstResponseAt == nil && tandem.CountsAsResponse(ch.a, act, v, policy) {
		now := ch.tx.now
		t.FirstResponseAt = &now
		ch.audit["first_response_at"] = now
	}
	if t.Status == tandem.StatusNew && tandem.OpensTicket(ch.a, act, v, policy) {
		return ch.move(ctx, tandem.StatusOpen, true)
	}
	return nil
}

// requesterMayMove reports whether a requester may move a ticket to next:
// only their own resolved ticket, back to open or on to closed.
func requesterMayMove(a *tandem.Actor, t *tandem.Ticket, next tandem.TicketStatus) bool {
	return t.RequesterID == a.UserID && t.Status == tandem.StatusResolved &&
		(next == tandem.StatusOpen || next == tandem.StatusClosed)
}
