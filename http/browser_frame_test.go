package http_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The frame every page shares, as a browser shows it: the error page, the
// organisation switcher, a phone's width.

func TestBrowserErrorPage(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme")
	s.MustCreateUser(t, &tandem.User{Email: "it@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	browserLogin(t, ctx, s, "it@acme.example")

	if status := navigateStatus(t, ctx, s.URL()+"/no/such/page"); status != http.StatusNotFound {
		t.Errorf("/no/such/page answered %d, want 404", status)
	}
	if got := browsertest.Text(t, ctx, "#error-page h1"); got != "Not Found" {
		t.Errorf("error page heading = %q", got)
	}
	if got := browsertest.Text(t, ctx, "#error-page .error"); got != "There is no page at /no/such/page." {
		t.Errorf("error page says %q", got)
	}
	// It is the styled page, in the viewer's frame: the stylesheet laid
	// it out as a card, and the navigation is there.
	if bg := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector("#error-page")).backgroundColor`); bg != "rgb(255, 255, 255)" {
		t.Errorf("error card's background = %q, want the stylesheet's white card", bg)
	}
	if got := browsertest.Text(t, ctx, `nav a[href="/tickets"]`); got != "Tickets" {
		t.Errorf("navigation on the error page = %q", got)
	}
	// The way back home works.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#error-home")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#error-page") === null`, "the way back home to leave the error page")
}

