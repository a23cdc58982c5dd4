package http

import (
	"net/http"
	"strings"

	"github.com/tandemhq/tandem"
)

// Password reset by email: /password/forgot asks for the address and
// always answers the same, whether an account uses it or not;
// /password/reset?token=… sets a new password with the emailed link's
// token, which is the credential, so neither page needs a session.

func (s *Server) registerPasswordResetRoutes() {
	s.handle("GET /password/forgot", s.handleForgotForm)
	s.handle("POST /password/forgot", s.handleForgot)
	s.handle("GET /password/reset", s.handleResetForm)
	s.handle("POST /password/reset", s.handleReset)
}

// resetSent is the one answer to a reset request.
const resetSent = "If an account uses that address, we sent it a link valid for 30 minutes."

func (s *Server) handleForgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password_forgot", pageData{Title: "Forgot your password?", Form: map[string]string{}})
}

func (s *Server) handleForgot(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	email := strings.TrimSpace(r.PostFormValue("email"))
	data := pageData{Title: "Forgot your password?", Form: map[string]string{"email": email}}
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	if err := s.PasswordResetService.RequestPasswordReset(ctx, email); err != nil {
		s.renderFormError(w, r, "password_forgot", err, data)
		return
	}
	data.Notice = resetSent
	s.render(w, r, http.StatusOK, "password_forgot", data)
}

func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Choose a new password", Form: map[string]string{"token": r.URL.Query().Get("token")}}
	if data.Form["token"] == "" {
		data.Error, data.Form["expired"] = "This page needs the link from a password reset email; ask for one.", "1"
		s.render(w, r, http.StatusUnauthorized, "password_reset", data)
		return
	}
	s.render(w, r, http.StatusOK, "password_reset", data)
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	data := pageData{Title: "Choose a new password", Form: map[string]string{"token": r.PostFormValue("token")}}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		data.Error = "The two passwords differ; type the same password twice."
		s.render(w, r, http.StatusUnprocessableEntity, "password_reset", data)
		return
	}
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	if err := s.PasswordResetService.ResetPassword(ctx, data.Form["token"], password); err != nil {
		if tandem.ErrorCode(err) == tandem.EUNAUTHORIZED {
			data.Form["expired"] = "1"
		}
		s.renderFormError(w, r, "password_reset", err, data)
		return
	}
	// Every session of the account ended, this browser's too.
	s.setSessionCookie(w, "", -1)
	data.Form["done"], data.Notice = "1", "Your new password is set."
	s.render(w, r, http.StatusOK, "password_reset", data)
}
