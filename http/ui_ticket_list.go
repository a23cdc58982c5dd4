package http

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// deskRow is one ticket of a list.
type deskRow struct {
	*tandem.Ticket
	Org      string
	OrgSlug  string
	Owner    string
	Awaiting string // the party a pending handoff waits for
	Priority string
	// PriorityClass is the CSS class of the priority: p1 to p5.
	PriorityClass string
	Status        string
	Assignee      string
	Clock         deskClock
}

// ticketsView is what tickets.html renders: the list, or the queue.
type ticketsView struct {
	Queue bool
	// Party names the viewer's party on the queue.
	Party     string
	Rows      []deskRow
	Waiting   []deskRow // the queue's handoffs waiting for the viewer's party
	Answer    bool      // the viewer may accept and decline them
	Next      string    // the next page's address
	Orgs      []deskOption
	Statuses  []deskOption
	Levels    []deskOption
	SLAStates []deskOption
	Staff     bool
	CanCreate bool
}

func (s *Server) deskRows(ctx context.Context, names *deskNames, list []*tandem.Ticket, now time.Time) []deskRow {
	rows := make([]deskRow, 0, len(list))
	for _, t := range list {
		row := deskRow{Ticket: t, Owner: deskPartyName(t.OwningParty), Priority: t.Priority.String(), PriorityClass: "p" + strconv.Itoa(int(t.Priority)), Status: statusLabel(t.Status), Clock: listClock(t, now)}
		if o := names.org(t.OrganizationID); o != nil {
			row.Org, row.OrgSlug = o.Name, o.Slug
		}
		if t.PendingHandoff != nil && t.PendingHandoff.Status == tandem.HandoffPending {
			row.Awaiting = deskPartyName(t.PendingHandoff.ToParty)
		}
		names.know(t.People)
		if t.AssigneeID != nil {
			row.Assignee = names.user(*t.AssigneeID)
		}
		rows = append(rows, row)
	}
	return rows
}

// listOrganization is the organisation a list is narrowed to by its org
// parameter (the organisation switcher's), by slug; zero for all.
func (s *Server) listOrganization(r *http.Request) (int64, error) {
	slug := r.URL.Query().Get("org")
	if slug == "" {
		return 0, nil
	}
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), slug)
	if err != nil {
		return 0, tandem.Errorf(tandem.EINVALID, "Organisation %q is not one you can see; choose one from the list.", slug)
	}
	return org.ID, nil
}

// ticketFilterForm reads the list's GET form into a filter; Form keeps the
// values for the form.
func (s *Server) ticketFilterForm(r *http.Request, data *pageData) (tandem.TicketFilter, error) {
	q := r.URL.Query()
	f := tandem.TicketFilter{Limit: 50, Cursor: q.Get("cursor"), Query: strings.TrimSpace(q.Get("q"))}
	data.Form = map[string]string{}
	for _, k := range []string{"org", "party", "status", "priority", "sla", "assignee", "q", "awaiting"} {
		data.Form[k] = q.Get(k)
	}
	var err error
	if f.OrganizationID, err = s.listOrganization(r); err != nil {
		return f, err
	}
	switch p := tandem.PartyKind(q.Get("party")); p {
	case "":
	case tandem.PartyInternal, tandem.PartyProvider:
		f.Party = p
	default:
		return f, tandem.Errorf(tandem.EINVALID, "Party %q is invalid: choose internal or provider.", p)
	}
	switch st := q.Get("status"); st {
	case "":
	case "active":
		f.Open = true
	default:
		if !tandem.TicketStatus(st).Valid() {
			return f, tandem.Errorf(tandem.EINVALID, "Status %q is invalid; choose one from the list.", st)
		}
		f.Statuses = []tandem.TicketStatus{tandem.TicketStatus(st)}
	}
	if v := q.Get("priority"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || !tandem.Priority(p).Valid() {
			return f, tandem.Errorf(tandem.EINVALID, "Priority %q is invalid: choose 1 to 5.", v)
		}
		f.Priority = tandem.Priority(p)
	}
	if v := tandem.SLAState(q.Get("sla")); v != "" {
		if !slices.Contains(tandem.SLAStates, v) {
			return f, tandem.Errorf(tandem.EINVALID, "SLA state %q is invalid; choose one from the list.", v)
		}
		f.SLAState = v
	}
	switch v := q.Get("assignee"); v {
	case "":
	case "me":
		f.AssigneeID = data.Actor.UserID
	case "none":
		f.Unassigned = true
	default:
		// A person's id: the home page links each member's load here.
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, tandem.Errorf(tandem.EINVALID, "Assignee %q is invalid: choose me or unassigned.", v)
		}
		f.AssigneeID = id
		// The form shows the person chosen, by name where the viewer may
		// see them.
		data.Form["assignee.label"] = "the person chosen"
		if u, err := s.UserService.FindUserByID(r.Context(), id); err == nil {
			data.Form["assignee.label"] = cmp.Or(u.Name, u.Email)
		}
	}
	if q.Get("awaiting") != "" {
		f.AwaitingAcceptance = true
		if f.Party == "" {
			f.Party = data.Actor.Party
		}
	}
	return f, nil
}

