package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// TicketService implements tandem.TicketService.
type TicketService struct {
	db *DB
	// Blobs keeps attachment bytes (files in the data directory, or the
	// blobs table).
	Blobs tandem.BlobStore
	// MaxAttachmentBytes bounds one attachment; zero means
	// DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
}

// NewTicketService returns the service desk on db, keeping attachment bytes in blobs.
func NewTicketService(db *DB, blobs tandem.BlobStore) *TicketService {
	return &TicketService{db: db, Blobs: blobs}
}

var _ tandem.TicketService = (*TicketService)(nil)

var errTODO = tandem.Errorf(tandem.EINTERNAL, "not implemented yet")

// CreateTicket implements tandem.TicketService.
func (s *TicketService) CreateTicket(ctx context.Context, in tandem.TicketInput) (*tandem.Ticket, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	orgID := in.OrganizationID
	if err := findScopedOrg(ctx, tx, a, orgID); err != nil {
		return nil, err
	}
	if err := a.Can(tandem.ActionTicketRequest, orgID); err != nil {
		return nil, err
	}
	if a.IsRequesterRole() && in.RequesterID != 0 && in.RequesterID != a.UserID {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Requesters open tickets for themselves only; leave requester_id empty.")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	t := &tandem.Ticket{
		OrganizationID: orgID, RequesterID: in.RequesterID, Title: in.Title, Description: in.Description,
		Impact: in.Impact, Urgency: in.Urgency, Status: tandem.StatusNew, Tags: in.Tags,
		CreatedAt: tx.now, UpdatedAt: tx.now, SLAState: tandem.SLANone, Timers: []*tandem.Timer{},
	}
	if t.RequesterID == 0 {
		if a.UserID == 0 {
			return nil, tandem.Errorf(tandem.EINVALID, "requester_id is required: name the user the ticket is for.")
		}
		t.RequesterID = a.UserID
	}
	if t.RequesterID != a.UserID {
		// On behalf of someone else: an active user of the organisation.
		u, err := findDeskUser(ctx, tx, orgID, t.RequesterID)
		if err != nil {
			return nil, err
		}
		if u == nil || u.Party != tandem.PartyInternal {
			return nil, tandem.Errorf(tandem.EINVALID, "Requester %d is not an active user of this organisation; open the ticket for one of its users.", t.RequesterID)
		}
	}
	t.CreatedBy = t.RequesterID
	if a.UserID != 0 {
		t.CreatedBy = a.UserID
	}
	var area *serviceAreaRef
	if in.AreaID != nil {
		if area, err = findArea(ctx, tx, orgID, *in.AreaID); err != nil {
			return nil, err
		}
		t.AreaID = &area.ID
	}
	matrix, err := priorityMatrix(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	t.Priority = matrix.Priority(t.Impact, t.Urgency)
	route, err := routeTicket(ctx, tx, orgID, area)
	if err != nil {
		return nil, err
	}
	t.OwningParty, t.Unrouted = route.Party, route.Unrouted
	if in.AssigneeID != nil && *in.AssigneeID != 0 {
		if err := checkAssignee(ctx, tx, orgID, t.OwningParty, *in.AssigneeID); err != nil {
			return nil, err
		}
		t.AssigneeID = in.AssigneeID
	}
	watchers, err := checkWatchers(ctx, tx, orgID, in.Watchers)
	if err != nil {
		return nil, err
	}
	slices.Sort(watchers)

	t.ID, err = tx.insert(ctx, `INSERT INTO tickets (organization_id, requester_id, title, description, area_id, impact, urgency, priority, status,
		owning_party, unrouted, assignee_id, sla_state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.OrganizationID, t.RequesterID, t.Title, t.Description, t.AreaID, t.Impact, t.Urgency, t.Priority, t.Status,
		t.OwningParty, t.Unrouted, t.AssigneeID, t.SLAState, t.CreatedBy, at(t.CreatedAt), at(t.UpdatedAt))
	if err != nil {
		return nil, err
	}
	if err := replaceTags(ctx, tx, t.ID, t.Tags); err != nil {
		return nil, err
	}
	for _, uid := range watchers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_watchers (ticket_id, user_id) VALUES (?, ?)`, t.ID, uid); err != nil {
			return nil, err
		}
	}
	if err := tx.addEvent(ctx, eventBy(a, t.ID, tandem.EventCreated, tandem.VisibilityPublic, "Opened the ticket.",
		map[string]any{"title": t.Title, "priority": int(t.Priority)})); err != nil {
		return nil, err
	}
	if err := tx.addEvent(ctx, eventBy(a, t.ID, tandem.EventRouted, tandem.VisibilityTeams, route.Body, route.Data)); err != nil {
		return nil, err
	}
	if t.AssigneeID != nil {
		if err := tx.addEvent(ctx, assignedEvent(ctx, tx, a, t.ID, t.AssigneeID)); err != nil {
			return nil, err
		}
	}
	summary := map[string]any{"title": t.Title, "requester_id": t.RequesterID, "priority": int(t.Priority), "owning_party": t.OwningParty,
		"unrouted": t.Unrouted, "area_id": t.AreaID, "assignee_id": t.AssigneeID, "tags": t.Tags, "watchers": watchers}
	if err := tx.audit(ctx, a, &orgID, "ticket.create", ticketTarget(t.ID), summary); err != nil {
		return nil, err
	}
	if err := tx.syncTimers(ctx, t.ID); err != nil {
		return nil, err
	}
	// The rest is known; only the clocks the SLA code just set are read back.
	t.Watchers = watchers
	if err := tx.QueryRowContext(ctx, `SELECT sla_state FROM tickets WHERE id = ?`, t.ID).Scan(&t.SLAState); err != nil {
		return nil, err
	}
	if err := loadTimers(ctx, tx, []*tandem.Ticket{t}); err != nil {
		return nil, err
	}
	if a.IsRequesterRole() {
		t.Timers = requesterTimers(t.Timers)
	}
	return t, tx.Commit()
}

