package tandem

import (
	"time"

	"github.com/tandemhq/tandem/sla"
)

// TicketClock is what a ticket's SLA and OLA clocks depend on. Storage loads
// it; PlanTimers turns it into timers without any I/O, so the same code
// serves one ticket after a change and a whole organisation after a policy
// change.
type TicketClock struct {
	CreatedAt   time.Time
	Priority    Priority
	Status      TicketStatus
	OwningParty PartyKind
	// FirstResponseAt is when the ticket was first answered
	// (CountsAsResponse), as recorded then: a later change to the rule
	// does not rewrite it.
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time
	// Pauses are the periods the resolution clock stood still (pending,
	// resolved, closed); the last may be open (End nil): paused now.
	Pauses   []Interval
	Handoffs []HandoffClock
}

// HandoffClock is what the acceptance clock of one handoff depends on.
type HandoffClock struct {
	ID          int64
	ToParty     PartyKind
	RequestedAt time.Time
	Status      HandoffStatus
	AnsweredAt  *time.Time
}

// PlanTimers computes a ticket's clocks on the business clock at now, and
// the SLA state they add up to:
//
//   - response: the owning party's, from creation, never paused, met at the
//     first response by staff of either party (CountsAsResponse: a public
//     reply, or an action the policy marks), or at resolution, which
//     answers the requester too;
//   - resolution: from creation, paused by the ticket's pauses, met at
//     resolution; a reopened ticket resumes where it stopped, since the time
//     spent resolved is a pause;
//   - accept: one per handoff, the receiving party's OLA, from the request,
//     met when accepted and cancelled when declined.
//
// A target of zero minutes starts no timer. A timer whose due instant has
// passed is breached even if no worker has noticed yet, and stays breached
// when it is met late. A paused timer has no due or warning instant. A
// timer whose clock runs has an origin: the clock's position at which it
// would have started had it never been paused, from which its due instant
// follows for any target (Refresh). Timers come back without ID or
// TicketID; clock nil means 24×7.
func PlanTimers(p *SLAPolicy, clock *sla.Clock, c *TicketClock, now time.Time) ([]*Timer, SLAState) {
	if clock == nil {
		clock = TwentyFourSevenClock()
	}
	return NewTimerPlanner(p, clock, now).Plan(c)
}

// TwentyFourSevenClock is the business clock of policies without a
// calendar.
func TwentyFourSevenClock() *sla.Clock {
	clock, err := sla.ClockFor("")
	if err != nil {
		panic(err) // the empty definition is 24×7 and always parses
	}
	return clock
}

// TimerPlanner plans the timers of tickets under one policy at one
// instant, on the business clock of the policy's calendar: a few binary
// searches per timer, so a policy change plans a whole organisation at
// once.
type TimerPlanner struct {
	p           *SLAPolicy
	clock       *sla.Clock
	warnPercent int
	now         time.Time
}

// NewTimerPlanner returns a planner of policy p on clock at now.
func NewTimerPlanner(p *SLAPolicy, clock *sla.Clock, now time.Time) *TimerPlanner {
	return &TimerPlanner{p: p, clock: clock, warnPercent: p.WarnShare(), now: now}
}

// WarnShare is the percentage of a target at which its warning fires:
// the policy's, 75 when unset.
func (p *SLAPolicy) WarnShare() int {
	if p.WarnPercent <= 0 || p.WarnPercent >= 100 {
		return 75
	}
	return p.WarnPercent
}

// TargetMinutes is the target of a timer of kind on a ticket of priority
// pr, or, for an acceptance clock, of the receiving party; zero when the
// policy sets none.
func (p *SLAPolicy) TargetMinutes(kind TimerKind, pr Priority, party PartyKind) int {
	switch kind {
	case TimerResponse:
		return p.Target(pr).ResponseMinutes
	case TimerResolution:
		return p.Target(pr).ResolutionMinutes
	}
	return p.OLA(party)
}

