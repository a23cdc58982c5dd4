package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The home page shows each role its desk in figures (TicketService.Summary),
// every figure a link to the ticket list that shows exactly what it counts:
// technicians and admins their work, admins also their team's load, viewers
// the open tickets by owning party and the month's SLA attainment,
// requesters their open tickets and a way to ask for something new. Provider
// admins create organisations here; the organisation page gives an overview
// of one, and a rename form to those who may.

// registerHomeRoutes registers the forms that create and rename
// organisations; GET / and GET /orgs/{slug} are registered with the other
// pages in registerUIRoutes.
func (s *Server) registerHomeRoutes() {
	s.handle("POST /orgs", s.page(s.handleOrganizationCreateForm))
	s.handle("POST /orgs/{slug}", s.page(s.handleOrganizationRenameForm))
}

// deskFigure is one number of a home page and the list it counts.
type deskFigure struct {
	Key   string // stable name: the element's id is "fig-" + Key
	Label string
	N     int
	Href  string
	// Alert marks a figure that asks for attention when not zero.
	Alert string
}

// homeOrg is one organisation's row of the breakdown.
type homeOrg struct {
	Org     *tandem.Organization
	Figures []deskFigure
}

// homeView is what home.html renders.
type homeView struct {
	// Kind is the home of the role: "work" (technicians and admins),
	// "viewer" or "requester".
	Kind    string
	Party   string
	Figures []deskFigure
	// Orgs breaks Figures down by organisation, for someone who sees
	// several; Only is the organisation of someone who sees one.
	Orgs []homeOrg
	Only *tandem.Organization
	// Load is the team's load, for admins: a figure per person, and the
	// party's unassigned tickets.
	Load []deskFigure
	// SLA is the month's attainment; SLAShown is false for roles without it.
	SLAShown   bool
	SLA        tandem.SLAAttainment
	SLAPercent int
	SLAAny     bool
	Month      time.Time
	// Tickets are a requester's open tickets, the newest first; More links
	// to all of them when there are more than the page shows.
	Tickets    []deskRow
	More       string
	NewRequest string
	// CanCreateOrg shows the form adding an organisation; NoOrgs says there
	// is none yet.
	CanCreateOrg bool
	NoOrgs       bool
}

// homeTickets is how many of a requester's open tickets the home page lists.
const homeTickets = 20

// ticketsHref is the ticket list filtered by the given key/value pairs, for
// the organisation org ("" for all in scope).
func ticketsHref(org string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if org != "" {
		q.Set("org", org)
	}
	return "/tickets?" + q.Encode()
}

// homeFigures returns the figures of a role's home from counts, linked to
// the lists of the organisation org ("" for all).
func homeFigures(kind string, party tandem.PartyKind, c tandem.DeskCounts, org string) []deskFigure {
	p := string(party)
	switch kind {
	case "viewer":
		return []deskFigure{
			{Key: "open", Label: "Open tickets", N: c.Open, Href: ticketsHref(org, "status", "active")},
			{Key: "open-internal", Label: "Owned by internal IT", N: c.OpenInternal, Href: ticketsHref(org, "party", "internal", "status", "active")},
			{Key: "open-provider", Label: "Owned by the provider", N: c.OpenProvider, Href: ticketsHref(org, "party", "provider", "status", "active")},
		}
	case "work":
		return []deskFigure{
			{Key: "mine", Label: "My open tickets", N: c.Mine, Href: ticketsHref(org, "assignee", "me", "status", "active")},
			{Key: "unassigned", Label: "Unassigned in our queue", N: c.Unassigned, Href: ticketsHref(org, "party", p, "assignee", "none", "status", "active")},
			{Key: "awaiting", Label: "Handoffs waiting for us", N: c.Awaiting, Href: ticketsHref(org, "awaiting", "on"), Alert: "warning"},
			{Key: "warning", Label: "SLA warnings", N: c.Warning, Href: ticketsHref(org, "party", p, "sla", "warning", "status", "active"), Alert: "warning"},
			{Key: "breached", Label: "SLA breaches", N: c.Breached, Href: ticketsHref(org, "party", p, "sla", "breached", "status", "active"), Alert: "breached"},
		}
	}
	return nil
}

