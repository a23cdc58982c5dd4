package http_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// homeDesk is the fixture of the home page tests: Acme, whose matrix gives
// end-user-support to internal IT and every other area to the provider,
// and Globex, with one ticket of its own. On the default policy (P3: a
// response within 4 hours), Acme holds, by requester:
//
//	Rita: B1 provider, breached · B2 internal, breached · P3 provider, unassigned · R1 provider, resolved
//	Rob:  B3 provider, breached · W1 provider, warned, Pia's · P1, P2 provider, Pia's · I1 internal, Ivo's · H1 internal, handed off to the provider
//
// so the figures differ for every role (see TestBrowserHome).
type homeDesk struct {
	s                                  *testserver.Server
	acme, globex                       *tandem.Organization
	pat, pia, ida, ivo, val, rita, rob *tandem.User
}

func newHomeDesk(t *testing.T) *homeDesk {
	t.Helper()
	s := testserver.Start(t)
	sys := testserver.SystemContext()
	if err := s.Services.MFA.SetProviderRequiresMFA(sys, false); err != nil {
		t.Fatal(err)
	}
	d := &homeDesk{s: s, acme: s.MustCreateOrganization(t, "Acme Corp"), globex: s.MustCreateOrganization(t, "Globex")}
	user := func(name, email string, role tandem.Role, org *tandem.Organization, assigned ...int64) *tandem.User {
		u := &tandem.User{Name: name, Email: email, Role: role, Organizations: assigned}
		if org != nil {
			u.OrganizationID = &org.ID
		}
		return s.MustCreateUser(t, u, uiPassword)
	}
	d.pat = user("Pat Owner", "pat@msp.example", tandem.RoleAdmin, nil)
	d.pia = user("Pia Provider", "pia@msp.example", tandem.RoleTechnician, nil, d.acme.ID)
	d.ida = user("Ida Admin", "ida@acme.example", tandem.RoleITAdmin, d.acme)
	d.ivo = user("Ivo Internal", "ivo@acme.example", tandem.RoleITTechnician, d.acme)
	d.val = user("Val Viewer", "val@acme.example", tandem.RoleViewer, d.acme)
	d.rita = user("Rita Requester", "rita@acme.example", tandem.RoleRequester, d.acme)
	d.rob = user("Rob Requester", "rob@acme.example", tandem.RoleRequester, d.acme)
	gina := user("Gina Globex", "gina@globex.example", tandem.RoleRequester, d.globex)

	// The matrix: end-user-support is internal IT's, the rest the provider's.
	areas, err := s.Services.Matrix.FindServiceAreas(sys, d.acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	var list []tandem.Assignment
	var internal, provider int64
	for _, a := range areas {
		owner := tandem.PartyProvider
		if a.Key == "end-user-support" {
			owner, internal = tandem.PartyInternal, a.ID
		} else if provider == 0 {
			provider = a.ID
		}
		list = append(list, tandem.Assignment{AreaID: a.ID, Party: owner, Responsible: true, Accountable: true})
	}
	v, err := s.Services.Matrix.ProposeMatrix(sys, d.acme.ID, list)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*tandem.User{d.ida, d.pat} {
		if _, err := s.Services.Matrix.SignMatrix(d.as(u), d.acme.ID, v.Number); err != nil {
			t.Fatal(err)
		}
	}
	open := func(u *tandem.User, area int64, title string, assignee *tandem.User) *tandem.Ticket {
		t.Helper()
		tk, err := s.Services.Tickets.CreateTicket(d.as(u), tandem.TicketInput{OrganizationID: d.acme.ID, Title: title, AreaID: &area})
		if err != nil {
			t.Fatal(err)
		}
		if assignee != nil {
			if _, err := s.Services.Tickets.UpdateTicket(d.as(assignee), tk.ID, tandem.TicketUpdate{AssigneeID: &assignee.ID}); err != nil {
				t.Fatal(err)
			}
		}
		return tk
	}
	// The clocks run from now: the worker, asked about the coming hours,
	// records the breaches and the warning that will be due by then.
	process := func(after time.Duration) {
		t.Helper()
		if _, err := s.Services.SLA.ProcessTimers(sys, time.Now().Add(after)); err != nil {
			t.Fatal(err)
		}
	}
	open(d.rita, provider, "B1 printer offline", nil)
	open(d.rita, internal, "B2 password reset", nil)
	open(d.rob, provider, "B3 backup failed", nil)
	process(5 * time.Hour)
	open(d.rob, provider, "W1 disk filling up", d.pia)
	process(3*time.Hour + 30*time.Minute)
	open(d.rob, provider, "P1 VPN slow", d.pia)
	open(d.rob, provider, "P2 firewall rule", d.pia)
	open(d.rita, provider, "P3 new laptop image", nil)
	open(d.rob, internal, "I1 monitor flickers", d.ivo)
	h1 := open(d.rob, internal, "H1 server room warm", nil)
	if _, err := s.Services.Tickets.RequestHandoff(d.as(d.ivo), h1.ID, "The provider's HVAC contract"); err != nil {
		t.Fatal(err)
	}
	r1 := open(d.rita, provider, "R1 mailbox full", d.pia)
	if _, err := s.Services.Tickets.AddComment(d.as(d.pia), r1.ID, tandem.CommentInput{Body: "Archived the old mail."}); err != nil {
		t.Fatal(err)
	}
	resolved := tandem.StatusResolved
	if _, err := s.Services.Tickets.UpdateTicket(d.as(d.pia), r1.ID, tandem.TicketUpdate{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Services.Tickets.CreateTicket(d.as(gina), tandem.TicketInput{OrganizationID: d.globex.ID, Title: "G1 elsewhere"}); err != nil {
		t.Fatal(err)
	}
	return d
}

// as returns a context acting as u, for the fixture.
func (d *homeDesk) as(u *tandem.User) context.Context {
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return tandem.NewContextWithActor(context.Background(), a)
}

// figures returns the home page's figures by key ("mine", "load-…").
func figures(t *testing.T, ctx context.Context) map[string]int {
	t.Helper()
	raw := browsertest.Eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("main [id^=fig-]")].map(a => [a.id.slice(4), (a.querySelector(".n") || a).textContent.trim()]))`)
	got := map[string]int{}
	for k, v := range raw {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("figure %s shows %q, not a number", k, v)
		}
		got[k] = n
	}
	return got
}

// listedTickets returns the titles the ticket list shows.
func listedTickets(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#tickets tr[data-ticket] td.title")].map(td => td.textContent.trim().slice(0, 2))`)
}

