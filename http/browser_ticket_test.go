package http_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// deskCast is the cast of the service desk browser tests: an organisation
// with an internal technician and a requester, and a provider technician
// assigned to it. The provider does not require MFA here, so the technician
// logs in with a password alone.
type deskCast struct {
	s                         *testserver.Server
	org                       *tandem.Organization
	itTech, requester, techie *tandem.User
}

func newDeskCast(t *testing.T) *deskCast {
	t.Helper()
	s := testserver.Start(t)
	c := &deskCast{s: s, org: s.MustCreateOrganization(t, "Acme Corp")}
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
	c.itTech = s.MustCreateUser(t, &tandem.User{Name: "Ivo Internal", Email: "ivo@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &c.org.ID}, uiPassword)
	c.requester = s.MustCreateUser(t, &tandem.User{Name: "Rita Requester", Email: "rita@acme.example", Role: tandem.RoleRequester, OrganizationID: &c.org.ID}, uiPassword)
	c.techie = s.MustCreateUser(t, &tandem.User{Name: "Pia Provider", Email: "pia@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{c.org.ID}}, uiPassword)
	return c
}

// openTicket opens a ticket through the new-ticket form and returns its
// path, /tickets/N.
func openTicket(t *testing.T, ctx context.Context, c *deskCast, title, description string) string {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.Navigate(c.s.URL()+"/tickets"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#new-ticket")))
	browsertest.WaitPath(t, ctx, "/orgs/"+c.org.Slug+"/tickets/new")
	browsertest.Fill(t, ctx, "#ticket-form", "title", title)
	setText(t, ctx, "#ticket-form textarea[name=description]", description)
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#ticket-form select[name=impact]"), "high"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#ticket-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `/^\/tickets\/[0-9]+$/.test(location.pathname)`, "the new ticket's page")
	return browsertest.Eval[string](t, ctx, `location.pathname`)
}

// setText sets a textarea's text. (browsertest.Fill clears a field first,
// which chromedp cannot do to an empty textarea.)
func setText(t *testing.T, ctx context.Context, selector, text string) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS(selector), text))
}

// comment posts a comment of the given visibility from the ticket page and
// waits for it on the timeline.
func comment(t *testing.T, ctx context.Context, text string, visibility tandem.Visibility) {
	t.Helper()
	setText(t, ctx, "#comment-form textarea[name=body]", text)
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#comment-form select[name=visibility]"), string(visibility)))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`[...document.querySelectorAll("#timeline .comment-body")].some(e => e.textContent.includes(%q))`, text), "the comment on the timeline")
}

var countdownText = regexp.MustCompile(`^([0-9]+d [0-9]+h|[0-9]+h [0-9]+m|[0-9]+m) left$`)

// An internal technician opens a ticket and escalates it with a reason; a
// provider technician finds it waiting in their queue, accepts it, and sees
// the SLA clock counting down on the ticket page.
func TestBrowserTicketEscalation(t *testing.T) {
	internal := browsertest.New(t)
	provider := browsertest.New(t)
	c := newDeskCast(t)

	browserLogin(t, internal, c.s, c.itTech.Email)
	path := openTicket(t, internal, c, "Firewall drops VPN", "Since 9:00 the **VPN** drops every 5 minutes.")
	if got := browsertest.Text(t, internal, "#ticket-owner"); !strings.HasPrefix(got, "internal IT") {
		t.Errorf("owner of the new ticket = %q, want internal IT", got)
	}
	if got := browsertest.Text(t, internal, "#description strong"); got != "VPN" {
		t.Errorf("the description's Markdown shows %q in bold, want VPN", got)
	}
	setText(t, internal, "#handoff-form textarea[name=reason]", "The firewall is the provider's")
	browsertest.Do(t, internal, chromedp.Click(chromedp.CSS("#handoff-form button[type=submit]")))
	browsertest.WaitFor(t, internal, `document.querySelector("#handoff-pending") !== null`, "the handoff to be pending")
	if got := browsertest.Text(t, internal, "#ticket-owner"); !strings.Contains(got, "awaiting acceptance by provider") {
		t.Errorf("owner after escalating = %q, want it awaiting the provider", got)
	}

	browserLogin(t, provider, c.s, c.techie.Email)
	browsertest.Do(t, provider, chromedp.Click(chromedp.CSS(`nav a[href="/queue"]`)))
	browsertest.WaitPath(t, provider, "/queue")
	id := strings.TrimPrefix(path, "/tickets/")
	row := fmt.Sprintf(`#waiting-list tr[data-ticket="%s"]`, id)
	if got := browsertest.Text(t, provider, row+" .reason"); got != "The firewall is the provider's" {
		t.Errorf("waiting handoff's reason = %q", got)
	}
	browsertest.Do(t, provider, chromedp.Click(chromedp.CSS(row+" .accept-form button")))
	browsertest.WaitPath(t, provider, path)
	if got := browsertest.Text(t, provider, "#ticket-owner"); got != "provider" {
		t.Errorf("owner after accepting = %q, want provider", got)
	}
	if got := browsertest.Text(t, provider, "#ticket-assignee"); got != "Pia Provider" {
		t.Errorf("assignee after accepting = %q, want the technician who accepted", got)
	}
	// The clocks: each running one has a due instant and a live countdown.
	browsertest.WaitFor(t, provider, `document.querySelector("#sla-clocks time[data-due][data-ticked]") !== null`, "the countdown script to run")
	due := browsertest.Eval[string](t, provider, `document.querySelector("#sla-clocks time[data-due]").getAttribute("data-due")`)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(due) {
		t.Errorf("data-due = %q, want an RFC 3339 instant", due)
	}
	if got := browsertest.Text(t, provider, "#sla-clocks time[data-due]"); !countdownText.MatchString(got) {
		t.Errorf("countdown says %q, want like 3h 59m left", got)
	}
	if got := browsertest.Text(t, provider, "#timeline"); !strings.Contains(got, "Handoff accepted") {
		t.Errorf("the timeline does not record the acceptance: %q", got)
	}
}

// The requester sees only public comments: staff write a public, a teams
// and a party-only comment, and the requester's page shows the public one.
func TestBrowserTicketRequesterVisibility(t *testing.T) {
	staff := browsertest.New(t)
	requester := browsertest.New(t)
	c := newDeskCast(t)
	tk, err := c.s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), actorFor(c.requester)), tandem.TicketInput{OrganizationID: c.org.ID, Title: "Monitor flickers"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/tickets/" + strconv.FormatInt(tk.ID, 10)

	browserLogin(t, staff, c.s, c.itTech.Email)
	browsertest.Do(t, staff, chromedp.Navigate(c.s.URL()+path))
	comment(t, staff, "We will swap the cable tomorrow.", tandem.VisibilityPublic)
	comment(t, staff, "Provider: is this under warranty?", tandem.VisibilityTeams)
	comment(t, staff, "Internal: Rita reports this monthly.", tandem.VisibilityParty)
	badges := browsertest.Eval[[]string](t, staff, `[...document.querySelectorAll("#timeline .comment .badge")].map(e => e.textContent)`)
	if strings.Join(badges, ",") != "Public,Both teams,Internal only" {
		t.Errorf("staff see comment badges %q", badges)
	}

	browserLogin(t, requester, c.s, c.requester.Email)
	browsertest.Do(t, requester, chromedp.Navigate(c.s.URL()+path))
	comments := browsertest.Eval[[]string](t, requester, `[...document.querySelectorAll("#timeline .comment-body")].map(e => e.textContent.trim())`)
	if len(comments) != 1 || comments[0] != "We will swap the cable tomorrow." {
		t.Errorf("the requester sees comments %q, want only the public one", comments)
	}
	if n := browsertest.Eval[int](t, requester, `document.querySelectorAll("#comment-form select").length`); n != 0 {
		t.Errorf("the requester's comment form offers %d selects, want none (replies are public)", n)
	}
	// The requester's reply is public and reaches the staff.
	setText(t, requester, "#comment-form textarea[name=body]", "Thanks, tomorrow works.")
	browsertest.Do(t, requester, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	browsertest.WaitFor(t, requester, `document.querySelectorAll("#timeline .comment-body").length === 2`, "the reply on the timeline")
	browsertest.Do(t, staff, chromedp.Navigate(c.s.URL()+path))
	if got := browsertest.Text(t, staff, "#timeline .comment:last-child .badge"); got != "Public" {
		t.Errorf("the requester's reply is shown to staff as %q, want Public", got)
	}
}

// The countdown script runs without console or CSP errors, rewrites the
// clocks when the due instant passes, and runs again after htmx swaps in a
// page.
func TestBrowserTicketCountdown(t *testing.T) {
	ctx := browsertest.New(t)
	c := newDeskCast(t)
	tk, err := c.s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), actorFor(c.itTech)), tandem.TicketInput{OrganizationID: c.org.ID, Title: "Laptop will not boot", Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, c.s, c.itTech.Email)

	// The list shows the nearest clock; a boosted click swaps in the ticket.
	browsertest.Do(t, ctx, chromedp.Navigate(c.s.URL()+"/tickets"))
	row := fmt.Sprintf(`#tickets tr[data-ticket="%d"]`, tk.ID)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector(%q) !== null`, row+" time[data-ticked]"), "the list's countdown to tick")
	if got := browsertest.Text(t, ctx, row+" .sla time"); !countdownText.MatchString(got) {
		t.Errorf("the list's countdown says %q", got)
	}
	browsertest.Eval[bool](t, ctx, `window.sameDocument = true`)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(row+" .title a")))
	browsertest.WaitPath(t, ctx, fmt.Sprintf("/tickets/%d", tk.ID))
	browsertest.WaitFor(t, ctx, `window.sameDocument === true && document.querySelector("#sla-clocks time[data-ticked]") !== null`, "the clocks of the swapped-in page to tick")

	// A clock whose due instant has passed turns into an overdue one.
	browsertest.Eval[bool](t, ctx, `(() => {
		const el = document.querySelector("#sla-clocks time[data-due]");
		el.setAttribute("data-due", new Date(Date.now() - 95*60000).toISOString());
		document.dispatchEvent(new Event("htmx:afterSettle"));
		return true;
	})()`)
	if got := browsertest.Text(t, ctx, "#sla-clocks time[data-due]"); got != "overdue 1h 35m" {
		t.Errorf("an overdue clock says %q, want overdue 1h 35m", got)
	}
	if cls := browsertest.Eval[string](t, ctx, `document.querySelector("#sla-clocks time[data-due]").className`); !strings.Contains(cls, "sla-breached") || strings.Contains(cls, "sla-ok") {
		t.Errorf("an overdue clock has classes %q, want sla-breached", cls)
	}
	// Past the warning instant but before the due one: a warning.
	browsertest.Eval[bool](t, ctx, `(() => {
		const el = document.querySelector("#sla-clocks time[data-due]");
		el.setAttribute("data-due", new Date(Date.now() + 10*60000 + 30000).toISOString());
		el.setAttribute("data-warn", new Date(Date.now() - 60000).toISOString());
		document.dispatchEvent(new Event("htmx:afterSettle"));
		return true;
	})()`)
	if got := browsertest.Text(t, ctx, "#sla-clocks time[data-due]"); got != "10m left" {
		t.Errorf("a clock 10 minutes from due says %q, want 10m left", got)
	}
	if cls := browsertest.Eval[string](t, ctx, `document.querySelector("#sla-clocks time[data-due]").className`); !strings.Contains(cls, "sla-warning") {
		t.Errorf("a clock past its warning has classes %q, want sla-warning", cls)
	}
	browsertest.Eval[bool](t, ctx, `(() => {
		const el = document.querySelector("#sla-clocks time[data-due]");
		el.setAttribute("data-due", new Date(Date.now() + (51*60+59)*60000 + 30000).toISOString());
		document.dispatchEvent(new Event("htmx:afterSettle"));
		return true;
	})()`)
	if got := browsertest.Text(t, ctx, "#sla-clocks time[data-due]"); got != "2d 3h left" {
		t.Errorf("a clock 51h 59m from due says %q, want 2d 3h left", got)
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