// FindTicket implements tandem.TicketService.
func (s *TicketService) FindTicket(ctx context.Context, id int64) (*tandem.Ticket, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findTicket(ctx, tx, a, id)
}

// UpdateTicket implements tandem.TicketService. A requester may only reopen
// or close their own resolved ticket; everyone else needs ticket.work.
// Changing the area re-routes the ticket from the accepted matrix unless a
// handoff has moved it (the parties agreed on the owner), and is refused
// while a handoff waits for an answer.
func (s *TicketService) UpdateTicket(ctx context.Context, id int64, upd tandem.TicketUpdate) (*tandem.Ticket, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := lockTicket(ctx, tx, a, id)
	if err != nil {
		return nil, err
	}
	if a.IsRequesterRole() {
		onlyStatus := upd.Status != nil && upd.Title == nil && upd.Description == nil && upd.AreaID == nil &&
			upd.Impact == nil && upd.Urgency == nil && upd.AssigneeID == nil && upd.Tags == nil
		if err := a.Can(tandem.ActionTicketRequest, t.OrganizationID); err != nil {
			return nil, err
		}
		if !onlyStatus || !requesterMayMove(a, t, *upd.Status) {
			return nil, tandem.Errorf(tandem.EFORBIDDEN, "Requesters may only reopen or close their own resolved tickets; reply with a comment instead.")
		}
	} else if err := a.Can(tandem.ActionTicketWork, t.OrganizationID); err != nil {
		return nil, err
	}

	ch := &ticketChange{tx: tx, a: a, t: t, audit: map[string]any{}}
	if err := ch.apply(ctx, upd); err != nil {
		return nil, err
	}
	if len(ch.audit) == 0 {
		return findTicket(ctx, tx, a, t.ID)
	}
	if err := ch.save(ctx); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, &t.OrganizationID, "ticket.update", ticketTarget(t.ID), ch.audit); err != nil {
		return nil, err
	}
	if err := tx.syncTimers(ctx, t.ID); err != nil {
		return nil, err
	}
	got, err := findTicket(ctx, tx, a, t.ID)
	if err != nil {
		return nil, err
	}
	return got, tx.Commit()
}

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
	if upd.AssigneeID != nil && !sameID(t.AssigneeID, upd.AssigneeID) {
		if err := ch.assign(ctx, *upd.AssigneeID); err != nil {
			return err
		}
	}
	if upd.Status != nil && *upd.Status != t.Status {
		if err := ch.moveStatus(ctx, *upd.Status); err != nil {
			return err
		}
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

// requesterMayMove reports whether a requester may move a ticket to next:
// only their own resolved ticket, back to open or on to closed.
func requesterMayMove(a *tandem.Actor, t *tandem.Ticket, next tandem.TicketStatus) bool {
	return t.RequesterID == a.UserID && t.Status == tandem.StatusResolved &&
		(next == tandem.StatusOpen || next == tandem.StatusClosed)
}

// assignedEvent is the timeline entry of an assignment (nil: unassigned).
func assignedEvent(ctx context.Context, tx *Tx, a *tandem.Actor, ticketID int64, assignee *int64) *tandem.Event {
	if assignee == nil {
		return eventBy(a, ticketID, tandem.EventAssigned, tandem.VisibilityTeams, "Unassigned the ticket.", map[string]any{"assignee_id": nil})
	}
	return eventBy(a, ticketID, tandem.EventAssigned, tandem.VisibilityTeams, "Assigned the ticket to "+userLabel(ctx, tx, *assignee)+".",
		map[string]any{"assignee_id": *assignee})
}

// userLabel names a user for a timeline sentence: the name, else the email.
func userLabel(ctx context.Context, tx *Tx, id int64) string {
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT CASE WHEN name <> '' THEN name ELSE email END FROM users WHERE id = ?`, id).Scan(&name); err != nil {
		return fmt.Sprintf("user %d", id)
	}
	return name
}

// Reading tickets.

// ticketColumns are the columns scanTicket reads, from tickets aliased t.
const ticketColumns = `t.id, t.organization_id, t.requester_id, t.title, t.description, t.area_id, t.impact, t.urgency, t.priority, t.status,
	t.owning_party, t.unrouted, t.assignee_id, t.pending_handoff_id, t.sla_state, t.created_by, t.created_at, t.updated_at,
	t.first_response_at, t.resolved_at, t.closed_at`

// scanTicket reads one row of ticketColumns; the pending handoff's id is
// returned for the caller to load.
func scanTicket(row interface{ Scan(...any) error }) (*tandem.Ticket, *int64, error) {
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
		t.PendingHandoff = nil
		t.Timers = requesterTimers(t.Timers)
	}
	return t, nil
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

func findPauses(ctx context.Context, tx *Tx, id int64) ([]tandem.Interval, error) {
	rows, err := tx.QueryContext(ctx, `SELECT started_at, ended_at FROM ticket_pauses WHERE ticket_id = ? ORDER BY started_at`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []tandem.Interval
	for rows.Next() {
		var p tandem.Interval
		if err := rows.Scan(scanTime(&p.Start), scanTimePtr(&p.End)); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// idList returns the tickets' ids as query arguments and "?, ?, …".
func idList(list []*tandem.Ticket) (string, []any, map[int64]*tandem.Ticket) {
	args := make([]any, len(list))
	byID := make(map[int64]*tandem.Ticket, len(list))
	for i, t := range list {
		args[i] = t.ID
		byID[t.ID] = t
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(list)), ", "), args, byID
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
// query; the SLA code (sla_timer.go) writes them.
func loadTimers(ctx context.Context, tx *Tx, list []*tandem.Ticket) error {
	if len(list) == 0 {
		return nil
	}
	marks, args, byID := idList(list)
	rows, err := tx.QueryContext(ctx, `SELECT id, ticket_id, kind, party, handoff_id, state, target_minutes, started_at, due_at, warn_at,
		warned_at, breached_at, met_at, elapsed_minutes FROM sla_timers WHERE ticket_id IN (`+marks+`) ORDER BY ticket_id, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		tm := &tandem.Timer{}
		if err := rows.Scan(&tm.ID, &tm.TicketID, &tm.Kind, &tm.Party, &tm.HandoffID, &tm.State, &tm.Minutes, scanTime(&tm.StartedAt),
			scanTimePtr(&tm.DueAt), scanTimePtr(&tm.WarnAt), scanTimePtr(&tm.WarnedAt), scanTimePtr(&tm.BreachedAt), scanTimePtr(&tm.MetAt),
			&tm.ElapsedMinutes); err != nil {
			return err
		}
		if t := byID[tm.TicketID]; t != nil {
			t.Timers = append(t.Timers, tm)
		}
	}
	return rows.Err()
}

