package http_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

// businessLeft is what a running clock on the ticket page says: business
// time left, labelled as such.
var businessLeft = regexp.MustCompile(`^([0-9]+ business (minute|hour)s? left|[0-9]+ h [0-9]+ min of business time left)$`)

// listLeft is what a list's SLA cell says under its "business time" header.
var listLeft = regexp.MustCompile(`^([0-9]+ h( [0-9]+ min)?|[0-9]+ min) left$`)

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
	if got := browsertest.Text(t, internal, "#description .description-body strong"); got != "VPN" {
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
	// The waiting handoffs with their answer forms fit the window.
	for _, width := range []int64{1400, 390} {
		browsertest.Do(t, provider, chromedp.EmulateViewport(width, 900))
		if wide := browsertest.Overflow(t, provider, ""); len(wide) > 0 {
			t.Errorf("the queue at %d px scrolls sideways: %q", width, wide)
		}
		if table, main := boxOf(t, provider, "#waiting-list"), boxOf(t, provider, "main"); table.Right > main.Right {
			t.Errorf("at %d px the waiting handoffs end at %.0f px, right of the page's column (%.0f px)", width, table.Right, main.Right)
		}
	}
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
	// The clocks: each running one says the business time left and its
	// due instant in the calendar's zone, named.
	browsertest.WaitFor(t, provider, `document.querySelector("#sla-clocks .clock[data-due][data-ticked]") !== null`, "the clock script to run")
	due := browsertest.Eval[string](t, provider, `document.querySelector("#sla-clocks .clock[data-due]").getAttribute("data-due")`)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(due) {
		t.Errorf("data-due = %q, want an RFC 3339 instant", due)
	}
	if got := browsertest.Text(t, provider, "#sla-clocks .clock[data-due] .clock-left"); !businessLeft.MatchString(got) {
		t.Errorf("the clock says %q, want business time left like 4 business hours left", got)
	}
	if got := browsertest.Text(t, provider, "#sla-clocks .clock[data-due] .clock-due"); !regexp.MustCompile(`^— due \w{3} \d+ \w+ \d{4} \d\d:\d\d UTC$`).MatchString(got) {
		t.Errorf("the clock's due instant reads %q, want like — due Mon 7 Dec 2026 09:00 UTC", got)
	}
	if got := browsertest.Text(t, provider, "#sla-clocks .clock[data-due] .clock-used"); !regexp.MustCompile(`^[0-9]+ min of [0-9]+ h used$`).MatchString(got) {
		t.Errorf("the clock's target reads %q, want like 0 min of 4 h used", got)
	}
	if got := browsertest.Text(t, provider, "#timeline"); !strings.Contains(got, "Pia Provider accepted the handoff") {
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

// The clock script runs without console or CSP errors, turns a clock to
// warning and to overdue when those instants pass, and runs again after
// htmx swaps in a page. It never counts business time down by the wall
// clock: the text stays the server's business time until the clock is due.
func TestBrowserTicketCountdown(t *testing.T) {
	ctx := browsertest.New(t)
	c := newDeskCast(t)
	tk, err := c.s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), actorFor(c.itTech)), tandem.TicketInput{OrganizationID: c.org.ID, Title: "Laptop will not boot", Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, c.s, c.itTech.Email)

	// The list shows the nearest clock, under a header saying it is
	// business time; a boosted click swaps in the ticket.
	browsertest.Do(t, ctx, chromedp.Navigate(c.s.URL()+"/tickets"))
	row := fmt.Sprintf(`#tickets tr[data-ticket="%d"]`, tk.ID)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector(%q) !== null`, row+" time[data-ticked]"), "the list's clock script to run")
	if got := browsertest.Text(t, ctx, row+" .sla time"); !listLeft.MatchString(got) {
		t.Errorf("the list's clock says %q, want like 29 min left", got)
	}
	if got := strings.Join(strings.Fields(browsertest.Text(t, ctx, "#tickets th.sla")), " "); got != "SLA business time" {
		t.Errorf("the list's SLA header says %q, want it to say business time", got)
	}
	browsertest.Eval[bool](t, ctx, `window.sameDocument = true`)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(row+" .title a")))
	browsertest.WaitPath(t, ctx, fmt.Sprintf("/tickets/%d", tk.ID))
	browsertest.WaitFor(t, ctx, `window.sameDocument === true && document.querySelector("#sla-clocks .clock[data-ticked]") !== null`, "the clocks of the swapped-in page to tick")

	clock := `document.querySelector("#sla-clocks .clock[data-due]")`
	before := browsertest.Text(t, ctx, "#sla-clocks .clock[data-due] .clock-left")
	if !businessLeft.MatchString(before) {
		t.Fatalf("the clock says %q, want business time left", before)
	}
	set := func(due, warn time.Duration) {
		t.Helper()
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(() => {
			const el = %s;
			el.setAttribute("data-due", new Date(Date.now() + %d).toISOString());
			el.setAttribute("data-warn", new Date(Date.now() + %d).toISOString());
			document.dispatchEvent(new Event("htmx:afterSettle"));
			return true;
		})()`, clock, due.Milliseconds(), warn.Milliseconds()))
	}
	state := func() (class, label, text string) {
		t.Helper()
		return browsertest.Eval[string](t, ctx, clock+`.className`), browsertest.Text(t, ctx, "#sla-clocks .clock[data-due] .clock-state"),
			browsertest.Text(t, ctx, "#sla-clocks .clock[data-due] .clock-left")
	}
	// Hours of wall-clock time to go: the text is still the business time.
	set(51*time.Hour, 40*time.Hour)
	if class, label, text := state(); !strings.Contains(class, "sla-ok") || label != "running" || text != before {
		t.Errorf("a clock due in 51 h: class %q, label %q, text %q; want sla-ok, running, %q", class, label, text, before)
	}
	// Past the warning instant but before the due one: a warning.
	set(10*time.Minute, -time.Minute)
	if class, label, text := state(); !strings.Contains(class, "sla-warning") || strings.Contains(class, "sla-ok") || label != "warning" || text != before {
		t.Errorf("a clock past its warning: class %q, label %q, text %q; want sla-warning, warning, %q", class, label, text, before)
	}
	// Past the due instant: overdue.
	set(-95*time.Minute, -2*time.Hour)
	if class, label, text := state(); !strings.Contains(class, "sla-breached") || label != "breached" || text != "overdue" {
		t.Errorf("an overdue clock: class %q, label %q, text %q; want sla-breached, breached, overdue", class, label, text)
	}
	if errs := browsertest.TakeErrors(t, ctx); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// box is an element's place on the page.
