package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqlstore"
)

// The desk's clock starts on Thursday 14 March 2030, 09:00 UTC: 10:00 in
// Berlin (UTC+1 until the end of March).
var berlinZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// inBerlin returns a wall clock in Berlin in March 2030.
func inBerlin(day, hour, min int) time.Time {
	return time.Date(2030, 3, day, hour, min, 0, 0, berlinZone)
}

// slaDesk is the desk with its SLA service and a policy for medium-priority
// tickets (P3, what a ticket gets by default): response and resolution
// targets as given, OLAs of 30 (provider) and 60 (internal) minutes.
type slaDesk struct {
	*desk
	SLA *sqlstore.SLAService
}

func newSLADesk(t *testing.T, db *sqlstore.DB, calendar string, response, resolution int) *slaDesk {
	t.Helper()
	d := &slaDesk{desk: newDesk(t, db), SLA: sqlstore.NewSLAService(db)}
	p := &tandem.SLAPolicy{OrganizationID: d.Org.ID, WarnPercent: 75,
		Targets: []tandem.SLATarget{{Priority: 3, ResponseMinutes: response, ResolutionMinutes: resolution}},
		OLAs:    []tandem.OLATarget{{Party: tandem.PartyProvider, AcceptMinutes: 30}, {Party: tandem.PartyInternal, AcceptMinutes: 60}}}
	if calendar != "" {
		c := &tandem.BusinessCalendar{OrganizationID: d.Org.ID, Name: "Office", Definition: json.RawMessage(calendar)}
		if err := d.SLA.CreateCalendar(systemCtx(t), c); err != nil {
			t.Fatal(err)
		}
		p.CalendarID = &c.ID
	}
	if err := d.SLA.UpdateSLAPolicy(systemCtx(t), p); err != nil {
		t.Fatal(err)
	}
	return d
}

// timer returns the ticket's timer of a kind (the last accept timer for
// TimerAccept), failing when there is none.
func (d *slaDesk) timer(id int64, kind tandem.TimerKind) *tandem.Timer {
	d.tb.Helper()
	var found *tandem.Timer
	for _, tm := range d.ticket(id).Timers {
		if tm.Kind == kind {
			found = tm
		}
	}
	if found == nil {
		d.tb.Fatalf("ticket %d has no %s timer", id, kind)
	}
	return found
}

// wantTimer checks a timer's state and due instant (zero: none).
func wantTimer(t *testing.T, tm *tandem.Timer, state tandem.TimerState, due time.Time) {
	t.Helper()
	switch {
	case tm.State != state:
		t.Fatalf("%s timer is %s, want %s (%+v)", tm.Kind, tm.State, state, tm)
	case due.IsZero() && tm.DueAt != nil:
		t.Fatalf("%s timer due %v, want none", tm.Kind, tm.DueAt)
	case !due.IsZero() && (tm.DueAt == nil || !tm.DueAt.Equal(due)):
		t.Fatalf("%s timer due %v, want %v", tm.Kind, tm.DueAt, due.UTC())
	}
}

func (d *slaDesk) wantState(id int64, want tandem.SLAState) {
	d.tb.Helper()
	if got := d.ticket(id).SLAState; got != want {
		d.tb.Fatalf("ticket %d SLA state %s, want %s", id, got, want)
	}
}

// changePolicy changes the organisation's SLA policy as its it-admin.
func (d *slaDesk) changePolicy(change func(p *tandem.SLAPolicy)) {
	d.tb.Helper()
	p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
	if err != nil {
		d.tb.Fatal(err)
	}
	change(p)
	if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
		d.tb.Fatal(err)
	}
}

// advanceTo moves the desk's clock to t.
func (d *slaDesk) advanceTo(t time.Time) {
	d.Clock.Advance(t.Sub(d.Clock.Now()))
}

