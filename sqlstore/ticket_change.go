package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// ticketChange collects the changes of one update to a ticket: the fields
// are changed on t, each change writes its timeline event at once and notes
// itself in audit; save then writes the row.
type ticketChange struct {
	tx          *Tx
	a           *tandem.Actor
	t           *tandem.Ticket
	audit       map[string]any
	textChanged bool // title or description: the search index follows
}

func (ch *ticketChange) event(ctx context.Context, kind tandem.EventKind, v tandem.Visibility, body string, data map[string]any) error {
	return ch.tx.addEvent(ctx, eventBy(ch.a, ch.t.ID, kind, v, body, data))
}

// apply makes the changes of upd, checking each; the first error aborts the
// transaction, so nothing is stored.
func (ch *ticketChange) apply(ctx context.Context, upd tandem.TicketUpdate) error {
	t, tx := ch.t, ch.tx
	// Validate the text fields, levels and tags the way a new ticket is.
	in := tandem.TicketInput{Title: t.Title, Description: t.Description, Impact: t.Impact, Urgency: t.Urgency, Tags: t.Tags}
	if upd.Title != nil {
		in.Title = *upd.Title
	}
	if upd.Description != nil {
		in.Description = *upd.Description
	}
	if upd.Impact != nil {
		if in.Impact = *upd.Impact; in.Impact == "" {
			return tandem.Errorf(tandem.EINVALID, "Impact is empty: use high, medium or low.")
		}
	}
	if upd.Urgency != nil {
		if in.Urgency = *upd.Urgency; in.Urgency == "" {
			return tandem.Errorf(tandem.EINVALID, "Urgency is empty: use high, medium or low.")
		}
	}
	if upd.Tags != nil {
		in.Tags = upd.Tags
	}
	if err := in.Validate(); err != nil {
		return err
	}

	if in.Title != t.Title {
		t.Title, ch.textChanged, ch.audit["title"] = in.Title, true, in.Title
		if err := ch.event(ctx, tandem.EventChanged, tandem.VisibilityPublic, "Changed the title to “"+in.Title+"”.", map[string]any{"field": "title"}); err != nil {
			return err
		}
	}
	if in.Description != t.Description {
		t.Description, ch.textChanged, ch.audit["description"] = in.Description, true, "description changed"
		if err := ch.event(ctx, tandem.EventChanged, tandem.VisibilityPublic, "Changed the description.", map[string]any{"field": "description"}); err != nil {
			return err
		}
	}
	if in.Impact != t.Impact || in.Urgency != t.Urgency {
		matrix, err := priorityMatrix(ctx, tx, t.OrganizationID)
		if err != nil {
			return err
		}
		old := t.Priority
		t.Impact, t.Urgency, t.Priority = in.Impact, in.Urgency, matrix.Priority(in.Impact, in.Urgency)
		ch.audit["impact"], ch.audit["urgency"], ch.audit["priority"] = t.Impact, t.Urgency, int(t.Priority)
		body := fmt.Sprintf("Set impact %s and urgency %s: priority %s.", t.Impact, t.Urgency, t.Priority)
		if old != t.Priority {
			body = fmt.Sprintf("Set impact %s and urgency %s: priority %s (was %s).", t.Impact, t.Urgency, t.Priority, old)
		}
		if err := ch.event(ctx, tandem.EventChanged, tandem.VisibilityPublic, body,
			map[string]any{"field": "priority", "impact": t.Impact, "urgency": t.Urgency, "priority": int(t.Priority), "was": int(old)}); err != nil {
			return err
		}
	}
	if upd.Tags != nil && !slices.Equal(in.Tags, t.Tags) {
		t.Tags, ch.audit["tags"] = in.Tags, in.Tags
		body := "Cleared the tags."
		if len(in.Tags) > 0 {
			body = "Set the tags: " + strings.Join(in.Tags, ", ") + "."
		}
		if err := replaceTags(ctx, tx, t.ID, t.Tags); err != nil {
			return err
		}
		if err := ch.event(ctx, tandem.EventChanged, tandem.VisibilityTeams, body, map[string]any{"field": "tags", "tags": in.Tags}); err != nil {
			return err
		}
	}
	if upd.AreaID != nil && !sameID(t.AreaID, upd.AreaID) {
		if err := ch.changeArea(ctx, *upd.AreaID, upd.AssigneeID == nil); err != nil {
			return err
		}
	}
	assigned := false
	if upd.AssigneeID != nil && !sameID(t.AssigneeID, upd.AssigneeID) {
		if err := ch.assign(ctx, *upd.AssigneeID); err != nil {
			return err
		}
		assigned = *upd.AssigneeID != 0
	}
	if upd.Status != nil && *upd.Status != t.Status {
		if err := ch.moveStatus(ctx, *upd.Status); err != nil {
			return err
		}
	}
	if assigned {
		// After the status asked for, which may already take a new ticket
		// out of new.
		return ch.acted(ctx, tandem.StaffAssign, tandem.VisibilityTeams)
	}
	return nil
}

