package http

import (
	"context"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/markdown"
	"github.com/tandemhq/tandem/sla"
)

// The service desk pages: the ticket list with its filters, the party queue
// with the handoffs waiting for the viewer's party, the form that opens a
// ticket, and the ticket itself with its SLA clocks, timeline and the forms
// that work it. The services decide who sees and may do what; the pages only
// leave out forms that would be refused. Forms post and, when the change is
// made, redirect to the ticket; a refusal shows the ticket again with the
// service's message and the input kept.

// registerDeskUIRoutes registers the service desk pages.
func (s *Server) registerDeskUIRoutes() {
	s.handle("GET /tickets", s.page(s.handleTicketsPage))
	s.handle("GET /queue", s.page(s.handleQueuePage))
	s.handle("GET /tickets/new", s.page(s.handleTicketNewChooser))
	s.handle("GET /orgs/{slug}/tickets/new", s.page(s.withDeskOrg(s.handleTicketNewForm)))
	s.handle("POST /orgs/{slug}/tickets/new", s.page(s.withDeskOrg(s.handleTicketCreateForm)))
	s.handle("GET /tickets/{id}", s.page(s.handleTicketPage))
	s.handle("POST /tickets/{id}/comments", s.page(s.ticketAction("comment", s.ticketComment)))
	s.handle("POST /tickets/{id}/status", s.page(s.ticketAction("status", s.ticketStatus)))
	s.handle("POST /tickets/{id}/assign", s.page(s.ticketAction("assign", s.ticketAssign)))
	s.handle("POST /tickets/{id}/handoffs", s.page(s.ticketAction("handoff", s.ticketHandoff)))
	s.handle("POST /tickets/{id}/handoffs/{handoff}/accept", s.page(s.ticketAction("answer", s.ticketAccept)))
	s.handle("POST /tickets/{id}/handoffs/{handoff}/decline", s.page(s.ticketAction("answer", s.ticketDecline)))
	s.handle("POST /tickets/{id}/time", s.page(s.ticketAction("time", s.ticketTime)))
	s.handle("POST /tickets/{id}/attachments", s.page(s.ticketAction("attach", s.ticketAttach)))
	s.handle("GET /tickets/{id}/attachments/{attachment}", s.page(s.handleTicketAttachmentDownload))
	s.registerSLAUIRoutes()
}

// renderMarkdown is the one Markdown renderer of the pages; it holds no
// state beyond its configuration.
var renderMarkdown = sync.OnceValue(markdown.New)

// withDeskOrg resolves the organisation of /orgs/{slug}/…: one outside scope
// is not found.
func (s *Server) withDeskOrg(h func(http.ResponseWriter, *http.Request, pageData, *tandem.Organization)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, data pageData) {
		org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		data.Current = org
		h(w, r, data, org)
	}
}

// deskFormError shows a refusal the viewer can act on (a bad field, a
// conflict, a missing right, a file too large) on the page itself, by
// calling show with the message set; anything else is an error page.
func (s *Server) deskFormError(w http.ResponseWriter, r *http.Request, data pageData, err error, show func(pageData, int)) {
	switch code := tandem.ErrorCode(err); code {
	case tandem.EINVALID, tandem.ECONFLICT, tandem.EFORBIDDEN, tandem.EBADREQUEST, tandem.ETOOLARGE:
		data.Error = tandem.ErrorMessage(err)
		show(data, ErrorStatus(code))
	default:
		s.renderError(w, r, err, data)
	}
}

// --- Labels ---------------------------------------------------------------

// deskPartyName names a party in a sentence: "internal IT" or "provider".
func deskPartyName(p tandem.PartyKind) string {
	if p == tandem.PartyProvider {
		return "provider"
	}
	return "internal IT"
}