func TestBrowserSwitcherScopesList(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	noProviderMFA(t, s)
	acme, beta := s.MustCreateOrganization(t, "Acme"), s.MustCreateOrganization(t, "Beta")
	s.MustCreateUser(t, &tandem.User{Email: "tech@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{acme.ID, beta.ID}}, uiPassword)
	for _, tc := range []struct {
		org   *tandem.Organization
		title string
	}{{acme, "Acme printer"}, {beta, "Beta laptop"}, {beta, "Beta VPN"}} {
		requester := s.MustCreateUser(t, &tandem.User{Email: tandem.Slugify(tc.title) + "@example.com", Role: tandem.RoleRequester, OrganizationID: &tc.org.ID}, uiPassword)
		tk, err := s.Services.Tickets.CreateTicket(testserver.SystemContext(), tandem.TicketInput{OrganizationID: tc.org.ID, RequesterID: requester.ID, Title: tc.title})
		if err != nil {
			t.Fatal(err)
		}
		// Each waits for the provider: the queue lists it among the
		// handoffs to answer.
		itTech := s.MustCreateUser(t, &tandem.User{Email: "it." + tandem.Slugify(tc.title) + "@example.com", Role: tandem.RoleITTechnician, OrganizationID: &tc.org.ID}, uiPassword)
		asIT := tandem.NewContextWithActor(context.Background(), &tandem.Actor{UserID: itTech.ID, Email: itTech.Email, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: tc.org.ID})
		if _, err := s.Services.Tickets.RequestHandoff(asIT, tk.ID, "The provider owns this"); err != nil {
			t.Fatal(err)
		}
	}
	titles := func() []string {
		got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#tickets tr[data-ticket] td.title")].map(td => td.innerText.trim())`)
		slices.Sort(got)
		return got
	}

	browserLogin(t, ctx, s, "tech@msp.example")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/tickets?status=active"))
	if got := browsertest.Text(t, ctx, "#org-switcher summary"); got != "All organisations" {
		t.Errorf("switcher on the whole list says %q", got)
	}
	if got := titles(); !slices.Equal(got, []string{"Acme printer", "Beta VPN", "Beta laptop"}) {
		t.Fatalf("the whole list shows %q", got)
	}

	// Choosing Beta scopes the list to it, keeping the status filter.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#org-switcher summary")))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#org-switcher a[href*="org=beta"]`)))
	browsertest.WaitFor(t, ctx, `new URLSearchParams(location.search).get("org") === "beta"`, "the list to be Beta's")
	if got := browsertest.Eval[string](t, ctx, `location.pathname + location.search`); got != "/tickets?org=beta&status=active" {
		t.Errorf("after choosing Beta the page is at %s", got)
	}
	if got := titles(); !slices.Equal(got, []string{"Beta VPN", "Beta laptop"}) {
		t.Errorf("Beta's list shows %q", got)
	}
	if got := browsertest.Text(t, ctx, "#org-switcher summary"); got != "Beta" {
		t.Errorf("switcher on Beta's list says %q", got)
	}

	// All organisations lifts the filter again.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#org-switcher summary")))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#org-switcher a[href="/tickets?status=active"]`)))
	browsertest.WaitFor(t, ctx, `location.search === "?status=active"`, "the whole list again")
	if got := titles(); len(got) != 3 {
		t.Errorf("the whole list shows %q again", got)
	}

	// The queue is a list the switcher scopes too.
	waiting := func() []string {
		got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#waiting-list tr[data-ticket] td.title")].map(td => td.innerText.trim())`)
		slices.Sort(got)
		return got
	}
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/queue"))
	if got := waiting(); len(got) != 3 {
		t.Fatalf("the whole queue waits for %q, want the three handoffs", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#org-switcher summary")))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#org-switcher a[href*="org=acme"]`)))
	browsertest.WaitFor(t, ctx, `new URLSearchParams(location.search).get("org") === "acme"`, "the queue to be Acme's")
	if got := waiting(); !slices.Equal(got, []string{"Acme printer"}) {
		t.Errorf("Acme's queue waits for %q, want only Acme printer", got)
	}
	if got := browsertest.Text(t, ctx, "#org-switcher summary"); got != "Acme" {
		t.Errorf("switcher on Acme's queue says %q", got)
	}
}

func TestBrowserPhoneFrame(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	noProviderMFA(t, s)
	acme := s.MustCreateOrganization(t, "Acme Corporation International Holdings")
	s.MustCreateOrganization(t, "Beta")
	s.MustCreateUser(t, &tandem.User{Name: "Ada Admin", Email: "ada.administrator@northwind-msp.example", Role: tandem.RoleAdmin}, uiPassword)
	for _, email := range []string{"ida.it-admin@acme-corporation.example", "tom.technician@acme-corporation.example"} {
		s.MustCreateUser(t, &tandem.User{Name: email, Email: email, Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	}
	browserLogin(t, ctx, s, "ada.administrator@northwind-msp.example")

	// A desktop shows the navigation in the header, no menu button.
	browsertest.Do(t, ctx, chromedp.EmulateViewport(1400, 900), chromedp.Navigate(s.URL()+"/account"))
	if got := browsertest.Text(t, ctx, `nav a[href="/audit"]`); got != "Audit" {
		t.Errorf("desktop navigation shows %q", got)
	}
	if browsertest.Eval[bool](t, ctx, `document.querySelector("#menu > summary").checkVisibility()`) {
		t.Error("desktop shows the menu button")
	}

	// A phone folds it into the menu, which opens on a tap.
	browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.URL()+"/account"))
	if browsertest.Eval[bool](t, ctx, `document.querySelector('nav a[href="/audit"]').checkVisibility()`) {
		t.Error("on a phone the navigation shows before the menu is opened")
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#menu > summary")))
	if got := browsertest.Text(t, ctx, `nav a[href="/audit"]`); got != "Audit" {
		t.Errorf("opened menu shows %q", got)
	}
	if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
		t.Errorf("/account with the menu open is wider than a phone: %q", wide)
	}

	// No page of the frame is wider than the phone: tables scroll inside.
	for _, path := range []string{"/account", "/account/sessions", "/account/tokens", "/provider/people", "/provider/settings", "/orgs/" + acme.Slug + "/people", "/orgs/" + acme.Slug, "/no/such/page"} {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+path))
		browsertest.WaitFor(t, ctx, `document.readyState === "complete"`, path+" to load")
		if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
			t.Errorf("%s is wider than a 390 px phone: %q", path, wide)
		}
	}
}
