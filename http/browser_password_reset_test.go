package http_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// resetLink returns the link of the last password reset email to address,
// as its reader would follow it.
func resetLink(t *testing.T, s *testserver.Server, address string) string {
	t.Helper()
	db := openRaw(t, s)
	defer db.Close()
	q := `SELECT action_url FROM notifications WHERE kind = 'password_reset' AND address = ? ORDER BY id DESC LIMIT 1`
	if s.DatabaseURL != "" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var link string
	if err := db.QueryRow(q, address).Scan(&link); err != nil {
		t.Fatalf("no reset email to %s: %v", address, err)
	}
	if u, err := url.Parse(link); err != nil || u.Path != "/password/reset" || u.Query().Get("token") == "" {
		t.Fatalf("reset link %q", link)
	}
	return link
}

// TestBrowserPasswordReset follows "Forgot your password?" from the login
// page, the emailed link, and logs in with the new password.
func TestBrowserPasswordReset(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	org := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Wanda Warehouse", Email: "wanda@acme.example", Role: tandem.RoleRequester, OrganizationID: &org.ID}, uiPassword)
	const newPassword = "lantern orchard pebble"
	const sent = "If an account uses that address, we sent it a link valid for 30 minutes."

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/password/forgot"]`)))
	browsertest.WaitPath(t, ctx, "/password/forgot")

	// An address nobody uses gets the same answer.
	browsertest.Fill(t, ctx, "#forgot-form", "email", "nobody@acme.example")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#forgot-form button[type=submit]")))
	waitText(t, ctx, ".notice", sent)
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/password/forgot"))
	browsertest.Fill(t, ctx, "#forgot-form", "email", "wanda@acme.example")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#forgot-form button[type=submit]")))
	waitText(t, ctx, ".notice", sent)

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+resetLink(t, s, "wanda@acme.example")))
	// Two passwords that differ, then a common one: clear errors, the link still good.
	browsertest.Fill(t, ctx, "#reset-form", "password", newPassword, "confirm", newPassword+"x")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#reset-form button[type=submit]")))
	waitText(t, ctx, ".error", "differ")
	browsertest.Fill(t, ctx, "#reset-form", "password", "password1", "confirm", "password1")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#reset-form button[type=submit]")))
	waitText(t, ctx, ".error", "most common passwords")
	browsertest.Fill(t, ctx, "#reset-form", "password", newPassword, "confirm", newPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#reset-form button[type=submit]")))
	browsertest.Text(t, ctx, "#reset-done")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#reset-done a[href="/login"]`)))
	browsertest.WaitPath(t, ctx, "/login")

	// The old password no longer works; the new one does.
	browserSignIn(t, ctx, s, "wanda@acme.example", uiPassword)
	waitText(t, ctx, ".error", "wrong")
	browserSignIn(t, ctx, s, "wanda@acme.example", newPassword)
	browsertest.WaitPath(t, ctx, "/")

	// The link was single use.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+resetLink(t, s, "wanda@acme.example")))
	browsertest.Fill(t, ctx, "#reset-form", "password", "another quiet harbour", "confirm", "another quiet harbour")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#reset-form button[type=submit]")))
	waitText(t, ctx, ".error", "unknown, used or expired")
	browsertest.Text(t, ctx, `#reset-again a[href="/password/forgot"]`)
}

// TestBrowserNotificationPreferences turns a kind off by email, sets quiet
// hours, and sees a wrong time refused beside its field.
func TestBrowserNotificationPreferences(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	org := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Tom Tech", Email: "tom@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, uiPassword)
	browserSignIn(t, ctx, s, "tom@acme.example", uiPassword)
	browsertest.WaitPath(t, ctx, "/")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/account"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/account/notifications"]`)))
	browsertest.WaitPath(t, ctx, "/account/notifications")

	// A technician's grid: their queue's kinds, not the admins' SLA breaches.
	kinds := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll(".prefs-grid input[name^='email:']")].map(i => i.name)`)
	if !slicesContain(kinds, "email:new_ticket") || slicesContain(kinds, "email:sla_breach") {
		t.Fatalf("grid kinds %v", kinds)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`input[name="email:new_ticket"]`)))
	// A time field's value is what its picker sets; typing into it depends
	// on the browser's locale.
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="quiet_from"]`), "22:00"), chromedp.SetValue(chromedp.CSS(`input[name="quiet_to"]`), "07:00"))
	browsertest.Fill(t, ctx, "#preferences-form", "time_zone", "Europe/Berlin")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#preferences-form button[type=submit]")))
	waitText(t, ctx, ".notice", "saved")
	if browsertest.Eval[bool](t, ctx, `document.querySelector('input[name="email:new_ticket"]').checked`) ||
		!browsertest.Eval[bool](t, ctx, `document.querySelector('input[name="inapp:new_ticket"]').checked`) {
		t.Fatal("new tickets by email should be off, in Tandem on")
	}
	if got := browsertest.Value(t, ctx, `input[name="quiet_from"]`); got != "22:00" {
		t.Fatalf("quiet from %q", got)
	}

	browsertest.Fill(t, ctx, "#preferences-form", "time_zone", "Mars/Olympus")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#preferences-form button[type=submit]")))
	waitText(t, ctx, "#time_zone-error", "IANA")
	if !browsertest.Eval[bool](t, ctx, `document.querySelector('input[name="time_zone"]').getAttribute("aria-invalid") === "true"`) {
		t.Fatal("the zone field is not marked invalid")
	}
}

// waitText waits until the element's text holds want: a form answered by
// a new page may still show the last one's message for a moment.
func waitText(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	browsertest.WaitFor(t, ctx, fmt.Sprintf("document.querySelector(%q)?.textContent.includes(%q) === true", selector, want), selector+" to say "+want)
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
