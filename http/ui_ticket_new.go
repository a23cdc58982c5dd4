package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

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
