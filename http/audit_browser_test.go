package http_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An it-admin reaches the audit trail from the navigation and filters it,
// all within one htmx-boosted document, under the Content-Security-Policy.
func TestBrowserAuditTrail(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateOrganization(t, "Globex")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/login"))
	browsertest.Fill(t, ctx, "form[action='/login']", "email", "ida@acme.example", "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/")

	browsertest.Eval[bool](t, ctx, `window.sameDocument = true`)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)))
	browsertest.WaitPath(t, ctx, "/audit")
	if got := browsertest.Text(t, ctx, "main h1"); got != "Audit trail" {
		t.Errorf("heading = %q", got)
	}
	// Acme's creation, Ida's, and her login; nothing of Globex.
	actions := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#audit tbody tr[data-id] td:nth-child(5)")].map(td => td.textContent)`)
	if strings.Join(actions, " ") != "session.login user.create organization.create" {
		t.Errorf("actions shown = %q", actions)
	}
	if body := browsertest.Text(t, ctx, "#audit"); strings.Contains(body, "Globex") {
		t.Errorf("the table shows another organisation:\n%s", body)
	}

	browsertest.Fill(t, ctx, "#audit-filters", "action", "user.")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#audit-filters button[type=submit]")))
	browsertest.WaitFor(t, ctx, `location.search.includes("action=user.")`, "the filtered page")
	browsertest.WaitFor(t, ctx, `document.querySelectorAll("#audit tbody tr[data-id]").length === 1`, "one user.* entry")
	if got := browsertest.Text(t, ctx, "#audit tbody tr[data-id] td:nth-child(5)"); got != "user.create" {
		t.Errorf("filtered action = %q", got)
	}
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("#audit-export-csv").getAttribute("href")`); !strings.Contains(got, "action=user.") || !strings.Contains(got, "format=csv") {
		t.Errorf("CSV export link %q does not carry the filter", got)
	}
	if !browsertest.Eval[bool](t, ctx, `window.sameDocument === true`) {
		t.Error("navigating the audit trail reloaded the page; want htmx-boosted swaps")
	}
}