func TestSLATimerPause(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, officeHours, 60, 480)
		cal, err := sla.ParseCalendar([]byte(officeHours))
		if err != nil {
			t.Fatal(err)
		}
		tk := d.open(d.Requester, "end-user-support", "Laptop does not boot")
		// Eight business hours from Thursday 10:00: seven on Thursday, one
		// on Friday.
		firstDue := inBerlin(15, 10, 0)
		wantTimer(t, d.timer(tk.ID, tandem.TimerResponse), tandem.TimerRunning, inBerlin(14, 11, 0))
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerRunning, firstDue)
		d.wantState(tk.ID, tandem.SLAOK)

		// The owning party's public reply is the response, and moves the
		// new ticket to open.
		d.advanceTo(inBerlin(14, 10, 30))
		if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "Bring it to the IT desk at 11."}); err != nil {
			t.Fatal(err)
		}
		wantTimer(t, d.timer(tk.ID, tandem.TimerResponse), tandem.TimerMet, inBerlin(14, 11, 0))
		if got := d.ticket(tk.ID); got.Status != tandem.StatusOpen {
			t.Fatalf("after the first reply: %s, want open", got.Status)
		}

		d.advanceTo(inBerlin(14, 11, 0))
		d.setStatus(d.ITTech, tk.ID, tandem.StatusPendingCustomer)
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		d.wantState(tk.ID, tandem.SLAPaused)

		// Reassigned, handed to the provider and accepted while pending:
		// the pause holds throughout.
		d.advanceTo(inBerlin(14, 13, 0))
		assignee := d.ITAdmin.ID
		if _, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AssigneeID: &assignee}); err != nil {
			t.Fatal(err)
		}
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		if _, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "Needs the provider's imaging server"); err != nil {
			t.Fatal(err)
		}
		wantTimer(t, d.timer(tk.ID, tandem.TimerAccept), tandem.TimerRunning, inBerlin(14, 13, 30))
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		d.advanceTo(inBerlin(14, 13, 10))
		if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, d.ticket(tk.ID).PendingHandoff.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		acc := d.timer(tk.ID, tandem.TimerAccept)
		wantTimer(t, acc, tandem.TimerMet, inBerlin(14, 13, 30))
		if acc.Party != tandem.PartyProvider || acc.ElapsedMinutes != 10 {
			t.Fatalf("accept timer %+v, want the provider's, met after 10 minutes", acc)
		}
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		d.wantState(tk.ID, tandem.SLAPaused)

		// Back to work on Friday 11:00: the due instant moves by exactly
		// the paused business time (Thursday 11–17, Friday 9–11: 8 hours),
		// to Monday 10:00.
		d.advanceTo(inBerlin(15, 11, 0))
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
		paused, err := sla.Between(cal, inBerlin(14, 11, 0), inBerlin(15, 11, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		moved, err := sla.Due(cal, firstDue, paused, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !moved.Equal(inBerlin(18, 10, 0)) {
			t.Fatalf("hand check: %v paused moves the due instant to %v", paused, moved)
		}
		res := d.timer(tk.ID, tandem.TimerResolution)
		wantTimer(t, res, tandem.TimerRunning, moved)
		if res.ElapsedMinutes != 60 || res.Party != tandem.PartyProvider {
			t.Fatalf("resolution %+v, want 60 minutes used, owned by the provider now", res)
		}
		d.wantState(tk.ID, tandem.SLAOK)

		// Resolved an hour later, reopened on Monday 09:30: six hours are
		// left, so it is due at 15:30.
		d.advanceTo(inBerlin(15, 12, 0))
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusResolved)
		res = d.timer(tk.ID, tandem.TimerResolution)
		if res.State != tandem.TimerMet || res.MetAt == nil || !res.MetAt.Equal(inBerlin(15, 12, 0)) || res.ElapsedMinutes != 120 {
			t.Fatalf("resolved: %+v, want met at Friday 12:00 after 120 minutes", res)
		}
		d.wantState(tk.ID, tandem.SLAMet)
		d.advanceTo(inBerlin(18, 9, 30))
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
		res = d.timer(tk.ID, tandem.TimerResolution)
		wantTimer(t, res, tandem.TimerRunning, inBerlin(18, 15, 30))
		if res.MetAt != nil || res.ElapsedMinutes != 120 {
			t.Fatalf("reopened: %+v, want running again with 120 minutes used", res)
		}
		d.wantState(tk.ID, tandem.SLAOK)
	})
}

func TestSLATimerHandoffOLA(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 240, 1440) // 24×7
		t0 := d.Clock.Now()
		tk := d.open(d.Requester, "end-user-support", "Printer offline")

		h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "Provider manages the print server")
		if err != nil {
			t.Fatal(err)
		}
		acc := d.timer(tk.ID, tandem.TimerAccept)
		wantTimer(t, acc, tandem.TimerRunning, t0.Add(30*time.Minute))
		if acc.HandoffID == nil || *acc.HandoffID != h.ID || acc.Party != tandem.PartyProvider {
			t.Fatalf("accept timer %+v, want the provider's for handoff %d", acc, h.ID)
		}
		d.Clock.Advance(5 * time.Minute)
		if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID, false, "The print server is yours"); err != nil {
			t.Fatal(err)
		}
		acc = d.timer(tk.ID, tandem.TimerAccept)
		if acc.State != tandem.TimerCancelled || acc.ElapsedMinutes != 5 {
			t.Fatalf("declined: %+v, want cancelled after 5 minutes", acc)
		}
		d.wantState(tk.ID, tandem.SLAOK)

		// A second handoff gets its own clock; accepted after 40 minutes
		// it is met late, so breached.
		h2, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "Please take it after all")
		if err != nil {
			t.Fatal(err)
		}
		d.Clock.Advance(40 * time.Minute)
		if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h2.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		var accepts []*tandem.Timer
		for _, tm := range d.ticket(tk.ID).Timers {
			if tm.Kind == tandem.TimerAccept {
				accepts = append(accepts, tm)
			}
		}
		if len(accepts) != 2 || accepts[0].State != tandem.TimerCancelled || accepts[1].State != tandem.TimerBreached ||
			accepts[1].MetAt == nil || *accepts[1].HandoffID != h2.ID {
			t.Fatalf("accept timers %+v %+v, want the first cancelled and the second met late (breached)", accepts[0], accepts[len(accepts)-1])
		}
		d.wantState(tk.ID, tandem.SLABreached)
		// The acceptance found the clock run out: it recorded the breach on
		// the timeline, once, and left the worker nothing to fire.
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 0 {
			t.Fatalf("ProcessTimers fired %d, %v; the acceptance recorded the breach", n, err)
		}
		if list := d.breaches(tk.ID); len(list) != 1 || !strings.HasPrefix(list[0].Body, "Acceptance target (OLA) of the provider party breached") {
			t.Fatalf("breaches on the timeline %+v, want the late acceptance once", list)
		}
	})
}

