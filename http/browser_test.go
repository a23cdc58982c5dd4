package http_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The browser tests drive the real server, started in-process, through a
// headless Chromium. Each asks for its tab first, so that without Chromium it
// skips before starting a server; see browsertest.

const uiPassword = "correct horse battery"

func TestBrowserSetup(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	link := printedSetupLink(t, s)

	// The printed link opens the setup form; completing it logs the new
	// provider admin in, straight to setting up two-factor authentication,
	// which the provider requires of its staff by default.
	browsertest.Do(t, ctx, chromedp.Navigate(link))
	if got := browsertest.Text(t, ctx, "h1"); got != "Set up Tandem" {
		t.Fatalf("setup page heading = %q", got)
	}
	browsertest.Fill(t, ctx, "#setup-form", "name", "Ada Admin", "email", "Ada@Example.com ", "password", uiPassword, "confirm", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#setup-form button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/account/mfa")
	if got := browsertest.Text(t, ctx, "#mfa-required"); !strings.Contains(got, "Northwind MSP requires two-factor authentication") {
		t.Errorf("MFA page says %q", got)
	}
	// Nothing else is reachable before MFA is set up.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.WaitPath(t, ctx, "/account/mfa")
	recovery := browserEnrolMFA(t, ctx)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-continue")))
	browsertest.WaitPath(t, ctx, "/")
	if got := browsertest.Text(t, ctx, "header .who"); !strings.Contains(got, "ada@example.com") {
		t.Errorf("header shows %q, want the admin's email", got)
	}
	// Home is no list and no organisation's page: the switcher offers
	// the organisations, of which there are none yet.
	if got := browsertest.Text(t, ctx, "#org-switcher summary"); got != "Organisations" {
		t.Errorf("organisation switcher says %q", got)
	}
	if needs, err := s.Services.Setup.NeedsSetup(testserver.SystemContext()); err != nil || needs {
		t.Errorf("NeedsSetup = %v, %v after setup; want false", needs, err)
	}

	// The link works once.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNotFound {
		t.Errorf("used setup link answered %d, want 404", resp.Status)
	}
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "invalid, used or expired") {
		t.Errorf("used setup link says %q", got)
	}

	// Logging out ends the session. Back then shows no page of it: pages are
	// no-store, and htmx must not restore its own copy of them either.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form.logout button")))
	browsertest.WaitPath(t, ctx, "/login")
	browsertest.Eval[bool](t, ctx, `window.beforeBack = true`)
	browsertest.Eval[chromedp.Void](t, ctx, `history.back()`)
	browsertest.WaitFor(t, ctx, `!window.beforeBack && location.pathname === "/login"`, "Back after logging out to reload and land on /login")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.WaitPath(t, ctx, "/login")

	// A wrong password keeps the visitor on the login page with a message
	// and the email kept.
	browsertest.Fill(t, ctx, "form[action='/login']", "email", "ada@example.com", "password", "not the password")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	if got := browsertest.Text(t, ctx, ".error"); got != "Email or password is wrong." {
		t.Errorf("wrong password says %q", got)
	}
	browsertest.WaitPath(t, ctx, "/login")
	if got := browsertest.Value(t, ctx, "input[name=email]"); got != "ada@example.com" {
		t.Errorf("email field after a failed login = %q", got)
	}

	// The right password logs in again, with a recovery code as the second
	// factor.
	browsertest.Fill(t, ctx, "form[action='/login']", "email", "ada@example.com", "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/login/mfa")
	browsertest.Fill(t, ctx, "#mfa-login-form", "code", recovery[0])
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-login-form button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/")
	if got := browsertest.Text(t, ctx, "header .who"); !strings.Contains(got, "ada@example.com") {
		t.Errorf("header shows %q after logging in again", got)
	}
}

func TestBrowserSetupRejects(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	link := printedSetupLink(t, s)
	stillNeedsSetup := func(t *testing.T) {
		t.Helper()
		if needs, err := s.Services.Setup.NeedsSetup(testserver.SystemContext()); err != nil || !needs {
			t.Errorf("NeedsSetup = %v, %v; want true: no admin may be created", needs, err)
		}
	}
	setupPath := strings.TrimPrefix(link, s.URL())

	t.Run("PasswordsDiffer", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(link))
		browsertest.Fill(t, ctx, "#setup-form", "name", "Ada Admin", "email", "ada@example.com", "password", uiPassword, "confirm", uiPassword+"!")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#setup-form button[type=submit]")))
		if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "passwords differ") {
			t.Errorf("error = %q", got)
		}
		browsertest.WaitPath(t, ctx, setupPath)
		if got := browsertest.Value(t, ctx, "#setup-form input[name=email]"); got != "ada@example.com" {
			t.Errorf("email field = %q, want it kept", got)
		}
		stillNeedsSetup(t)
	})

	// The browser refuses a short password before sending the form.
	t.Run("PasswordTooShortInBrowser", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(link))
		browsertest.Fill(t, ctx, "#setup-form", "name", "Ada Admin", "email", "ada@example.com", "password", "short", "confirm", "short")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#setup-form button[type=submit]")))
		msg := browsertest.Eval[string](t, ctx, `document.querySelector("#setup-form input[name=password]").validationMessage`)
		if !strings.Contains(msg, "8") {
			t.Errorf("password field's validation message = %q, want it to ask for 8 characters", msg)
		}
		browsertest.WaitPath(t, ctx, setupPath)
		stillNeedsSetup(t)
	})

	// A client that skips validation gets the server's message.
	t.Run("PasswordTooShortOnServer", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(link))
		browsertest.Eval[bool](t, ctx, `document.querySelector("#setup-form").noValidate = true`)
		browsertest.Fill(t, ctx, "#setup-form", "name", "Ada Admin", "email", "ada@example.com", "password", "short", "confirm", "short")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#setup-form button[type=submit]")))
		if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "Password is too short") {
			t.Errorf("error = %q", got)
		}
		stillNeedsSetup(t)
	})
}

