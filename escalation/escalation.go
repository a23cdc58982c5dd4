// Package escalation holds the pure rules of escalation policies, after
// PagerDuty's: ordered levels, each notifying all its targets and waiting
// its timeout for an acknowledgement before the next level; the whole
// policy repeated up to nine more times; a level whose targets resolve to
// nobody skipped at once. It does no I/O: the clock is an argument and the
// targets are resolved by a function the caller passes.
package escalation

import (
	"slices"
	"time"
)

// MaxRepeats is how many more times a policy may run after its first pass.
const MaxRepeats = 9

// TargetKind is what a target names.
type TargetKind string

const (
	TargetUser     TargetKind = "user"     // one person
	TargetQueue    TargetKind = "queue"    // a party's staff who see the organisation
	TargetSchedule TargetKind = "schedule" // whoever is on call in a schedule
)

// Target is whom a level notifies: a user, a party's queue, or an on-call
// schedule; only the field of its kind is set.
type Target struct {
	Kind       TargetKind `json:"kind"`
	UserID     int64      `json:"user_id,omitempty"`
	Party      string     `json:"party,omitempty"`
	ScheduleID int64      `json:"schedule_id,omitempty"`
}

// Level is one rung of a policy: its targets are notified together, then
// it waits TimeoutMinutes for an acknowledgement.
type Level struct {
	Targets        []Target `json:"targets"`
	TimeoutMinutes int      `json:"timeout_minutes"`
}

// Timeout is how long the level waits before the next one.
func (l Level) Timeout() time.Duration { return time.Duration(l.TimeoutMinutes) * time.Minute }

// Policy is the escalation path an incident follows: its levels in order,
// run once and then Repeats more times.
type Policy struct {
	Levels  []Level `json:"levels"`
	Repeats int     `json:"repeats"`
}

// Clone returns a deep copy of p: an incident's snapshot, which later
// edits of the policy cannot reach.
func (p Policy) Clone() Policy {
	c := Policy{Repeats: p.Repeats, Levels: make([]Level, len(p.Levels))}
	for i, l := range p.Levels {
		c.Levels[i] = Level{Targets: slices.Clone(l.Targets), TimeoutMinutes: l.TimeoutMinutes}
	}
	return c
}

// Status is where an incident stands.
type Status string

const (
	Triggered    Status = "triggered"    // escalating: NextStepAt is when the next level is due
	Acknowledged Status = "acknowledged" // someone took it: no further step
	Resolved     Status = "resolved"     // its ticket was resolved or closed
	Exhausted    Status = "exhausted"    // the last level of the last round timed out unacknowledged
)

// State is an incident's progress. Level and Round (both from 0) are the
// level last notified or skipped; Level is -1 before the first.
type State struct {
	Status     Status
	Level      int
	Round      int
	NextStepAt time.Time
}

// Recipient is a person a step notified, and the target that named them.
type Recipient struct {
	UserID int64
	Target Target
}

// Step is one level reached: its recipients, or Skipped when its targets
// resolved to nobody.
type Step struct {
	Level, Round int
	At           time.Time
	Recipients   []Recipient
	Skipped      bool
}

// Start begins an incident at now: its first level is due at once.
func Start(now time.Time) State {
	return State{Status: Triggered, Level: -1, NextStepAt: now}
}

// Advance takes every step of s due by now under p: each level whose
// predecessor timed out is notified with the users resolve names for its
// targets (each user once per step); a level resolving to nobody is
// skipped at the same instant. A notified level's timeout counts from now,
// so its people get all of it however late the step runs. When the last
// level of the last round times out the incident is exhausted.
func Advance(p Policy, s State, now time.Time, resolve func(Target) []int64) ([]Step, State) {
	var steps []Step
	for s.Status == Triggered && !now.Before(s.NextStepAt) {
		level, round, ok := next(p, s.Level, s.Round)
		if !ok {
			s.Status = Exhausted
			break
		}
		s.Level, s.Round = level, round
		step := Step{Level: level, Round: round, At: now, Recipients: recipients(p.Levels[level].Targets, resolve)}
		step.Skipped = len(step.Recipients) == 0
		steps = append(steps, step)
		if !step.Skipped {
			s.NextStepAt = now.Add(p.Levels[level].Timeout())
		}
	}
	return steps, s
}

// next is the level after (level, round), and false after the last level
// of the last round.
func next(p Policy, level, round int) (int, int, bool) {
	switch {
	case level+1 < len(p.Levels):
		return level + 1, round, true
	case round < p.Repeats && len(p.Levels) > 0:
		return 0, round + 1, true
	}
	return 0, 0, false
}

// recipients resolves targets, each user named once, by the first target
// naming them.
func recipients(targets []Target, resolve func(Target) []int64) []Recipient {
	var out []Recipient
	seen := map[int64]bool{}
	for _, t := range targets {
		for _, id := range resolve(t) {
			if !seen[id] {
				seen[id] = true
				out = append(out, Recipient{UserID: id, Target: t})
			}
		}
	}
	return out
}

// Acknowledge stops a triggered incident; ok is false when it was not
// escalating (already acknowledged, resolved or exhausted).
func Acknowledge(s State) (State, bool) {
	if s.Status != Triggered {
		return s, false
	}
	s.Status = Acknowledged
	return s, true
}

// Resolve ends an incident whose ticket was resolved; ok is false when it
// had already ended.
func Resolve(s State) (State, bool) {
	if s.Status != Triggered && s.Status != Acknowledged {
		return s, false
	}
	s.Status = Resolved
	return s, true
}

// EscalateNow makes the next level due at now, as if the current one had
// timed out; Advance then takes it. ok is false when the incident is not
// escalating.
func EscalateNow(s State, now time.Time) (State, bool) {
	if s.Status != Triggered {
		return s, false
	}
	s.NextStepAt = now
	return s, true
}