func TestSLATimerWorkerFiresOnce(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 120) // 24×7
		t0 := d.Clock.Now()
		tk := d.open(d.Requester, "end-user-support", "VPN drops every hour")
		ctx := systemCtx(t)
		process := func(at time.Duration) int {
			t.Helper()
			d.advanceTo(t0.Add(at))
			n, err := d.SLA.ProcessTimers(ctx, d.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		count := func(kind tandem.EventKind) (n int, last *tandem.Event) {
			for _, e := range d.timeline(d.ITTech, tk.ID) {
				if e.Kind == kind {
					n, last = n+1, e
				}
			}
			return n, last
		}

		_, err := d.SLA.ProcessTimers(d.as(d.ProviderAdmin), t0)
		wantCode(t, err, tandem.EFORBIDDEN)
		_, err = d.SLA.NextTimer(d.as(d.ProviderAdmin))
		wantCode(t, err, tandem.EFORBIDDEN)
		// What the worker sleeps until: the next warning or breach to fire.
		wantNext := func(want time.Time) {
			t.Helper()
			next, err := d.SLA.NextTimer(ctx)
			if err != nil || !next.Equal(want) {
				t.Fatalf("next timer %v, %v; want %v", next, err, want)
			}
		}
		wantNext(t0.Add(45 * time.Minute)) // the response's warning, at 75%
		if n := process(44 * time.Minute); n != 0 {
			t.Fatalf("fired %d before 75%% of the response target", n)
		}
		mark := auditMark(t, db)
		if n := process(45 * time.Minute); n != 1 {
			t.Fatalf("fired %d at 75%% of the response target, want 1", n)
		}
		wantNext(t0.Add(60 * time.Minute)) // then its breach
		if n := process(46 * time.Minute); n != 0 {
			t.Fatalf("fired %d again", n)
		}
		n, ev := count(tandem.EventSLAWarning)
		if n != 1 || ev.Body != "Response target 75% used: due 2030-03-14 10:00 UTC." || ev.Visibility != tandem.VisibilityTeams || ev.ActorID != nil {
			t.Fatalf("%d warnings, last %+v", n, ev)
		}
		for _, e := range d.timeline(d.Requester, tk.ID) {
			if e.Kind == tandem.EventSLAWarning || e.Kind == tandem.EventSLABreach {
				t.Fatalf("the requester sees %s", e.Kind)
			}
		}
		d.wantState(tk.ID, tandem.SLAWarning)

		// Past the response's due and the resolution's warning, two
		// workers at once fire each exactly once.
		d.advanceTo(t0.Add(100 * time.Minute))
		var wg sync.WaitGroup
		fired := make([]int, 4)
		for i := range fired {
			wg.Go(func() {
				n, err := d.SLA.ProcessTimers(ctx, d.Clock.Now())
				if err != nil {
					t.Error(err)
				}
				fired[i] = n
			})
		}
		wg.Wait()
		if total := fired[0] + fired[1] + fired[2] + fired[3]; total != 2 {
			t.Fatalf("concurrent workers fired %v, want 2 in all", fired)
		}
		if n := process(130 * time.Minute); n != 1 {
			t.Fatalf("fired %d at the resolution's due, want 1", n)
		}
		if n := process(200 * time.Minute); n != 0 {
			t.Fatalf("fired %d after everything fired", n)
		}
		wantNext(time.Time{})
		if n, _ := count(tandem.EventSLAWarning); n != 2 {
			t.Fatalf("%d warnings, want response and resolution", n)
		}
		n, ev = count(tandem.EventSLABreach)
		if n != 2 || ev.Body != "Resolution target breached: it was due 2030-03-14 11:00 UTC." {
			t.Fatalf("%d breaches, last %+v", n, ev)
		}
		wantAudit(t, db, mark, "sla.warning", "sla.breach", "sla.warning", "sla.breach")
		res := d.timer(tk.ID, tandem.TimerResolution)
		if res.State != tandem.TimerBreached || res.BreachedAt == nil || res.WarnedAt == nil {
			t.Fatalf("resolution %+v, want breached with both instants recorded", res)
		}
		d.wantState(tk.ID, tandem.SLABreached)

		// Resolving later keeps the breach, with the instant it was met.
		d.setStatus(d.ITTech, tk.ID, tandem.StatusResolved)
		res = d.timer(tk.ID, tandem.TimerResolution)
		if res.State != tandem.TimerBreached || res.MetAt == nil {
			t.Fatalf("resolved late: %+v, want breached with met_at", res)
		}
		d.wantState(tk.ID, tandem.SLABreached)
	})
}

