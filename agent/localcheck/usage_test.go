package localcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// step is one check-in: minutes after t0 and the CPU percent, memory
// percent (of 100 bytes) it reported.
type step struct {
	min      float64
	cpu, mem float64
}

func metricsAt(s step) agentproto.Metrics {
	return agentproto.Metrics{CPUPercent: s.cpu, MemoryUsedBytes: uint64(s.mem), MemoryTotalBytes: 100}
}

// runSteps feeds check-ins to a Runner and returns the result of the
// check with ID 1 at the last one.
func runSteps(t *testing.T, r *Runner, checks []agentproto.Check, steps []step) agentproto.CheckResult {
	t.Helper()
	return resultOf(t, runAll(r, checks, steps), 1)
}

// runAll feeds check-ins to a Runner and returns the results of the last.
func runAll(r *Runner, checks []agentproto.Check, steps []step) []agentproto.CheckResult {
	var res []agentproto.CheckResult
	for _, s := range steps {
		now := t0.Add(time.Duration(s.min * float64(time.Minute)))
		res = r.Run(context.Background(), now, checks, metricsAt(s))
	}
	return res
}

func resultOf(t *testing.T, res []agentproto.CheckResult, id int64) agentproto.CheckResult {
	t.Helper()
	for _, c := range res {
		if c.CheckID == id {
			return c
		}
	}
	t.Fatalf("no result for check %d in %+v", id, res)
	return agentproto.CheckResult{}
}

// everyMinute is check-ins a minute apart from 0 to last, all at the
// same use.
func everyMinute(last int, cpu, mem float64) []step {
	var s []step
	for m := 0; m <= last; m++ {
		s = append(s, step{float64(m), cpu, mem})
	}
	return s
}

func TestSustainedUse(t *testing.T) {
	cpu10 := agentproto.Check{ID: 1, Kind: agentproto.CheckCPU, Threshold: 90, Minutes: 10}
	mem5 := agentproto.Check{ID: 1, Kind: agentproto.CheckMemory, Threshold: 80, Minutes: 5}
	tests := []struct {
		name       string
		check      agentproto.Check
		steps      []step
		wantState  agentproto.CheckState
		wantOutput string
	}{
		{"HighForTheWholeWindow", cpu10, append(everyMinute(9, 95, 0), step{10, 97, 0}),
			agentproto.CheckFailing, "CPU above 90% for 10 minutes (now 97%)"},
		{"JustStartedAgentIsOK", cpu10, everyMinute(9, 95, 0),
			agentproto.CheckOK, "CPU at 95%, above 90% but watched for only 9 minutes of 10 minutes"},
		{"OneDipInTheWindow", cpu10, append(append(everyMinute(4, 95, 0), step{5, 50, 0}), everyMinute(10, 95, 0)[6:]...),
			agentproto.CheckOK, "CPU at 95% (alert above 90% for 10 minutes)"},
		{"DipBeforeTheWindowDoesNotCount", cpu10, append([]step{{0, 10, 0}}, everyMinute(11, 95, 0)[1:]...),
			agentproto.CheckFailing, "CPU above 90% for 10 minutes (now 95%)"},
		{"DipAtTheWindowsStartCounts", cpu10, append([]step{{0, 10, 0}}, everyMinute(10, 95, 0)[1:]...),
			agentproto.CheckOK, "CPU at 95% (alert above 90% for 10 minutes)"},
		{"AtTheThresholdIsNotAbove", cpu10, everyMinute(12, 90, 0),
			agentproto.CheckOK, "CPU at 90% (alert above 90% for 10 minutes)"},
		{"JustAboveTheThreshold", cpu10, everyMinute(12, 90.01, 0),
			agentproto.CheckFailing, "CPU above 90% for 10 minutes (now 90%)"},
		{"JitteredCheckins", cpu10, []step{{0, 95, 0}, {1.1, 95, 0}, {4.3, 95, 0}, {7.9, 95, 0}, {10.2, 96, 0}},
			agentproto.CheckFailing, "CPU above 90% for 10 minutes (now 96%)"},
		{"Memory", mem5, everyMinute(5, 0, 85),
			agentproto.CheckFailing, "memory above 80% for 5 minutes (now 85%)"},
		{"MemoryBelow", mem5, everyMinute(5, 100, 70),
			agentproto.CheckOK, "memory at 70% (alert above 80% for 5 minutes)"},
		{"NoMinutesJudgesNow", agentproto.Check{ID: 1, Kind: agentproto.CheckCPU, Threshold: 90}, []step{{0, 99, 0}},
			agentproto.CheckFailing, "CPU at 99%, above 90%"},
		{"FractionalThreshold", agentproto.Check{ID: 1, Kind: agentproto.CheckMemory, Threshold: 92.5, Minutes: 1}, everyMinute(1, 0, 93),
			agentproto.CheckFailing, "memory above 92.5% for 1 minute (now 93%)"},
		{"ClockSetBackForgetsTheFuture", cpu10, append(everyMinute(10, 95, 0), step{3, 95, 0}),
			agentproto.CheckOK, "CPU at 95%, above 90% but watched for only 3 minutes of 10 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runSteps(t, NewRunner(fakeFacts{}), []agentproto.Check{tt.check}, tt.steps)
			if got.State != tt.wantState || got.Output != tt.wantOutput {
				t.Errorf("result %s %q, want %s %q", got.State, got.Output, tt.wantState, tt.wantOutput)
			}
		})
	}
}

func TestHistoryIsBoundedByTheLongestCheck(t *testing.T) {
	r := NewRunner(fakeFacts{})
	checks := []agentproto.Check{
		{ID: 1, Kind: agentproto.CheckCPU, Threshold: 90, Minutes: 5},
		{ID: 2, Kind: agentproto.CheckMemory, Threshold: 90, Minutes: 15},
	}
	runAll(r, checks, everyMinute(120, 95, 95))
	// The samples of the last 15 minutes and the one at its start.
	if n := len(r.history.samples); n != 16 {
		t.Errorf("%d samples kept after two hours, want 16", n)
	}
	runSteps(t, r, checks[:1], []step{{121, 95, 95}})
	if n := len(r.history.samples); n != 6 {
		t.Errorf("%d samples kept with only the 5-minute check, want 6", n)
	}
}

func TestCheckAddedLaterWaitsForItsWindow(t *testing.T) {
	r := NewRunner(fakeFacts{})
	short := agentproto.Check{ID: 2, Kind: agentproto.CheckCPU, Threshold: 90, Minutes: 5}
	runAll(r, []agentproto.Check{short}, everyMinute(60, 95, 0)) // an hour of high use, 5 minutes kept
	long := agentproto.Check{ID: 1, Kind: agentproto.CheckCPU, Threshold: 90, Minutes: 10}
	both := []agentproto.Check{short, long}
	got := runSteps(t, r, both, []step{{61, 95, 0}})
	if got.State != agentproto.CheckOK || !strings.Contains(got.Output, "watched for only 6 minutes of 10 minutes") {
		t.Errorf("new 10-minute check after 1 minute: %s %q", got.State, got.Output)
	}
	var steps []step
	for m := 62; m <= 65; m++ {
		steps = append(steps, step{float64(m), 95, 0})
	}
	if got := runSteps(t, r, both, steps); got.State != agentproto.CheckFailing {
		t.Errorf("new 10-minute check after 5 minutes: %s %q", got.State, got.Output)
	}
}