// ticketsView returns the view with the options of the filter form.
func (s *Server) newTicketsView(data pageData) *ticketsView {
	v := &ticketsView{Staff: !data.Actor.IsRequesterRole(), Party: deskPartyName(data.Actor.Party)}
	for _, o := range data.Organizations {
		v.Orgs = append(v.Orgs, deskOption{o.Slug, o.Name})
		if data.Actor.Can(tandem.ActionTicketRequest, o.ID) == nil {
			v.CanCreate = true
		}
	}
	v.Statuses = []deskOption{{"active", "not resolved or closed"}}
	for _, st := range tandem.TicketStatuses {
		v.Statuses = append(v.Statuses, deskOption{string(st), statusLabel(st)})
	}
	for p := tandem.Priority(1); p <= 5; p++ {
		v.Levels = append(v.Levels, deskOption{strconv.Itoa(int(p)), p.String()})
	}
	for _, st := range tandem.SLAStates {
		v.SLAStates = append(v.SLAStates, deskOption{string(st), string(st)})
	}
	return v
}

func (s *Server) handleTicketsPage(w http.ResponseWriter, r *http.Request, data pageData) {
	data.Title = "Tickets"
	v := s.newTicketsView(data)
	data.Data = v
	f, err := s.ticketFilterForm(r, &data)
	if err != nil {
		data.Error = tandem.ErrorMessage(err)
		s.render(w, r, ErrorStatus(tandem.ErrorCode(err)), "tickets", data)
		return
	}
	page, err := s.TicketService.FindTickets(r.Context(), f)
	if err != nil {
		if code := tandem.ErrorCode(err); code == tandem.EINVALID || code == tandem.EBADREQUEST {
			data.Error = tandem.ErrorMessage(err)
			s.render(w, r, ErrorStatus(code), "tickets", data)
			return
		}
		s.renderError(w, r, err, data)
		return
	}
	v.Rows = s.deskRows(r.Context(), s.deskNames(r.Context(), data.Organizations), page.Tickets, time.Now())
	if page.NextCursor != "" {
		q := r.URL.Query()
		q.Set("cursor", page.NextCursor)
		v.Next = "/tickets?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "tickets", data)
}

// handleQueuePage shows the viewer's party queue: its open tickets, across
// every organisation in scope, and the handoffs waiting for it.
func (s *Server) handleQueuePage(w http.ResponseWriter, r *http.Request, data pageData) {
	if data.Actor.IsRequesterRole() {
		s.renderError(w, r, tandem.Errorf(tandem.ENOTFOUND, "Page not found: requesters see their tickets under Tickets."), data)
		return
	}
	data.Title = "Queue"
	v := s.newTicketsView(data)
	v.Queue = true
	data.Data = v
	ctx := r.Context()
	orgID, err := s.listOrganization(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	waiting, err := s.TicketService.FindTickets(ctx, tandem.TicketFilter{OrganizationID: orgID, Party: data.Actor.Party, AwaitingAcceptance: true, Limit: 100})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	f := tandem.TicketFilter{OrganizationID: orgID, Party: data.Actor.Party, Open: true, Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	page, err := s.TicketService.FindTickets(ctx, f)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	names, now := s.deskNames(ctx, data.Organizations), time.Now()
	v.Waiting = s.deskRows(ctx, names, waiting.Tickets, now)
	v.Rows = s.deskRows(ctx, names, page.Tickets, now)
	v.Answer = data.Actor.Party == tandem.PartyProvider && data.Actor.Can(tandem.ActionTicketWork, 0) == nil ||
		data.Actor.Party == tandem.PartyInternal && data.Actor.Can(tandem.ActionTicketWork, data.Actor.OrganizationID) == nil
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if slug := r.URL.Query().Get("org"); slug != "" && orgID != 0 {
			next.Set("org", slug)
		}
		v.Next = "/queue?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, "tickets", data)
}