func TestSLATimerPolicyChange(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 120) // 24×7
		t0 := d.Clock.Now()
		open := d.open(d.Requester, "end-user-support", "Mailbox full")
		closed := d.open(d.Requester, "end-user-support", "Password reset")
		// Pending ten minutes later: its due instant stays unknown.
		pending := d.open(d.Requester, "end-user-support", "Waiting for the user's answer")
		d.Clock.Advance(10 * time.Minute)
		d.setStatus(d.ITTech, closed.ID, tandem.StatusResolved)
		d.setStatus(d.ITTech, closed.ID, tandem.StatusClosed)
		d.setStatus(d.ITTech, pending.ID, tandem.StatusPendingCustomer)
		closedBefore := d.timer(closed.ID, tandem.TimerResolution)
		wantTimer(t, d.timer(open.ID, tandem.TimerResolution), tandem.TimerRunning, t0.Add(2*time.Hour))

		// Longer targets on an office calendar: Thursday 10:00 Berlin plus
		// eight business hours is Friday 10:00.
		c := &tandem.BusinessCalendar{OrganizationID: d.Org.ID, Name: "Berlin", Definition: json.RawMessage(officeHours)}
		if err := d.SLA.CreateCalendar(d.as(d.ITAdmin), c); err != nil {
			t.Fatal(err)
		}
		p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.CalendarID = &c.ID
		p.Targets = []tandem.SLATarget{{Priority: 3, ResponseMinutes: 120, ResolutionMinutes: 480}}
		mark := auditMark(t, db)
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		entries := wantAudit(t, db, mark, "sla_policy.update")
		// No ticket's state changes (the open one has used ten minutes):
		// none is rewritten, the due instants follow from the origins.
		if !strings.Contains(string(entries[0].Summary), `"recomputed_tickets":0`) {
			t.Errorf("audit %s, want no ticket recomputed", entries[0].Summary)
		}
		wantTimer(t, d.timer(open.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(15, 10, 0))
		wantTimer(t, d.timer(open.ID, tandem.TimerResponse), tandem.TimerRunning, inBerlin(14, 12, 0))
		wantTimer(t, d.timer(pending.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		if res := d.timer(pending.ID, tandem.TimerResolution); res.Minutes != 480 || res.ElapsedMinutes != 10 {
			t.Fatalf("pending ticket's resolution %+v, want 480 minutes of which 10 used", res)
		}
		d.wantState(pending.ID, tandem.SLAPaused)
		if after := d.timer(closed.ID, tandem.TimerResolution); *after.DueAt != *closedBefore.DueAt || after.Minutes != 120 {
			t.Fatalf("the closed ticket's timer changed: %+v", after)
		}

		// Changing the calendar the policy runs on recomputes too: opening
		// at 08:00, the eighth hour is Friday 08:00 to 09:00.
		c.Definition = json.RawMessage(strings.ReplaceAll(officeHours, `"09:00"`, `"08:00"`))
		if err := d.SLA.UpdateCalendar(d.as(d.ITAdmin), c); err != nil {
			t.Fatal(err)
		}
		wantTimer(t, d.timer(open.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(15, 9, 0))

		// A policy without targets removes the clocks that never fired.
		p.Targets = []tandem.SLATarget{}
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{open.ID, pending.ID} {
			if tm := d.ticket(id).Timers; len(tm) != 0 {
				t.Fatalf("timers %+v, want none without targets", tm)
			}
			d.wantState(id, tandem.SLANone)
		}
		// Targets again: the clocks come back, counted from creation.
		p.Targets = []tandem.SLATarget{{Priority: 3, ResponseMinutes: 60, ResolutionMinutes: 480}}
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		wantTimer(t, d.timer(open.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(15, 9, 0))
		wantTimer(t, d.timer(pending.ID, tandem.TimerResolution), tandem.TimerPaused, time.Time{})
		wantTimer(t, d.timer(pending.ID, tandem.TimerResponse), tandem.TimerRunning, inBerlin(14, 11, 0))
	})
}

// A policy change recomputes its organisation's tickets only, even when
// another organisation's tickets, with pauses and handoffs, sit between
// them (the recompute reads the rows of a whole id range then).
func TestSLATimerPolicyChangeLeavesOtherOrganizations(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 120) // 24×7
		t0 := d.Clock.Now()
		openOutsider := func(title string) *tandem.Ticket {
			t.Helper()
			tk, err := d.Tickets.CreateTicket(d.as(d.OutsiderAdmin), tandem.TicketInput{OrganizationID: d.Outsider.ID, Title: title})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		var ours, theirs []*tandem.Ticket
		for i := range 3 {
			ours = append(ours, d.open(d.Requester, "end-user-support", fmt.Sprintf("Printer %d", i)))
			theirs = append(theirs, openOutsider(fmt.Sprintf("Scanner %d", i)))
		}
		d.Clock.Advance(10 * time.Minute)
		pending := tandem.StatusPendingCustomer
		if _, err := d.Tickets.UpdateTicket(d.as(d.OutsiderAdmin), theirs[1].ID, tandem.TicketUpdate{Status: &pending}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Tickets.RequestHandoff(d.as(d.OutsiderAdmin), theirs[2].ID, "Needs the provider's firewall access"); err != nil {
			t.Fatal(err)
		}
		before := map[int64][]*tandem.Timer{}
		for _, tk := range theirs {
			before[tk.ID] = d.ticket(tk.ID).Timers
		}

		p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.Targets = []tandem.SLATarget{{Priority: 3, ResponseMinutes: 60, ResolutionMinutes: 240}}
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		for _, tk := range ours {
			wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerRunning, t0.Add(4*time.Hour))
		}
		for _, tk := range theirs {
			if got, want := timerSummary(d.ticket(tk.ID).Timers), timerSummary(before[tk.ID]); got != want {
				t.Fatalf("ticket %d of the other organisation: timers %s, were %s", tk.ID, got, want)
			}
		}
	})
}