// changeArea sets the service area (0 clears it) and re-routes the ticket;
// when the ticket moves to the other party's queue, its assignee (of the
// old party) is dropped if unassignOnMove.
func (ch *ticketChange) changeArea(ctx context.Context, areaID int64, unassignOnMove bool) error {
	t, tx := ch.t, ch.tx
	if t.PendingHandoff != nil {
		return tandem.Errorf(tandem.ECONFLICT, "Ticket %d waits for the %s party to accept a handoff; answer the pending handoff first.", t.ID, t.PendingHandoff.ToParty)
	}
	var area *serviceAreaRef
	if areaID != 0 {
		var err error
		if area, err = findArea(ctx, tx, t.OrganizationID, areaID); err != nil {
			return err
		}
		t.AreaID = &area.ID
	} else {
		t.AreaID = nil
	}
	ch.audit["area_id"] = t.AreaID
	body := "Cleared the service area."
	if area != nil {
		body = "Set the service area to " + area.Name + "."
	}
	if err := ch.event(ctx, tandem.EventChanged, tandem.VisibilityTeams, body, map[string]any{"field": "area", "area_id": t.AreaID}); err != nil {
		return err
	}
	var handedOver bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ticket_handoffs WHERE ticket_id = ? AND status = ?)`, t.ID, tandem.HandoffAccepted).Scan(&handedOver); err != nil {
		return err
	}
	if handedOver {
		// The parties agreed on the owner by a handoff; the matrix does not
		// overrule them.
		return nil
	}
	route, err := routeTicket(ctx, tx, t.OrganizationID, area)
	if err != nil {
		return err
	}
	moved := route.Party != t.OwningParty
	t.OwningParty, t.Unrouted = route.Party, route.Unrouted
	ch.audit["owning_party"], ch.audit["unrouted"] = t.OwningParty, t.Unrouted
	if err := ch.event(ctx, tandem.EventRouted, tandem.VisibilityTeams, route.Body, route.Data); err != nil {
		return err
	}
	if moved && unassignOnMove && t.AssigneeID != nil {
		return ch.assign(ctx, 0)
	}
	return nil
}

// assign sets the assignee (0 unassigns): active staff of the owning party
// who may work this organisation.
func (ch *ticketChange) assign(ctx context.Context, userID int64) error {
	t := ch.t
	if userID != 0 {
		if err := checkAssignee(ctx, ch.tx, t.OrganizationID, t.OwningParty, userID); err != nil {
			return err
		}
		t.AssigneeID = &userID
	} else {
		t.AssigneeID = nil
	}
	ch.audit["assignee_id"] = t.AssigneeID
	return ch.tx.addEvent(ctx, assignedEvent(ctx, ch.tx, ch.a, t.ID, t.AssigneeID))
}

// save writes the changed row; title and description only when they
// changed, so the search index is not rewritten for a status change.
func (ch *ticketChange) save(ctx context.Context) error {
	t, tx := ch.t, ch.tx
	t.UpdatedAt = tx.now
	if ch.textChanged {
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET title = ?, description = ? WHERE id = ?`, t.Title, t.Description, t.ID); err != nil {
			return err
		}
	}
	var pending *int64
	if t.PendingHandoff != nil {
		pending = &t.PendingHandoff.ID
	}
	_, err := tx.ExecContext(ctx, `UPDATE tickets SET area_id = ?, impact = ?, urgency = ?, priority = ?, status = ?, owning_party = ?, unrouted = ?,
		assignee_id = ?, pending_handoff_id = ?, updated_at = ?, first_response_at = ?, resolved_at = ?, closed_at = ? WHERE id = ?`,
		t.AreaID, t.Impact, t.Urgency, t.Priority, t.Status, t.OwningParty, t.Unrouted,
		t.AssigneeID, pending, at(t.UpdatedAt), atPtr(t.FirstResponseAt), atPtr(t.ResolvedAt), atPtr(t.ClosedAt), t.ID)
	return err
}

// assignedEvent is the timeline entry of an assignment (nil: unassigned).
func assignedEvent(ctx context.Context, tx *Tx, a *tandem.Actor, ticketID int64, assignee *int64) *tandem.Event {
	if assignee == nil {
		return eventBy(a, ticketID, tandem.EventAssigned, tandem.VisibilityTeams, "Unassigned the ticket.", map[string]any{"assignee_id": nil})
	}
	return eventBy(a, ticketID, tandem.EventAssigned, tandem.VisibilityTeams, "Assigned the ticket to "+userLabel(ctx, tx, *assignee)+".",
		map[string]any{"assignee_id": *assignee})
}

// finish ends a change to the ticket's row: it saves the row, writes the
// audit entry (action with summary) and brings the SLA timers up to date.
func (ch *ticketChange) finish(ctx context.Context, action string, summary map[string]any) error {
	if err := ch.save(ctx); err != nil {
		return err
	}
	if err := ch.tx.audit(ctx, ch.a, &ch.t.OrganizationID, action, ticketTarget(ch.t.ID), summary); err != nil {
		return err
	}
	return ch.tx.syncTimers(ctx, ch.t.ID)
}