// homeKind is the kind of home a role has.
func homeKind(a *tandem.Actor) string {
	switch {
	case a.IsRequesterRole():
		return "requester"
	case a.Role == tandem.RoleViewer:
		return "viewer"
	default:
		return "work"
	}
}

// isAdmin reports whether the actor administers their party.
func isAdmin(a *tandem.Actor) bool { return a.Role == tandem.RoleAdmin || a.Role == tandem.RoleITAdmin }

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderHome(w, r, data, http.StatusOK)
}

// renderHome renders the home page with the given status: 200, or that of
// the error of the organisation form in data.Error.
func (s *Server) renderHome(w http.ResponseWriter, r *http.Request, data pageData, status int) {
	ctx, a := r.Context(), data.Actor
	v := &homeView{Kind: homeKind(a), Party: deskPartyName(a.Party), CanCreateOrg: a.Can(tandem.ActionOrganizationCreate, 0) == nil}
	now := time.Now().In(data.Loc)
	v.Month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, data.Loc)
	q := tandem.DeskSummaryQuery{Load: v.Kind == "work" && isAdmin(a)}
	v.SLAShown = v.Kind == "viewer" || q.Load
	if v.SLAShown {
		q.Since = v.Month
	}
	sum, err := s.TicketService.Summary(ctx, q)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v.NoOrgs = len(sum.Orgs) == 0
	if len(sum.Orgs) == 1 {
		v.Only = sum.Orgs[0].Organization
	}
	v.Figures = homeFigures(v.Kind, a.Party, sum.Total, "")
	if len(sum.Orgs) > 1 && v.Figures != nil {
		for _, o := range sum.Orgs {
			v.Orgs = append(v.Orgs, homeOrg{Org: o.Organization, Figures: homeFigures(v.Kind, a.Party, o.DeskCounts, o.Organization.Slug)})
		}
	}
	if q.Load {
		for _, l := range sum.Load {
			name := l.Name
			if name == "" {
				name = l.Email
			}
			v.Load = append(v.Load, deskFigure{Key: "load-" + strconv.FormatInt(l.UserID, 10), Label: name, N: l.Open, Href: ticketsHref("", "assignee", strconv.FormatInt(l.UserID, 10), "status", "active")})
		}
		v.Load = append(v.Load, deskFigure{Key: "load-unassigned", Label: "Unassigned", N: sum.Total.Unassigned, Href: ticketsHref("", "party", string(a.Party), "assignee", "none", "status", "active")})
	}
	v.SLA = sum.SLA
	v.SLAPercent, v.SLAAny = sum.SLA.Percent()
	if v.Kind == "requester" {
		page, err := s.TicketService.FindTickets(ctx, tandem.TicketFilter{Open: true, Limit: homeTickets})
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		v.Tickets = s.deskRows(ctx, s.deskNames(ctx, data.Organizations), page.Tickets, time.Now())
		v.Figures = []deskFigure{{Key: "open", Label: "Open requests", N: sum.Total.Open, Href: ticketsHref("", "status", "active")}}
		if page.NextCursor != "" {
			v.More = v.Figures[0].Href
		}
		v.NewRequest = "/tickets/new"
	}
	data.Title, data.Data = "Home", v
	s.render(w, r, status, "home", data)
}

