package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// A provider admin creates an on-call schedule and an escalation policy in
// the UI (whoever is on call — the technician — then after 15 minutes the
// admin); a P1 ticket notifies the technician at once; past the timeout the scheduler notifies the admin (level 2 on the
// ticket page); the admin opens the link of the level-2 email, which
// changes nothing until the button is pressed, and acknowledges; the
// ticket page then shows the escalation acknowledged.
func TestBrowserEscalation(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	admin := s.MustCreateUser(t, &tandem.User{Name: "Ada Admin", Email: "ada@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	tech := s.MustCreateUser(t, &tandem.User{Name: "Tom Tech", Email: "tom@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{acme.ID}}, uiPassword)
	itTech := s.MustCreateUser(t, &tandem.User{Name: "Ivy IT", Email: "ivy@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)

	// Provider admins sign in with a second factor.
	secret := enrolMFA(t, s, admin)
	browserSignIn(t, ctx, s, admin.Email, uiPassword)
	browsertest.WaitPath(t, ctx, "/login/mfa")
	browsertest.Fill(t, ctx, "#mfa-login-form", "code", nextCode(t, secret))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#mfa-login-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `location.pathname !== "/login/mfa"`, "the second step to complete")

	t.Run("CreateSchedule", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/oncall/new"))
		browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#oncall-form [name=name]"), "Provider nights"),
			chromedp.SetValue(chromedp.CSS("#oncall-form [name=definition]"),
				`{"timezone":"Europe/Berlin","layers":[{"name":"all week","start":"2026-01-05T09:00:00","turn":"1w","members":["tom@msp.example"]}]}`),
			chromedp.Click(chromedp.CSS("#oncall-form button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#oncall-week") !== null`, "the schedule's week view")
	})

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/escalation/new"))
	// pick chooses a person in a level's multiple select.
	pick := func(field string, id int64) {
		browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('[name=%q] option[value="%d"]').selected = true`, field, id))
	}
	const nightsOption = `[...document.querySelectorAll('[name="levels.0.schedules"] option')].find(o => o.text === "Provider nights (provider)")`

	t.Run("ErrorBesideTheField", func(t *testing.T) {
		browsertest.Fill(t, ctx, "#policy-form", "name", "P1 at night")
		browsertest.Eval[bool](t, ctx, nightsOption+`.selected = true`)
		browsertest.Eval[bool](t, ctx, `document.querySelector('[name=triggers][value="ticket"]').checked = false`)
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#policy-save")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#triggers + .field-error") !== null`, "the error beside the triggers")
		if got := browsertest.Text(t, ctx, "#triggers + .field-error"); !strings.Contains(got, "No trigger chosen") {
			t.Errorf("the triggers say %q", got)
		}
		if got := browsertest.Value(t, ctx, `[name="name"]`); got != "P1 at night" {
			t.Errorf("the name was lost: %q", got)
		}
		if !browsertest.Eval[bool](t, ctx, nightsOption+`.selected`) {
			t.Error("level 1's schedule was lost")
		}
	})

	t.Run("CreatePolicy", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `document.querySelector('[name=priorities][value="1"]').checked = true`)
		browsertest.Eval[bool](t, ctx, `document.querySelector('[name=triggers][value="ticket"]').checked = true`)
		pick("levels.1.users", admin.ID)
		browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS(`[name="levels.0.timeout_minutes"]`), "15"),
			chromedp.SetValue(chromedp.CSS(`[name="levels.1.timeout_minutes"]`), "15"),
			chromedp.Click(chromedp.CSS("#policy-save")))
		browsertest.WaitFor(t, ctx, `location.pathname === "/escalation" && document.querySelector("#policies").textContent.includes("P1 at night")`, "the policy in the list")
		if got := browsertest.Text(t, ctx, "#policies tbody tr .policy-path"); got != "on call in Provider nights (15 min) → Ada Admin (15 min)" {
			t.Errorf("the list shows the path %q", got)
		}
		browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 844))
		if w := browsertest.Overflow(t, ctx, ""); len(w) > 0 {
			t.Errorf("the list overflows: %s", w)
		}
	})

	start := time.Now()
	tk, err := s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), &tandem.Actor{UserID: itTech.ID, Email: itTech.Email,
		Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: acme.ID}),
		tandem.TicketInput{OrganizationID: acme.ID, Title: "Warehouse network down", Description: "Nothing connects.", Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	ticketPage := fmt.Sprintf("%s/tickets/%d", s.URL(), tk.ID)
	if len(s.EmailedLinks(t, tk.ID, tech.ID)) != 1 {
		t.Fatal("the technician got no email with the P1")
	}

	t.Run("LevelTwoAfterTheTimeout", func(t *testing.T) {
		s.RunScheduler(t, start.Add(10*time.Minute))
		if len(s.EmailedLinks(t, tk.ID, admin.ID)) != 0 {
			t.Fatal("level 2 before its time")
		}
		s.RunScheduler(t, start.Add(16*time.Minute))
		browsertest.Do(t, ctx, chromedp.Navigate(ticketPage))
		got := browsertest.Text(t, ctx, "#escalation-card")
		for _, want := range []string{"triggered", "P1 at night", "Level 2 of 2", "Level 1: Tom Tech", "Level 2: Ada Admin"} {
			if !strings.Contains(got, want) {
				t.Errorf("the Escalation panel lacks %q:\n%s", want, got)
			}
		}
	})

	t.Run("AcknowledgeFromTheEmailedLink", func(t *testing.T) {
		links := s.EmailedLinks(t, tk.ID, admin.ID)
		if len(links) != 1 || !strings.HasPrefix(links[0], "/ack/") {
			t.Fatalf("the admin's emails link %v", links)
		}
		// Another tab, as a mail client opens it; the link needs no session.
		anon := browsertest.New(t)
		browsertest.Do(t, anon, chromedp.Navigate(s.URL()+links[0]))
		if got := browsertest.Text(t, anon, "h1"); got != fmt.Sprintf("Acknowledge ticket #%d?", tk.ID) {
			t.Errorf("the link's page asks %q", got)
		}
		in, err := s.Services.Escalation.FindIncidents(testserver.SystemContext(), tk.ID)
		if err != nil || in[0].State != "triggered" {
			t.Fatalf("opening the link changed the incident: %v %v", in, err)
		}
		browsertest.Do(t, anon, chromedp.Click(chromedp.CSS("#ack-button")))
		browsertest.WaitFor(t, anon, `document.querySelector("#ack-done") !== null`, "the acknowledgement")
		if got := browsertest.Text(t, anon, "#ack-done"); !strings.Contains(got, "Ada Admin acknowledged") {
			t.Errorf("the page says %q", got)
		}
		browsertest.Do(t, anon, chromedp.EmulateViewport(390, 844))
		if w := browsertest.Overflow(t, anon, ""); len(w) > 0 {
			t.Errorf("the acknowledgement page overflows: %s", w)
		}
		browsertest.Do(t, anon, chromedp.Navigate(s.URL()+links[0]))
		if got := browsertest.Text(t, anon, "#ack-problem"); !strings.Contains(got, "used already") {
			t.Errorf("a used link says %q", got)
		}

		browsertest.Do(t, ctx, chromedp.Navigate(ticketPage))
		got := browsertest.Text(t, ctx, "#escalation-card")
		if !strings.Contains(got, "acknowledged") || !strings.Contains(got, "Acknowledged by Ada Admin") {
			t.Errorf("after the acknowledgement the panel says:\n%s", got)
		}
		if strings.Contains(got, "Escalate now") {
			t.Error("the buttons remain on an acknowledged escalation")
		}
		if timeline := browsertest.Text(t, ctx, ".conversation"); !strings.Contains(timeline, "Ada Admin acknowledged the escalation \"P1 at night\" at level 2 from the emailed link") {
			t.Errorf("the timeline lacks the acknowledgement:\n%s", timeline)
		}
	})
}