// visibilityLabel names who may read an entry: a party-only entry is named
// after its author's party.
func visibilityLabel(v tandem.Visibility, author tandem.PartyKind) string {
	switch v {
	case tandem.VisibilityPublic:
		return "Public"
	case tandem.VisibilityTeams:
		return "Both teams"
	}
	if author == tandem.PartyProvider {
		return "Provider only"
	}
	return "Internal only"
}

// statusLabel writes a status for people: "pending customer".
func statusLabel(st tandem.TicketStatus) string { return strings.ReplaceAll(string(st), "-", " ") }

// deskNames finds names of users and organisations once per page.
type deskNames struct {
	s     *Server
	ctx   context.Context
	users map[int64]string
	orgs  map[int64]*tandem.Organization
}

func (s *Server) deskNames(ctx context.Context, orgs []*tandem.Organization) *deskNames {
	n := &deskNames{s: s, ctx: ctx, users: map[int64]string{}, orgs: map[int64]*tandem.Organization{}}
	for _, o := range orgs {
		n.orgs[o.ID] = o
	}
	return n
}

// user names a user, or "user #id" when the viewer may not see them.
func (n *deskNames) user(id int64) string {
	if name, ok := n.users[id]; ok {
		return name
	}
	name := "user #" + strconv.FormatInt(id, 10)
	if u, err := n.s.UserService.FindUserByID(n.ctx, id); err == nil {
		name = u.Email
		if u.Name != "" {
			name = u.Name
		}
	}
	n.users[id] = name
	return name
}

// org returns an organisation in scope, nil when it cannot be read.
func (n *deskNames) org(id int64) *tandem.Organization {
	if o, ok := n.orgs[id]; ok {
		return o
	}
	o, err := n.s.OrganizationService.FindOrganizationByID(n.ctx, id)
	if err != nil {
		o = nil
	}
	n.orgs[id] = o
	return o
}

// --- SLA clocks -------------------------------------------------------------

// deskClock is one timer as the pages show it.
type deskClock struct {
	Kind  string // Response, Resolution, Acceptance of a handoff
	Party string
	// State is the CSS state: ok, warning, breached, paused, met, cancelled.
	State      string
	StateLabel string
	// Due and Warn are RFC 3339 instants for countdown.js; empty when the
	// clock is not live (paused, met, cancelled).
	Due, Warn string
	DueText   string // the due instant in the calendar's zone
	Countdown string // "2h 13m left", "overdue 35m", "paused", "met"
	Elapsed   string // business minutes used
	Remaining string // business minutes left (negative when overdue)
	Target    int
}

// liveTimer reports whether a timer still counts towards its due instant:
// running, or breached and not yet met.
func liveTimer(t *tandem.Timer) bool {
	return t.DueAt != nil && (t.State == tandem.TimerRunning || t.State == tandem.TimerBreached && t.MetAt == nil)
}

// durationText writes a duration as the countdowns do: "45m", "2h 13m",
// "3d 4h". countdown.js writes the same text.
func durationText(d time.Duration) string {
	m := int64(d / time.Minute)
	switch {
	case m < 60:
		return strconv.FormatInt(m, 10) + "m"
	case m < 24*60:
		return strconv.FormatInt(m/60, 10) + "h " + strconv.FormatInt(m%60, 10) + "m"
	default:
		return strconv.FormatInt(m/(24*60), 10) + "d " + strconv.FormatInt(m%(24*60)/60, 10) + "h"
	}
}

// countdownText is what a live clock says at now.
func countdownText(due, now time.Time) string {
	if d := due.Sub(now); d > 0 {
		return durationText(d) + " left"
	}
	return "overdue " + durationText(now.Sub(due))
}

// minutesText writes business minutes, with one decimal where not whole.
func minutesText(m float64) string {
	m = math.Round(m*10) / 10
	if m == float64(int64(m)) {
		return strconv.FormatInt(int64(m), 10) + " min"
	}
	return strconv.FormatFloat(m, 'f', 1, 64) + " min"
}

