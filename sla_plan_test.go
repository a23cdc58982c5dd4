package tandem_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// office is Monday to Friday, 09:00 to 17:00 in Berlin. The cases below
// are in March 2026 before the change to summer time (UTC+1); 2 March is
// a Monday.
const officeCalendar = `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}}`

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// b reads "Mon 10:00" as that wall clock in Berlin in the week of 2 March
// 2026 (Mon 2 … Fri 6, Mon+ 9 the week after).
func b(s string) time.Time {
	days := map[string]int{"Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Mon+": 9, "Tue+": 10}
	var day string
	var h, m int
	if _, err := fmt.Sscanf(s, "%s %d:%d", &day, &h, &m); err != nil {
		panic(s)
	}
	d, ok := days[day]
	if !ok {
		panic(s)
	}
	return time.Date(2026, 3, d, h, m, 0, 0, berlin)
}

func bp(s string) *time.Time { t := b(s); return &t }

// planPolicy: P2 has 60 minutes to respond and 480 to resolve; the
// provider has 30 minutes to accept a handoff and the internal team none;
// P5 has no targets.
func planPolicy() *tandem.SLAPolicy {
	return &tandem.SLAPolicy{
		WarnPercent: 75,
		Targets:     []tandem.SLATarget{{Priority: 2, ResponseMinutes: 60, ResolutionMinutes: 480}, {Priority: 5}},
		OLAs:        []tandem.OLATarget{{Party: tandem.PartyProvider, AcceptMinutes: 30}},
	}
}

// want describes one expected timer: its state, due instant ("" for none)
// and the business minutes used.
type want struct {
	state   tandem.TimerState
	due     string
	elapsed float64
}