// Refresh brings a stored timer up to the planner's instant and policy.
// A running or paused clock gets the target the policy now sets; a
// running one whose breach is not recorded its due and warning instants
// from its origin; and every one with an origin its elapsed time. A paused
// clock keeps the time it used, a breached one the target it was breached
// against, a stopped one (met, cancelled) what it was when it stopped. pr
// is the ticket's priority.
func (pl *TimerPlanner) Refresh(t *Timer, pr Priority) {
	if t.MetAt != nil || t.State != TimerRunning && t.State != TimerPaused && t.State != TimerBreached {
		return
	}
	minutes := pl.p.TargetMinutes(t.Kind, pr, t.Party)
	if minutes > 0 && t.State != TimerBreached {
		// A breached clock keeps the target it was breached against.
		t.Minutes = minutes
	}
	if t.Origin == nil {
		return
	}
	origin := *t.Origin
	t.ElapsedMinutes = (pl.clock.Pos(pl.now) - origin).Minutes()
	if t.State != TimerRunning || minutes <= 0 {
		return // a clock without a target: the plan drops it at the next change
	}
	target := time.Duration(minutes) * time.Minute
	t.DueAt, t.WarnAt = nil, nil
	if due, ok := pl.clock.At(origin + target); ok {
		warn, _ := pl.clock.At(origin + target*time.Duration(pl.warnPercent)/100)
		t.DueAt, t.WarnAt = &due, &warn
	}
}

// Fire reports what a running timer with an origin has come to at the
// planner's instant: its due instant and whether that has come (breach),
// else whether its warning instant has (warn).
func (pl *TimerPlanner) Fire(t *Timer, pr Priority) (due *time.Time, breach, warn bool) {
	pl.Refresh(t, pr)
	if t.Origin == nil || t.State != TimerRunning || t.DueAt == nil {
		return nil, false, false
	}
	return t.DueAt, !pl.now.Before(*t.DueAt), !pl.now.Before(*t.WarnAt)
}

// Plan is PlanTimers for one ticket.
func (pl *TimerPlanner) Plan(c *TicketClock) ([]*Timer, SLAState) {
	p, now := pl.p, pl.now
	var timers []*Timer
	target := p.Target(c.Priority)
	done := c.Status.Done()
	var resolvedAt *time.Time
	if done {
		resolvedAt = c.ResolvedAt
		if resolvedAt == nil {
			// A done ticket without its instant: the open pause began then.
			if open := openPause(c.Pauses); open != nil {
				resolvedAt = &open.Start
			} else {
				resolvedAt = &now
			}
		}
	}

	if target.ResponseMinutes > 0 {
		met := c.FirstResponseAt
		if met == nil {
			met = resolvedAt
		}
		timers = append(timers, pl.plan(TimerResponse, c.OwningParty, target.ResponseMinutes, c.CreatedAt, nil, nil, met))
	}
	if target.ResolutionMinutes > 0 {
		closed, open := splitPauses(c.Pauses)
		var pausedAt *time.Time
		if !done && open != nil {
			pausedAt = &open.Start
		}
		timers = append(timers, pl.plan(TimerResolution, c.OwningParty, target.ResolutionMinutes, c.CreatedAt, closed, pausedAt, resolvedAt))
	}
	for _, h := range c.Handoffs {
		minutes := p.OLA(h.ToParty)
		if minutes <= 0 {
			continue
		}
		var met *time.Time
		if h.Status == HandoffAccepted {
			met = h.AnsweredAt
			if met == nil {
				met = &now
			}
		}
		t := pl.plan(TimerAccept, h.ToParty, minutes, h.RequestedAt, nil, nil, met)
		id := h.ID
		t.HandoffID = &id
		if h.Status == HandoffDeclined {
			// A decline ends the clock; one that ran out first stays breached.
			end := now
			if h.AnsweredAt != nil {
				end = *h.AnsweredAt
			}
			t.State, t.Origin = TimerCancelled, nil
			if t.DueAt != nil && end.After(*t.DueAt) {
				t.State = TimerBreached
			}
			t.ElapsedMinutes = pl.elapsed(h.RequestedAt, end, nil)
		}
		timers = append(timers, t)
	}
	return timers, PlanState(c.Status, timers, now)
}

