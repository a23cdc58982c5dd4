package escalation_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/escalation"
)

var t0 = time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)

func user(id int64) escalation.Target {
	return escalation.Target{Kind: escalation.TargetUser, UserID: id}
}
func schedule(id int64) escalation.Target {
	return escalation.Target{Kind: escalation.TargetSchedule, ScheduleID: id}
}

// resolver names users 1–99 as themselves and nobody for schedules (an
// empty rota) unless onCall names someone.
func resolver(onCall map[int64]int64) func(escalation.Target) []int64 {
	return func(t escalation.Target) []int64 {
		switch t.Kind {
		case escalation.TargetUser:
			return []int64{t.UserID}
		case escalation.TargetSchedule:
			if id, ok := onCall[t.ScheduleID]; ok {
				return []int64{id}
			}
		case escalation.TargetQueue:
			return []int64{10, 11}
		}
		return nil
	}
}

// describe writes steps as "L1R0@0m:[1 2]" (minutes after t0; "skip" for
// a skipped level), the way the table reads.
func describe(steps []escalation.Step) string {
	var parts []string
	for _, s := range steps {
		who := "skip"
		if !s.Skipped {
			var ids []int64
			for _, r := range s.Recipients {
				ids = append(ids, r.UserID)
			}
			who = fmt.Sprint(ids)
		}
		parts = append(parts, fmt.Sprintf("L%dR%d@%dm:%s", s.Level+1, s.Round, int(s.At.Sub(t0).Minutes()), who))
	}
	return strings.Join(parts, " ")
}

