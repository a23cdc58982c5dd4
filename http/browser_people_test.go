package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// These tests use organisation users: their organisations do not require MFA
// unless told to, so logging in is email and password.

// browserLogin logs a user in through the login form and waits until the
// page has left /login.
func browserLogin(t *testing.T, ctx context.Context, s *testserver.Server, email string) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))
	browsertest.Fill(t, ctx, "form[action='/login']", "email", email, "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	browsertest.WaitFor(t, ctx, `location.pathname !== "/login"`, "the login to complete")
}

// rowSelector selects a row of a people page's table by email.
func rowSelector(table, email string) string {
	return fmt.Sprintf(`#%s tr[data-email=%q]`, table, email)
}

// navigateStatus loads a URL and returns the HTTP status of the answer.
func navigateStatus(t *testing.T, ctx context.Context, url string) int64 {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	return resp.Status
}

func TestBrowserInvitation(t *testing.T) {
	admin := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)

	// The it-admin invites a colleague from the organisation's people page.
	browserLogin(t, admin, s, "ida@acme.example")
	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS(`nav a[href="/orgs/`+acme.Slug+`/people"]`)))
	browsertest.WaitPath(t, admin, "/orgs/"+acme.Slug+"/people")
	browsertest.Fill(t, admin, "#invite-form", "email", "colin@acme.example", "name", "Colin")
	browsertest.Do(t, admin, chromedp.SetValue(chromedp.CSS("#invite-form select[name=role]"), string(tandem.RoleITTechnician)))
	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")))
	link := browsertest.Value(t, admin, "#invitation-url")
	if !strings.HasPrefix(link, s.URL()+"/invite/") {
		t.Fatalf("invitation link = %q, want %s/invite/…", link, s.URL())
	}
	if got := browsertest.Text(t, admin, rowSelector("invitations", "colin@acme.example")); !strings.Contains(got, "it-technician") {
		t.Errorf("pending invitation row = %q", got)
	}
	browsertest.WaitPath(t, admin, "/orgs/"+acme.Slug+"/people")

	// The colleague opens the link in a browser of their own, chooses a
	// password and lands on their organisation, logged in.
	colleague := browsertest.New(t)
	browsertest.Do(t, colleague, chromedp.Navigate(link))
	if got := browsertest.Text(t, colleague, "main h1"); got != "Join Acme Corp" {
		t.Errorf("invitation page heading = %q", got)
	}
	if got := browsertest.Text(t, colleague, "#invitation-summary"); !strings.Contains(got, "colin@acme.example") || !strings.Contains(got, "it-technician") {
		t.Errorf("invitation page says %q", got)
	}
	if got := browsertest.Value(t, colleague, "#invite-form input[name=name]"); got != "Colin" {
		t.Errorf("name field = %q, want the name the admin gave", got)
	}

	// Two different passwords keep them on the page.
	browsertest.Fill(t, colleague, "#invite-form", "name", "Colin Colleague", "password", uiPassword, "confirm", uiPassword+"?")
	browsertest.Do(t, colleague, chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")))
	if got := browsertest.Text(t, colleague, ".error"); !strings.Contains(got, "passwords differ") {
		t.Errorf("error = %q", got)
	}
	browsertest.Fill(t, colleague, "#invite-form", "name", "Colin Colleague", "password", uiPassword, "confirm", uiPassword)
	browsertest.Do(t, colleague, chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")))
	browsertest.WaitPath(t, colleague, "/")
	if got := browsertest.Text(t, colleague, "header .who"); !strings.Contains(got, "colin@acme.example") || !strings.Contains(got, "it-technician") {
		t.Errorf("header shows %q, want the new user", got)
	}

	// The link is spent.
	if status := navigateStatus(t, colleague, link); status != http.StatusNotFound {
		t.Errorf("used invitation link answered %d, want 404", status)
	}
	if got := browsertest.Text(t, colleague, ".error"); !strings.Contains(got, "invalid, used, revoked or expired") {
		t.Errorf("used invitation link says %q", got)
	}

	// The it-admin sees their new colleague, and no pending invitation.
	browsertest.Do(t, admin, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug+"/people"))
	if got := browsertest.Text(t, admin, rowSelector("people", "colin@acme.example")); !strings.Contains(got, "Colin Colleague") || !strings.Contains(got, "active") {
		t.Errorf("people row = %q", got)
	}
	if n := browsertest.Eval[int](t, admin, `document.querySelectorAll("#invitations tbody tr").length`); n != 0 {
		t.Errorf("%d pending invitations listed after acceptance", n)
	}
}