// PlanState is the SLA state of a ticket in status with these timers at
// now: breached if any timer is, or was (a breach recorded on a timer
// since met or cancelled still counts: nothing undoes it), or is running
// past its due instant though no worker has noticed yet; paused while the
// resolution clock is; met once the ticket is done; warning when a running
// timer is past its warning instant; ok while any runs; none without
// timers.
func PlanState(status TicketStatus, timers []*Timer, now time.Time) SLAState {
	state := SLANone
	for _, t := range timers {
		if t.State == TimerBreached || t.BreachedAt != nil ||
			t.State == TimerRunning && t.DueAt != nil && !now.Before(*t.DueAt) {
			return SLABreached
		}
	}
	for _, t := range timers {
		if t.Kind == TimerResolution && t.State == TimerPaused {
			return SLAPaused
		}
	}
	if status.Done() {
		for _, t := range timers {
			if t.State == TimerMet {
				return SLAMet
			}
		}
		return SLANone
	}
	for _, t := range timers {
		if t.State != TimerRunning {
			continue
		}
		if t.WarnAt != nil && !now.Before(*t.WarnAt) {
			return SLAWarning
		}
		state = SLAOK
	}
	return state
}

// plan computes one timer of minutes from start, not counting pauses;
// pausedAt is the start of an open pause (paused now), met when it was met.
// Business time adds up, so the due instant continues from the warning
// instant and the elapsed time from the last of them passed: each stretch
// of the calendar is walked once.
func (pl *TimerPlanner) plan(kind TimerKind, party PartyKind, minutes int, start time.Time, pauses []sla.Interval, pausedAt, met *time.Time) *Timer {
	t := &Timer{Kind: kind, Party: party, Minutes: minutes, StartedAt: start, State: TimerRunning}
	if met == nil && pausedAt == nil {
		// The clock runs: where it would have started, never paused.
		origin := pl.clock.Pos(start) + pl.clock.Paused(start, pl.now, pauses)
		t.Origin = &origin
	}
	target := time.Duration(minutes) * time.Minute
	warnAfter := target * time.Duration(pl.warnPercent) / 100
	warn, err := pl.clock.Due(start, warnAfter, pauses)
	var due time.Time
	if err == nil {
		due, err = pl.clock.Due(warn, target-warnAfter, pauses)
	}
	if err != nil {
		// Beyond the ten years sla walks: a due instant nobody will see.
		// The timer runs without one rather than failing the ticket.
		t.ElapsedMinutes = pl.elapsed(start, pl.now, pauses)
		return t
	}
	t.DueAt, t.WarnAt = &due, &warn
	end := pl.now
	switch {
	case met != nil:
		m := *met
		t.MetAt, end = &m, m
		t.State = TimerMet
		if m.After(due) {
			t.State = TimerBreached
		}
	case pausedAt != nil:
		end = *pausedAt
		if !due.After(end) {
			// It ran out before the pause began.
			t.State = TimerBreached
		} else {
			t.State, t.DueAt, t.WarnAt = TimerPaused, nil, nil
		}
	case !due.After(pl.now):
		t.State = TimerBreached
	}
	// Past the due (or warning) instant, the time used is the target (or
	// its share) plus what came after.
	from, used := start, time.Duration(0)
	switch {
	case !end.Before(due):
		from, used = due, target
	case !end.Before(warn):
		from, used = warn, warnAfter
	}
	d, err := pl.clock.Between(from, end, pauses)
	if err == nil {
		t.ElapsedMinutes = (used + d).Minutes()
	}
	return t
}

// elapsed is the business time from start to end in minutes.
func (pl *TimerPlanner) elapsed(start, end time.Time, pauses []sla.Interval) float64 {
	d, err := pl.clock.Between(start, end, pauses)
	if err != nil {
		return 0
	}
	return d.Minutes()
}

// splitPauses converts the closed pauses for sla and returns the open one.
func splitPauses(list []Interval) ([]sla.Interval, *Interval) {
	var closed []sla.Interval
	var open *Interval
	for i, p := range list {
		if p.End == nil {
			if open == nil || p.Start.Before(open.Start) {
				open = &list[i]
			}
			continue
		}
		closed = append(closed, sla.Interval{Start: p.Start, End: *p.End})
	}
	return closed, open
}

func openPause(list []Interval) *Interval {
	_, open := splitPauses(list)
	return open
}