// handleOrganizationCreateForm adds an organisation from the home page's
// form and opens its page; a refusal shows the home page again with the
// message and what was typed.
func (s *Server) handleOrganizationCreateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	org := &tandem.Organization{Name: strings.TrimSpace(r.PostFormValue("name")), Slug: strings.TrimSpace(r.PostFormValue("slug"))}
	if err := s.OrganizationService.CreateOrganization(r.Context(), org); err != nil {
		data.Error = tandem.ErrorMessage(err)
		data.Form = map[string]string{"name": r.PostFormValue("name"), "slug": r.PostFormValue("slug")}
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			s.renderError(w, r, err, data)
			return
		}
		s.renderHome(w, r, data, ErrorStatus(tandem.ErrorCode(err)))
		return
	}
	http.Redirect(w, r, "/orgs/"+org.Slug+"?done=created", http.StatusSeeOther)
}

// orgNotices are the notices the organisation page shows after a form.
var orgNotices = map[string]string{
	"created": "Organisation created. Next: invite its people and agree the responsibility matrix.",
	"renamed": "Organisation renamed.",
}

// orgView is what organization.html renders.
type orgView struct {
	Figures []deskFigure
	Queue   string // the viewer's party's open tickets here
	People  []*tandem.User
	// CanRename shows the rename form; CanInvite the invitation link.
	CanRename, CanInvite, CanSLA, Provider bool
}

func (s *Server) handleOrganizationPage(w http.ResponseWriter, r *http.Request, data pageData) {
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Notice = orgNotices[r.URL.Query().Get("done")]
	s.renderOrganization(w, r, data, org, http.StatusOK)
}

// renderOrganization renders an organisation's page with the given status.
func (s *Server) renderOrganization(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, status int) {
	ctx, a := r.Context(), data.Actor
	users, _, err := s.UserService.FindUsers(ctx, tandem.UserFilter{OrganizationID: &org.ID, Limit: 200})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	sum, err := s.TicketService.Summary(ctx, tandem.DeskSummaryQuery{OrganizationID: org.ID})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v := &orgView{People: users, Provider: a.Party == tandem.PartyProvider,
		CanRename: a.Can(tandem.ActionOrganizationUpdate, org.ID) == nil,
		CanInvite: a.CanManageUser(&tandem.User{OrganizationID: &org.ID, Role: tandem.RoleRequester}) == nil,
		CanSLA:    !a.IsRequesterRole(),
		Queue:     ticketsHref(org.Slug, "party", string(a.Party), "status", "active"),
	}
	kind := homeKind(a)
	for _, o := range sum.Orgs {
		if o.Organization.ID == org.ID && kind != "requester" {
			// The open tickets by party, then the viewer's own work.
			v.Figures = homeFigures("viewer", a.Party, o.DeskCounts, org.Slug)
			if kind == "work" {
				v.Figures = append(v.Figures, homeFigures("work", a.Party, o.DeskCounts, org.Slug)...)
			}
		}
	}
	if data.Form == nil {
		data.Form = map[string]string{"name": org.Name, "slug": org.Slug}
	}
	data.Title, data.Current, data.Data = org.Name, org, v
	s.render(w, r, status, "organization", data)
}

// handleOrganizationRenameForm changes an organisation's name and slug
// from its page; a refusal shows the page again, unchanged, with the
// message and what was typed.
func (s *Server) handleOrganizationRenameForm(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	ctx := r.Context()
	org, err := s.OrganizationService.FindOrganizationBySlug(ctx, r.PathValue("slug"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	name, slug := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("slug"))
	upd := tandem.OrganizationUpdate{Name: &name}
	if slug != "" { // an emptied slug keeps the one it has
		upd.Slug = &slug
	}
	updated, err := s.OrganizationService.UpdateOrganization(ctx, org.ID, upd)
	if err != nil {
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			s.renderError(w, r, err, data)
			return
		}
		data.Error = tandem.ErrorMessage(err)
		data.Form = map[string]string{"name": r.PostFormValue("name"), "slug": r.PostFormValue("slug")}
		s.renderOrganization(w, r, data, org, ErrorStatus(tandem.ErrorCode(err)))
		return
	}
	http.Redirect(w, r, "/orgs/"+updated.Slug+"?done=renamed", http.StatusSeeOther)
}