func TestBrowserInvitationRevoke(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	browserLogin(t, ctx, s, "ida@acme.example")

	people := s.URL() + "/orgs/" + acme.Slug + "/people"
	browsertest.Do(t, ctx, chromedp.Navigate(people))
	browsertest.Fill(t, ctx, "#invite-form", "email", "oops@acme.example")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")))
	link := browsertest.Value(t, ctx, "#invitation-url")

	// The link is shown once.
	browsertest.Do(t, ctx, chromedp.Navigate(people))
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#invitation-url").length`); n != 0 {
		t.Error("the invitation link is shown again")
	}
	if body := browsertest.Text(t, ctx, "body"); strings.Contains(body, strings.TrimPrefix(link, s.URL()+"/invite/")) {
		t.Error("the page holds the invitation's secret")
	}

	// Inviting an address that has an account says so and keeps the form.
	browsertest.Fill(t, ctx, "#invite-form", "email", "ida@acme.example", "name", "Ida again")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")))
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "already exists") {
		t.Errorf("error = %q", got)
	}
	if got := browsertest.Value(t, ctx, "#invite-form input[name=name]"); got != "Ida again" {
		t.Errorf("name field = %q, want it kept", got)
	}

	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(rowSelector("invitations", "oops@acme.example")+" button")))
	browsertest.WaitFor(t, ctx, `document.querySelector('#invitations tr[data-email="oops@acme.example"]') === null`, "the revoked invitation to leave the list")
	browsertest.WaitPath(t, ctx, "/orgs/"+acme.Slug+"/people")

	fresh := browsertest.New(t)
	if status := navigateStatus(t, fresh, link); status != http.StatusNotFound {
		t.Errorf("revoked invitation link answered %d, want 404", status)
	}
}

// An it-admin of one organisation finds nothing of another's: its pages are
// absent, exactly as pages that never existed.
func TestBrowserPeopleIsolation(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	globex := s.MustCreateOrganization(t, "Globex")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	s.MustCreateUser(t, &tandem.User{Name: "Gus Globex", Email: "gus@globex.example", Role: tandem.RoleITAdmin, OrganizationID: &globex.ID}, uiPassword)
	if _, err := s.Services.Invitations.CreateInvitation(testserver.SystemContext(),
		&tandem.Invitation{Email: "gina@globex.example", Role: tandem.RoleViewer, OrganizationID: &globex.ID}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s, "ida@acme.example")

	for _, path := range []string{"/orgs/" + globex.Slug + "/people", "/orgs/" + globex.Slug, "/orgs/no-such-org/people", "/provider/people"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			if status := navigateStatus(t, ctx, s.URL()+path); status != http.StatusNotFound {
				t.Errorf("%s answered %d, want 404", path, status)
			}
			if got := browsertest.Text(t, ctx, "main h1"); got != "Not Found" {
				t.Errorf("%s heading = %q, want Not Found", path, got)
			}
			body := browsertest.Text(t, ctx, "body")
			for _, secret := range []string{globex.Name, "gus@globex.example", "gina@globex.example", "Gus Globex"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s shows %q:\n%s", path, secret, body)
				}
			}
		})
	}

	// Their own people page shows their team only.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug+"/people"))
	body := browsertest.Text(t, ctx, "main")
	if !strings.Contains(body, "ida@acme.example") || strings.Contains(body, "globex") {
		t.Errorf("own people page shows:\n%s", body)
	}
}

