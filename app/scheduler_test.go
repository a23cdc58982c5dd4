package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

// ticketOpenedAt stores, in a new installation in dir, a medium ticket of a
// requester opened at the instant given, and closes the database.
func ticketOpenedAt(t *testing.T, dir string, opened time.Time, title string) *tandem.Ticket {
	t.Helper()
	ctx := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
	db, err := app.OpenDB(ctx, sqlstore.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return opened }
	svc := app.NewServices(db, dir)
	if _, err := svc.Setup.EnsureProvider(ctx, "Northwind MSP"); err != nil {
		t.Fatal(err)
	}
	org := &tandem.Organization{Name: "Acme Corp"}
	if err := svc.Organizations.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	requester := &tandem.User{Email: "alice@acme.test", Name: "Alice", OrganizationID: &org.ID, Role: tandem.RoleRequester}
	if err := svc.Users.CreateUser(ctx, requester, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	tk, err := svc.Tickets.CreateTicket(ctx, tandem.TicketInput{OrganizationID: org.ID, RequesterID: requester.ID, Title: title})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return tk
}

// A ticket whose response target ran out while the server was down gets its
// breach on the timeline once the server runs, exactly once: restarting
// does not fire it again.
func TestTimerWorkerFiresOnceAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
	// Five hours ago, a medium ticket: the default policy gives it four
	// hours (24×7) to respond, which nobody did.
	tk := ticketOpenedAt(t, dir, time.Now().Add(-5*time.Hour), "Outlook crashes on start")

	breaches := func(m *app.Main) int {
		t.Helper()
		events, err := m.Services.Tickets.Timeline(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Kind == tandem.EventSLABreach {
				n++
			}
		}
		return n
	}
	run := func() *app.Main {
		t.Helper()
		m := &app.Main{DataDir: dir, Addr: "127.0.0.1:0", ProviderName: "Northwind MSP", TimerInterval: 20 * time.Millisecond}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			t.Fatal(err)
		}
		return m
	}

	m := run()
	deadline := time.Now().Add(10 * time.Second)
	for breaches(m) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // several more rounds
	if n := breaches(m); n != 1 {
		m.Close()
		t.Fatalf("%d breaches after start, want 1", n)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = run()
	defer m.Close()
	time.Sleep(200 * time.Millisecond)
	if n := breaches(m); n != 1 {
		t.Fatalf("%d breaches after a restart, want still 1", n)
	}
	got, err := m.Services.Tickets.FindTicket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SLAState != tandem.SLABreached {
		t.Fatalf("SLA state %s, want breached", got.SLAState)
	}
}

// The worker wakes when the next timer comes due, not at its interval:
// with an interval of an hour, a breach two seconds away is on the
// timeline within moments of its due instant.
func TestTimerWorkerWakesForTheNextTimer(t *testing.T) {
	dir := t.TempDir()
	ctx := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
	// The default policy gives a medium ticket four hours (24×7) to
	// respond: opened that long ago less two seconds, it comes due soon.
	opened := time.Now().Add(-4*time.Hour + 2*time.Second)
	tk := ticketOpenedAt(t, dir, opened, "VPN drops every hour")
	due := opened.Add(4 * time.Hour)

	m := &app.Main{DataDir: dir, Addr: "127.0.0.1:0", ProviderName: "Northwind MSP", TimerInterval: time.Hour}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	defer m.Close()
	for deadline := due.Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		events, err := m.Services.Tickets.Timeline(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(events, func(e *tandem.Event) bool { return e.Kind == tandem.EventSLABreach }) {
			if late := time.Since(due); late < 0 {
				t.Fatalf("breach on the timeline %v before its due instant", -late)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no breach 10 s after its due instant, with the worker's interval an hour")
		}
	}
}

func TestTimerIntervalValidated(t *testing.T) {
	m := &app.Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", TimerInterval: time.Millisecond}
	err := m.Run(context.Background())
	defer m.Close()
	if tandem.ErrorCode(err) != tandem.ECONFIG {
		t.Fatalf("Run with a 1ms timer interval: %v, want a config error", err)
	}
}
