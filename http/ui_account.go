package http

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/pquerna/otp"

	"github.com/tandemhq/tandem"
)

// The account pages, under /account: a user's own password, sessions and
// second factor (API tokens, /account/tokens, live in ui_tokens.go); and the
// security settings of an organisation (/orgs/{slug}/settings) and of the
// provider (/provider/settings): whether MFA is required.
func (s *Server) registerAccountRoutes() {
	s.handle("GET /account", s.page(s.handleAccount))
	s.handle("GET /account/password", s.page(s.handlePasswordForm))
	s.handle("POST /account/password", s.page(s.handlePasswordChange))
	s.handle("GET /account/sessions", s.page(s.handleSessions))
	s.handle("POST /account/sessions/{id}/end", s.page(s.handleSessionEnd))
	s.handle("POST /account/sessions/end-others", s.page(s.handleSessionsEndOthers))
	s.handle("GET /account/mfa", s.page(s.handleMFA))
	s.handle("POST /account/mfa", s.page(s.handleMFAEnable))
	s.handle("POST /account/mfa/recovery-codes", s.page(s.handleMFARecoveryCodes))
	s.handle("POST /account/mfa/disable", s.page(s.handleMFADisable))
	s.handle("GET /orgs/{slug}/settings", s.page(s.handleOrganizationSettings))
	s.handle("POST /orgs/{slug}/settings", s.page(s.handleOrganizationSettingsSave))
	s.handle("GET /provider/settings", s.page(s.handleProviderSettings))
	s.handle("POST /provider/settings", s.page(s.handleProviderSettingsSave))
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, data pageData) {
	status, err := s.MFAService.MFAStatus(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title, data.Data = "Your account", status
	s.render(w, r, http.StatusOK, "account", data)
}

// Password.

func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request, data pageData) {
	data.Title = "Change password"
	s.render(w, r, http.StatusOK, "account_password", data)
}

func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	data.Title = "Change password"
	next := r.PostFormValue("password")
	if next != r.PostFormValue("confirm") {
		data.Error = "The two new passwords differ; type the same password twice."
		s.render(w, r, http.StatusUnprocessableEntity, "account_password", data)
		return
	}
	if err := s.UserService.ChangePassword(r.Context(), r.PostFormValue("current"), next); err != nil {
		s.renderFormError(w, r, "account_password", err, data)
		return
	}
	data.Notice = "Your password is changed. Your other sessions were ended; this one goes on."
	s.render(w, r, http.StatusOK, "account_password", data)
}

// Sessions.

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request, data pageData) {
	list, err := s.SessionService.FindSessions(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title, data.Data = "Your sessions", list
	s.render(w, r, http.StatusOK, "account_sessions", data)
}

func (s *Server) handleSessionEnd(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderError(w, r, tandem.Errorf(tandem.ENOTFOUND, "Session not found."), data)
		return
	}
	if err := s.SessionService.RevokeSession(r.Context(), id); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if id == data.Actor.SessionID { // ending this session is logging out
		s.setSessionCookie(w, "", -1)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}

func (s *Server) handleSessionsEndOthers(w http.ResponseWriter, r *http.Request, data pageData) {
	if _, err := s.SessionService.RevokeOtherSessions(r.Context()); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}

// Two-factor authentication.

// mfaPage is what account_mfa.html shows: the status, and either the key to
// enrol (as text and QR code) or, right after enrolling or regenerating, the
// recovery codes, shown this once.
type mfaPage struct {
	Status        *tandem.MFAStatus
	Key           *tandem.MFAKey
	QRCode        template.URL
	RecoveryCodes []string
}

// renderMFA shows the MFA page. Without MFA it offers a key: a new one, or
// the one whose secret the form sent back after a mistyped code.
func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, data pageData, secret string, codes []string) {
	p := &mfaPage{RecoveryCodes: codes}
	var err error
	if p.Status, err = s.MFAService.MFAStatus(r.Context()); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if !p.Status.Enabled {
		if p.Key, err = s.MFAService.MFAKey(r.Context(), secret); err != nil {
			s.renderError(w, r, err, data)
			return
		}
		if p.QRCode, err = qrCode(p.Key.URL); err != nil {
			s.renderError(w, r, err, data)
			return
		}
	}
	data.Title, data.Data = "Two-factor authentication", p
	s.render(w, r, status, "account_mfa", data)
}

