package http

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// deskEvent is one timeline entry as the page shows it: a comment as a
// card in the conversation, anything else as one muted line.
type deskEvent struct {
	*tandem.Event
	Comment    bool
	HTML       template.HTML // a comment's Markdown, rendered
	Visibility string        // the badge
	Who        string        // the author; empty for entries the system writes
	PartyName  string        // the author's team: "Northwind MSP"
	Text       string        // what happened, after Who: "moved the ticket from new to open."
	Detail     string
	Tone       string // CSS modifier of a line: "sla" for warnings and breaches
	Ago        string // "3 hours ago"
	Initials   string // a comment's avatar: "SP"
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
	OpenedAgo     string
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
	AsRequester bool // the viewer sees the ticket as a requester
	Work        bool // ticket.work on the organisation
	// Reply: the viewer may comment and attach files (they work the
	// ticket, or request it as a requester; viewers only read).
	Reply        bool
	Handoff      bool // the viewer's party owns it and may hand it over
	HandoffTo    string
	Answer       bool // the viewer's party must accept or decline
	Moves        []deskOption
	Visibilities []deskOption
	Assignees    []deskOption
	// AssigneeChoice is the option the assignee select shows chosen: what
	// a refused form sent, else the current assignee, else "none".
	AssigneeChoice string
	VisibilityNew  string
	Today          string
	// The edit form: the stored title and description, or what a refused
	// edit sent, with the form open so the input is not lost.
	EditTitle       string
	EditDescription string
	EditOpen        bool
	// WatcherChoices are the people who may watch and do not yet.
	WatcherChoices []deskOption
	// Watching: the viewer watches the ticket and may stop.
	Watching bool
	// Escalation is the ticket's incidents, for the teams.
	Escalation []*incidentView
	// Notified is who was notified about the ticket, newest first, for
	// the teams (never requesters): ui_outbox.go's rows.
	Notified []outboxRow
}

// eventText writes a timeline entry other than a comment as a sentence
// after its author (who; "" when the sentence names no author): the
// stored sentences begin with their verb ("Moved the ticket…"), the
// routing is written again from its data (routedSentence), SLA warnings
// and breaches are the system's.
func eventText(e *tandem.Event, who string, names partyNames) (string, string) {
	switch e.Kind {
	case tandem.EventRouted:
		return "", routedSentence(e, names)
	case tandem.EventSLAWarning, tandem.EventSLABreach, tandem.EventSLAMet:
		return "", e.Body
	case tandem.EventHandoffRequested:
		if to, ok := e.Data["to"].(string); ok {
			return who, "asked " + names.party(tandem.PartyKind(to)) + " to take the ticket over"
		}
		return who, "requested a handoff"
	case tandem.EventTime:
		return who, "logged " + e.Body
	case tandem.EventStatus:
		from, _ := e.Data["from"].(string)
		to, _ := e.Data["to"].(string)
		if e.Data["automatic"] == true && who != "" {
			// The move the first staff action makes: not a choice of theirs.
			return who, "took the ticket up: it moved from " + statusLabel(tandem.TicketStatus(from)) + " to " + statusLabel(tandem.TicketStatus(to)) + " on its own."
		}
		if from != "" && to != "" && strings.HasPrefix(e.Body, "Moved") && who != "" {
			return who, "moved the ticket from " + statusLabel(tandem.TicketStatus(from)) + " to " + statusLabel(tandem.TicketStatus(to)) + "."
		}
	}
	if who == "" {
		return "", e.Body // the system's own sentence
	}
	return who, lowerFirst(e.Body)
}

// eventDetail pulls the reason of a handoff's answer out of its data, when
// the sentence does not already hold it.
func eventDetail(e *tandem.Event) string {
	if e.Kind != tandem.EventHandoffAccepted && e.Kind != tandem.EventHandoffDeclined {
		return ""
	}
	for _, k := range []string{"reason", "answer"} {
		if v, ok := e.Data[k].(string); ok && v != "" && !strings.Contains(e.Body, v) {
			return v
		}
	}
	return ""
}

// lowerFirst lowers the first letter of a sentence that follows a name.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	// "Tandem", "VPN": a word in capitals or a name keeps its case.
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// partyNames names an organisation's two teams ("Harbor Logistics IT",
// "Northwind MSP") and its service areas, for sentences.
type partyNames struct {
	org   *tandem.Organization
	areas map[int64]string
}

func (n partyNames) party(k tandem.PartyKind) string {
	if n.org != nil {
		for _, p := range n.org.Parties {
			if p.Kind == k && p.Name != "" {
				return p.Name
			}
		}
	}
	if k == tandem.PartyProvider {
		return "the provider"
	}
	return "internal IT"
}

// dataInt reads a whole number from an entry's data (JSON numbers decode
// as float64).
func dataInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n == math.Trunc(n)
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// routedSentence writes where the matrix sent a ticket and why, from the
// routed entry's data: "Routed to Harbor Logistics IT: Responsible for
// End-user support in matrix v1". Entries recorded before the data held
// the area's name take it from the organisation's catalogue; data that
// says too little leaves the stored sentence.
func routedSentence(e *tandem.Event, names partyNames) string {
	party, _ := e.Data["party"].(string)
	reason, _ := e.Data["reason"].(string)
	area, _ := e.Data["area"].(string)
	if id, ok := dataInt(e.Data["area_id"]); ok && area == "" {
		area = names.areas[id]
	}
	version := ""
	if n, ok := dataInt(e.Data["matrix"]); ok {
		version = "matrix v" + strconv.FormatInt(n, 10)
	}
	to := "Routed to " + names.party(tandem.PartyKind(party))
	switch {
	case party == "":
	case reason == "no-area":
		return to + " for triage: the ticket has no service area"
	case reason == "no-matrix":
		return to + " for triage: no responsibility matrix has been accepted yet"
	case area == "" || version == "":
	case reason == "responsible":
		return to + ": Responsible for " + area + " in " + version
	case reason == "accountable":
		return to + ": both teams are Responsible for " + area + " in " + version + ", so the Accountable team takes it"
	case reason == "no-owner":
		return to + " for triage: " + version + " names no Responsible team for " + area
	}
	return strings.TrimSuffix(e.Body, ".")
}