// wantFits fails the test when the page is wider than the window at the
// given width, or something of its content ends past the window's edge (a
// wide table scrolls in its own box, .scroll, and is not counted).
func wantFits(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900))
	if wide := browsertest.Overflow(t, ctx, "main *:not(.scroll *)"); len(wide) > 0 {
		t.Errorf("at %d px the home page does not fit: %v", width, wide)
	}
}

// Each role's home page shows its own figures, and every figure is a link
// to a list showing exactly the tickets it counts.
func TestBrowserHome(t *testing.T) {
	d := newHomeDesk(t)
	tests := []struct {
		name  string
		u     *tandem.User
		want  map[string]int
		lists map[string][]string // the tickets some figures' lists show
	}{
		{"ProviderTechnician", d.pia,
			map[string]int{"mine": 3, "unassigned": 3, "awaiting": 1, "warning": 1, "breached": 2},
			map[string][]string{"mine": {"P2", "P1", "W1"}, "unassigned": {"P3", "B3", "B1"}, "awaiting": {"H1"}, "warning": {"W1"}, "breached": {"B3", "B1"}}},
		{"ITTechnician", d.ivo,
			map[string]int{"mine": 1, "unassigned": 2, "awaiting": 0, "warning": 0, "breached": 1},
			map[string][]string{"mine": {"I1"}, "unassigned": {"H1", "B2"}, "breached": {"B2"}}},
		{"ITAdmin", d.ida,
			map[string]int{"mine": 0, "unassigned": 2, "awaiting": 0, "warning": 0, "breached": 1,
				"load-" + strconv.FormatInt(d.ida.ID, 10): 0, "load-" + strconv.FormatInt(d.ivo.ID, 10): 1, "load-unassigned": 2},
			map[string][]string{"load-" + strconv.FormatInt(d.ivo.ID, 10): {"I1"}}},
		{"ProviderAdmin", d.pat,
			map[string]int{"mine": 0, "unassigned": 3, "awaiting": 1, "warning": 1, "breached": 2,
				"load-" + strconv.FormatInt(d.pat.ID, 10): 0, "load-" + strconv.FormatInt(d.pia.ID, 10): 3, "load-unassigned": 3},
			map[string][]string{"load-" + strconv.FormatInt(d.pia.ID, 10): {"P2", "P1", "W1"}}},
		{"Viewer", d.val,
			map[string]int{"open": 9, "open-internal": 3, "open-provider": 6},
			map[string][]string{"open-internal": {"H1", "I1", "B2"}}},
		{"Requester", d.rita,
			map[string]int{"open": 3},
			map[string][]string{"open": {"P3", "B2", "B1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := browsertest.New(t)
			browserLogin(t, ctx, d.s, tt.u.Email)
			browsertest.WaitPath(t, ctx, "/")
			got := figures(t, ctx)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("home page figures = %v, want %v", got, tt.want)
			}
			for _, width := range []int64{390, 1400} {
				wantFits(t, ctx, width)
			}
			keys := make([]string, 0, len(got))
			for k := range got {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, key := range keys {
				browsertest.Do(t, ctx, chromedp.Navigate(d.s.URL()+"/"))
				browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#fig-"+key)))
				browsertest.WaitFor(t, ctx, `location.pathname === "/tickets"`, "the list of figure "+key)
				listed := listedTickets(t, ctx)
				if len(listed) != got[key] {
					t.Errorf("figure %s = %d; its list %s shows %d tickets: %v", key, got[key], browsertest.Eval[string](t, ctx, `location.search`), len(listed), listed)
				}
				if want, ok := tt.lists[key]; ok && !slices.Equal(listed, want) {
					t.Errorf("figure %s lists %v, want %v", key, listed, want)
				}
				// A person's load leaves their name chosen in the filter form.
				if id, ok := strings.CutPrefix(key, "load-"); ok && id != "unassigned" {
					chosen := browsertest.Eval[[]string](t, ctx, `(o => [o.value, o.textContent.trim()])(document.querySelector("select[name=assignee]").selectedOptions[0])`)
					if chosen[0] != id || chosen[1] == "" || chosen[1] == "the person chosen" {
						t.Errorf("the list of figure %s has the assignee filter at %q, want the person by name", key, chosen)
					}
				}
			}
		})
	}

	t.Run("RequesterPage", func(t *testing.T) {
		ctx := browsertest.New(t)
		browserLogin(t, ctx, d.s, d.rob.Email)
		rows := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#my-requests [data-ticket]")].map(r => r.querySelector(".title").textContent.slice(0, 2) + " " + r.querySelector(".status").textContent)`)
		if want := []string{"H1 new", "I1 open", "P2 open", "P1 open", "W1 open", "B3 new"}; !slices.Equal(rows, want) {
			t.Errorf("Rob's open requests = %q, want %q", rows, want)
		}
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#new-request")))
		browsertest.WaitPath(t, ctx, "/orgs/"+d.acme.Slug+"/tickets/new")
	})

	// The viewer's SLA attainment: the month's met and breached clocks.
	// (B1, B2 and B3 breached four hours from now: near the end of a month
	// they belong to the next one, and the page then shows fewer.)
	t.Run("ViewerSLA", func(t *testing.T) {
		ctx := browsertest.New(t)
		browserLogin(t, ctx, d.s, d.val.Email)
		met, breached := browsertest.Text(t, ctx, "#sla-met"), browsertest.Text(t, ctx, "#sla-breached")
		now := time.Now().UTC()
		if now.Add(5*time.Hour).Month() != now.Month() {
			t.Skip("the fixture's breaches fall in the next month")
		}
		// Met: R1's response and resolution; breached: B1, B2 and B3's responses.
		if met != "2" || breached != "3" || browsertest.Text(t, ctx, "#sla-percent") != "40%" {
			t.Errorf("SLA attainment shows %s met, %s breached, %s; want 2, 3, 40%%", met, breached, browsertest.Text(t, ctx, "#sla-percent"))
		}
	})

	// A provider admin sees the organisations side by side.
	t.Run("ByOrganization", func(t *testing.T) {
		ctx := browsertest.New(t)
		browserLogin(t, ctx, d.s, d.pat.Email)
		orgs := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("#by-org tr[data-org]")].map(r => r.dataset.org + " " + r.querySelector("[data-figure=unassigned]").textContent)`)
		if want := []string{d.acme.Slug + " 3", d.globex.Slug + " 0"}; !slices.Equal(orgs, want) {
			t.Errorf("by organisation, unassigned = %q, want %q", orgs, want)
		}
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#by-org tr[data-org="`+d.acme.Slug+`"] [data-figure=breached]`)))
		browsertest.WaitFor(t, ctx, `location.pathname === "/tickets"`, "Acme's breaches")
		if got := listedTickets(t, ctx); !slices.Equal(got, []string{"B3", "B1"}) {
			t.Errorf("Acme's provider breaches list %v, want B3, B1", got)
		}
	})
}