// timerSummary writes timers for comparison.
func timerSummary(list []*tandem.Timer) string {
	var b strings.Builder
	for _, tm := range list {
		fmt.Fprintf(&b, "%s/%s/%s/%d/%v/%v;", tm.Kind, tm.Party, tm.State, tm.Minutes, tm.DueAt, tm.ElapsedMinutes)
	}
	return b.String()
}

// breaches returns the SLA breach entries of a ticket's timeline.
func (d *slaDesk) breaches(id int64) []*tandem.Event {
	d.tb.Helper()
	var out []*tandem.Event
	for _, e := range d.timeline(d.ITTech, id) {
		if e.Kind == tandem.EventSLABreach {
			out = append(out, e)
		}
	}
	return out
}

// A breach the worker recorded stays on the ticket whatever the policy
// does afterwards: a target removed, the ticket closed, the target back.
func TestSLATimerBreachSurvivesPolicyChange(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 120) // 24×7
		tk := d.open(d.Requester, "end-user-support", "Shared drive gone")
		d.Clock.Advance(61 * time.Minute)
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 1 {
			t.Fatalf("ProcessTimers fired %d, %v; want the response breach", n, err)
		}
		d.wantState(tk.ID, tandem.SLABreached)

		p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.Targets = []tandem.SLATarget{{Priority: 3, ResolutionMinutes: 120}}
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		resp := d.timer(tk.ID, tandem.TimerResponse)
		if resp.State != tandem.TimerCancelled || resp.BreachedAt == nil {
			t.Fatalf("response without a target: %+v, want cancelled with its breach kept", resp)
		}
		d.wantState(tk.ID, tandem.SLABreached)

		// Closed in time for the resolution target: still breached.
		d.setStatus(d.ITTech, tk.ID, tandem.StatusResolved)
		d.setStatus(d.ITTech, tk.ID, tandem.StatusClosed)
		d.wantState(tk.ID, tandem.SLABreached)

		// The target back: closed tickets are not recomputed, and nothing
		// has erased the breach.
		p.Targets = []tandem.SLATarget{{Priority: 3, ResponseMinutes: 60, ResolutionMinutes: 120}}
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		d.wantState(tk.ID, tandem.SLABreached)
		if resp := d.timer(tk.ID, tandem.TimerResponse); resp.BreachedAt == nil {
			t.Fatalf("response %+v lost its breach", resp)
		}
		if n := len(d.breaches(tk.ID)); n != 1 {
			t.Fatalf("%d breaches on the timeline, want 1", n)
		}
	})
}