func TestPlanTimers(t *testing.T) {
	office := mustClock(t, officeCalendar)
	open := func(from string) []tandem.Interval { return []tandem.Interval{{Start: b(from)}} }
	closed := func(from, to string) tandem.Interval { return tandem.Interval{Start: b(from), End: bp(to)} }
	handoff := func(at string, status tandem.HandoffStatus, answered string) []tandem.HandoffClock {
		h := tandem.HandoffClock{ID: 7, ToParty: tandem.PartyProvider, RequestedAt: b(at), Status: status}
		if answered != "" {
			h.AnsweredAt = bp(answered)
		}
		return []tandem.HandoffClock{h}
	}
	tests := []struct {
		name       string
		clock      tandem.TicketClock
		now        string
		response   *want
		resolution *want
		accept     *want
		state      tandem.SLAState
	}{
		{
			// 480 minutes from Monday 10:00: seven hours on Monday, one on
			// Tuesday. The warning at 75% is 45 minutes and 6 hours in.
			name:       "Running",
			clock:      tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusNew},
			now:        "Mon 10:30",
			response:   &want{tandem.TimerRunning, "Mon 11:00", 30},
			resolution: &want{tandem.TimerRunning, "Tue 10:00", 30},
			state:      tandem.SLAOK,
		},
		{
			name:       "WarningAt75Percent",
			clock:      tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusNew},
			now:        "Mon 10:45",
			response:   &want{tandem.TimerRunning, "Mon 11:00", 45},
			resolution: &want{tandem.TimerRunning, "Tue 10:00", 45},
			state:      tandem.SLAWarning,
		},
		{
			name:       "BreachedBeforeAnyWorkerRuns",
			clock:      tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusOpen},
			now:        "Mon 11:00",
			response:   &want{tandem.TimerBreached, "Mon 11:00", 60},
			resolution: &want{tandem.TimerRunning, "Tue 10:00", 60},
			state:      tandem.SLABreached,
		},
		{
			name:  "AcrossTheWeekend",
			clock: tandem.TicketClock{CreatedAt: b("Fri 16:00"), Priority: 2, Status: tandem.StatusOpen, FirstResponseAt: bp("Fri 16:20")},
			now:   "Mon+ 09:30",
			// The hour runs out at Friday's closing, which is the due instant.
			response:   &want{tandem.TimerMet, "Fri 17:00", 20},
			resolution: &want{tandem.TimerRunning, "Mon+ 16:00", 90},
			state:      tandem.SLAOK,
		},
		{
			name:       "StartOutsideHours",
			clock:      tandem.TicketClock{CreatedAt: b("Mon 07:00"), Priority: 2, Status: tandem.StatusNew},
			now:        "Mon 08:59",
			response:   &want{tandem.TimerRunning, "Mon 10:00", 0},
			resolution: &want{tandem.TimerRunning, "Mon 17:00", 0},
			state:      tandem.SLAOK,
		},
		{
			// Pending from Monday 12:00 to Tuesday 11:00 holds back the
			// resolution by the paused business time, 5 + 2 hours: from
			// Tuesday 10:00 to 17:00. The response clock does not pause.
			name: "ClosedPauseMovesDue",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusOpen, FirstResponseAt: bp("Mon 10:30"),
				Pauses: []tandem.Interval{closed("Mon 12:00", "Tue 11:00")}},
			now:        "Tue 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerRunning, "Tue 17:00", 180},
			state:      tandem.SLAOK,
		},
		{
			name: "PausedNow",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusPendingCustomer, FirstResponseAt: bp("Mon 10:30"),
				Pauses: open("Mon 12:00")},
			now:        "Wed 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerPaused, "", 120},
			state:      tandem.SLAPaused,
		},
		{
			// The resolution ran out on Tuesday 10:00, before the pause.
			name: "BreachedBeforeThePause",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusPendingThirdParty, FirstResponseAt: bp("Mon 10:30"),
				Pauses: open("Wed 09:00")},
			now:        "Thu 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerBreached, "Tue 10:00", 420 + 480},
			state:      tandem.SLABreached,
		},
		{
			name: "ResolvedInTime",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusResolved, FirstResponseAt: bp("Mon 10:30"),
				ResolvedAt: bp("Mon 15:00"), Pauses: open("Mon 15:00")},
			now:        "Wed 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerMet, "Tue 10:00", 300},
			state:      tandem.SLAMet,
		},
		{
			// Resolved without a reply: resolving answers the requester.
			name:       "ResolutionIsTheResponse",
			clock:      tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusClosed, ResolvedAt: bp("Mon 10:20"), Pauses: open("Mon 10:20")},
			now:        "Wed 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 20},
			resolution: &want{tandem.TimerMet, "Tue 10:00", 20},
			state:      tandem.SLAMet,
		},
		{
			// Resolved Monday 15:00 after 5 hours, reopened Tuesday 10:00:
			// the remaining 3 hours run to 13:00, and at 11:00 six of the
			// eight hours are used, the 75% warning.
			name: "ReopenedResumesWhereItStopped",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusOpen, FirstResponseAt: bp("Mon 10:30"),
				Pauses: []tandem.Interval{closed("Mon 15:00", "Tue 10:00")}},
			now:        "Tue 11:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerRunning, "Tue 13:00", 360},
			state:      tandem.SLAWarning,
		},
		{
			name: "MetLateStaysBreached",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusResolved, FirstResponseAt: bp("Mon 10:30"),
				ResolvedAt: bp("Tue 11:00"), Pauses: open("Tue 11:00")},
			now:        "Wed 12:00",
			response:   &want{tandem.TimerMet, "Mon 11:00", 30},
			resolution: &want{tandem.TimerBreached, "Tue 10:00", 480 + 60},
			state:      tandem.SLABreached,
		},
		{
			// The provider's 30 minutes: 10 on Monday, 20 on Tuesday.
			name:   "HandoffAccepted",
			clock:  tandem.TicketClock{CreatedAt: b("Mon 16:40"), Priority: 5, Status: tandem.StatusOpen, Handoffs: handoff("Mon 16:50", tandem.HandoffAccepted, "Tue 09:10")},
			now:    "Tue 12:00",
			accept: &want{tandem.TimerMet, "Tue 09:20", 20},
			state:  tandem.SLANone,
		},
		{
			name:   "HandoffPending",
			clock:  tandem.TicketClock{CreatedAt: b("Mon 16:40"), Priority: 5, Status: tandem.StatusOpen, Handoffs: handoff("Mon 16:50", tandem.HandoffPending, "")},
			now:    "Tue 09:15",
			accept: &want{tandem.TimerRunning, "Tue 09:20", 25},
			state:  tandem.SLAWarning,
		},
		{
			name:   "HandoffPendingTooLong",
			clock:  tandem.TicketClock{CreatedAt: b("Mon 16:40"), Priority: 5, Status: tandem.StatusOpen, Handoffs: handoff("Mon 16:50", tandem.HandoffPending, "")},
			now:    "Tue 09:30",
			accept: &want{tandem.TimerBreached, "Tue 09:20", 40},
			state:  tandem.SLABreached,
		},
		{
			name:   "HandoffDeclined",
			clock:  tandem.TicketClock{CreatedAt: b("Mon 16:40"), Priority: 5, Status: tandem.StatusOpen, Handoffs: handoff("Mon 16:50", tandem.HandoffDeclined, "Tue 09:05")},
			now:    "Tue 12:00",
			accept: &want{tandem.TimerCancelled, "Tue 09:20", 15},
			state:  tandem.SLANone,
		},
		{
			name:   "HandoffDeclinedAfterItsDue",
			clock:  tandem.TicketClock{CreatedAt: b("Mon 16:40"), Priority: 5, Status: tandem.StatusOpen, Handoffs: handoff("Mon 16:50", tandem.HandoffDeclined, "Tue 09:25")},
			now:    "Tue 12:00",
			accept: &want{tandem.TimerBreached, "Tue 09:20", 35},
			state:  tandem.SLABreached,
		},
		{
			// The internal team has no OLA and P5 no targets: no timer.
			name: "ZeroTargetsStartNoTimer",
			clock: tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 5, Status: tandem.StatusOpen,
				Handoffs: []tandem.HandoffClock{{ID: 7, ToParty: tandem.PartyInternal, RequestedAt: b("Mon 11:00"), Status: tandem.HandoffPending}}},
			now:   "Tue 12:00",
			state: tandem.SLANone,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.clock.OwningParty = tandem.PartyInternal
			timers, state := tandem.PlanTimers(planPolicy(), office, &tt.clock, b(tt.now))
			byKind := map[tandem.TimerKind]*tandem.Timer{}
			for _, tm := range timers {
				byKind[tm.Kind] = tm
			}
			for kind, w := range map[tandem.TimerKind]*want{tandem.TimerResponse: tt.response, tandem.TimerResolution: tt.resolution, tandem.TimerAccept: tt.accept} {
				checkTimer(t, kind, byKind[kind], w)
			}
			if state != tt.state {
				t.Errorf("SLA state = %s, want %s", state, tt.state)
			}
			// A running clock read back from its origin has the due and
			// warning instants and the elapsed time the plan computed.
			for _, tm := range timers {
				if tm.State != tandem.TimerRunning {
					continue
				}
				if tm.Origin == nil {
					t.Fatalf("running %s timer without an origin", tm.Kind)
				}
				read := &tandem.Timer{Kind: tm.Kind, Party: tm.Party, State: tm.State, Origin: tm.Origin}
				tandem.NewTimerPlanner(planPolicy(), office, b(tt.now)).Refresh(read, tt.clock.Priority)
				if !sameTime(read.DueAt, tm.DueAt) || !sameTime(read.WarnAt, tm.WarnAt) || read.ElapsedMinutes != tm.ElapsedMinutes || read.Minutes != tm.Minutes {
					t.Errorf("%s read from its origin: due %v warn %v elapsed %v of %d; planned due %v warn %v elapsed %v of %d", tm.Kind,
						read.DueAt, read.WarnAt, read.ElapsedMinutes, read.Minutes, tm.DueAt, tm.WarnAt, tm.ElapsedMinutes, tm.Minutes)
				}
			}
		})
	}

	t.Run("WarnAtIsTheWarnPercentOfTheTarget", func(t *testing.T) {
		p := planPolicy()
		p.WarnPercent = 50
		timers, _ := tandem.PlanTimers(p, office, &tandem.TicketClock{CreatedAt: b("Mon 16:00"), Priority: 2, Status: tandem.StatusNew, OwningParty: tandem.PartyProvider}, b("Mon 16:01"))
		// Half of 480 minutes from Monday 16:00: 60 on Monday, 180 on Tuesday.
		if res := timers[1]; res.WarnAt == nil || !res.WarnAt.Equal(b("Tue 12:00")) || res.Party != tandem.PartyProvider {
			t.Errorf("resolution %+v, want warning at Tue 12:00 for the provider", res)
		}
		if acc := timers[0]; acc.WarnAt == nil || !acc.WarnAt.Equal(b("Mon 16:30")) {
			t.Errorf("response warns at %v, want Mon 16:30", acc.WarnAt)
		}
	})

	t.Run("TwentyFourSeven", func(t *testing.T) {
		// A nil calendar is 24×7: 480 minutes are eight hours of the
		// clock, across the night and the change to summer time.
		created := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)
		timers, state := tandem.PlanTimers(planPolicy(), nil, &tandem.TicketClock{CreatedAt: created, Priority: 2, Status: tandem.StatusOpen, OwningParty: tandem.PartyInternal}, created.Add(7*time.Hour))
		if due := timers[1].DueAt; due == nil || !due.Equal(created.Add(8*time.Hour)) {
			t.Errorf("resolution due %v, want %v", due, created.Add(8*time.Hour))
		}
		if timers[1].ElapsedMinutes != 420 || state != tandem.SLABreached {
			t.Errorf("elapsed %v, state %s; want 420 and breached (the response ran out after an hour)", timers[1].ElapsedMinutes, state)
		}
	})
}