// A provider admin with no organisation is shown how to add the first,
// adds it and a second, and renames one; refusals say why and change
// nothing.
func TestBrowserOrganizationAdmin(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
	s.MustCreateUser(t, &tandem.User{Name: "Pat Owner", Email: "pat@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	browserLogin(t, ctx, s, "pat@msp.example")
	browsertest.WaitPath(t, ctx, "/")
	if !strings.Contains(browsertest.Text(t, ctx, "#first-org"), "first client organisation") {
		t.Fatalf("a provider admin without organisations sees %q", browsertest.Text(t, ctx, "main"))
	}
	orgs := func() []string {
		t.Helper()
		list, _, err := s.Services.Organizations.FindOrganizations(testserver.SystemContext(), tandem.OrganizationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range list {
			out = append(out, o.Slug+" "+o.Name)
		}
		return out
	}
	create := func(name, slug string) {
		t.Helper()
		browsertest.Fill(t, ctx, "#org-create-form", "name", name, "slug", slug)
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#org-create-form button[type=submit]")))
	}

	create("Initech", "")
	browsertest.WaitPath(t, ctx, "/orgs/initech")
	if got := browsertest.Text(t, ctx, "main h1"); got != "Initech" {
		t.Errorf("new organisation's heading = %q", got)
	}
	if !strings.Contains(browsertest.Text(t, ctx, ".notice"), "invite its people") {
		t.Errorf("notice after creating = %q", browsertest.Text(t, ctx, ".notice"))
	}
	// Inviting people is one click away.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#invite-link")))
	browsertest.WaitPath(t, ctx, "/orgs/initech/people")
	browsertest.WaitFor(t, ctx, `document.querySelector("#invite-form") !== null`, "the invitation form")

	// A second one from the home page, with its own slug; then a duplicate.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#add-org summary")))
	create("Globex Corporation", "globex")
	browsertest.WaitPath(t, ctx, "/orgs/globex")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#add-org summary")))
	create("Globex Again", "globex")
	browsertest.WaitFor(t, ctx, `document.querySelector(".error") !== null`, "the duplicate refused")
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, `"globex" is already in use`) {
		t.Errorf("duplicate slug: %q", got)
	}
	if got := browsertest.Value(t, ctx, "#org-create-form input[name=name]"); got != "Globex Again" {
		t.Errorf("after the refusal the form holds %q, want what was typed", got)
	}
	want := []string{"initech Initech", "globex Globex Corporation"}
	if got := orgs(); !slices.Equal(got, want) {
		t.Fatalf("organisations = %q, want %q", got, want)
	}

	// Renaming: an empty name is refused, a good one taken.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/orgs/initech"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#rename-org summary")))
	browsertest.Eval[bool](t, ctx, `document.querySelector("#rename-form input[name=name]").removeAttribute("required") === undefined`)
	browsertest.Fill(t, ctx, "#rename-form", "name", " ")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#rename-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".error") !== null`, "the empty name refused")
	if got := browsertest.Text(t, ctx, ".error"); !strings.Contains(got, "name is required") {
		t.Errorf("empty name: %q", got)
	}
	browsertest.Fill(t, ctx, "#rename-form", "name", "Globex", "slug", "globex")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#rename-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector(".error") !== null && document.querySelector(".error").textContent.includes("already in use")`, "the duplicate slug refused")
	if got := orgs(); !slices.Equal(got, want) {
		t.Fatalf("after refused renames, organisations = %q, want %q", got, want)
	}
	browsertest.Fill(t, ctx, "#rename-form", "name", "Initrode", "slug", "initrode")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#rename-form button[type=submit]")))
	browsertest.WaitPath(t, ctx, "/orgs/initrode")
	if got := browsertest.Text(t, ctx, "main h1"); got != "Initrode" {
		t.Errorf("heading after renaming = %q", got)
	}
	if got := orgs(); !slices.Equal(got, []string{"initrode Initrode", "globex Globex Corporation"}) {
		t.Errorf("after renaming, organisations = %q", got)
	}
	// Both changes are in the audit trail.
	entries, _, err := s.Services.Audit.FindAuditEntries(testserver.SystemContext(), tandem.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "organization.") {
			actions = append(actions, e.Action)
		}
	}
	slices.Sort(actions)
	if want := []string{"organization.create", "organization.create", "organization.update"}; !slices.Equal(actions, want) {
		t.Errorf("audited %q, want %q", actions, want)
	}
}