type box struct{ Left, Right, Top, Bottom float64 }

func boxOf(t *testing.T, ctx context.Context, selector string) box {
	t.Helper()
	return browsertest.Eval[box](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom}; })()`, selector))
}

// The ticket page and the list as people use them: two columns at desktop
// width, one on a phone; nothing wider than the window, even with titles
// that have nowhere to break; the assignee select showing the assignee;
// and the requester seeing who works their ticket by name.
func TestBrowserTicketLayout(t *testing.T) {
	staff := browsertest.New(t)
	requester := browsertest.New(t)
	c := newDeskCast(t)
	as := tandem.NewContextWithActor(t.Context(), actorFor(c.requester))
	titles := []string{strings.Repeat("é", 200), "https://intranet.acme.example/wiki/" + strings.Repeat("printer-queue-", 11) + "x"}
	var paths []string
	for _, title := range titles {
		tk, err := c.s.Services.Tickets.CreateTicket(as, tandem.TicketInput{OrganizationID: c.org.ID, Title: title, Description: "See " + title})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "/tickets/"+strconv.FormatInt(tk.ID, 10))
	}
	browserLogin(t, staff, c.s, c.itTech.Email)
	browserLogin(t, requester, c.s, c.requester.Email)

	// Assigning through the page: the select then shows the assignee.
	browsertest.Do(t, staff, chromedp.Navigate(c.s.URL()+paths[0]))
	if got := browsertest.Value(t, staff, "#assign-form select"); got != "none" {
		t.Errorf("the assignee select of an unassigned ticket shows %q, want none", got)
	}
	browsertest.Do(t, staff, chromedp.SetValue(chromedp.CSS("#assign-form select"), strconv.FormatInt(c.itTech.ID, 10)))
	browsertest.Do(t, staff, chromedp.Click(chromedp.CSS("#assign-form button[type=submit]")))
	browsertest.WaitFor(t, staff, `document.querySelector("#ticket-assignee").textContent === "Ivo Internal"`, "the assignee on the page")
	if got := browsertest.Value(t, staff, "#assign-form select"); got != strconv.FormatInt(c.itTech.ID, 10) {
		t.Errorf("the assignee select shows %q, want the assignee %d", got, c.itTech.ID)
	}
	browsertest.Do(t, staff, chromedp.Navigate(c.s.URL()+paths[1]))
	browsertest.Do(t, staff, chromedp.Click(chromedp.CSS("#assign-me-form button")))
	browsertest.WaitFor(t, staff, `document.querySelector("#ticket-assignee").textContent === "Ivo Internal"`, "the assignee on the page")
	if browsertest.Eval[bool](t, staff, `document.querySelector("#assign-me-form") !== null`) {
		t.Error("the assignee is still offered to assign the ticket to themselves")
	}

	for _, width := range []int64{1400, 390} {
		for _, ctx := range []context.Context{staff, requester} {
			browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900))
			for _, path := range append([]string{"/tickets"}, paths...) {
				browsertest.Do(t, ctx, chromedp.Navigate(c.s.URL()+path))
				if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
					t.Errorf("%s at %d px scrolls sideways: %q", path, width, wide)
				}
			}
		}
		// The forms of the side column fit their cards (the Assign button
		// and the watcher select stuck out of them).
		if out := browsertest.Eval[[]string](t, staff, `[...document.querySelectorAll(".ticket-layout .card")].flatMap(card => {
			const r = card.getBoundingClientRect();
			return [...card.querySelectorAll("button, select, input, textarea")].filter(e => {
				const b = e.getBoundingClientRect();
				return b.width > 0 && (b.right > r.right + 0.5 || b.left < r.left - 0.5);
			}).map(e => card.id + ": " + e.tagName.toLowerCase() + " " + (e.name || e.textContent.trim()));
		})`); len(out) > 0 {
			t.Errorf("at %d px these controls stick out of their cards: %q", width, out)
		}
		main, side := boxOf(t, staff, "#ticket-main"), boxOf(t, staff, "#ticket-side")
		switch width {
		case 1400:
			if side.Left < main.Right || side.Top > main.Top+1 {
				t.Errorf("at 1400 px the side column %+v is not right of the main column %+v", side, main)
			}
		case 390:
			if main.Top < side.Bottom || main.Left != side.Left {
				t.Errorf("at 390 px the columns are not stacked: side %+v, main %+v", side, main)
			}
		}
	}

	// The requester sees the assignee's name, on the list and the page.
	browsertest.Do(t, requester, chromedp.Navigate(c.s.URL()+"/tickets"))
	names := browsertest.Eval[[]string](t, requester, `[...document.querySelectorAll("#tickets td.assignee")].map(e => e.textContent.trim())`)
	if strings.Join(names, ",") != "Ivo Internal,Ivo Internal" {
		t.Errorf("the requester's list names the assignees %q, want Ivo Internal twice", names)
	}
	browsertest.Do(t, requester, chromedp.Navigate(c.s.URL()+paths[0]))
	if got := browsertest.Text(t, requester, "#ticket-assignee"); got != "Ivo Internal" {
		t.Errorf("the requester's ticket page names the assignee %q, want Ivo Internal", got)
	}
	if body := browsertest.Text(t, requester, "body"); strings.Contains(body, "user #") || strings.Contains(body, c.itTech.Email) {
		t.Errorf("the requester's page names someone by id or shows staff email: %q", body)
	}
}
