package http_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An it-admin reaches the audit trail from the navigation, reads its
// entries as sentences, follows a target to the ticket it names, and
// filters and pages it with the filter staying set, all within one
// htmx-boosted document, under the Content-Security-Policy, and without the
// page scrolling sideways on a phone or a desktop.
func TestBrowserAuditTrail(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateOrganization(t, "Globex")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	grace := s.MustCreateUser(t, &tandem.User{Name: "Grace Lin", Email: "grace@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)
	as := tandem.NewContextWithActor(t.Context(), actorFor(grace))
	tk, err := s.Services.Tickets.CreateTicket(as, tandem.TicketInput{OrganizationID: acme.ID, Title: "Dock scanner offline"})
	if err != nil {
		t.Fatal(err)
	}
	open := tandem.StatusOpen
	if _, err := s.Services.Tickets.UpdateTicket(as, tk.ID, tandem.TicketUpdate{Status: &open}); err != nil {
		t.Fatal(err)
	}
	ticket := "/tickets/" + strconv.FormatInt(tk.ID, 10)

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
	sentences := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#audit tbody tr[data-id] .sentence")].map(p => p.textContent)`)
	for _, want := range []string{
		"Ida IT signed in.",
		"Grace Lin set ticket #" + strconv.FormatInt(tk.ID, 10) + "’s status to open.",
		"Grace Lin opened ticket #" + strconv.FormatInt(tk.ID, 10) + ", “Dock scanner offline”.",
		"Tandem created Acme Corp.",
	} {
		if !slices.Contains(sentences, want) {
			t.Errorf("no entry reads %q; the entries read %q", want, sentences)
		}
	}
	if body := browsertest.Text(t, ctx, "#audit"); strings.Contains(body, "Globex") || strings.Contains(body, `{"`) {
		t.Errorf("the table shows another organisation or raw JSON:\n%s", body)
	}
	if got := browsertest.Text(t, ctx, "#audit tbody tr[data-id] td.when time"); !regexp.MustCompile(`^\w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d [A-Z]+$`).MatchString(got) {
		t.Errorf("time shown as %q, want like Sun 6 Dec 2026 21:18 UTC", got)
	}
	for _, width := range []int64{390, 1400} {
		wantNoSidewaysScroll(t, ctx, width)
	}

	// The ticket in the status sentence links to the ticket.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#audit .sentence a.target[href="`+ticket+`"]`)))
	browsertest.WaitPath(t, ctx, ticket)
	if got := browsertest.Text(t, ctx, "main h1"); !strings.Contains(got, "Dock scanner offline") {
		t.Errorf("the target link led to a page titled %q", got)
	}
	browsertest.Do(t, ctx, chromedp.NavigateBack())
	browsertest.WaitPath(t, ctx, "/audit")

	// Filtering keeps the filter set in the form, on this page and the next.
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS(`#audit-filters select[name=party]`), "internal"))
	browsertest.Fill(t, ctx, "#audit-filters", "action", "ticket.")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#audit-filters button[type=submit]")))
	browsertest.WaitFor(t, ctx, `location.search.includes("action=ticket.")`, "the filtered page")
	browsertest.WaitFor(t, ctx, `document.querySelectorAll("#audit tbody tr[data-id]").length === 2`, "the two ticket entries")
	wantFilter := func(when string) {
		t.Helper()
		if got := browsertest.Value(t, ctx, `#audit-filters select[name=party]`); got != "internal" {
			t.Errorf("%s: party filter shows %q, want internal", when, got)
		}
		if got := browsertest.Value(t, ctx, `#audit-filters input[name=action]`); got != "ticket." {
			t.Errorf("%s: action filter shows %q, want ticket.", when, got)
		}
	}
	wantFilter("after filtering")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/audit?limit=1&party=internal&action=ticket."))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#audit-next")))
	browsertest.WaitFor(t, ctx, `location.search.includes("cursor=")`, "the next page")
	wantFilter("on the next page")
	if got := browsertest.Text(t, ctx, "#audit tbody tr[data-id] .meta code"); got != "ticket.create" {
		t.Errorf("the next page shows %q, want the older ticket.create", got)
	}
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("#audit-export-csv").getAttribute("href")`); !strings.Contains(got, "action=ticket.") || !strings.Contains(got, "format=csv") {
		t.Errorf("CSV export link %q does not carry the filter", got)
	}
}

// wantNoSidewaysScroll fails unless, at the given window width, nothing in
// the page's main content reaches past the window's right edge: wide content
// wraps or scrolls inside its own cell.
func wantNoSidewaysScroll(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900))
	over := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("main, main *")]
		.filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
		.map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " to " + Math.round(e.getBoundingClientRect().right) + "px")`)
	if len(over) > 0 {
		t.Errorf("at %d px, %d elements reach past the window: %q", width, len(over), over[:min(len(over), 5)])
	}
	// The whole page is held to it at desktop width; on a phone the shared
	// header (layout.html) is still wider than the window.
	if doc := browsertest.Eval[[]int](t, ctx, `[document.documentElement.scrollWidth, innerWidth]`); width >= 1000 && doc[0] > doc[1] {
		t.Errorf("at %d px the page is %d px wide", width, doc[0])
	}
}