func TestBrowserOrganizationSwitcher(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	globex := s.MustCreateOrganization(t, "Globex")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)

	// An internal user with one organisation lands on their home page,
	// and finds the organisation in the switcher.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))
	browsertest.Fill(t, ctx, "form[action='/login']", "email", "ida@acme.example", "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug))
	if got := browsertest.Text(t, ctx, "main h1"); got != acme.Name {
		t.Errorf("heading = %q, want %q", got, acme.Name)
	}
	// Their switcher names it and opens no menu: there is nothing to switch to.
	if got := browsertest.Text(t, ctx, "#org-switcher"); got != acme.Name {
		t.Errorf("switcher says %q, want %q", got, acme.Name)
	}
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#org-switcher a, details#org-switcher").length`); n != 0 {
		t.Errorf("the switcher of a one-organisation user has %d links or menus, want none", n)
	}

	// Another organisation's page does not exist for them.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.URL()+"/orgs/"+globex.Slug))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNotFound {
		t.Errorf("/orgs/%s answered %d, want 404", globex.Slug, resp.Status)
	}
	if got := browsertest.Text(t, ctx, "main h1"); got != "Not Found" {
		t.Errorf("heading = %q, want Not Found", got)
	}
	if body := browsertest.Text(t, ctx, "body"); strings.Contains(body, globex.Name) {
		t.Errorf("the 404 page shows %q:\n%s", globex.Name, body)
	}

	// The error page leads back home, swapping the page in place through htmx.
	browsertest.Eval[bool](t, ctx, `window.sameDocument = true`)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#error-home")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#error-page") === null`, "the way home to leave the error page")
	if got := browsertest.Text(t, ctx, "#org-switcher"); got != acme.Name {
		t.Errorf("switcher after going home = %q, want %q", got, acme.Name)
	}
	if !browsertest.Eval[bool](t, ctx, `window.sameDocument === true`) {
		t.Error("going home reloaded the page; want an htmx-boosted swap")
	}
}

func TestBrowserAssets(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))

	// htmx runs under the Content-Security-Policy, configured by its meta tag.
	if got := browsertest.Eval[string](t, ctx, `typeof htmx`); got != "object" {
		t.Fatalf("typeof htmx = %q, want object", got)
	}
	if got := browsertest.Eval[string](t, ctx, `htmx.version`); got != "2.0.8" {
		t.Errorf("htmx.version = %q", got)
	}
	if browsertest.Eval[bool](t, ctx, `htmx.config.includeIndicatorStyles`) {
		t.Error("htmx ignored the htmx-config meta tag: includeIndicatorStyles is true")
	}
	// The style sheet applies (the page background is var(--bg)).
	if got := browsertest.Eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); got != "rgb(246, 247, 249)" {
		t.Errorf("body background = %q; tandem.css did not apply", got)
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) != 0 {
		t.Errorf("page errors: %q", errs)
	}

	// Assets have content-hash URLs, cached for good.
	for _, tt := range []struct {
		selector, attr string
		pattern        *regexp.Regexp
		contentType    string
	}{
		{`script[src*="htmx"]`, "src", regexp.MustCompile(`^/static/htmx-2\.0\.8\.min\.[0-9a-f]{10}\.js$`), "text/javascript; charset=utf-8"},
		{`link[rel=stylesheet]`, "href", regexp.MustCompile(`^/static/tandem\.[0-9a-f]{10}\.css$`), "text/css; charset=utf-8"},
		{`link[rel=icon]`, "href", regexp.MustCompile(`^/static/favicon\.[0-9a-f]{10}\.svg$`), "image/svg+xml"},
	} {
		url := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).getAttribute(%q)`, tt.selector, tt.attr))
		if !tt.pattern.MatchString(url) {
			t.Errorf("%s %s = %q, want it to match %s", tt.selector, tt.attr, url, tt.pattern)
			continue
		}
		resp, err := http.Get(s.URL() + url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control = %q", url, got)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type = %q, want %q", url, got, tt.contentType)
		}
	}

	// A hash the binary does not hold is not served.
	resp, err := http.Get(s.URL() + "/static/htmx-2.0.8.min.0000000000.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("stale asset URL answered %s, want 404", resp.Status)
	}
}

// printedSetupLink returns the one-time setup link the server printed at start.
func printedSetupLink(t *testing.T, s *testserver.Server) string {
	t.Helper()
	link := regexp.MustCompile(`https?://\S+/setup/\S+`).FindString(s.Output.String())
	if link == "" {
		t.Fatalf("no setup link in the server's output:\n%s", s.Output)
	}
	return link
}