// A P1 escalation posted to the provider's Slack channel carries an
// Acknowledge link that anyone in the channel may open: a visitor is asked
// to sign in, comes back to the link after the login, and acknowledges as
// themself; the ticket's timeline names them and the channel.
func TestBrowserAckFromChat(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	noProviderMFA(t, s)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	admin := s.MustCreateUser(t, &tandem.User{Name: "Ada Admin", Email: "ada@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	tech := s.MustCreateUser(t, &tandem.User{Name: "Tom Tech", Email: "tom@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{acme.ID}}, uiPassword)
	itTech := s.MustCreateUser(t, &tandem.User{Name: "Ivy IT", Email: "ivy@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &acme.ID}, uiPassword)
	asAdmin := tandem.NewContextWithActor(t.Context(), &tandem.Actor{UserID: admin.ID, Email: admin.Email, Party: tandem.PartyProvider, Role: tandem.RoleAdmin})
	hook := &tandem.Webhook{Name: "NOC Slack", URL: "https://hooks.slack.example/services/T/B/x", Format: tandem.WebhookSlack,
		Kinds: []tandem.NotificationKind{tandem.NotifyEscalation}, Active: true}
	if err := s.Services.Webhooks.CreateWebhook(asAdmin, hook); err != nil {
		t.Fatal(err)
	}
	policy := &tandem.EscalationPolicy{Party: tandem.PartyProvider, Name: "P1 NOC", Priorities: []tandem.Priority{1},
		Triggers: []escalation.Trigger{escalation.TriggerTicket}, Levels: []tandem.EscalationLevel{
			{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: admin.ID}}, TimeoutMinutes: 15}}}
	if err := s.Services.Escalation.CreateEscalationPolicy(asAdmin, policy); err != nil {
		t.Fatal(err)
	}
	tk, err := s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), &tandem.Actor{UserID: itTech.ID, Email: itTech.Email,
		Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: acme.ID}),
		tandem.TicketInput{OrganizationID: acme.ID, Title: "Firewall down", Description: "No traffic.", Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	links := s.PostedLinks(t, tk.ID, hook.ID)
	if len(links) != 1 || !strings.HasPrefix(links[0], "/ack/") {
		t.Fatalf("the channel's message links %v, want one acknowledgement link", links)
	}

	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+links[0]))
	if got := browsertest.Text(t, ctx, "#ack"); !strings.Contains(got, `posted to “NOC Slack”`) {
		t.Errorf("the link's page says %q", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#ack-signin")))
	browsertest.WaitPath(t, ctx, "/login")
	browsertest.Fill(t, ctx, "form[action='/login']", "email", tech.Email, "password", uiPassword)
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")))
	browsertest.WaitPath(t, ctx, links[0])
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#ack-button")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#ack-done") !== null`, "the acknowledgement")
	if got := browsertest.Text(t, ctx, "#ack-done"); !strings.Contains(got, "Tom Tech acknowledged") {
		t.Errorf("the page says %q", got)
	}
	browsertest.Do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", s.URL(), tk.ID)))
	if timeline := browsertest.Text(t, ctx, ".conversation"); !strings.Contains(timeline, `Tom Tech acknowledged the escalation "P1 NOC" at level 1 from the link posted to "NOC Slack"`) {
		t.Errorf("the timeline lacks the acknowledgement:\n%s", timeline)
	}
	// After a login that had nowhere to return to, home.
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/logout"))
	browserLogin(t, ctx, s, tech.Email)
	if path := browsertest.Eval[string](t, ctx, `location.pathname`); path != "/" {
		t.Errorf("a plain login lands on %s, want home", path)
	}
}
