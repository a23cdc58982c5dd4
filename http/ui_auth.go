package http

import (
	"net/http"
	"strings"

	"github.com/tandemhq/tandem"
)

// Logging in: email and password (POST /login), then, for users with MFA, a
// code from their authenticator or a recovery code (POST /login/mfa). The
// session exists from the first step but acts for nobody until the second.

func (s *Server) setSessionCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clientOf describes where a request comes from, for the login throttle, the
// audit trail and the user's list of sessions.
func clientOf(r *http.Request) tandem.Client {
	return tandem.Client{Addr: sourceAddr(r), UserAgent: r.UserAgent()}
}

// startSession logs the user in: a new server-side session, its cookie, and
// a redirect to its second factor when it needs one, else to where the
// visitor was going (takeReturn), from where page() sends a user who must
// enrol MFA to /account/mfa.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64, data pageData) {
	session, err := s.SessionService.CreateSession(tandem.NewContextWithClient(r.Context(), clientOf(r)), userID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	s.setSessionCookie(w, session, 0)
	if state, err := s.SessionService.ResolveSession(r.Context(), session); err == nil && state.AwaitingMFA {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, s.takeReturn(w, r), http.StatusSeeOther)
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Log in", Form: map[string]string{}})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	email := strings.TrimSpace(r.PostFormValue("email"))
	data := pageData{Title: "Log in", Form: map[string]string{"email": email}}
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	u, err := s.UserService.Authenticate(ctx, email, r.PostFormValue("password"))
	if err != nil {
		s.renderFormError(w, r, "login", err, data)
		return
	}
	s.startSession(w, r, u.ID, data)
}

// renderFormError shows a form again with the error's message and status
// (401 for wrong credentials, 422 for a rule broken, 429 with Retry-After
// when throttled); internal errors get the error page.
func (s *Server) renderFormError(w http.ResponseWriter, r *http.Request, name string, err error, data pageData) {
	if code := tandem.ErrorCode(err); code == tandem.EINTERNAL || code == tandem.EUNAVAILABLE {
		s.renderError(w, r, err, data)
		return
	}
	setRetryAfter(w, err)
	data.Error = tandem.ErrorMessage(err)
	s.render(w, r, ErrorStatus(tandem.ErrorCode(err)), name, data)
}

// pendingLogin returns the session cookie of a login awaiting its second
// factor, or redirects: to /login when there is none, home when the session
// is already signed in.
func (s *Server) pendingLogin(w http.ResponseWriter, r *http.Request) (string, *tandem.SessionState, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return "", nil, false
	}
	state, err := s.SessionService.ResolveSession(r.Context(), c.Value)
	switch {
	case tandem.ErrorCode(err) == tandem.EINTERNAL:
		s.renderError(w, r, err, pageData{})
		return "", nil, false
	case err != nil:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return "", nil, false
	case !state.AwaitingMFA:
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return "", nil, false
	}
	return c.Value, state, true
}

func (s *Server) handleLoginMFAForm(w http.ResponseWriter, r *http.Request) {
	if _, state, ok := s.pendingLogin(w, r); ok {
		s.render(w, r, http.StatusOK, "login_mfa", pageData{Title: "Two-factor authentication", Data: state.Email})
	}
}

func (s *Server) handleLoginMFA(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	cookie, state, ok := s.pendingLogin(w, r)
	if !ok {
		return
	}
	data := pageData{Title: "Two-factor authentication", Data: state.Email}
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	next, err := s.SessionService.VerifyMFA(ctx, cookie, r.PostFormValue("code"))
	switch tandem.ErrorCode(err) {
	case "":
		s.setSessionCookie(w, next, 0)
		http.Redirect(w, r, s.takeReturn(w, r), http.StatusSeeOther)
	case tandem.EUNAUTHORIZED: // the login expired or ended: start again
		s.setSessionCookie(w, "", -1)
		s.renderFormError(w, r, "login", err, pageData{Title: "Log in", Form: map[string]string{"email": state.Email}})
	default:
		s.renderFormError(w, r, "login_mfa", err, data)
	}
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
	// The first admin is provider staff: unless the provider stops requiring
	// MFA, page() sends them to set it up before anything else.
	s.startSession(w, r, u.ID, data)
}