// A timer that ran out before the worker came round is breached by the
// next change, whatever that change does to its target: lowering the
// priority, or a policy with longer targets.
func TestSLATimerBreachBeforeTheWorker(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 30, 240) // 24×7
		p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.Targets = append(p.Targets, tandem.SLATarget{Priority: 5, ResponseMinutes: 960, ResolutionMinutes: 4800})
		if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		t0 := d.Clock.Now()
		due := t0.Add(30 * time.Minute)

		t.Run("PriorityLowered", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Cannot log in")
			d.advanceTo(t0.Add(31 * time.Minute))
			mark := auditMark(t, db)
			low := tandem.LevelLow
			changed, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Impact: &low, Urgency: &low})
			if err != nil {
				t.Fatal(err)
			}
			if changed.Priority != 5 || changed.SLAState != tandem.SLABreached {
				t.Fatalf("after the change: priority %d, SLA state %s; want 5 and breached", changed.Priority, changed.SLAState)
			}
			resp := d.timer(tk.ID, tandem.TimerResponse)
			if resp.State != tandem.TimerBreached || resp.BreachedAt == nil || !resp.BreachedAt.Equal(due) {
				t.Fatalf("response %+v, want breached at %v, its due instant under P3", resp, due)
			}
			list := d.breaches(tk.ID)
			if len(list) != 1 || list[0].Body != "Response target breached: it was due 2030-03-14 09:30 UTC." || list[0].ActorID != nil {
				t.Fatalf("breaches on the timeline: %+v, want the response's, by the system", list)
			}
			n := 0
			for _, e := range auditSince(t, db, mark) {
				if e.Action == "sla.breach" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d sla.breach audit entries, want 1", n)
			}
			if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 0 {
				t.Fatalf("the worker fired %d, %v; the breach was recorded already", n, err)
			}
			if n := len(d.breaches(tk.ID)); n != 1 {
				t.Fatalf("%d breaches after the worker, want 1", n)
			}
		})

		t.Run("LongerTargets", func(t *testing.T) {
			// Two tickets, so the policy change recomputes them in bulk.
			start := d.Clock.Now()
			a := d.open(d.Requester, "end-user-support", "Monitor flickers")
			b := d.open(d.Requester, "end-user-support", "Keyboard sticky")
			d.advanceTo(start.Add(30 * time.Minute))
			p.Targets[0].ResponseMinutes = 600
			if err := d.SLA.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{a.ID, b.ID} {
				resp := d.timer(id, tandem.TimerResponse)
				if resp.State != tandem.TimerBreached || resp.BreachedAt == nil || !resp.BreachedAt.Equal(start.Add(30*time.Minute)) {
					t.Fatalf("ticket %d response %+v, want breached when it ran out", id, resp)
				}
				d.wantState(id, tandem.SLABreached)
				if n := len(d.breaches(id)); n != 1 {
					t.Fatalf("ticket %d: %d breaches on the timeline, want 1", id, n)
				}
			}
		})
	})
}

