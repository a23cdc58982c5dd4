package sqlstore

import (
	"context"
	"strings"

	"github.com/tandemhq/tandem"
)

// A handoff moves a ticket between the two parties: "escalate to provider"
// from the internal team, "hand back to internal" from the provider. Only
// the owning party sends one, only the other party answers it, and until it
// does the ticket stays where it is (tickets.pending_handoff_id points at
// the handoff, and the receiving party's OLA clock runs).

// RequestHandoff implements tandem.TicketService.
func (s *TicketService) RequestHandoff(ctx context.Context, id int64, reason string) (*tandem.Handoff, error) {
	ch, err := s.beginWork(ctx, id)
	if err != nil {
		return nil, err
	}
	defer ch.tx.Rollback()
	a, tx, t := ch.a, ch.tx, ch.t
	if a.System || a.Party != t.OwningParty {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Only the owning party hands a ticket over; ticket %d is in the %s queue.", t.ID, t.OwningParty)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "Say why you hand the ticket over: the reason is required.")
	}
	if len(reason) > tandem.MaxMarkdownBytes {
		return nil, tandem.Errorf(tandem.EINVALID, "The reason is longer than %d bytes; shorten it.", tandem.MaxMarkdownBytes)
	}
	if t.PendingHandoff != nil {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Ticket %d already waits for the %s party to accept a handoff; wait for the answer.", t.ID, t.PendingHandoff.ToParty)
	}
	if t.Status.Done() {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Ticket %d is %s; reopen it before handing it over.", t.ID, t.Status)
	}
	h := &tandem.Handoff{TicketID: t.ID, FromParty: t.OwningParty, ToParty: otherParty(t.OwningParty), Reason: reason,
		Status: tandem.HandoffPending, RequestedBy: a.UserID, RequestedAt: tx.now}
	if h.ID, err = tx.insert(ctx, `INSERT INTO ticket_handoffs (ticket_id, from_party, to_party, reason, status, requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		h.TicketID, h.FromParty, h.ToParty, h.Reason, h.Status, h.RequestedBy, at(h.RequestedAt)); err != nil {
		return nil, err
	}
	t.PendingHandoff = h
	if err := ch.event(ctx, tandem.EventHandoffRequested, tandem.VisibilityTeams, reason,
		map[string]any{"handoff_id": h.ID, "from": h.FromParty, "to": h.ToParty, "direction": handoffDirection(h.ToParty)}); err != nil {
		return nil, err
	}
	if err := ch.finish(ctx, "ticket.handoff.request",
		map[string]any{"handoff_id": h.ID, "from": h.FromParty, "to": h.ToParty, "reason": reason}); err != nil {
		return nil, err
	}
	return h, tx.Commit()
}

// AnswerHandoff implements tandem.TicketService.
func (s *TicketService) AnswerHandoff(ctx context.Context, id, handoffID int64, accept bool, reason string) (*tandem.Handoff, error) {
	ch, err := s.beginWork(ctx, id)
	if err != nil {
		return nil, err
	}
	defer ch.tx.Rollback()
	a, tx, t := ch.a, ch.tx, ch.t
	h := t.PendingHandoff
	if h == nil || h.ID != handoffID {
		old, err := findHandoff(ctx, tx, t.ID, handoffID)
		if err != nil {
			return nil, err
		}
		return nil, tandem.Errorf(tandem.ECONFLICT, "Handoff %d is already %s; only a pending handoff can be answered.", old.ID, old.Status)
	}
	if a.System || a.Party != h.ToParty {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Only the receiving party (%s) answers this handoff.", h.ToParty)
	}
	reason = strings.TrimSpace(reason)
	if !accept && reason == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "Say why you decline the handoff: the reason is required.")
	}
	if len(reason) > tandem.MaxMarkdownBytes {
		return nil, tandem.Errorf(tandem.EINVALID, "The reason is longer than %d bytes; shorten it.", tandem.MaxMarkdownBytes)
	}
	now := tx.now
	h.Status, h.AnsweredBy, h.AnsweredAt, h.Answer = tandem.HandoffDeclined, &a.UserID, &now, reason
	if accept {
		h.Status = tandem.HandoffAccepted
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ticket_handoffs SET status = ?, answered_by = ?, answered_at = ?, answer = ? WHERE id = ?`,
		h.Status, h.AnsweredBy, at(now), h.Answer, h.ID); err != nil {
		return nil, err
	}
	t.PendingHandoff = nil
	data := map[string]any{"handoff_id": h.ID, "from": h.FromParty, "to": h.ToParty}
	if accept {
		t.OwningParty, t.Unrouted, t.AssigneeID = h.ToParty, false, &a.UserID
		data["assignee_id"] = a.UserID
		err = ch.event(ctx, tandem.EventHandoffAccepted, tandem.VisibilityTeams, "Accepted the handoff: the "+string(h.ToParty)+" party works the ticket now.", data)
		if err == nil {
			// Acceptance meets the handoff's OLA (its accept timer), not the
			// requester's response target, but it does start the work.
			err = ch.acted(ctx, tandem.StaffAccept, tandem.VisibilityTeams)
		}
	} else {
		err = ch.event(ctx, tandem.EventHandoffDeclined, tandem.VisibilityTeams, "Declined the handoff: "+reason, data)
	}
	if err != nil {
		return nil, err
	}
	summary := map[string]any{"handoff_id": h.ID, "status": h.Status, "answer": h.Answer, "owning_party": t.OwningParty, "assignee_id": t.AssigneeID}
	if len(ch.audit) > 0 {
		// What the acceptance changed besides: the move to open. Its own
		// key, since status is the handoff's here.
		summary["ticket"] = ch.audit
	}
	if err := ch.finish(ctx, "ticket.handoff.answer", summary); err != nil {
		return nil, err
	}
	return h, tx.Commit()
}

