package sqlstore

import (
	"context"
	"slices"

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
	if a.IsRequesterRole() {
		if err := checkRequesterInput(a, in); err != nil {
			return nil, err
		}
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
	// The policy is read once: it prices the priority and plans the clocks.
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	t.Priority = priorities(oc.policy).Priority(t.Impact, t.Urgency)
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
		// Staff who open a ticket already assigned have taken it up: it
		// starts open, and answered where the policy counts an assignment
		// as the response.
		if tandem.OpensTicket(a, tandem.StaffAssign, "", oc.policy) {
			t.Status = tandem.StatusOpen
		}
		if tandem.CountsAsResponse(a, tandem.StaffAssign, "", oc.policy) {
			now := tx.now
			t.FirstResponseAt = &now
		}
	}
	watchers, err := checkWatchers(ctx, tx, orgID, in.Watchers)
	if err != nil {
		return nil, err
	}
	slices.Sort(watchers)
	// A new ticket's clocks are planned from what it is stored with; its
	// SLA state is stored with it.
	clock := tandem.TicketClock{CreatedAt: t.CreatedAt, Priority: t.Priority, Status: t.Status, OwningParty: t.OwningParty, FirstResponseAt: t.FirstResponseAt}
	planned, state := oc.planner(tx.now).Plan(&clock)
	t.SLAState = state

	t.ID, err = tx.insert(ctx, `INSERT INTO tickets (organization_id, requester_id, title, description, area_id, impact, urgency, priority, status,
		owning_party, unrouted, assignee_id, sla_state, created_by, created_at, updated_at, first_response_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.OrganizationID, t.RequesterID, t.Title, t.Description, t.AreaID, t.Impact, t.Urgency, t.Priority, t.Status,
		t.OwningParty, t.Unrouted, t.AssigneeID, t.SLAState, t.CreatedBy, at(t.CreatedAt), at(t.UpdatedAt), atPtr(t.FirstResponseAt))
	if err != nil {
		return nil, err
	}
	if err := insertTags(ctx, tx, t.ID, t.Tags); err != nil {
		return nil, err
	}
	if err := insertPairs(ctx, tx, `INSERT INTO ticket_watchers (ticket_id, user_id) VALUES `, t.ID, watchers); err != nil {
		return nil, err
	}
	events := []*tandem.Event{
		eventBy(a, t.ID, tandem.EventCreated, tandem.VisibilityPublic, "Opened the ticket.", map[string]any{"title": t.Title, "priority": int(t.Priority)}),
		eventBy(a, t.ID, tandem.EventRouted, tandem.VisibilityTeams, route.Body, route.Data),
	}
	if t.AssigneeID != nil {
		events = append(events, assignedEvent(ctx, tx, a, t.ID, t.AssigneeID))
	}
	if err := tx.addEvent(ctx, events...); err != nil {
		return nil, err
	}
	summary := map[string]any{"title": t.Title, "requester_id": t.RequesterID, "priority": int(t.Priority), "owning_party": t.OwningParty,
		"unrouted": t.Unrouted, "area_id": t.AreaID, "assignee_id": t.AssigneeID, "tags": t.Tags, "watchers": watchers, "status": t.Status}
	if t.Status == tandem.StatusOpen {
		summary["status_automatic"] = true // opened assigned: taken up at once
	}
	if t.FirstResponseAt != nil {
		summary["first_response_at"] = *t.FirstResponseAt
	}
	if t.Timers, err = tx.storeNewTimers(ctx, t, planned); err != nil {
		return nil, err
	}
	// Last: appending to the organisation's audit chain locks its head
	// until the commit, and every change in the organisation queues on it.
	if err := tx.audit(ctx, a, &orgID, "ticket.create", ticketTarget(t.ID), summary); err != nil {
		return nil, err
	}
	// Nothing needs reading back: the ticket is as stored.
	t.Watchers = watchers
	if a.IsRequesterRole() {
		requesterView(t, tx.now)
	}
	return t, tx.Commit()
}

// checkRequesterInput refuses what a requester may not set on a new ticket:
// another requester, an assignee (the teams assign), or watchers other than
// themselves (a watcher reads the ticket, so naming one shares it).
func checkRequesterInput(a *tandem.Actor, in tandem.TicketInput) error {
	if in.RequesterID != 0 && in.RequesterID != a.UserID {
		return tandem.Errorf(tandem.EFORBIDDEN, "Requesters open tickets for themselves only; leave requester_id empty.")
	}
	if in.AssigneeID != nil && *in.AssigneeID != 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "Requesters do not assign tickets: the IT team assigns yours. Leave assignee_id empty.")
	}
	for _, id := range in.Watchers {
		if id != a.UserID {
			return tandem.Errorf(tandem.EFORBIDDEN, "Requesters cannot add watchers: user %d would read your ticket. Leave watchers empty and ask the IT team to add them.", id)
		}
	}
	return nil
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
	ch, err := s.beginChange(ctx, id)
	if err != nil {
		return nil, err
	}
	defer ch.tx.Rollback()
	a, tx, t := ch.a, ch.tx, ch.t
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

	if err := ch.apply(ctx, upd); err != nil {
		return nil, err
	}
	if len(ch.audit) == 0 {
		return findTicket(ctx, tx, a, t.ID)
	}
	if err := ch.finish(ctx, "ticket.update", ch.audit); err != nil {
		return nil, err
	}
	got, err := findTicket(ctx, tx, a, t.ID)
	if err != nil {
		return nil, err
	}
	return got, tx.Commit()
}

// beginChange opens a write transaction as the caller and locks ticket id
// in their scope (ENOTFOUND otherwise): how every method that changes a
// ticket's row begins. The caller defers ch.tx.Rollback and then checks
// the actor's rights on ch.t.
func (s *TicketService) beginChange(ctx context.Context, id int64) (*ticketChange, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	t, err := lockTicket(ctx, tx, a, id)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return &ticketChange{tx: tx, a: a, t: t, audit: map[string]any{}}, nil
}

// beginWork is beginChange for the methods only the teams use: the actor
// needs ticket.work on the ticket's organisation (EFORBIDDEN otherwise).
func (s *TicketService) beginWork(ctx context.Context, id int64) (*ticketChange, error) {
	ch, err := s.beginChange(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ch.a.Can(tandem.ActionTicketWork, ch.t.OrganizationID); err != nil {
		ch.tx.Rollback()
		return nil, err
	}
	return ch, nil
}

// beginOnTicket opens a transaction as the caller, for writing or reading,
// on ticket id in their scope (ENOTFOUND otherwise) and returns the
// ticket's organisation: how every method on what hangs off a ticket
// (watchers, time, timeline, handoffs, attachments) begins. The caller
// defers tx.Rollback.
func (s *TicketService) beginOnTicket(ctx context.Context, id int64, write bool) (*tandem.Actor, *Tx, int64, error) {
	begin := s.db.readAs
	if write {
		begin = s.db.writeAs
	}
	a, tx, err := begin(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	orgID, err := scopedTicketOrg(ctx, tx, a, id)
	if err != nil {
		tx.Rollback()
		return nil, nil, 0, err
	}
	return a, tx, orgID, nil
}

// record writes a change to what hangs off a ticket: its timeline entry e
// and its audit entry, in the same transaction.
func (tx *Tx) record(ctx context.Context, a *tandem.Actor, orgID int64, e *tandem.Event, action string, summary map[string]any) error {
	if err := tx.addEvent(ctx, e); err != nil {
		return err
	}
	return tx.audit(ctx, a, &orgID, action, ticketTarget(e.TicketID), summary)
}