// A change of targets rewrites the rows of no clock whose state it leaves
// alone: their due instants follow from their origins on every read. The
// tickets whose clocks cross a warning share or a target between the two
// policies change state, a breach among them recorded once, and the
// worker next wakes for the new instants.
func TestSLATimerTargetChange(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 0, 120) // 24×7, resolution only
		t0 := d.Clock.Now()
		used80 := d.open(d.Requester, "end-user-support", "VPN drops")
		paused50 := d.open(d.Requester, "end-user-support", "Waiting for the user")
		d.Clock.Advance(50 * time.Minute)
		d.setStatus(d.ITTech, paused50.ID, tandem.StatusPendingCustomer)
		d.Clock.Advance(20 * time.Minute)
		used10 := d.open(d.Requester, "end-user-support", "New starter laptop")
		d.Clock.Advance(10 * time.Minute) // t0 + 80 minutes
		d.wantState(used80.ID, tandem.SLAOK)

		setResolution := func(minutes int, audited ...string) int {
			t.Helper()
			mark := auditMark(t, db)
			d.changePolicy(func(p *tandem.SLAPolicy) { p.Targets = []tandem.SLATarget{{Priority: 3, ResolutionMinutes: minutes}} })
			var summary struct {
				Recomputed int `json:"recomputed_tickets"`
			}
			entries := wantAudit(t, db, mark, append(audited, "sla_policy.update")...)
			if err := json.Unmarshal(entries[len(entries)-1].Summary, &summary); err != nil {
				t.Fatal(err)
			}
			return summary.Recomputed
		}
		storedTarget := func(id int64) int {
			t.Helper()
			n, err := sqlstore.CountRaw(db, `SELECT target_minutes FROM sla_timers WHERE ticket_id = ? AND kind = 'resolution'`, id)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// 100 minutes, warning at 75: the ticket 80 minutes in warns.
		if n := setResolution(100); n != 1 {
			t.Errorf("100 minutes recomputed %d tickets, want 1 (the one now warning)", n)
		}
		d.wantState(used80.ID, tandem.SLAWarning)
		d.wantState(used10.ID, tandem.SLAOK)
		d.wantState(paused50.ID, tandem.SLAPaused)
		fresh := d.timer(used10.ID, tandem.TimerResolution)
		wantTimer(t, fresh, tandem.TimerRunning, t0.Add(170*time.Minute))
		if fresh.Minutes != 100 || fresh.ElapsedMinutes != 10 {
			t.Errorf("fresh ticket's clock %+v, want 10 of 100 minutes used", fresh)
		}
		if got := storedTarget(used10.ID); got != 120 {
			t.Errorf("fresh ticket's row says %d minutes: it was rewritten, though its state did not change", got)
		}
		if res := d.timer(paused50.ID, tandem.TimerResolution); res.Minutes != 100 || res.ElapsedMinutes != 50 {
			t.Errorf("paused clock %+v, want 50 of 100 minutes used", res)
		}
		// The warning is the worker's to fire; then it wakes for that
		// ticket's breach at t0 + 100 minutes.
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 1 {
			t.Errorf("worker fired %d (%v), want the warning", n, err)
		}
		if next, err := d.SLA.NextTimer(systemCtx(t)); err != nil || !next.Equal(t0.Add(100*time.Minute)) {
			t.Errorf("next timer %v (%v), want %v", next, err, t0.Add(100*time.Minute))
		}

		// 60 minutes: the ticket 80 minutes in is breached at once; the
		// worker records the breach, once.
		if n := setResolution(60); n != 1 {
			t.Errorf("60 minutes recomputed %d tickets, want 1", n)
		}
		d.wantState(used80.ID, tandem.SLABreached)
		if res := d.timer(used80.ID, tandem.TimerResolution); res.DueAt == nil || !res.DueAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("due %v, want %v", res.DueAt, t0.Add(time.Hour))
		}
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 1 {
			t.Errorf("worker fired %d (%v), want the breach", n, err)
		}
		if b := d.breaches(used80.ID); len(b) != 1 {
			t.Fatalf("%d breaches, want 1", len(b))
		}
		d.wantState(paused50.ID, tandem.SLAPaused)

		// 40 minutes: the paused clock ran out before its pause, which the
		// recompute records itself (no worker looks at paused clocks).
		if n := setResolution(40, "sla.breach"); n != 1 {
			t.Errorf("40 minutes recomputed %d tickets, want 1 (the paused one)", n)
		}
		d.wantState(paused50.ID, tandem.SLABreached)
		if b := d.breaches(paused50.ID); len(b) != 1 {
			t.Fatalf("paused ticket: %d breaches, want 1", len(b))
		}

		// Longer again: recorded breaches stay, the worker fires nothing
		// more, and the fresh ticket's clock follows.
		setResolution(600)
		d.wantState(used80.ID, tandem.SLABreached)
		d.wantState(paused50.ID, tandem.SLABreached)
		wantTimer(t, d.timer(used10.ID, tandem.TimerResolution), tandem.TimerRunning, t0.Add(670*time.Minute))
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 0 {
			t.Errorf("worker fired %d (%v), want nothing", n, err)
		}
		for _, id := range []int64{used80.ID, paused50.ID} {
			if b := d.breaches(id); len(b) != 1 {
				t.Errorf("ticket %d: %d breaches, want 1", id, len(b))
			}
		}
	})
}

// A change of calendar counts from when it is made: the business time
// each clock used so far stays as it was counted, so no ticket is
// recomputed, and the due instants follow from the origins on the clock
// that now runs on the new calendar.
func TestSLATimerCalendarChange(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, officeHours, 0, 480)
		// Thursday 14 March 2030, 10:00 in Berlin: eight office hours end
		// on Friday at 10:00.
		tk := d.open(d.Requester, "end-user-support", "Scanner offline")
		d.Clock.Advance(30 * time.Minute)
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(15, 10, 0))
		p, err := d.SLA.FindSLAPolicy(d.as(d.ITAdmin), d.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := d.SLA.FindCalendar(d.as(d.ITAdmin), d.Org.ID, *p.CalendarID)
		if err != nil {
			t.Fatal(err)
		}
		redefine := func(def string) {
			t.Helper()
			cal.Definition = json.RawMessage(def)
			mark := auditMark(t, db)
			if err := d.SLA.UpdateCalendar(d.as(d.ITAdmin), cal); err != nil {
				t.Fatal(err)
			}
			var summary struct {
				Recomputed *int `json:"recomputed_tickets"`
			}
			if err := json.Unmarshal(wantAudit(t, db, mark, "calendar.update")[0].Summary, &summary); err != nil {
				t.Fatal(err)
			}
			if summary.Recomputed == nil || *summary.Recomputed != 0 {
				t.Errorf("recomputed %v tickets, want 0", summary.Recomputed)
			}
		}

		// Friday a holiday: due on Monday at 10:00.
		withHoliday := strings.Replace(officeHours, `"2030-12-25"`, `"2030-03-15", "2030-12-25"`, 1)
		redefine(withHoliday)
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(18, 10, 0))
		if res := d.timer(tk.ID, tandem.TimerResolution); res.ElapsedMinutes != 30 {
			t.Errorf("elapsed %v, want 30", res.ElapsedMinutes)
		}

		// Monday 08:30, before the office opened: seven hours used on
		// Thursday. Opening at 08:00 from now on leaves them at seven (not
		// seven and a half, as if it had always opened at 08:00): the last
		// hour runs from 08:30 to 09:30.
		d.advanceTo(inBerlin(18, 8, 30))
		redefine(strings.ReplaceAll(withHoliday, `"09:00"`, `"08:00"`))
		res := d.timer(tk.ID, tandem.TimerResolution)
		wantTimer(t, res, tandem.TimerRunning, inBerlin(18, 9, 30))
		if res.ElapsedMinutes != 420 {
			t.Errorf("elapsed %v, want 420", res.ElapsedMinutes)
		}
		// A change to the ticket replans it from its creation on the same
		// clock: nothing moves.
		d.setStatus(d.ITTech, tk.ID, tandem.StatusOpen)
		wantTimer(t, d.timer(tk.ID, tandem.TimerResolution), tandem.TimerRunning, inBerlin(18, 9, 30))
	})
}

