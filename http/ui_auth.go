package http

import (
	"net/http"
	"strings"

	"github.com/tandemhq/tandem"
)

func (s *Server) setSessionCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// startSession logs the user in: a new server-side session, its cookie, and
// a redirect home.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64, data pageData) {
	session, err := s.SessionService.CreateSession(r.Context(), userID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	s.setSessionCookie(w, session, 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Log in", Form: map[string]string{}})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	email := strings.TrimSpace(r.PostFormValue("email"))
	data := pageData{Title: "Log in", Form: map[string]string{"email": email}}
	u, err := s.UserService.Authenticate(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			s.renderError(w, r, err, data)
			return
		}
		data.Error = tandem.ErrorMessage(err)
		s.render(w, r, http.StatusUnauthorized, "login", data)
		return
	}
	s.startSession(w, r, u.ID, data)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.SessionService.DeleteSession(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err, pageData{})
			return
		}
	}
	s.setSessionCookie(w, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Set up Tandem", Form: map[string]string{}}
	if err := s.SetupService.CheckSetupToken(r.Context(), r.PathValue("token")); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	s.render(w, r, http.StatusOK, "setup", data)
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	u := &tandem.User{Name: r.PostFormValue("name"), Email: r.PostFormValue("email")}
	data := pageData{Title: "Set up Tandem", Form: map[string]string{"name": u.Name, "email": u.Email}}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		data.Error = "The two passwords differ; type the same password twice."
		s.render(w, r, http.StatusUnprocessableEntity, "setup", data)
		return
	}
	err := s.SetupService.CompleteSetup(r.Context(), r.PathValue("token"), u, password)
	switch tandem.ErrorCode(err) {
	case "":
	case tandem.EINVALID, tandem.ECONFLICT:
		data.Error = tandem.ErrorMessage(err)
		s.render(w, r, ErrorStatus(tandem.ErrorCode(err)), "setup", data)
		return
	default:
		s.renderError(w, r, err, data)
		return
	}
	s.startSession(w, r, u.ID, data)
}
