package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tandemhq/tandem"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/internal/testserver"
)

// uiClient is a browser without a browser: it keeps cookies and shows
// redirects instead of following them.
type uiClient struct {
	s      *testserver.Server
	client *http.Client
	// header is sent with every request (Origin, Sec-Fetch-Site).
	header http.Header
}

func newUIClient(t *testing.T, s *testserver.Server) *uiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &uiClient{s: s, header: http.Header{}, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *uiClient) get(t *testing.T, path string) *response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil)
}

// post sends a form given as name, value pairs.
func (c *uiClient) post(t *testing.T, path string, fields ...string) *response {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return c.do(t, http.MethodPost, path, strings.NewReader(form.Encode()))
}

func (c *uiClient) do(t *testing.T, method, path string, body io.Reader) *response {
	t.Helper()
	req, err := http.NewRequest(method, c.s.HTTPServer.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// cookie returns the client's session cookie, "" when it has none.
func (c *uiClient) cookie() string {
	u, _ := url.Parse(c.s.HTTPServer.URL())
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == tandemhttp.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

// wantRedirect fails unless the answer is 303 See Other to location.
func (r *response) wantRedirect(t *testing.T, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Fatalf("status %d, Location %q; want a redirect to %s", r.Status, r.Header.Get("Location"), location)
	}
}

// wantPage fails unless the answer is an HTML page with the status holding
// every one of the texts.
func (r *response) wantPage(t *testing.T, status int, texts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.Status, status, r.Body)
	}
	for _, s := range texts {
		if !strings.Contains(string(r.Body), s) {
			t.Errorf("page does not say %q:\n%s", s, r.Body)
		}
	}
}

// login logs the client in with a password and expects the first redirect.
func (c *uiClient) login(t *testing.T, email, password string) {
	t.Helper()
	c.post(t, "/login", "email", email, "password", password).wantRedirect(t, "/")
}