// A policy change records, in its one transaction, the breaches that came
// due before it and the worker has not recorded: one audit entry each, and
// the organisation's audit chain intact after them (the transaction moves
// the chain's head once, when it commits).
func TestSLATimerBreachesRecordedInOneTransaction(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 0, 60) // 24×7
		const n = 25
		for i := range n {
			d.open(d.Requester, "end-user-support", fmt.Sprintf("Ticket %d", i))
		}
		d.Clock.Advance(2 * time.Hour)
		mark := auditMark(t, db)
		d.changePolicy(func(p *tandem.SLAPolicy) { p.WarnPercent = 50 })
		want := make([]string, 0, n+1)
		for range n {
			want = append(want, "sla.breach")
		}
		wantAudit(t, db, mark, append(want, "sla_policy.update")...)
		// The stored state the list filters read says so too.
		if got, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM tickets WHERE sla_state = 'breached'`); err != nil || got != n {
			t.Fatalf("%d tickets stored as breached (%v), want %d", got, err, n)
		}
		if r, err := db.VerifyAudit(t.Context()); err != nil || !r.OK() {
			t.Fatalf("audit chains after the change: %v, %v", r.BrokenChains(), err)
		}
		// The worker finds nothing left to record.
		if fired, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || fired != 0 {
			t.Fatalf("worker fired %d (%v), want 0", fired, err)
		}
	})
}

// A target lowered below the time a clock used before a pause ran out
// before that pause: its breach is recorded at the instant it ran out,
// whether a change to the ticket or the worker notices it.
func TestSLATimerLoweredTargetRanOutBeforePause(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 0, 120) // 24×7
		t0 := d.Clock.Now()
		byChange := d.open(d.Requester, "end-user-support", "Printer offline")
		byWorker := d.open(d.Requester, "end-user-support", "Scanner offline")
		d.Clock.Advance(50 * time.Minute)
		for _, tk := range []*tandem.Ticket{byChange, byWorker} {
			d.setStatus(d.ITTech, tk.ID, tandem.StatusPendingCustomer)
		}
		d.Clock.Advance(60 * time.Minute)
		for _, tk := range []*tandem.Ticket{byChange, byWorker} {
			d.setStatus(d.ITTech, tk.ID, tandem.StatusOpen)
		}
		d.Clock.Advance(20 * time.Minute) // t0 + 130: 70 minutes used
		d.changePolicy(func(p *tandem.SLAPolicy) { p.Targets = []tandem.SLATarget{{Priority: 3, ResolutionMinutes: 40}} })
		ranOut := t0.Add(40 * time.Minute)
		d.wantState(byChange.ID, tandem.SLABreached)

		d.Clock.Advance(time.Minute)
		d.setStatus(d.ITTech, byChange.ID, tandem.StatusPendingCustomer)
		if n, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil || n != 1 {
			t.Fatalf("worker fired %d (%v), want the other ticket's breach", n, err)
		}
		for _, tk := range []*tandem.Ticket{byChange, byWorker} {
			res := d.timer(tk.ID, tandem.TimerResolution)
			if res.DueAt == nil || !res.DueAt.Equal(ranOut) || res.Minutes != 40 {
				t.Errorf("ticket %d: due %v of %d minutes, want %v of 40", tk.ID, res.DueAt, res.Minutes, ranOut)
			}
			b := d.breaches(tk.ID)
			if len(b) != 1 || !strings.Contains(b[0].Body, ranOut.Format("2006-01-02 15:04")) {
				t.Errorf("ticket %d: breaches %v, want one saying it was due %v", tk.ID, b, ranOut)
			}
		}
		if res := d.timer(byChange.ID, tandem.TimerResolution); res.BreachedAt == nil || !res.BreachedAt.Equal(ranOut) {
			t.Errorf("breach noticed by the change recorded at %v, want %v", res.BreachedAt, ranOut)
		}
	})
}