// replaceTags stores a ticket's tags (already normalised).
func replaceTags(ctx context.Context, tx *Tx, ticketID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_tags WHERE ticket_id = ?`, ticketID); err != nil {
		return err
	}
	for _, tag := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)`, ticketID, tag); err != nil {
			return err
		}
	}
	return nil
}

// Routing and the people of a ticket.

// serviceAreaRef is what routing needs of a service area.
type serviceAreaRef struct {
	ID   int64
	Name string
}

// findArea returns an area of the organisation, or EINVALID.
func findArea(ctx context.Context, tx *Tx, orgID, areaID int64) (*serviceAreaRef, error) {
	ar := &serviceAreaRef{}
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM service_areas WHERE id = ? AND organization_id = ?`, areaID, orgID).Scan(&ar.ID, &ar.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.EINVALID, "Service area %d is not one of this organisation's areas; pick one of its catalogue.", areaID)
	}
	return ar, err
}

// routing is where the matrix sends a ticket, and the timeline sentence
// saying why.
type routing struct {
	Party    tandem.PartyKind
	Unrouted bool
	Body     string
	Data     map[string]any
}

// routeTicket routes a ticket of an area by the organisation's accepted
// matrix (tandem.MatrixVersion.ResponsibleParty). Without an area, an
// accepted matrix or a Responsible party the internal team gets it to
// triage, flagged unrouted.
func routeTicket(ctx context.Context, tx *Tx, orgID int64, area *serviceAreaRef) (routing, error) {
	triage := func(reason, why string, data map[string]any) routing {
		data["party"], data["reason"] = tandem.PartyInternal, reason
		return routing{Party: tandem.PartyInternal, Unrouted: true, Body: "Routed to internal for triage: " + why + ".", Data: data}
	}
	if area == nil {
		return triage("no-area", "the ticket has no service area", map[string]any{}), nil
	}
	v := &tandem.MatrixVersion{}
	err := tx.QueryRowContext(ctx, `SELECT id, number FROM matrix_versions WHERE organization_id = ? AND status = ?`, orgID, tandem.MatrixAccepted).Scan(&v.ID, &v.Number)
	if errors.Is(err, sql.ErrNoRows) {
		return triage("no-matrix", "no responsibility matrix has been accepted yet", map[string]any{"area_id": area.ID}), nil
	} else if err != nil {
		return routing{}, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT party, responsible, accountable FROM matrix_assignments WHERE version_id = ? AND area_id = ?`, v.ID, area.ID)
	if err != nil {
		return routing{}, err
	}
	defer rows.Close()
	both := 0
	for rows.Next() {
		as := tandem.Assignment{AreaID: area.ID}
		if err := rows.Scan(&as.Party, &as.Responsible, &as.Accountable); err != nil {
			return routing{}, err
		}
		if as.Responsible {
			both++
		}
		v.Assignments = append(v.Assignments, as)
	}
	if err := rows.Err(); err != nil {
		return routing{}, err
	}
	data := map[string]any{"area_id": area.ID, "matrix": v.Number}
	party, ok := v.ResponsibleParty(area.ID)
	if !ok {
		return triage("no-owner", fmt.Sprintf("matrix v%d names no Responsible party for %s", v.Number, area.Name), data), nil
	}
	data["party"] = party
	if both == 2 {
		data["reason"] = "accountable"
		return routing{Party: party, Data: data,
			Body: fmt.Sprintf("Routed to %s: both parties are Responsible for %s in matrix v%d; the Accountable party takes it.", party, area.Name, v.Number)}, nil
	}
	data["reason"] = "responsible"
	return routing{Party: party, Data: data, Body: fmt.Sprintf("Routed to %s: Responsible for %s in matrix v%d.", party, area.Name, v.Number)}, nil
}

