package http

import "net/http"

// registerPeopleRoutes registers invitations, team management and API
// tokens: the JSON API (api_invitation.go, api_token.go) and the pages
// (ui_people.go, ui_invitation.go, ui_tokens.go).
func (s *Server) registerPeopleRoutes() {
	s.registerInvitationRoutes()
	s.registerTokenRoutes()

	for _, p := range []struct {
		prefix  string
		resolve func(*http.Request, pageData) (*team, error)
	}{
		{"/orgs/{slug}/people", s.orgTeam},
		{"/provider/people", s.providerTeam},
	} {
		s.handle("GET "+p.prefix, s.page(s.withTeam(p.resolve, s.handlePeople)))
		s.handle("POST "+p.prefix, s.page(s.withTeam(p.resolve, s.handlePeopleInvite)))
		s.handle("POST "+p.prefix+"/{id}/role", s.page(s.withTeam(p.resolve, s.handlePersonRole)))
		s.handle("POST "+p.prefix+"/{id}/active", s.page(s.withTeam(p.resolve, s.handlePersonActive)))
		s.handle("POST "+p.prefix+"/{id}/mfa-reset", s.page(s.withTeam(p.resolve, s.handlePersonMFAReset)))
		s.handle("POST "+p.prefix+"/invitations/{id}/revoke", s.page(s.withTeam(p.resolve, s.handleInvitationRevokeForm)))
	}
	s.handle("POST /provider/people/{id}/organizations", s.page(s.withTeam(s.providerTeam, s.handlePersonOrganizations)))

	s.handle("GET /invite/{token}", s.handleInviteForm)
	s.handle("POST /invite/{token}", s.handleInviteAccept)

	s.handle("GET /account/tokens", s.page(s.handleTokensPage))
	s.handle("POST /account/tokens", s.page(s.handleTokensCreate))
	s.handle("POST /account/tokens/{id}/revoke", s.page(s.handleTokensRevoke))
}