func TestAdvance(t *testing.T) {
	twoLevels := escalation.Policy{Levels: []escalation.Level{
		{Targets: []escalation.Target{user(1)}, TimeoutMinutes: 15},
		{Targets: []escalation.Target{user(2), user(3)}, TimeoutMinutes: 30},
	}}
	repeated := twoLevels.Clone()
	repeated.Repeats = 1
	emptyFirst := escalation.Policy{Levels: []escalation.Level{
		{Targets: []escalation.Target{schedule(7)}, TimeoutMinutes: 10},
		{Targets: []escalation.Target{user(2)}, TimeoutMinutes: 10},
	}}
	allEmpty := escalation.Policy{Repeats: 9, Levels: []escalation.Level{{Targets: []escalation.Target{schedule(7)}, TimeoutMinutes: 5}}}
	overlapping := escalation.Policy{Levels: []escalation.Level{{Targets: []escalation.Target{user(10), {Kind: escalation.TargetQueue, Party: "provider"}}, TimeoutMinutes: 5}}}

	tests := []struct {
		name   string
		policy escalation.Policy
		onCall map[int64]int64
		at     []int // minutes after t0 at which the scheduler runs
		want   string
		status escalation.Status
		next   int // minutes after t0 of the next step, when still triggered
	}{
		{"FirstLevelAtOnce", twoLevels, nil, []int{0}, "L1R0@0m:[1]", escalation.Triggered, 15},
		{"BeforeTimeoutNothing", twoLevels, nil, []int{0, 14}, "L1R0@0m:[1]", escalation.Triggered, 15},
		{"TimeoutNextLevel", twoLevels, nil, []int{0, 15}, "L1R0@0m:[1] L2R0@15m:[2 3]", escalation.Triggered, 45},
		{"LastLevelTimesOutExhausted", twoLevels, nil, []int{0, 15, 45}, "L1R0@0m:[1] L2R0@15m:[2 3]", escalation.Exhausted, 0},
		{"LateRunGivesTheFullTimeout", twoLevels, nil, []int{0, 40}, "L1R0@0m:[1] L2R0@40m:[2 3]", escalation.Triggered, 70},
		{"RepeatRunsThePolicyAgain", repeated, nil, []int{0, 15, 45, 60, 90},
			"L1R0@0m:[1] L2R0@15m:[2 3] L1R1@45m:[1] L2R1@60m:[2 3]", escalation.Exhausted, 0},
		{"EmptyLevelSkippedAtOnce", emptyFirst, nil, []int{0}, "L1R0@0m:skip L2R0@0m:[2]", escalation.Triggered, 10},
		{"OnCallLevelNotified", emptyFirst, map[int64]int64{7: 5}, []int{0, 10}, "L1R0@0m:[5] L2R0@10m:[2]", escalation.Triggered, 20},
		{"NobodyAnywhereExhaustedAtOnce", allEmpty, nil, []int{0}, strings.Repeat("L1R0@0m:skip ", 1) +
			"L1R1@0m:skip L1R2@0m:skip L1R3@0m:skip L1R4@0m:skip L1R5@0m:skip L1R6@0m:skip L1R7@0m:skip L1R8@0m:skip L1R9@0m:skip", escalation.Exhausted, 0},
		{"EachPersonOncePerStep", overlapping, nil, []int{0}, "L1R0@0m:[10 11]", escalation.Triggered, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := escalation.Start(t0)
			var all []escalation.Step
			for _, m := range tt.at {
				var steps []escalation.Step
				steps, s = escalation.Advance(tt.policy, s, t0.Add(time.Duration(m)*time.Minute), resolver(tt.onCall))
				all = append(all, steps...)
			}
			if got := describe(all); got != tt.want {
				t.Errorf("steps:\n got %s\nwant %s", got, tt.want)
			}
			if s.Status != tt.status {
				t.Errorf("status = %s, want %s", s.Status, tt.status)
			}
			if tt.status == escalation.Triggered && !s.NextStepAt.Equal(t0.Add(time.Duration(tt.next)*time.Minute)) {
				t.Errorf("next step at %s, want +%dm", s.NextStepAt, tt.next)
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	p := escalation.Policy{Repeats: 2, Levels: []escalation.Level{
		{Targets: []escalation.Target{user(1)}, TimeoutMinutes: 15},
		{Targets: []escalation.Target{user(2)}, TimeoutMinutes: 15},
	}}
	_, s := escalation.Advance(p, escalation.Start(t0), t0, resolver(nil))

	t.Run("MidLevelStopsEveryLaterStep", func(t *testing.T) {
		acked, ok := escalation.Acknowledge(s)
		if !ok || acked.Status != escalation.Acknowledged {
			t.Fatalf("acknowledge: %v %s", ok, acked.Status)
		}
		steps, after := escalation.Advance(p, acked, t0.Add(24*time.Hour), resolver(nil))
		if len(steps) != 0 || after.Status != escalation.Acknowledged {
			t.Errorf("after acknowledgement: %s, %s", describe(steps), after.Status)
		}
	})
	t.Run("OnlyOnce", func(t *testing.T) {
		acked, _ := escalation.Acknowledge(s)
		if _, ok := escalation.Acknowledge(acked); ok {
			t.Error("an acknowledged incident was acknowledged again")
		}
		resolved, _ := escalation.Resolve(acked)
		if _, ok := escalation.Acknowledge(resolved); ok {
			t.Error("a resolved incident was acknowledged")
		}
	})
	t.Run("EscalateNowTakesTheNextLevel", func(t *testing.T) {
		now := t0.Add(3 * time.Minute)
		s2, ok := escalation.EscalateNow(s, now)
		if !ok {
			t.Fatal("escalate refused")
		}
		steps, s2 := escalation.Advance(p, s2, now, resolver(nil))
		if got := describe(steps); got != "L2R0@3m:[2]" || !s2.NextStepAt.Equal(now.Add(15*time.Minute)) {
			t.Errorf("escalated: %s, next %s", got, s2.NextStepAt)
		}
		acked, _ := escalation.Acknowledge(s2)
		if _, ok := escalation.EscalateNow(acked, now); ok {
			t.Error("an acknowledged incident escalated")
		}
	})
}

// TestSnapshot shows an incident running on the policy it started with:
// the caller keeps Clone's copy, and editing the policy reaches only new
// incidents.
func TestSnapshot(t *testing.T) {
	p := escalation.Policy{Levels: []escalation.Level{
		{Targets: []escalation.Target{user(1)}, TimeoutMinutes: 15},
		{Targets: []escalation.Target{user(2)}, TimeoutMinutes: 15},
	}}
	snapshot := p.Clone()
	_, s := escalation.Advance(snapshot, escalation.Start(t0), t0, resolver(nil))
	p.Levels[1].Targets[0] = user(9)
	p.Levels[0].TimeoutMinutes = 60
	p.Levels = append(p.Levels, escalation.Level{Targets: []escalation.Target{user(8)}, TimeoutMinutes: 5})

	steps, s := escalation.Advance(snapshot, s, t0.Add(15*time.Minute), resolver(nil))
	if got := describe(steps); got != "L2R0@15m:[2]" {
		t.Errorf("after the edit the incident notified %s, want level 2 of the original policy", got)
	}
	if _, s = escalation.Advance(snapshot, s, t0.Add(30*time.Minute), resolver(nil)); s.Status != escalation.Exhausted {
		t.Errorf("status %s: the added level reached a running incident", s.Status)
	}
	if !slices.Equal(snapshot.Levels[1].Targets, []escalation.Target{user(2)}) {
		t.Error("Clone shares targets with the policy")
	}
}