// enrolMFA sets up MFA for u, whose password is uiPassword, through the
// services, as the MFA page would, and returns the TOTP secret. The code used is the current one; log in with
// a code of the next step (nextCode).
func enrolMFA(t *testing.T, s *testserver.Server, u *tandem.User) string {
	t.Helper()
	plain, err := s.Services.Sessions.CreateSession(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Services.Sessions.ActorForSession(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tandem.NewContextWithActor(context.Background(), a)
	key, err := s.Services.MFA.MFAKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Services.MFA.EnableMFA(ctx, uiPassword, key.Secret, code(t, key.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	return key.Secret
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextCode is the code of the next 30-second step: accepted (one step of
// skew) and never used yet, even when a code of the current step was.
func nextCode(t *testing.T, secret string) string {
	return code(t, secret, time.Now().Add(30*time.Second))
}

func TestLoginThrottleHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		org := s.MustCreateOrganization(t, "Acme")
		u := s.MustCreateUser(t, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)

		t.Run("PerAccount", func(t *testing.T) {
			s.Services.Users.Throttle.PerAccount = 3
			c := newUIClient(t, s)
			for range 3 {
				c.post(t, "/login", "email", u.Email, "password", "wrong password!").wantPage(t, http.StatusUnauthorized, "Email or password is wrong.")
			}
			// The right password is refused now, without being checked.
			res := c.post(t, "/login", "email", u.Email, "password", uiPassword)
			res.wantPage(t, http.StatusTooManyRequests, "Too many failed attempts", "60 minutes", `value="it@acme.test"`)
			if got := res.Header.Get("Retry-After"); got != "3600" {
				t.Errorf("Retry-After = %q, want 3600", got)
			}
			if c.cookie() != "" {
				t.Error("a throttled login set a session cookie")
			}
			s.Services.Users.Throttle.PerAccount = tandem.LoginFailuresPerAccount
		})

		t.Run("PerAddress", func(t *testing.T) {
			s.Services.Users.Throttle.PerAddress = 5 // 3 failures above, from 127.0.0.1 too
			c := newUIClient(t, s)
			c.post(t, "/login", "email", "someone@else.test", "password", "wrong password!").wantPage(t, http.StatusUnauthorized)
			c.post(t, "/login", "email", "another@else.test", "password", "wrong password!").wantPage(t, http.StatusUnauthorized)
			res := c.post(t, "/login", "email", u.Email, "password", uiPassword)
			res.wantPage(t, http.StatusTooManyRequests)
			if got := res.Header.Get("Retry-After"); got == "" {
				t.Error("no Retry-After on a throttled login")
			}
		})
	})
}

// A session awaiting its second factor is no session: every page sends it
// to /login/mfa until a code is given.
func TestLoginMFAHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		org := s.MustCreateOrganization(t, "Acme")
		u := s.MustCreateUser(t, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)
		secret := enrolMFA(t, s, u)

		c := newUIClient(t, s)
		c.post(t, "/login", "email", u.Email, "password", uiPassword).wantRedirect(t, "/login/mfa")
		pending := c.cookie()
		for _, path := range []string{"/", "/account", "/account/sessions", "/account/mfa", "/orgs/" + org.Slug, "/account/tokens"} {
			c.get(t, path).wantRedirect(t, "/login/mfa")
		}
		c.post(t, "/account/password", "current", uiPassword, "password", "a new long password", "confirm", "a new long password").wantRedirect(t, "/login/mfa")
		c.get(t, "/login/mfa").wantPage(t, http.StatusOK, "Logging in as it@acme.test")

		c.post(t, "/login/mfa", "code", "000000").wantPage(t, http.StatusUnprocessableEntity, "That code is wrong")
		c.post(t, "/login/mfa", "code", nextCode(t, secret)).wantRedirect(t, "/")
		if got := c.cookie(); got == pending || got == "" {
			t.Errorf("session cookie after the second factor = %q; want a new secret", got)
		}
		c.get(t, "/account").wantPage(t, http.StatusOK, "Your account")
		c.get(t, "/login/mfa").wantRedirect(t, "/")

		// Without any session, the MFA form leads back to the login.
		newUIClient(t, s).get(t, "/login/mfa").wantRedirect(t, "/login")

		// Ten wrong codes within the hour, and the next attempt is refused
		// (429) without being checked; the right code given in between does
		// not lift the limit. One wrong code was given above.
		c = newUIClient(t, s)
		c.post(t, "/login", "email", u.Email, "password", uiPassword).wantRedirect(t, "/login/mfa")
		for range tandem.SecondFactorFailuresPerAccount - 2 {
			c.post(t, "/login/mfa", "code", "000000").wantPage(t, http.StatusUnprocessableEntity, "That code is wrong")
		}
		c.post(t, "/login/mfa", "code", "123456789").wantPage(t, http.StatusUnprocessableEntity, "That code is wrong") // a recovery code's guess counts too
		res := c.post(t, "/login/mfa", "code", nextCode(t, secret))
		res.wantPage(t, http.StatusTooManyRequests, "Too many failed attempts", "minutes", "Logging in as it@acme.test")
		if got, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || got < 3500 || got > 3600 {
			t.Errorf("Retry-After = %q, want about 3600", res.Header.Get("Retry-After"))
		}
		if _, err := s.Services.Sessions.ActorForSession(context.Background(), c.cookie()); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("throttled login's session acts: %v", err)
		}
	})
}

