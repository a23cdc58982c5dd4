package http

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

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
	// Loc is the zone of the organisation's SLA calendar: every time on the
	// page is shown in it, as the clocks are.
	Loc           *time.Location
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
	Watchers      []deskOption // user id and name
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
	// The edit form: the stored title and description, or what a refused
	// edit sent, with the form open so the input is not lost.
	EditTitle       string
	EditDescription string
	EditOpen        bool
	// WatcherChoices are the people who may watch and do not yet.
	WatcherChoices []deskOption
	// Watching: the viewer watches the ticket and may stop.
	Watching bool
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
		v.Watchers = append(v.Watchers, deskOption{strconv.FormatInt(w, 10), names.user(w)})
		v.Watching = v.Watching || w == a.UserID
	}
	v.EditTitle, v.EditDescription = t.Title, t.Description
	if title, ok := data.Form["edit.title"]; ok {
		v.EditTitle, v.EditDescription, v.EditOpen = title, data.Form["edit.description"], true
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
	v.Loc, v.Zone = loc, loc.String()
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
		for _, u := range s.deskPeople(ctx, org) {
			id := strconv.FormatInt(u.ID, 10)
			if deskStaff(u.Role) {
				v.Assignees = append(v.Assignees, deskOption{id, personName(u) + " (" + deskPartyName(u.Party) + ")"})
			}
			if !slices.ContainsFunc(v.Watchers, func(w deskOption) bool { return w.Value == id }) {
				v.WatcherChoices = append(v.WatcherChoices, deskOption{id, watcherLabel(u)})
			}
		}
	}
	return v, org, nil
}

// deskPeople lists the active people who can see org's tickets, as far as
// the viewer can see them: the organisation's own users, then the
// provider's staff working for it (provider admins work for every
// organisation). The service accepts any of them as a watcher, and its
// staff (deskStaff) of the owning party as the assignee.
func (s *Server) deskPeople(ctx context.Context, org *tandem.Organization) []*tandem.User {
	var out []*tandem.User
	add := func(f tandem.UserFilter) {
		users, _, err := s.UserService.FindUsers(ctx, f)
		if err != nil {
			return // the lists are a convenience: "Assign to me" still works
		}
		for _, u := range users {
			if !u.Active {
				continue
			}
			if u.Party == tandem.PartyProvider && u.Role != tandem.RoleAdmin && !slices.Contains(u.Organizations, org.ID) {
				continue
			}
			out = append(out, u)
		}
	}
	add(tandem.UserFilter{OrganizationID: &org.ID, Limit: 500})
	provider := tandem.PartyProvider
	add(tandem.UserFilter{Party: &provider, Limit: 500})
	return out
}

// deskStaff reports whether a role works tickets and so may be assigned
// them (requesters and viewers may not).
func deskStaff(r tandem.Role) bool {
	switch r {
	case tandem.RoleITAdmin, tandem.RoleITTechnician, tandem.RoleAdmin, tandem.RoleTechnician:
		return true
	}
	return false
}

// personName names a user by name, or by email when they have none.
func personName(u *tandem.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// watcherLabel writes a watcher candidate with their role, since
// requesters and viewers are among them: "Ann (requester)", "Bo (provider
// technician)".
func watcherLabel(u *tandem.User) string {
	role := string(u.Role)
	if u.Party == tandem.PartyProvider {
		role = "provider " + role
	}
	return personName(u) + " (" + role + ")"
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
