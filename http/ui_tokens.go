package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
)

// The API tokens page, /account/tokens: a user lists, creates and revokes
// their own tokens. A new token's secret is shown once.

// tokenExpiry is a lifetime offered by the token form.
type tokenExpiry struct {
	Value, Label string
	TTL          time.Duration // zero: never expires
}

var tokenExpiries = []tokenExpiry{
	{"7d", "7 days", 7 * 24 * time.Hour},
	{"30d", "30 days", 30 * 24 * time.Hour},
	{"90d", "90 days", 90 * 24 * time.Hour},
	{"365d", "1 year", 365 * 24 * time.Hour},
	{"never", "Never", 0},
}

// tokenRow is one token in the list, with the name of its organisation.
type tokenRow struct {
	*tandem.Token
	Organization string
}

// tokensView is what tokens.html renders.
type tokensView struct {
	Tokens   []tokenRow
	Expiries []tokenExpiry
	// Secret is the secret of the token just created, shown once.
	Secret  string
	Created *tandem.Token
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, data pageData, status int, edit func(*tokensView)) {
	tokens, err := s.TokenService.ListTokens(r.Context(), data.Actor.UserID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	names := map[int64]string{}
	for _, o := range data.Organizations {
		names[o.ID] = o.Name
	}
	v := &tokensView{Expiries: tokenExpiries}
	for _, t := range tokens {
		row := tokenRow{Token: t}
		if t.OrganizationID != nil {
			if row.Organization = names[*t.OrganizationID]; row.Organization == "" {
				row.Organization = "organisation " + strconv.FormatInt(*t.OrganizationID, 10)
			}
		}
		v.Tokens = append(v.Tokens, row)
	}
	if edit != nil {
		edit(v)
	}
	data.Title, data.Data = "API tokens", v
	if data.Form == nil {
		data.Form = map[string]string{"expires": "30d"}
	}
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", "/account/tokens")
	}
	s.render(w, r, status, "tokens", data)
}

func (s *Server) handleTokensPage(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderTokens(w, r, data, http.StatusOK, nil)
}

func (s *Server) handleTokensCreate(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	form := map[string]string{"name": r.PostFormValue("name"), "expires": r.PostFormValue("expires"),
		"read_only": r.PostFormValue("read_only"), "organization": r.PostFormValue("organization")}
	fail := func(err error) {
		switch tandem.ErrorCode(err) {
		case tandem.EINVALID, tandem.EBADREQUEST, tandem.EFORBIDDEN:
			data.Error, data.Form = tandem.ErrorMessage(err), form
			s.renderTokens(w, r, data, ErrorStatus(tandem.ErrorCode(err)), nil)
		default:
			s.renderError(w, r, err, data)
		}
	}
	opts := tandem.TokenOptions{Name: form["name"], ReadOnly: form["read_only"] != ""}
	found := false
	for _, e := range tokenExpiries {
		if e.Value == form["expires"] {
			found = true
			if e.TTL > 0 {
				at := time.Now().Add(e.TTL).UTC()
				opts.ExpiresAt = &at
			}
		}
	}
	if !found {
		fail(tandem.Errorf(tandem.EINVALID, "Choose how long the token lasts."))
		return
	}
	if v := form["organization"]; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fail(tandem.Errorf(tandem.EINVALID, "Organisation %q is not an id.", v))
			return
		}
		opts.OrganizationID = &id
	}
	t, secret, err := s.TokenService.CreateToken(r.Context(), data.Actor.UserID, opts)
	if err != nil {
		fail(err)
		return
	}
	data.Notice = "Token " + t.Name + " created. Copy it now: this page will not show it again."
	s.renderTokens(w, r, data, http.StatusOK, func(v *tokensView) { v.Secret, v.Created = secret, t })
}

func (s *Server) handleTokensRevoke(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "token")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := s.TokenService.RevokeToken(r.Context(), id); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/account/tokens", http.StatusSeeOther)
}