// clockOf describes a timer at now, with instants in loc.
func clockOf(t *tandem.Timer, now time.Time, loc *time.Location) deskClock {
	c := deskClock{Party: deskPartyName(t.Party), Target: t.Minutes, Elapsed: minutesText(t.ElapsedMinutes), Remaining: minutesText(float64(t.Minutes) - t.ElapsedMinutes)}
	switch t.Kind {
	case tandem.TimerResponse:
		c.Kind = "Response"
	case tandem.TimerResolution:
		c.Kind = "Resolution"
	default:
		c.Kind = "Acceptance of the handoff"
	}
	if t.DueAt != nil {
		c.DueText = t.DueAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	}
	switch {
	case liveTimer(t):
		c.Due = t.DueAt.UTC().Format(time.RFC3339)
		if t.WarnAt != nil {
			c.Warn = t.WarnAt.UTC().Format(time.RFC3339)
		}
		c.Countdown = countdownText(*t.DueAt, now)
		c.State, c.StateLabel = "ok", "running"
		switch {
		case t.State == tandem.TimerBreached || !now.Before(*t.DueAt):
			c.State, c.StateLabel = "breached", "breached"
		case t.WarnAt != nil && !now.Before(*t.WarnAt):
			c.State, c.StateLabel = "warning", "warning"
		}
	case t.State == tandem.TimerPaused:
		c.State, c.StateLabel, c.Countdown = "paused", "paused", "paused"
	case t.State == tandem.TimerBreached:
		c.State, c.StateLabel, c.Countdown = "breached", "breached", "breached"
		if t.MetAt != nil {
			c.Countdown = "met late"
		}
	case t.State == tandem.TimerMet:
		c.State, c.StateLabel, c.Countdown = "met", "met", "met"
	default:
		c.State, c.StateLabel, c.Countdown = "cancelled", "cancelled", "cancelled"
	}
	return c
}

// listClock is the one clock a list row shows: the live timer due first, or
// the ticket's SLA state when none is live.
func listClock(t *tandem.Ticket, now time.Time) deskClock {
	var next *tandem.Timer
	for _, tm := range t.Timers {
		if liveTimer(tm) && (next == nil || tm.DueAt.Before(*next.DueAt)) {
			next = tm
		}
	}
	if next != nil {
		return clockOf(next, now, time.UTC)
	}
	c := deskClock{State: string(t.SLAState), Countdown: string(t.SLAState)}
	if t.SLAState == tandem.SLANone || t.SLAState == "" {
		c.State, c.Countdown = "none", "—"
	}
	return c
}

// --- The ticket list and the queue -------------------------------------------

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

// deskOption is one option of a select.
type deskOption struct {
	Value, Label string
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
		if t.AssigneeID != nil {
			row.Assignee = names.user(*t.AssigneeID)
		}
		rows = append(rows, row)
	}
	return rows
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
	if slug := q.Get("org"); slug != "" {
		org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), slug)
		if err != nil {
			return f, tandem.Errorf(tandem.EINVALID, "Organisation %q is not one you can see; choose one from the list.", slug)
		}
		f.OrganizationID = org.ID
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
		return f, tandem.Errorf(tandem.EINVALID, "Assignee %q is invalid: choose me or unassigned.", v)
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
	waiting, err := s.TicketService.FindTickets(ctx, tandem.TicketFilter{Party: data.Actor.Party, AwaitingAcceptance: true, Limit: 100})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	f := tandem.TicketFilter{Party: data.Actor.Party, Open: true, Limit: 50, Cursor: r.URL.Query().Get("cursor")}
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
		v.Next = "/queue?cursor=" + url.QueryEscape(page.NextCursor)
	}
	s.render(w, r, http.StatusOK, "tickets", data)
}

// --- Opening a ticket -------------------------------------------------------

// ticketNewView is what ticket_new.html renders.
type ticketNewView struct {
	Org *tandem.Organization
	// Choose lists the organisations to pick from before the form.
	Choose     []*tandem.Organization
	Requesters []deskOption // empty: the viewer is the requester
	Areas      []deskOption
	Levels     []deskOption
	Several    bool
}

