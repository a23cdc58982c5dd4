package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// The people pages: an organisation's internal team (/orgs/{slug}/people) and
// the provider's staff (/provider/people). Everyone who may see the team sees
// the list; those who may manage its users (Actor.CanManageUser) also invite,
// change roles, deactivate and reactivate, reset a lost second factor, revoke
// pending invitations and, on the provider page, assign organisations. The services decide; the page
// only leaves out forms that would be refused.

// team is the group of users one people page shows.
type team struct {
	// Org is the organisation whose internal team this is; nil for the
	// provider's staff.
	Org *tandem.Organization
}

// path is the team's people page.
func (t *team) path() string {
	if t.Org == nil {
		return "/provider/people"
	}
	return "/orgs/" + t.Org.Slug + "/people"
}

// owns reports whether a user belongs to the team.
func (t *team) owns(u *tandem.User) bool {
	if t.Org == nil {
		return u.OrganizationID == nil
	}
	return u.OrganizationID != nil && *u.OrganizationID == t.Org.ID
}

// member returns a user that would join the team, for permission checks.
func (t *team) member(role tandem.Role) *tandem.User {
	u := &tandem.User{Role: role}
	if t.Org != nil {
		u.OrganizationID = &t.Org.ID
	}
	return u
}

// roles lists the roles of the team's party.
func (t *team) roles() []tandem.Role {
	if t.Org == nil {
		return tandem.ProviderRoles
	}
	return tandem.InternalRoles
}

// orgTeam resolves /orgs/{slug}/…: an organisation outside scope is not found.
func (s *Server) orgTeam(r *http.Request, data pageData) (*team, error) {
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	return &team{Org: org}, nil
}

// providerTeam resolves /provider/…: the provider's staff exist for provider
// users only.
func (s *Server) providerTeam(r *http.Request, data pageData) (*team, error) {
	if data.Actor.Party != tandem.PartyProvider {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Page not found.")
	}
	return &team{}, nil
}

// withTeam resolves the team of a people route before calling h.
func (s *Server) withTeam(resolve func(*http.Request, pageData) (*team, error), h func(http.ResponseWriter, *http.Request, pageData, *team)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, data pageData) {
		t, err := resolve(r, data)
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		if t.Org != nil {
			data.Current = t.Org
		}
		h(w, r, data, t)
	}
}

// personRow is one user on a people page with what the viewer may do to them.
type personRow struct {
	*tandem.User
	// Manage: the viewer may change this user's role and active state, and
	// reset their MFA when it is on.
	Manage bool
	// Assignments lists every organisation, checked when a provider
	// technician or viewer works on it; nil when not offered.
	Assignments []assignment
}

// assignment is one organisation in a provider user's assignment form.
type assignment struct {
	Org     *tandem.Organization
	Checked bool
}

// invitationRow is a pending invitation with whether the viewer may revoke it.
type invitationRow struct {
	*tandem.Invitation
	Revoke bool
}

// peopleView is what people.html renders.
type peopleView struct {
	Path        string
	Provider    bool
	People      []personRow
	Invitations []invitationRow
	// Invite: the viewer may invite someone; Roles are the roles offered.
	Invite bool
	Roles  []tandem.Role
	// Link is the link of the invitation just created, shown once.
	Link    string
	Invited *tandem.Invitation
}