// initials are the first letters of a name's first and last words, or of
// an email: "Sam Patel" → "SP".
func initials(name string) string {
	if i := strings.IndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) == 0 {
		return "?"
	}
	first, _ := utf8.DecodeRuneInString(words[0])
	out := string(unicode.ToUpper(first))
	if len(words) > 1 {
		last, _ := utf8.DecodeRuneInString(words[len(words)-1])
		out += string(unicode.ToUpper(last))
	}
	return out
}

// agoText says how long before now an instant was: "just now", "5 minutes
// ago", "3 hours ago", "2 days ago"; the page shows the instant beside it.
func agoText(t, now time.Time) string {
	d := now.Sub(t)
	unit := func(n int64, name string) string {
		s := strconv.FormatInt(n, 10) + " " + name
		if n != 1 {
			s += "s"
		}
		return s + " ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d < 730*24*time.Hour:
		return unit(int64(d/(30*24*time.Hour)), "month")
	}
	return unit(int64(d/(365*24*time.Hour)), "year")
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
	names.know(t.People)
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
	v.AssigneeChoice = "none"
	if t.AssigneeID != nil {
		v.Assignee, v.AssigneeChoice = names.user(*t.AssigneeID), strconv.FormatInt(*t.AssigneeID, 10)
	}
	if f, ok := data.Form["assign.assignee"]; ok {
		v.AssigneeChoice = f
	}
	for _, w := range t.Watchers {
		v.Watchers = append(v.Watchers, deskOption{strconv.FormatInt(w, 10), names.user(w)})
		v.Watching = v.Watching || w == a.UserID
	}
	v.Reply = v.Work || v.AsRequester && a.Can(tandem.ActionTicketRequest, org.ID) == nil
	v.EditTitle, v.EditDescription = t.Title, t.Description
	if title, ok := data.Form["edit.title"]; ok {
		v.EditTitle, v.EditDescription, v.EditOpen = title, data.Form["edit.description"], true
	}
	teams := partyNames{org: org, areas: map[int64]string{}}
	if areas, err := s.MatrixService.FindServiceAreas(ctx, org.ID); err == nil {
		for _, ar := range areas {
			teams.areas[ar.ID] = ar.Name
		}
	}
	if t.AreaID != nil {
		v.Area = teams.areas[*t.AreaID]
	}
	loc := s.clockZone(ctx, org.ID)
	v.Loc, v.Zone = loc, loc.String()
	now := time.Now()
	v.OpenedAgo = agoText(t.CreatedAt, now)
	for _, tm := range t.Timers {
		v.Clocks = append(v.Clocks, clockOf(tm, now))
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

	if !v.AsRequester && s.NotificationService != nil {
		if v.Notified, err = s.ticketNotifications(ctx, t.ID); err != nil {
			return nil, nil, err
		}
	}
	events, err := s.TicketService.Timeline(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	// The store names each entry's author as the ticket names people: by
	// name, by email only where the viewer may see that user, else by role.
	author := func(e *tandem.Event) string {
		if e.ActorID == nil || e.ActorName != "" {
			return e.ActorName
		}
		return names.user(*e.ActorID)
	}
	// The authors' names are on the page already: they name the same
	// people elsewhere on it (an uploader).
	for _, e := range events {
		if e.ActorID != nil {
			names.know(map[int64]string{*e.ActorID: author(e)})
		}
	}
	for _, e := range events {
		de := deskEvent{Event: e, Comment: e.Kind == tandem.EventComment, Visibility: visibilityLabel(e.Visibility, e.Party),
			Who: author(e), Ago: agoText(e.CreatedAt, now)}
		if e.Party != "" && de.Who != teams.party(e.Party) {
			de.PartyName = teams.party(e.Party)
		}
		if de.Comment {
			if de.Who == "" {
				de.Who = "Tandem"
			}
			de.HTML, de.Initials = renderMarkdown().Render(e.Body), initials(de.Who)
		} else {
			de.Who, de.Text = eventText(e, de.Who, teams)
			de.Detail = eventDetail(e)
			switch e.Kind {
			case tandem.EventHandoffRequested:
				de.Detail = e.Body
			case tandem.EventSLAWarning, tandem.EventSLABreach:
				de.Tone = "sla"
			}
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
		v.TimeTotal, v.Billable = hoursText(int64(total)), hoursText(int64(billable))
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
		// An assignee the list leaves out (no longer active, or of the
		// other team since a handoff) is still shown as chosen, not as
		// "nobody".
		if t.AssigneeID != nil {
			id := strconv.FormatInt(*t.AssigneeID, 10)
			if !slices.ContainsFunc(v.Assignees, func(o deskOption) bool { return o.Value == id }) {
				v.Assignees = append(v.Assignees, deskOption{id, v.Assignee})
			}
		}
	}
	if !v.AsRequester {
		// The escalation panel (ui_escalation_panel.go).
		if v.Escalation, err = s.escalationPanel(ctx, data, t); err != nil {
			return nil, nil, err
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