// handleTicketNewChooser sends the viewer to the form of their organisation,
// or lets them choose one when they work for several.
func (s *Server) handleTicketNewChooser(w http.ResponseWriter, r *http.Request, data pageData) {
	var orgs []*tandem.Organization
	for _, o := range data.Organizations {
		if data.Actor.Can(tandem.ActionTicketRequest, o.ID) == nil {
			orgs = append(orgs, o)
		}
	}
	if slug := r.URL.Query().Get("org"); slug != "" {
		http.Redirect(w, r, "/orgs/"+url.PathEscape(slug)+"/tickets/new", http.StatusSeeOther)
		return
	}
	if len(orgs) == 1 {
		http.Redirect(w, r, "/orgs/"+orgs[0].Slug+"/tickets/new", http.StatusSeeOther)
		return
	}
	if len(orgs) == 0 {
		s.renderError(w, r, tandem.Errorf(tandem.EFORBIDDEN, "Your role (%s %s) cannot open tickets for any organisation.", data.Actor.Party, data.Actor.Role), data)
		return
	}
	data.Title, data.Data = "New ticket", &ticketNewView{Choose: orgs}
	s.render(w, r, http.StatusOK, "ticket_new", data)
}

func (s *Server) renderTicketNew(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, status int) {
	ctx := r.Context()
	v := &ticketNewView{Org: org, Several: len(data.Organizations) > 1}
	for _, l := range tandem.Levels {
		v.Levels = append(v.Levels, deskOption{string(l), string(l)})
	}
	if !data.Actor.IsRequesterRole() {
		users, _, err := s.UserService.FindUsers(ctx, tandem.UserFilter{OrganizationID: &org.ID, Limit: 500})
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		for _, u := range users {
			if !u.Active {
				continue
			}
			label := u.Email
			if u.Name != "" {
				label = u.Name + " <" + u.Email + ">"
			}
			v.Requesters = append(v.Requesters, deskOption{strconv.FormatInt(u.ID, 10), label})
		}
	}
	areas, err := s.MatrixService.FindServiceAreas(ctx, org.ID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	for _, a := range areas {
		v.Areas = append(v.Areas, deskOption{strconv.FormatInt(a.ID, 10), a.Name})
	}
	if data.Form == nil {
		data.Form = map[string]string{"impact": "medium", "urgency": "medium"}
	}
	data.Title, data.Data = "New ticket · "+org.Name, v
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", "/orgs/"+org.Slug+"/tickets/new")
	}
	s.render(w, r, status, "ticket_new", data)
}

func (s *Server) handleTicketNewForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	s.renderTicketNew(w, r, data, org, http.StatusOK)
}

// splitTags reads tags separated by commas or spaces.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// formID reads an optional id field: "" is none.
func formID(r *http.Request, name, label string) (*int64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "%s %q is invalid; choose one from the list.", label, v)
	}
	return &id, nil
}