// qrCode draws an otpauth:// URL as a QR code in a PNG data: URI, which the
// Content-Security-Policy allows (img-src data:) and no third party sees.
func qrCode(url string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

func (s *Server) handleMFA(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderMFA(w, r, http.StatusOK, data, "", nil)
}

func (s *Server) handleMFAEnable(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	secret := r.PostFormValue("secret")
	codes, err := s.MFAService.EnableMFA(r.Context(), r.PostFormValue("password"), secret, r.PostFormValue("code"))
	if err != nil {
		if _, kerr := s.MFAService.MFAKey(r.Context(), secret); kerr != nil {
			secret = "" // a malformed key: offer a new one
		}
		s.renderMFAError(w, r, data, secret, err)
		return
	}
	data.Notice = "Two-factor authentication is on."
	s.renderMFA(w, r, http.StatusOK, data, "", codes)
}

func (s *Server) handleMFARecoveryCodes(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	codes, err := s.MFAService.RegenerateRecoveryCodes(r.Context(), r.PostFormValue("password"), r.PostFormValue("code"))
	if err != nil {
		s.renderMFAError(w, r, data, "", err)
		return
	}
	data.Notice = "New recovery codes are below; the old ones no longer work."
	s.renderMFA(w, r, http.StatusOK, data, "", codes)
}

func (s *Server) handleMFADisable(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := s.MFAService.DisableMFA(r.Context(), r.PostFormValue("password"), r.PostFormValue("code")); err != nil {
		s.renderMFAError(w, r, data, "", err)
		return
	}
	data.Notice = "Two-factor authentication is off."
	s.renderMFA(w, r, http.StatusOK, data, "", nil)
}

// renderMFAError shows the MFA page again with a form's error, its status
// and, when throttled, Retry-After. Without MFA the page offers the key with
// the given secret again (a new key when it is empty), so that a mistyped
// password or code does not mean scanning another QR code.
func (s *Server) renderMFAError(w http.ResponseWriter, r *http.Request, data pageData, secret string, err error) {
	switch tandem.ErrorCode(err) {
	case tandem.EINVALID, tandem.EFORBIDDEN, tandem.ETOOMANY:
		setRetryAfter(w, err)
		data.Error = tandem.ErrorMessage(err)
		s.renderMFA(w, r, ErrorStatus(tandem.ErrorCode(err)), data, secret, nil)
	default:
		s.renderError(w, r, err, data)
	}
}

// Security settings.

// settingsPage is what settings.html shows for an organisation or the provider.
type settingsPage struct {
	// Of names whose users the setting covers ("Acme's users", "provider staff").
	Of         string
	Action     string
	RequireMFA bool
	// TimeZone is the provider's zone setting; empty on an organisation's
	// page, whose users see times in its calendar's zone.
	TimeZone string
	// Now is the instant the page was made, shown in the viewer's zone.
	Now time.Time
	// CanChange says whether the form is live; the service decides anyway.
	CanChange bool
}

func (s *Server) handleOrganizationSettings(w http.ResponseWriter, r *http.Request, data pageData) {
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	required, err := s.MFAService.OrganizationRequiresMFA(r.Context(), org.ID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title, data.Current = org.Name+" settings", org
	data.Data = &settingsPage{
		Of: org.Name + "'s users", Action: "/orgs/" + org.Slug + "/settings", RequireMFA: required, Now: time.Now(),
		CanChange: data.Actor.Can(tandem.ActionOrganizationUpdate, org.ID) == nil,
	}
	s.render(w, r, http.StatusOK, "settings", data)
}

func (s *Server) handleOrganizationSettingsSave(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := s.MFAService.SetOrganizationRequiresMFA(r.Context(), org.ID, r.PostFormValue("require_mfa") == "on"); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/orgs/"+org.Slug+"/settings", http.StatusSeeOther)
}

func (s *Server) handleProviderSettings(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderProviderSettings(w, r, http.StatusOK, data, nil)
}

// renderProviderSettings shows the provider's settings; after a refused
// save, with the zone as typed (edit) and data.Error set.
func (s *Server) renderProviderSettings(w http.ResponseWriter, r *http.Request, status int, data pageData, edit func(*settingsPage)) {
	if data.Actor.Party != tandem.PartyProvider {
		s.renderError(w, r, data.Actor.Can(tandem.ActionProviderManage, 0), data)
		return
	}
	required, err := s.MFAService.ProviderRequiresMFA(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	provider, err := s.OrganizationService.FindProvider(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title = "Provider settings"
	p := &settingsPage{
		Of: "provider staff", Action: "/provider/settings", RequireMFA: required, TimeZone: provider.TimeZone, Now: time.Now(),
		CanChange: data.Actor.Can(tandem.ActionProviderManage, 0) == nil,
	}
	if edit != nil {
		edit(p)
	}
	data.Data = p
	s.render(w, r, status, "settings", data)
}

// handleProviderSettingsSave stores the zone first: a zone that is no zone
// refuses the whole form, before anything changed.
func (s *Server) handleProviderSettingsSave(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	required := r.PostFormValue("require_mfa") == "on"
	if zone, ok := r.PostForm["time_zone"]; ok {
		if _, err := s.OrganizationService.UpdateProvider(r.Context(), tandem.ProviderUpdate{TimeZone: &zone[0]}); err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				s.renderError(w, r, err, data)
				return
			}
			data.Error = tandem.ErrorMessage(err)
			s.renderProviderSettings(w, r, ErrorStatus(tandem.EINVALID), data, func(p *settingsPage) {
				p.TimeZone, p.RequireMFA = zone[0], required
			})
			return
		}
	}
	if err := s.MFAService.SetProviderRequiresMFA(r.Context(), required); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/provider/settings", http.StatusSeeOther)
}