// peopleView loads a team's users and pending invitations.
func (s *Server) peopleView(ctx context.Context, a *tandem.Actor, t *team) (*peopleView, error) {
	v := &peopleView{Path: t.path(), Provider: t.Org == nil, Roles: t.roles()}
	filter := tandem.UserFilter{Limit: 500}
	invFilter := tandem.InvitationFilter{Pending: true, Limit: 500}
	if t.Org != nil {
		filter.OrganizationID, invFilter.OrganizationID = &t.Org.ID, &t.Org.ID
	} else {
		provider := tandem.PartyProvider
		filter.Party, invFilter.Party = &provider, &provider
	}
	var users []*tandem.User
	for {
		page, next, err := s.UserService.FindUsers(ctx, filter)
		if err != nil {
			return nil, err
		}
		users = append(users, page...)
		if filter.Cursor = next; next == "" {
			break
		}
	}
	var orgs []*tandem.Organization
	if t.Org == nil && a.Can(tandem.ActionProviderManage, 0) == nil {
		var err error
		if orgs, err = s.allOrganizations(ctx); err != nil {
			return nil, err
		}
	}
	for _, u := range users {
		row := personRow{User: u, Manage: u.ID != a.UserID && a.CanManageUser(u) == nil}
		if row.Manage && orgs != nil && u.Role != tandem.RoleAdmin {
			row.Assignments = make([]assignment, len(orgs))
			for i, o := range orgs {
				row.Assignments[i] = assignment{Org: o, Checked: slices.Contains(u.Organizations, o.ID)}
			}
		}
		v.People = append(v.People, row)
	}
	v.Invite = slices.ContainsFunc(v.Roles, func(role tandem.Role) bool { return a.CanManageUser(t.member(role)) == nil })
	invitations, _, err := s.InvitationService.FindInvitations(ctx, invFilter)
	if err != nil {
		return nil, err
	}
	for _, inv := range invitations {
		v.Invitations = append(v.Invitations, invitationRow{Invitation: inv, Revoke: a.CanManageUser(inv.User()) == nil})
	}
	return v, nil
}

// allOrganizations walks every page of the organisations in scope.
func (s *Server) allOrganizations(ctx context.Context) ([]*tandem.Organization, error) {
	var all []*tandem.Organization
	filter := tandem.OrganizationFilter{Limit: 500}
	for {
		page, next, err := s.OrganizationService.FindOrganizations(ctx, filter)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if filter.Cursor = next; next == "" {
			return all, nil
		}
	}
}

// renderPeople renders a team's page with data.Error or data.Notice already
// set. After a POST it tells htmx to show the page's own address, so a
// reload asks for the page rather than the action.
func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, data pageData, t *team, status int, edit func(*peopleView)) {
	v, err := s.peopleView(r.Context(), data.Actor, t)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if edit != nil {
		edit(v)
	}
	data.Title, data.Data = "People", v
	if data.Form == nil {
		data.Form = map[string]string{}
	}
	if t.Org != nil {
		data.Title = "People · " + t.Org.Name
	}
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", t.path())
	}
	s.render(w, r, status, "people", data)
}

// formError shows a refusal the viewer can act on (a bad field, a conflict, a
// missing right) on the page itself, and anything else as an error page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, data pageData, t *team, err error) {
	switch tandem.ErrorCode(err) {
	case tandem.EINVALID, tandem.ECONFLICT, tandem.EFORBIDDEN, tandem.EBADREQUEST:
		data.Error = tandem.ErrorMessage(err)
		s.renderPeople(w, r, data, t, ErrorStatus(tandem.ErrorCode(err)), nil)
	default:
		s.renderError(w, r, err, data)
	}
}

func (s *Server) handlePeople(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	s.renderPeople(w, r, data, t, http.StatusOK, nil)
}

// handlePeopleInvite creates an invitation and shows its link, once.
func (s *Server) handlePeopleInvite(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	inv := &tandem.Invitation{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: tandem.Role(r.PostFormValue("role"))}
	if t.Org != nil {
		inv.OrganizationID = &t.Org.ID
	}
	secret, err := s.InvitationService.CreateInvitation(r.Context(), inv)
	if err != nil {
		data.Form = map[string]string{"email": inv.Email, "name": inv.Name, "role": string(inv.Role)}
		s.formError(w, r, data, t, err)
		return
	}
	data.Notice = "Invitation for " + inv.Email + " created. Send them the link below: it works once, and this page will not show it again."
	link := s.baseURL(r) + invitationPath(secret)
	s.renderPeople(w, r, data, t, http.StatusOK, func(v *peopleView) { v.Link, v.Invited = link, inv })
}