// TestPlanState covers what the stored timers say of a ticket: a breach
// once recorded counts whatever became of its timer, and a running timer
// past its due instant is breached before any worker notices.
func TestPlanState(t *testing.T) {
	now := b("Tue 12:00")
	fired := bp("Mon 11:00")
	tests := []struct {
		name   string
		status tandem.TicketStatus
		timer  tandem.Timer
		want   tandem.SLAState
	}{
		{"Running", tandem.StatusOpen, tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerRunning, DueAt: bp("Tue 13:00"), WarnAt: bp("Tue 12:30")}, tandem.SLAOK},
		{"RunningPastWarning", tandem.StatusOpen, tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerRunning, DueAt: bp("Tue 13:00"), WarnAt: bp("Tue 11:30")}, tandem.SLAWarning},
		{"RunningPastDueBeforeTheWorker", tandem.StatusOpen, tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerRunning, DueAt: bp("Tue 12:00"), WarnAt: bp("Tue 11:30")}, tandem.SLABreached},
		{"CancelledAfterItsBreach", tandem.StatusOpen, tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerCancelled, BreachedAt: fired}, tandem.SLABreached},
		{"CancelledAfterItsBreachOnAClosedTicket", tandem.StatusClosed, tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerCancelled, BreachedAt: fired}, tandem.SLABreached},
		{"MetAfterItsBreach", tandem.StatusResolved, tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerMet, BreachedAt: fired, MetAt: bp("Tue 10:00")}, tandem.SLABreached},
		{"CancelledWithoutBreach", tandem.StatusOpen, tandem.Timer{Kind: tandem.TimerAccept, State: tandem.TimerCancelled}, tandem.SLANone},
		{"MetInTime", tandem.StatusResolved, tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerMet, DueAt: bp("Tue 13:00"), MetAt: bp("Tue 10:00")}, tandem.SLAMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := tt.timer
			if got := tandem.PlanState(tt.status, []*tandem.Timer{&tm}, now); got != tt.want {
				t.Errorf("PlanState = %s, want %s", got, tt.want)
			}
		})
	}
}