// Deactivating a user in the UI ends their browser session at once.
func TestBrowserDeactivation(t *testing.T) {
	admin := browsertest.New(t)
	victim := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	s.MustCreateUser(t, &tandem.User{Name: "Tom Tech", Email: "tom@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)

	browserLogin(t, victim, s, "tom@acme.example")
	browsertest.WaitPath(t, victim, "/")

	browserLogin(t, admin, s, "ida@acme.example")
	browsertest.Do(t, admin, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug))
	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS(`a[href="/orgs/`+acme.Slug+`/people"].more`)))
	browsertest.WaitPath(t, admin, "/orgs/"+acme.Slug+"/people")
	tom := rowSelector("people", "tom@acme.example")
	// The admin cannot act on their own row.
	if n := browsertest.Eval[int](t, admin, `document.querySelectorAll('`+rowSelector("people", "ida@acme.example")+` form').length`); n != 0 {
		t.Errorf("the admin's own row offers %d forms", n)
	}

	// A role change first.
	browsertest.Do(t, admin, chromedp.SetValue(chromedp.CSS(tom+" select[name=role]"), string(tandem.RoleViewer)))
	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS(tom+" .role-form button")))
	browsertest.WaitFor(t, admin, `document.querySelector('`+tom+` .role')?.textContent === "viewer"`, "Tom's role to read viewer")

	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS(tom+" .active-form button")))
	browsertest.WaitFor(t, admin, `document.querySelector('`+tom+` .status')?.textContent === "deactivated"`, "Tom to be deactivated")
	browsertest.WaitPath(t, admin, "/orgs/"+acme.Slug+"/people")

	// Tom's next page load goes to the login page.
	browsertest.Do(t, victim, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug))
	browsertest.WaitPath(t, victim, "/login")

	// Reactivated, he logs in again; his old session stays ended.
	browsertest.Do(t, admin, chromedp.Click(chromedp.CSS(tom+" .active-form button")))
	browsertest.WaitFor(t, admin, `document.querySelector('`+tom+` .status')?.textContent === "active"`, "Tom to be active again")
	// … and lands on the page he was sent away from.
	browserLogin(t, victim, s, "tom@acme.example")
	browsertest.WaitPath(t, victim, "/orgs/"+acme.Slug)
}

func TestBrowserTokens(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Tom Tech", Email: "tom@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)
	browserLogin(t, ctx, s, "tom@acme.example")

	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/account/tokens"]`)))
	browsertest.WaitPath(t, ctx, "/account/tokens")
	browsertest.Fill(t, ctx, "#token-form", "name", "nightly report")
	browsertest.Do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#token-form select[name=organization]"), fmt.Sprint(acme.ID)),
		chromedp.Click(chromedp.CSS("#token-form input[name=read_only]")),
		chromedp.Click(chromedp.CSS("#token-form button[type=submit]")))
	secret := browsertest.Value(t, ctx, "#token-value")
	if !strings.HasPrefix(secret, "tdm_") {
		t.Fatalf("token shown = %q", secret)
	}
	row := browsertest.Text(t, ctx, `#tokens tr[data-name="nightly report"]`)
	for _, want := range []string{"read-only", "Acme Corp only"} {
		if !strings.Contains(row, want) {
			t.Errorf("token row %q does not say %q", row, want)
		}
	}
	browsertest.WaitPath(t, ctx, "/account/tokens")

	// The token reads and cannot write.
	api := client{base: s.URL(), token: secret}
	api.get(t, "/api/v1/me").want(t, http.StatusOK, nil)
	api.post(t, "/api/v1/tokens", map[string]any{}).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)

	// Shown once.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/account/tokens"))
	if body := browsertest.Text(t, ctx, "body"); strings.Contains(body, secret) {
		t.Error("the token's secret is shown again")
	}

	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#tokens tr[data-name="nightly report"] button`)))
	browsertest.WaitFor(t, ctx, `document.querySelector('#tokens tr[data-name="nightly report"]') === null`, "the revoked token to leave the list")
	api.get(t, "/api/v1/me").wantError(t, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
}
