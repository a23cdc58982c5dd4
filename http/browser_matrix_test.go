package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An it-admin opens the matrix from the organisation page, ticks letters,
// proposes, and sees the proposal await the provider's signature once they
// have signed it.
func TestBrowserMatrixPropose(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	areas, err := s.Services.Matrix.FindServiceAreas(testserver.SystemContext(), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, s, "ida@acme.example")

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/"+acme.Slug))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#matrix-link")))
	browsertest.WaitPath(t, ctx, "/orgs/"+acme.Slug+"/matrix")
	for _, name := range []string{"internal-R", "internal-A", "provider-I"} {
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#matrix-form input[name="a-%d-%s"]`, areas[0].ID, name))))
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#matrix-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".sign-form") !== null`, "the proposal to appear")
	if got := browsertest.Text(t, ctx, fmt.Sprintf(`#matrix tr[data-area=%q] td.proposed.internal`, areas[0].Key)); got != "RA" {
		t.Errorf("proposed internal letters = %q, want RA", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(".sign-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".sign-form") === null`, "the signature to be recorded")
	if got := browsertest.Text(t, ctx, "#matrix-awaiting"); !strings.Contains(got, "awaiting provider signature") || strings.Contains(got, "internal") {
		t.Errorf("proposal status = %q, want it awaiting the provider only", got)
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
