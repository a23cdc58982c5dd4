package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// moveStatus moves the ticket along the workflow: the resolution clock's
// pauses, the resolved and closed instants and the first response follow.
func (ch *ticketChange) moveStatus(ctx context.Context, next tandem.TicketStatus) error {
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
	if prev == tandem.StatusNew && next == tandem.StatusOpen && ch.ownsTicket() {
		ch.respond()
	}
	t.Status = next
	ch.audit["status"] = next
	verb := "Moved the ticket from " + string(prev) + " to " + string(next) + "."
	if prev.Done() && next == tandem.StatusOpen {
		verb = "Reopened the ticket."
	}
	return ch.event(ctx, tandem.EventStatus, tandem.VisibilityPublic, verb, map[string]any{"from": prev, "to": next})
}

// ownsTicket reports whether the actor works for the party that owns the
// ticket (requesters and the system do not count).
func (ch *ticketChange) ownsTicket() bool {
	return !ch.a.System && !ch.a.IsRequesterRole() && ch.a.Party == ch.t.OwningParty
}

// respond records the first response by the owning party, once.
func (ch *ticketChange) respond() {
	if ch.t.FirstResponseAt == nil {
		now := ch.tx.now
		ch.t.FirstResponseAt = &now
		ch.audit["first_response_at"] = now
	}
}

// requesterMayMove reports whether a requester may move a ticket to next:
// only their own resolved ticket, back to open or on to closed.
func requesterMayMove(a *tandem.Actor, t *tandem.Ticket, next tandem.TicketStatus) bool {
	return t.RequesterID == a.UserID && t.Status == tandem.StatusResolved &&
		(next == tandem.StatusOpen || next == tandem.StatusClosed)
}
