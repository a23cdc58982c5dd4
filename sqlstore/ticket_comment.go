package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/tandemhq/tandem"
)

// AddComment implements tandem.TicketService. Requesters reply publicly on
// the tickets they see; comments for the teams or for one party need
// ticket.work. A requester's reply on a pending-customer ticket puts it back
// to open; the first public comment by staff of either party is the
// response the SLA measures, and any staff comment moves a new ticket to
// open (tandem.CountsAsResponse, tandem.OpensTicket).
func (s *TicketService) AddComment(ctx context.Context, id int64, in tandem.CommentInput) (*tandem.Event, error) {
	ch, err := s.beginChange(ctx, id)
	if err != nil {
		return nil, err
	}
	defer ch.tx.Rollback()
	a, tx, t := ch.a, ch.tx, ch.t
	requester := a.IsRequesterRole()
	if requester {
		if err := a.Can(tandem.ActionTicketRequest, t.OrganizationID); err != nil {
			return nil, err
		}
		if in.Visibility != "" && in.Visibility != tandem.VisibilityPublic {
			return nil, tandem.Errorf(tandem.EFORBIDDEN, "Requesters' comments are public; post without a visibility.")
		}
		if in.Status != nil && !requesterMayMove(a, t, *in.Status) {
			return nil, tandem.Errorf(tandem.EFORBIDDEN, "Requesters may only reopen or close their own resolved tickets.")
		}
	} else if err := a.Can(tandem.ActionTicketWork, t.OrganizationID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}

	e := eventBy(a, t.ID, tandem.EventComment, in.Visibility, in.Body, nil)
	if err := tx.addEvent(ctx, e); err != nil {
		return nil, err
	}
	// A status asked for with the comment comes first: a new ticket it
	// moves on needs no automatic move to open as well.
	switch {
	case in.Status != nil && *in.Status != t.Status:
		err = ch.moveStatus(ctx, *in.Status)
	case in.Status == nil && requester && t.Status == tandem.StatusPendingCustomer:
		err = ch.moveStatus(ctx, tandem.StatusOpen)
	}
	if err != nil {
		return nil, err
	}
	if err := ch.acted(ctx, tandem.StaffReply, e.Visibility); err != nil {
		return nil, err
	}
	// The body stays out of the audit trail: it may be party-only.
	ch.audit["event_id"], ch.audit["visibility"] = e.ID, e.Visibility
	if err := ch.finish(ctx, "ticket.comment", ch.audit); err != nil {
		return nil, err
	}
	if e.ActorID != nil {
		e.ActorName = userLabel(ctx, tx, *e.ActorID)
	}
	return e, tx.Commit()
}

// Timeline implements tandem.TicketService.
func (s *TicketService) Timeline(ctx context.Context, id int64) ([]*tandem.Event, error) {
	a, tx, _, err := s.beginOnTicket(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findEvents(ctx, tx, a, id)
}

// findEvents returns the timeline entries of a ticket the actor may read,
// oldest first; the caller has checked the ticket is in scope. Each names
// its author as the ticket names people (personLabel): by name, by email
// only where the reader may see that user, else by party and role — so a
// requester never learns a nameless technician's address.
func findEvents(ctx context.Context, tx *Tx, a *tandem.Actor, ticketID int64) ([]*tandem.Event, error) {
	vis, visArgs := visibilityScope(a, "e")
	users, userArgs := userScope(a)
	args := append(append(userArgs, ticketID), visArgs...)
	return queryList(ctx, tx, scanEvent, `SELECT e.id, e.ticket_id, e.kind, e.visibility, e.actor_id,
		COALESCE(u.name, ''), COALESCE(u.email, ''), COALESCE(u.role, ''), u.organization_id IS NULL, CASE WHEN u.id IS NOT NULL AND `+users+` THEN 1 ELSE 0 END,
		e.party, e.body, e.data, e.created_at
		FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = ? AND `+vis+` ORDER BY e.id`,
		args...)
}

// scanEvent reads one row of findEvents.
func scanEvent(row scanner) (*tandem.Event, error) {
	e := &tandem.Event{}
	var data *string
	var name, email string
	var role tandem.Role
	var provider bool
	var visible int
	if err := row.Scan(&e.ID, &e.TicketID, &e.Kind, &e.Visibility, &e.ActorID, &name, &email, &role, &provider, &visible,
		&e.Party, &e.Body, &data, scanTime(&e.CreatedAt)); err != nil {
		return nil, err
	}
	if e.ActorID != nil {
		e.ActorName = personLabel(name, email, role, provider, visible == 1)
	}
	if data != nil && *data != "" {
		if err := json.Unmarshal([]byte(*data), &e.Data); err != nil {
			return nil, err
		}
	}
	return e, nil
}
