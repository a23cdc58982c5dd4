package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

// The invitation acceptance page, /invite/{token}: the secret in the path is
// the credential, so it needs no session. Accepting creates the account and
// logs the new user in.

func (s *Server) handleInviteForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Accept invitation", Form: map[string]string{}}
	inv, err := s.InvitationService.CheckInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Form["name"], data.Data, data.Loc = inv.Name, inv, s.inviteeZone(r.Context(), inv)
	s.render(w, r, http.StatusOK, "invite", data)
}

func (s *Server) handleInviteAccept(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	r = r.WithContext(tandem.NewContextWithClient(r.Context(), clientOf(r)))
	token := r.PathValue("token")
	name := r.PostFormValue("name")
	data := pageData{Title: "Accept invitation", Form: map[string]string{"name": name}}
	inv, err := s.InvitationService.CheckInvitation(r.Context(), token)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Data, data.Loc = inv, s.inviteeZone(r.Context(), inv)
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		data.Error = "The two passwords differ; type the same password twice."
		s.render(w, r, http.StatusUnprocessableEntity, "invite", data)
		return
	}
	u, err := s.InvitationService.AcceptInvitation(r.Context(), token, name, password)
	switch tandem.ErrorCode(err) {
	case "":
	case tandem.EINVALID, tandem.ECONFLICT:
		data.Error = tandem.ErrorMessage(err)
		s.render(w, r, ErrorStatus(tandem.ErrorCode(err)), "invite", data)
		return
	default:
		s.renderError(w, r, err, data)
		return
	}
	s.startSession(w, r, u.ID, data)
}