func checkTimer(t *testing.T, kind tandem.TimerKind, got *tandem.Timer, w *want) {
	t.Helper()
	if w == nil {
		if got != nil {
			t.Errorf("%s timer %+v, want none", kind, got)
		}
		return
	}
	if got == nil {
		t.Errorf("no %s timer, want %s", kind, w.state)
		return
	}
	if got.State != w.state {
		t.Errorf("%s state = %s, want %s", kind, got.State, w.state)
	}
	switch {
	case w.due == "" && got.DueAt != nil:
		t.Errorf("%s due %v, want none", kind, got.DueAt)
	case w.due != "" && (got.DueAt == nil || !got.DueAt.Equal(b(w.due))):
		t.Errorf("%s due %v, want %s (%v)", kind, got.DueAt, w.due, b(w.due))
	}
	if got.ElapsedMinutes != w.elapsed {
		t.Errorf("%s elapsed %v minutes, want %v", kind, got.ElapsedMinutes, w.elapsed)
	}
	if (got.State == tandem.TimerPaused) != (got.WarnAt == nil && got.DueAt == nil) {
		t.Errorf("%s: paused timers and only they have no due and warning instants: %+v", kind, got)
	}
}

// BenchmarkPlanTimers100k plans the clocks of 100,000 open tickets on an
// office calendar, as a policy change does: each with a response met, a
// pause behind it, and an accepted handoff, created over ten days, on the
// calendar's business clock (sla.Clock: its open periods computed once
// per process and searched).
func BenchmarkPlanTimers100k(b *testing.B) {
	office := mustClock(b, officeCalendar)
	p := tandem.DefaultSLAPolicy(1)
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	now := base.Add(14 * 24 * time.Hour)
	clocks := make([]tandem.TicketClock, 100_000)
	for i := range clocks {
		created := base.Add(time.Duration(i%(10*24*60)) * time.Minute)
		resp := created.Add(40 * time.Minute)
		pauseEnd := created.Add(26 * time.Hour)
		accepted := created.Add(3 * time.Hour)
		clocks[i] = tandem.TicketClock{
			CreatedAt: created, Priority: tandem.Priority(1 + i%5), Status: tandem.StatusOpen, OwningParty: tandem.PartyProvider,
			FirstResponseAt: &resp,
			Pauses:          []tandem.Interval{{Start: created.Add(2 * time.Hour), End: &pauseEnd}},
			Handoffs:        []tandem.HandoffClock{{ID: int64(i), ToParty: tandem.PartyProvider, RequestedAt: created.Add(time.Hour), Status: tandem.HandoffAccepted, AnsweredAt: &accepted}},
		}
	}
	for b.Loop() {
		pl := tandem.NewTimerPlanner(p, office, now)
		for i := range clocks {
			pl.Plan(&clocks[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/100k")
}

// mustClock returns the business clock of a calendar definition.
func mustClock(tb testing.TB, def string) *sla.Clock {
	tb.Helper()
	clock, err := sla.ClockFor(def)
	if err != nil {
		tb.Fatal(err)
	}
	return clock
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