// handleTicketCreateForm opens a ticket and shows it.
func (s *Server) handleTicketCreateForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	show := func(data pageData, status int) { s.renderTicketNew(w, r, data, org, status) }
	if err := r.ParseForm(); err != nil {
		s.deskFormError(w, r, data, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB."), show)
		return
	}
	data.Form = map[string]string{}
	for _, k := range []string{"requester", "title", "description", "area", "impact", "urgency", "tags"} {
		data.Form[k] = r.PostFormValue(k)
	}
	in := tandem.TicketInput{
		OrganizationID: org.ID,
		Title:          r.PostFormValue("title"),
		Description:    r.PostFormValue("description"),
		Impact:         tandem.Level(r.PostFormValue("impact")),
		Urgency:        tandem.Level(r.PostFormValue("urgency")),
		Tags:           splitTags(r.PostFormValue("tags")),
	}
	var err error
	if in.AreaID, err = formID(r, "area", "Service area"); err != nil {
		s.deskFormError(w, r, data, err, show)
		return
	}
	requester, err := formID(r, "requester", "Requester")
	if err != nil {
		s.deskFormError(w, r, data, err, show)
		return
	}
	if requester != nil {
		in.RequesterID = *requester
	}
	t, err := s.TicketService.CreateTicket(r.Context(), in)
	if err != nil {
		s.deskFormError(w, r, data, err, show)
		return
	}
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

// --- The ticket page ----------------------------------------------------------

// deskEvent is one timeline entry as the page shows it.
type deskEvent struct {
	*tandem.Event
	Comment    bool
	HTML       template.HTML // a comment's Markdown, rendered
	Visibility string        // the badge
	Label      string        // what happened, for other entries
	Who        string
	Detail     string
}

// deskAttachment is one attachment with its download address.
type deskAttachment struct {
	*tandem.Attachment
	URL        string
	Size       string
	Visibility string
	By         string
}

// deskTime is one time entry.
type deskTime struct {
	*tandem.TimeEntry
	Who string
}

// ticketView is what ticket.html renders.
type ticketView struct {
	Ticket        *tandem.Ticket
	Org           *tandem.Organization
	Path          string
	Status        string
	Priority      string
	PriorityClass string
	Owner         string
	Area          string
	Requester     string
	Assignee      string
	Watchers      []string
	Description   template.HTML
	Zone          string
	Clocks        []deskClock
	Timeline      []deskEvent
	Attachments   []deskAttachment
	Times         []deskTime
	TimeTotal     string
	Billable      string
	// Pending is the handoff waiting for an answer, described.
	Pending       *tandem.Handoff
	PendingTo     string
	PendingReason string

	// What the viewer may do.
	AsRequester   bool // the viewer sees the ticket as a requester
	Work          bool // ticket.work on the organisation
	Handoff       bool // the viewer's party owns it and may hand it over
	HandoffTo     string
	Answer        bool // the viewer's party must accept or decline
	Moves         []deskOption
	Visibilities  []deskOption
	Assignees     []deskOption
	VisibilityNew string
	Today         string
}

// ticketID reads /tickets/{id}.
func ticketID(r *http.Request) (int64, error) { return pathID(r, "ticket") }

// clockZone returns the zone of the organisation's SLA calendar, UTC for
// 24×7 or when the viewer may not read it.
func (s *Server) clockZone(ctx context.Context, orgID int64) *time.Location {
	p, err := s.SLAService.FindSLAPolicy(ctx, orgID)
	if err != nil || p.CalendarID == nil {
		return time.UTC
	}
	c, err := s.SLAService.FindCalendar(ctx, orgID, *p.CalendarID)
	if err != nil {
		return time.UTC
	}
	cal, err := sla.ParseCalendar(c.Definition)
	if err != nil {
		return time.UTC
	}
	return cal.Location()
}

// eventLabel says what a timeline entry other than a comment is.
func eventLabel(k tandem.EventKind) string {
	switch k {
	case tandem.EventCreated:
		return "Opened"
	case tandem.EventStatus:
		return "Status"
	case tandem.EventAssigned:
		return "Assigned"
	case tandem.EventChanged:
		return "Changed"
	case tandem.EventRouted:
		return "Routed"
	case tandem.EventHandoffRequested:
		return "Handoff requested"
	case tandem.EventHandoffAccepted:
		return "Handoff accepted"
	case tandem.EventHandoffDeclined:
		return "Handoff declined"
	case tandem.EventTime:
		return "Time logged"
	case tandem.EventAttachment:
		return "Attachment"
	case tandem.EventWatcher:
		return "Watchers"
	case tandem.EventSLAWarning:
		return "SLA warning"
	case tandem.EventSLABreach:
		return "SLA breached"
	case tandem.EventSLAMet:
		return "SLA met"
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

// eventDetail pulls the reason of a handoff entry out of its data, when the
// sentence does not already hold it.
func eventDetail(e *tandem.Event) string {
	for _, k := range []string{"reason", "answer"} {
		if v, ok := e.Data[k].(string); ok && v != "" && !strings.Contains(e.Body, v) {
			return v
		}
	}
	return ""
}

// sizeText writes a byte count for people.
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
}

// ticketView loads everything the ticket page shows.
func (s *Server) ticketView(ctx context.Context, data pageData, id int64) (*ticketView, *tandem.Organization, error) {
	a := data.Actor
	t, err := s.TicketService.FindTicket(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	names := s.deskNames(ctx, data.Organizations)
	org := names.org(t.OrganizationID)
	if org == nil {
		if org, err = s.OrganizationService.FindOrganizationByID(ctx, t.OrganizationID); err != nil {
			return nil, nil, err
		}
	}
	v := &ticketView{
		Ticket: t, Org: org, Path: "/tickets/" + strconv.FormatInt(t.ID, 10),
		Status: statusLabel(t.Status), Priority: t.Priority.String(), PriorityClass: "p" + strconv.Itoa(int(t.Priority)), Owner: deskPartyName(t.OwningParty),
		Requester:   names.user(t.RequesterID),
		Description: renderMarkdown().Render(t.Description),
		AsRequester: a.IsRequesterRole(),
		Work:        a.Can(tandem.ActionTicketWork, org.ID) == nil,
		Today:       time.Now().UTC().Format(time.DateOnly),
	}
	if t.AssigneeID != nil {
		v.Assignee = names.user(*t.AssigneeID)
	}
	for _, w := range t.Watchers {
		v.Watchers = append(v.Watchers, names.user(w))
	}
	if t.AreaID != nil {
		if areas, err := s.MatrixService.FindServiceAreas(ctx, org.ID); err == nil {
			for _, ar := range areas {
				if ar.ID == *t.AreaID {
					v.Area = ar.Name
				}
			}
		}
	}
	loc := s.clockZone(ctx, org.ID)
	v.Zone = loc.String()
	now := time.Now()
	for _, tm := range t.Timers {
		v.Clocks = append(v.Clocks, clockOf(tm, now, loc))
	}
	if h := t.PendingHandoff; h != nil && h.Status == tandem.HandoffPending {
		v.Pending, v.PendingTo = h, deskPartyName(h.ToParty)
		v.Answer = v.Work && a.Party == h.ToParty
	}
	v.Handoff = v.Work && a.Party == t.OwningParty && v.Pending == nil && !t.Status.Done()
	v.HandoffTo = "Escalate to provider"
	if t.OwningParty == tandem.PartyProvider {
		v.HandoffTo = "Hand back to internal IT"
	}
	for _, st := range tandem.TicketStatuses {
		if t.Status.CheckMove(st) == nil {
			v.Moves = append(v.Moves, deskOption{string(st), statusLabel(st)})
		}
	}
	v.Visibilities = []deskOption{
		{string(tandem.VisibilityPublic), "Public (requester and both teams)"},
		{string(tandem.VisibilityTeams), "Both teams (not the requester)"},
		{string(tandem.VisibilityParty), visibilityLabel(tandem.VisibilityParty, a.Party) + " (your team)"},
	}

	events, err := s.TicketService.Timeline(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range events {
		de := deskEvent{Event: e, Comment: e.Kind == tandem.EventComment, Visibility: visibilityLabel(e.Visibility, e.Party), Who: e.ActorName}
		if de.Who == "" {
			de.Who = "Tandem"
			if e.ActorID != nil {
				de.Who = names.user(*e.ActorID)
			}
		}
		if de.Comment {
			de.HTML = renderMarkdown().Render(e.Body)
		} else {
			de.Label, de.Detail = eventLabel(e.Kind), eventDetail(e)
		}
		v.Timeline = append(v.Timeline, de)
	}
	atts, err := s.TicketService.Attachments(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, at := range atts {
		v.Attachments = append(v.Attachments, deskAttachment{Attachment: at,
			URL:  v.Path + "/attachments/" + strconv.FormatInt(at.ID, 10),
			Size: sizeText(at.Size), Visibility: visibilityLabel(at.Visibility, at.Party), By: names.user(at.UploadedBy)})
	}
	if !v.AsRequester {
		times, err := s.TicketService.TimeEntries(ctx, t.ID)
		if err != nil {
			return nil, nil, err
		}
		var total, billable int
		for _, te := range times {
			v.Times = append(v.Times, deskTime{TimeEntry: te, Who: names.user(te.UserID)})
			total += te.Minutes
			if te.Billable {
				billable += te.Minutes
			}
		}
		v.TimeTotal, v.Billable = minutesText(float64(total)), minutesText(float64(billable))
	}
	if v.Work {
		v.Assignees = s.assignees(ctx, a, org)
	}
	return v, org, nil
}

// assignees lists the people a ticket of org may be assigned to: the
// organisation's IT staff and the provider's technicians the viewer can see.
func (s *Server) assignees(ctx context.Context, a *tandem.Actor, org *tandem.Organization) []deskOption {
	var out []deskOption
	add := func(f tandem.UserFilter, roles ...tandem.Role) {
		users, _, err := s.UserService.FindUsers(ctx, f)
		if err != nil {
			return // the list is a convenience: "Assign to me" still works
		}
		for _, u := range users {
			if !u.Active || !slices.Contains(roles, u.Role) {
				continue
			}
			if u.Party == tandem.PartyProvider && u.Role != tandem.RoleAdmin && !slices.Contains(u.Organizations, org.ID) {
				continue
			}
			label := u.Email
			if u.Name != "" {
				label = u.Name
			}
			out = append(out, deskOption{strconv.FormatInt(u.ID, 10), label + " (" + deskPartyName(u.Party) + ")"})
		}
	}
	add(tandem.UserFilter{OrganizationID: &org.ID, Limit: 500}, tandem.RoleITAdmin, tandem.RoleITTechnician)
	provider := tandem.PartyProvider
	add(tandem.UserFilter{Party: &provider, Limit: 500}, tandem.RoleAdmin, tandem.RoleTechnician)
	return out
}

// renderTicket renders the ticket page with data.Error or data.Notice set.
func (s *Server) renderTicket(w http.ResponseWriter, r *http.Request, data pageData, id int64, status int) {
	v, org, err := s.ticketView(r.Context(), data, id)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if data.Form == nil {
		data.Form = map[string]string{}
	}
	data.Title, data.Current, data.Data = "#"+strconv.FormatInt(id, 10)+" "+v.Ticket.Title, org, v
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", v.Path)
	}
	s.render(w, r, status, "ticket", data)
}

func (s *Server) handleTicketPage(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := ticketID(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	s.renderTicket(w, r, data, id, http.StatusOK)
}

// ticketAction wraps a form of the ticket page: it reads the ticket id and
// the form, calls act, and redirects to the ticket (or to next) when act
// succeeds; a refusal shows the ticket with the message and the submitted
// fields kept, under the form's prefix ("comment.body").
func (s *Server) ticketAction(prefix string, act func(w http.ResponseWriter, r *http.Request, id int64) (next string, err error)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, data pageData) {
		id, err := ticketID(r)
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		show := func(data pageData, status int) { s.renderTicket(w, r, data, id, status) }
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				s.deskFormError(w, r, data, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB."), show)
				return
			}
		}
		next, err := act(w, r, id)
		if err != nil {
			data.Form = map[string]string{}
			for k := range r.PostForm {
				data.Form[prefix+"."+k] = r.PostForm.Get(k)
			}
			s.deskFormError(w, r, data, err, show)
			return
		}
		if next == "" {
			next = "/tickets/" + strconv.FormatInt(id, 10)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// ticketComment adds a comment, optionally moving the status with it.
func (s *Server) ticketComment(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	in := tandem.CommentInput{Body: r.PostFormValue("body"), Visibility: tandem.Visibility(r.PostFormValue("visibility"))}
	if st := r.PostFormValue("status"); st != "" {
		next := tandem.TicketStatus(st)
		in.Status = &next
	}
	e, err := s.TicketService.AddComment(r.Context(), id, in)
	if err != nil {
		return "", err
	}
	return "/tickets/" + strconv.FormatInt(id, 10) + "#event-" + strconv.FormatInt(e.ID, 10), nil
}

func (s *Server) ticketStatus(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	st := tandem.TicketStatus(r.PostFormValue("status"))
	_, err := s.TicketService.UpdateTicket(r.Context(), id, tandem.TicketUpdate{Status: &st})
	return "", err
}

// ticketAssign assigns the ticket: assignee is "me", a user id, or "none" to
// unassign.
func (s *Server) ticketAssign(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	var who int64
	switch v := r.PostFormValue("assignee"); v {
	case "me":
		who = tandem.ActorFromContext(r.Context()).UserID
	case "none":
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return "", tandem.Errorf(tandem.EINVALID, "Choose whom to assign the ticket to.")
		}
		who = n
	}
	_, err := s.TicketService.UpdateTicket(r.Context(), id, tandem.TicketUpdate{AssigneeID: &who})
	return "", err
}

func (s *Server) ticketHandoff(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	_, err := s.TicketService.RequestHandoff(r.Context(), id, r.PostFormValue("reason"))
	return "", err
}

// ticketAccept accepts a handoff; the ticket, now the viewer's, is shown.
func (s *Server) ticketAccept(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	hid, err := pathInt(r, "handoff", "handoff")
	if err != nil {
		return "", err
	}
	_, err = s.TicketService.AnswerHandoff(r.Context(), id, hid, true, "")
	return "", err
}

// ticketDecline declines a handoff with a reason, returning to the queue
// when it was answered there.
func (s *Server) ticketDecline(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	hid, err := pathInt(r, "handoff", "handoff")
	if err != nil {
		return "", err
	}
	if _, err = s.TicketService.AnswerHandoff(r.Context(), id, hid, false, r.PostFormValue("reason")); err != nil {
		return "", err
	}
	if r.PostFormValue("next") == "queue" {
		return "/queue", nil
	}
	return "", nil
}

func (s *Server) ticketTime(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	v := strings.TrimSpace(r.PostFormValue("minutes"))
	minutes, err := strconv.Atoi(v)
	if err != nil {
		return "", tandem.Errorf(tandem.EINVALID, "Minutes %q is not a whole number; enter the minutes spent, such as 30.", v)
	}
	e := &tandem.TimeEntry{TicketID: id, Minutes: minutes, Billable: r.PostFormValue("billable") != "", Note: r.PostFormValue("note"), SpentOn: r.PostFormValue("spent_on")}
	return "", s.TicketService.AddTimeEntry(r.Context(), id, e)
}

// ticketAttach stores the file of a multipart form.
func (s *Server) ticketAttach(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	file, a, err := s.readUpload(w, r)
	if err != nil {
		return "", err
	}
	defer file.Close()
	return "", s.TicketService.AddAttachment(r.Context(), id, a, file)
}

// handleTicketAttachmentDownload serves an attachment to a browser session,
// always as a download in a sandbox, never rendered in Tandem's origin. (The
// API route does the same for tokens.)
func (s *Server) handleTicketAttachmentDownload(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := ticketID(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	attID, err := pathInt(r, "attachment", "attachment")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	a, body, err := s.TicketService.OpenAttachment(r.Context(), id, attID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", downloadType(a.ContentType))
	h.Set("Content-Disposition", contentDisposition(a.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	if a.Size > 0 {
		h.Set("Content-Length", itoa64(a.Size))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		s.Logger.Error("attachment download cut short", "route", r.Pattern, "attachment", a.ID, "err", err)
	}
}