// Provider staff must set up MFA before anything else, by default.
func TestRequiredMFAHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		admin := s.MustCreateUser(t, &tandem.User{Email: "admin@msp.test", Role: tandem.RoleAdmin}, uiPassword)
		c := newUIClient(t, s)
		c.login(t, admin.Email, uiPassword)
		for _, path := range []string{"/", "/account", "/account/sessions", "/provider/settings"} {
			c.get(t, path).wantRedirect(t, "/account/mfa")
		}
		res := c.get(t, "/account/mfa")
		res.wantPage(t, http.StatusOK, "requires two-factor authentication", `src="data:image/png;base64,`)
		secret := regexp.MustCompile(`id="mfa-secret">([A-Z2-7]{32})<`).FindSubmatch(res.Body)
		if secret == nil {
			t.Fatalf("no key on the page:\n%s", res.Body)
		}
		if !strings.Contains(string(res.Body), `<input type="password" name="password" autocomplete="current-password" required>`) {
			t.Errorf("enrolment form asks for no password:\n%s", res.Body)
		}
		// A mistyped code shows the same key again.
		res = c.post(t, "/account/mfa", "secret", string(secret[1]), "code", "000000", "password", uiPassword)
		res.wantPage(t, http.StatusUnprocessableEntity, "That code does not match", string(secret[1]))
		// So does a wrong password, or none: whoever holds the session must
		// also know the password to enrol an authenticator.
		for _, password := range []string{"not the password", ""} {
			res = c.post(t, "/account/mfa", "secret", string(secret[1]), "code", code(t, string(secret[1]), time.Now()), "password", password)
			res.wantPage(t, http.StatusUnprocessableEntity, "The password is wrong.", string(secret[1]))
		}

		res = c.post(t, "/account/mfa", "secret", string(secret[1]), "code", code(t, string(secret[1]), time.Now()), "password", uiPassword)
		res.wantPage(t, http.StatusOK, "Your recovery codes", "Two-factor authentication is <strong>on</strong>")
		if n := len(regexp.MustCompile(`<li><code>[A-Z2-7]{4}(-[A-Z2-7]{4}){3}</code></li>`).FindAll(res.Body, -1)); n != tandem.RecoveryCodeCount {
			t.Errorf("page shows %d recovery codes, want %d", n, tandem.RecoveryCodeCount)
		}
		c.get(t, "/account").wantPage(t, http.StatusOK, "Your account")
		// New recovery codes take the password too.
		c.post(t, "/account/mfa/recovery-codes", "password", "not the password", "code", nextCode(t, string(secret[1]))).
			wantPage(t, http.StatusUnprocessableEntity, "The password or the code is wrong.")
		c.post(t, "/account/mfa/recovery-codes", "password", uiPassword, "code", nextCode(t, string(secret[1]))).
			wantPage(t, http.StatusOK, "New recovery codes are below", "Your recovery codes")
		// Required MFA cannot be turned off.
		c.get(t, "/account/mfa").wantPage(t, http.StatusOK, "as Northwind MSP requires")
		c.post(t, "/account/mfa/disable", "password", uiPassword, "code", nextCode(t, string(secret[1]))).wantPage(t, http.StatusForbidden, "requires two-factor authentication")

		// The provider admin may lift the requirement.
		c.get(t, "/provider/settings").wantPage(t, http.StatusOK, "Require two-factor authentication of provider staff", "checked")
		c.post(t, "/provider/settings").wantRedirect(t, "/provider/settings")
		if required, err := s.Services.MFA.ProviderRequiresMFA(testserver.SystemContext()); err != nil || required {
			t.Fatalf("ProviderRequiresMFA = %v, %v after unchecking", required, err)
		}
	})
}

func TestAccountSessionsHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		org := s.MustCreateOrganization(t, "Acme")
		u := s.MustCreateUser(t, &tandem.User{Email: "tech@acme.test", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, uiPassword)
		laptop, phone, tablet := newUIClient(t, s), newUIClient(t, s), newUIClient(t, s)
		for _, c := range []*uiClient{laptop, phone, tablet} {
			c.login(t, u.Email, uiPassword)
		}

		res := laptop.get(t, "/account/sessions")
		res.wantPage(t, http.StatusOK, "This session", "127.0.0.1", "Go-http-client")
		if n := strings.Count(string(res.Body), `action="/account/sessions/`) - 1; n != 3 {
			t.Errorf("sessions page lists %d sessions, want 3", n)
		}

		// Ending one session signs that browser out only.
		id := regexp.MustCompile(`<tr>\s*<td>[^\n]*</td>\s*<td>[^\n]*</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td class="actions">\s*<form method="post" action="/account/sessions/(\d+)/end"`).FindSubmatch(res.Body)
		if id == nil {
			t.Fatalf("no other session on the page:\n%s", res.Body)
		}
		laptop.post(t, "/account/sessions/"+string(id[1])+"/end").wantRedirect(t, "/account/sessions")
		ended := 0
		for _, c := range []*uiClient{phone, tablet} {
			if c.get(t, "/account").Status == http.StatusSeeOther {
				ended++
			}
		}
		if ended != 1 {
			t.Fatalf("ending one session signed %d browsers out", ended)
		}

		// A password change ends the other sessions, not this one.
		other := newUIClient(t, s)
		other.login(t, u.Email, uiPassword)
		laptop.post(t, "/account/password", "current", uiPassword, "password", "a brand new passphrase", "confirm", "a brand new passphrase").
			wantPage(t, http.StatusOK, "Your password is changed")
		other.get(t, "/account").wantRedirect(t, "/login")
		laptop.get(t, "/account").wantPage(t, http.StatusOK)
		laptop.post(t, "/account/password", "current", "wrong", "password", "another new passphrase", "confirm", "another new passphrase").
			wantPage(t, http.StatusUnprocessableEntity, "The current password is wrong.")
		laptop.post(t, "/account/password", "current", "a brand new passphrase", "password", "iloveyou123", "confirm", "iloveyou123").
			wantPage(t, http.StatusUnprocessableEntity, "most common passwords")

		// Ending this session is logging out.
		res = laptop.get(t, "/account/sessions")
		current := regexp.MustCompile(`<tr class="current">[\s\S]*?action="/account/sessions/(\d+)/end"`).FindSubmatch(res.Body)
		if current == nil {
			t.Fatalf("no current session on the page:\n%s", res.Body)
		}
		laptop.post(t, "/account/sessions/"+string(current[1])+"/end").wantRedirect(t, "/login")
		laptop.get(t, "/account").wantRedirect(t, "/login")
	})
}

func TestOrganizationSettingsHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		acme, beta := s.MustCreateOrganization(t, "Acme"), s.MustCreateOrganization(t, "Beta")
		itAdmin := s.MustCreateUser(t, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
		tech := s.MustCreateUser(t, &tandem.User{Email: "tech@acme.test", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)
		outsider := s.MustCreateUser(t, &tandem.User{Email: "it@beta.test", Role: tandem.RoleITAdmin, OrganizationID: &beta.ID}, uiPassword)
		as := func(u *tandem.User) *uiClient {
			c := newUIClient(t, s)
			c.login(t, u.Email, uiPassword)
			return c
		}
		admin, techC, out := as(itAdmin), as(tech), as(outsider)
		path := "/orgs/" + acme.Slug + "/settings"

		out.get(t, path).wantPage(t, http.StatusNotFound)
		out.post(t, path, "require_mfa", "on").wantPage(t, http.StatusNotFound)
		techC.get(t, path).wantPage(t, http.StatusOK, "Only an admin can change this.")
		techC.post(t, path, "require_mfa", "on").wantPage(t, http.StatusForbidden)
		out.get(t, "/provider/settings").wantPage(t, http.StatusForbidden)
		out.post(t, "/provider/settings").wantPage(t, http.StatusForbidden)

		admin.post(t, path, "require_mfa", "on").wantRedirect(t, path)
		if required, err := s.Services.MFA.OrganizationRequiresMFA(testserver.SystemContext(), acme.ID); err != nil || !required {
			t.Fatalf("OrganizationRequiresMFA = %v, %v after checking the box", required, err)
		}
		// Now the organisation's users, the it-admin included, must enrol
		// before anything else; other organisations' users need not.
		admin.get(t, path).wantRedirect(t, "/account/mfa")
		techC.get(t, "/account").wantRedirect(t, "/account/mfa")
		out.get(t, "/account").wantPage(t, http.StatusOK)
	})
}

// Forms are protected against cross-site request forgery by
// http.CrossOriginProtection: a browser names the page a form came from
// (Sec-Fetch-Site, Origin), and a cross-origin POST is refused before any
// handler runs. Logging in is covered too, so no site can log a visitor into
// an attacker's account.
func TestCrossOriginForms(t *testing.T) {
	s := cheap(testserver.Start(t))
	org := s.MustCreateOrganization(t, "Acme")
	u := s.MustCreateUser(t, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)
	victim := newUIClient(t, s)
	victim.login(t, u.Email, uiPassword)

	for _, tt := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"CrossSiteFetchMetadata", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"CrossOriginHeader", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"SameOrigin", http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.HTTPServer.URL()}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			victim.header = tt.header
			t.Cleanup(func() { victim.header = http.Header{} })
			login := victim.post(t, "/login", "email", u.Email, "password", "wrong password!")
			change := victim.post(t, "/account/password", "current", uiPassword, "password", "changed by "+tt.name, "confirm", "changed by "+tt.name)
			if tt.status != 0 {
				if login.Status != tt.status || change.Status != tt.status {
					t.Fatalf("POST /login answered %d, POST /account/password %d; want %d", login.Status, change.Status, tt.status)
				}
				if _, err := s.Services.Users.Authenticate(context.Background(), u.Email, uiPassword); err != nil {
					t.Fatalf("a refused request changed the password: %v", err)
				}
				return
			}
			login.wantPage(t, http.StatusUnauthorized)
			change.wantPage(t, http.StatusOK, "Your password is changed")
		})
	}
}
