package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// browserEnrolMFA sets up two-factor authentication on the MFA page the tab
// shows, as a person with an authenticator app would: it reads the key shown
// beside the QR code, computes the current code and submits it with the
// password (uiPassword). It returns the recovery codes the page then shows.
func browserEnrolMFA(t *testing.T, ctx context.Context) []string {
	t.Helper()
	if !browsertest.Eval[bool](t, ctx, `document.querySelector("#mfa-qr").naturalWidth > 0`) {
		t.Error("the QR code image did not load")
	}
	secret := browsertest.Text(t, ctx, "#mfa-secret")
	browsertest.Fill(t, ctx, "#mfa-form", "code", code(t, secret, time.Now()), "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-form button[type=submit]")))
	browsertest.Text(t, ctx, "#recovery-codes")
	codes := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#recovery-codes li code")].map(c => c.textContent)`)
	if len(codes) != tandem.RecoveryCodeCount {
		t.Fatalf("page shows %d recovery codes, want %d", len(codes), tandem.RecoveryCodeCount)
	}
	return codes
}

// browserSignIn fills and sends the login form.
func browserSignIn(t *testing.T, ctx context.Context, s *testserver.Server, email, password string) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))
	browsertest.Fill(t, ctx, "form[action='/login']", "email", email, "password", password)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
}

// TestBrowserLoginMFA enrols a user in two-factor authentication, logs out
// and logs in again with password and TOTP code.
func TestBrowserLoginMFA(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	org := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)

	browserSignIn(t, ctx, s, "ida@acme.example", uiPassword)
	browsertest.WaitPath(t, ctx, "/")

	// The account page leads to the MFA page.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/account"]`)))
	browsertest.WaitPath(t, ctx, "/account")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/account/mfa"]`)))
	browsertest.WaitPath(t, ctx, "/account/mfa")
	secret := browsertest.Text(t, ctx, "#mfa-secret")

	// A mistyped code is refused and the same key offered again; so is a
	// wrong password.
	browsertest.Fill(t, ctx, "#mfa-form", "code", "000000", "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-form button[type=submit]")))
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "does not match") {
		t.Errorf("wrong enrolment code says %q", got)
	}
	if got := browsertest.Text(t, ctx, "#mfa-secret"); got != secret {
		t.Errorf("key after a mistyped code = %q, want the same %q", got, secret)
	}
	browsertest.Fill(t, ctx, "#mfa-form", "code", code(t, secret, time.Now()), "password", "not the password")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".error")?.textContent.trim() === "The password is wrong."`, "the enrolment form to say the password is wrong")
	if got := browsertest.Text(t, ctx, "#mfa-secret"); got != secret {
		t.Errorf("key after a wrong password = %q, want the same %q", got, secret)
	}
	browserEnrolMFA(t, ctx)
	if got := browsertest.Text(t, ctx, "#mfa-status"); !strings.Contains(got, "is on") {
		t.Errorf("status after enrolling = %q", got)
	}

	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form.logout button")))
	browsertest.WaitPath(t, ctx, "/login")

	// The password alone leads to the second step, and nowhere else.
	browserSignIn(t, ctx, s, "ida@acme.example", uiPassword)
	browsertest.WaitPath(t, ctx, "/login/mfa")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/"+org.Slug))
	browsertest.WaitPath(t, ctx, "/login/mfa")

	browsertest.Fill(t, ctx, "#mfa-login-form", "code", "123456")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-login-form button[type=submit]")))
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "That code is wrong") {
		t.Errorf("wrong code says %q", got)
	}
	browsertest.Fill(t, ctx, "#mfa-login-form", "code", code(t, secret, time.Now().Add(30*time.Second)))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-login-form button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/")

	// The sessions page marks this session.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/account/sessions"))
	if got := browsertest.Text(t, ctx, "#sessions tr.current"); !strings.Contains(got, "This session") || !strings.Contains(got, "127.0.0.1") {
		t.Errorf("current session row says %q", got)
	}
}

// TestBrowserLoginFailed shows a wrong password's message, then the
// throttle's once the account has failed too often.
func TestBrowserLoginFailed(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	s.Services.Users.Throttle.PerAccount = 2
	org := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)

	for range 2 {
		browserSignIn(t, ctx, s, "ida@acme.example", "not the password")
		if got := browsertest.Text(t, ctx, ".error"); got != "Email or password is wrong." {
			t.Errorf("wrong password says %q", got)
		}
	}
	browserSignIn(t, ctx, s, "ida@acme.example", uiPassword)
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "Too many failed attempts") || !strings.Contains(got, "60 minutes") {
		t.Errorf("throttled login says %q", got)
	}
	browsertest.WaitPath(t, ctx, "/login")
}