// priorityMatrix returns the organisation's priority matrix: its SLA
// policy's, or ITIL's when it has none.
func priorityMatrix(ctx context.Context, tx *Tx, orgID int64) (tandem.PriorityMatrix, error) {
	var raw string
	err := tx.QueryRowContext(ctx, `SELECT priority_matrix FROM sla_policies WHERE organization_id = ?`, orgID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.DefaultPriorityMatrix(), nil
	} else if err != nil {
		return nil, err
	}
	var m tandem.PriorityMatrix
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("priority matrix of organisation %d: %w", orgID, err)
	}
	if m.Validate() != nil {
		return tandem.DefaultPriorityMatrix(), nil
	}
	return m, nil
}

// deskUser is what the desk needs to know of a user it names.
type deskUser struct {
	ID    int64
	Party tandem.PartyKind
	Role  tandem.Role
}

// staff reports whether the user works tickets (not a requester or viewer).
func (u *deskUser) staff() bool {
	switch u.Role {
	case tandem.RoleAdmin, tandem.RoleTechnician, tandem.RoleITAdmin, tandem.RoleITTechnician:
		return true
	}
	return false
}

// findDeskUser returns an active user who can see the organisation's
// tickets: one of its own users, provider staff assigned to it, or a
// provider admin. nil when there is none.
func findDeskUser(ctx context.Context, tx *Tx, orgID, userID int64) (*deskUser, error) {
	u := &deskUser{ID: userID}
	var org *int64
	err := tx.QueryRowContext(ctx, `SELECT u.organization_id, u.role FROM users u WHERE u.id = ? AND u.active = ? AND (u.organization_id = ?
		OR (u.organization_id IS NULL AND (u.role = ? OR EXISTS (SELECT 1 FROM user_organizations uo WHERE uo.user_id = u.id AND uo.organization_id = ?))))`,
		userID, true, orgID, tandem.RoleAdmin, orgID).Scan(&org, &u.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	u.Party = tandem.PartyInternal
	if org == nil {
		u.Party = tandem.PartyProvider
	}
	return u, nil
}

// checkAssignee refuses an assignee who is not active staff of the owning
// party able to work this organisation.
func checkAssignee(ctx context.Context, tx *Tx, orgID int64, party tandem.PartyKind, userID int64) error {
	u, err := findDeskUser(ctx, tx, orgID, userID)
	if err != nil {
		return err
	}
	if u == nil || u.Party != party || !u.staff() {
		return tandem.Errorf(tandem.EINVALID, "User %d cannot be assigned: the ticket is in the %s queue, so assign an active technician or admin of that party who works for this organisation.", userID, party)
	}
	return nil
}

// checkWatchers refuses watchers who could not see the ticket and returns
// the list without repeats.
func checkWatchers(ctx context.Context, tx *Tx, orgID int64, ids []int64) ([]int64, error) {
	out := []int64{}
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		u, err := findDeskUser(ctx, tx, orgID, id)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, tandem.Errorf(tandem.EINVALID, "User %d cannot watch this ticket: watchers must be active users of the organisation or provider staff working for it.", id)
		}
		out = append(out, id)
	}
	return out, nil
}

func sameID(a, b *int64) bool {
	az, bz := a == nil || *a == 0, b == nil || *b == 0
	if az || bz {
		return az == bz
	}
	return *a == *b
}