// Handoffs implements tandem.TicketService. Handoffs are between the teams:
// a requester gets an empty list.
func (s *TicketService) Handoffs(ctx context.Context, id int64) ([]*tandem.Handoff, error) {
	a, tx, _, err := s.beginOnTicket(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if a.IsRequesterRole() {
		return []*tandem.Handoff{}, nil
	}
	return findHandoffs(ctx, tx, `ticket_id = ? ORDER BY id`, id)
}

// findHandoff returns one handoff of a ticket; the caller has checked the
// ticket is in scope.
func findHandoff(ctx context.Context, tx *Tx, ticketID, id int64) (*tandem.Handoff, error) {
	list, err := findHandoffs(ctx, tx, `ticket_id = ? AND id = ?`, ticketID, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Handoff %d not found on ticket %d.", id, ticketID)
	}
	return list[0], nil
}

func findHandoffs(ctx context.Context, tx *Tx, where string, args ...any) ([]*tandem.Handoff, error) {
	return queryList(ctx, tx, func(row scanner) (*tandem.Handoff, error) {
		h := &tandem.Handoff{}
		err := row.Scan(&h.ID, &h.TicketID, &h.FromParty, &h.ToParty, &h.Reason, &h.Status, &h.RequestedBy, scanTime(&h.RequestedAt),
			&h.AnsweredBy, scanTimePtr(&h.AnsweredAt), &h.Answer)
		return h, err
	}, `SELECT id, ticket_id, from_party, to_party, reason, status, requested_by, requested_at, answered_by, answered_at, answer
		FROM ticket_handoffs WHERE `+where, args...)
}

func otherParty(p tandem.PartyKind) tandem.PartyKind {
	if p == tandem.PartyInternal {
		return tandem.PartyProvider
	}
	return tandem.PartyInternal
}

// handoffDirection names a handoff the way the teams say it.
func handoffDirection(to tandem.PartyKind) string {
	if to == tandem.PartyProvider {
		return "escalate to provider"
	}
	return "hand back to internal"
}