// handlePersonRole changes a team member's role.
func (s *Server) handlePersonRole(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	role := tandem.Role(r.PostFormValue("role"))
	s.changePerson(w, r, data, t, tandem.UserUpdate{Role: &role})
}

// handlePersonActive deactivates or reactivates a team member. Deactivating
// ends their sessions and tokens at once (UserService.UpdateUser).
func (s *Server) handlePersonActive(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	active, err := strconv.ParseBool(r.PostFormValue("active"))
	if err != nil {
		s.formError(w, r, data, t, tandem.Errorf(tandem.EBADREQUEST, "Say whether the user should be active: true or false."))
		return
	}
	s.changePerson(w, r, data, t, tandem.UserUpdate{Active: &active})
}

// handlePersonOrganizations sets the organisations a provider technician or
// viewer works on.
func (s *Server) handlePersonOrganizations(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.formError(w, r, data, t, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read."))
		return
	}
	ids := []int64{}
	for _, v := range r.PostForm["org"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.formError(w, r, data, t, tandem.Errorf(tandem.EBADREQUEST, "Organisation %q is not an id.", v))
			return
		}
		ids = append(ids, id)
	}
	s.changePerson(w, r, data, t, tandem.UserUpdate{Organizations: &ids})
}

// handlePersonMFAReset turns off the second factor of a team member who lost
// it, and ends their sessions (MFAService.ResetMFA).
func (s *Server) handlePersonMFAReset(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	u, err := s.teamMember(r, t)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := s.MFAService.ResetMFA(r.Context(), u.ID); err != nil {
		s.formError(w, r, data, t, err)
		return
	}
	data.Notice = "Two-factor authentication of " + u.Email + " is reset and their sessions are ended. They sign in with their password and, where it is required, set up two-factor authentication again."
	s.renderPeople(w, r, data, t, http.StatusOK, nil)
}

// changePerson applies upd to the team member {id} and answers with a
// redirect to the page, or the page with the refusal.
func (s *Server) changePerson(w http.ResponseWriter, r *http.Request, data pageData, t *team, upd tandem.UserUpdate) {
	u, err := s.teamMember(r, t)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if _, err := s.UserService.UpdateUser(r.Context(), u.ID, upd); err != nil {
		s.formError(w, r, data, t, err)
		return
	}
	http.Redirect(w, r, t.path(), http.StatusSeeOther)
}

// teamMember finds the user {id} of the address among the team's members: a
// user of another team is not found here, even when the viewer may see them.
func (s *Server) teamMember(r *http.Request, t *team) (*tandem.User, error) {
	id, err := pathID(r, "user")
	if err != nil {
		return nil, err
	}
	u, err := s.UserService.FindUserByID(r.Context(), id)
	if err == nil && !t.owns(u) {
		err = tandem.Errorf(tandem.ENOTFOUND, "User not found.")
	}
	return u, err
}

// handleInvitationRevokeForm revokes a pending invitation of the team.
func (s *Server) handleInvitationRevokeForm(w http.ResponseWriter, r *http.Request, data pageData, t *team) {
	id, err := pathID(r, "invitation")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	inv, err := s.InvitationService.FindInvitationByID(r.Context(), id)
	if err == nil && !t.owns(inv.User()) {
		err = tandem.Errorf(tandem.ENOTFOUND, "Invitation not found.")
	}
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := s.InvitationService.RevokeInvitation(r.Context(), id); err != nil {
		s.formError(w, r, data, t, err)
		return
	}
	http.Redirect(w, r, t.path(), http.StatusSeeOther)
}

// baseURL is the scheme and host the request reached the server at, for
// links a user copies elsewhere.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		// Configured: never trust a Host header a proxy may pass through.
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + strings.TrimSuffix(r.Host, "/")
}
