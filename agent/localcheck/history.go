package localcheck

import (
	"fmt"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// sample is one check-in's CPU and memory use, in percent.
type sample struct {
	at          time.Time
	cpu, memory float64
}

// history is the recent samples, oldest first.
type history struct {
	samples []sample
}

// add records a check-in's metrics and forgets what no check needs: it
// keeps the samples of the last keep, and the newest one before that,
// which shows the agent was watching when the window began. A sample
// later than now means the clock was set back; those are dropped, as
// they would otherwise be counted in every window from now on.
func (h *history) add(now time.Time, m agentproto.Metrics, keep time.Duration) {
	kept := h.samples[:0]
	for _, s := range h.samples {
		if !s.at.After(now) {
			kept = append(kept, s)
		}
	}
	h.samples = append(kept, sample{at: now, cpu: m.CPUPercent, memory: m.MemoryPercent()})
	cutoff := now.Add(-keep)
	first := 0
	for i, s := range h.samples {
		if !s.at.After(cutoff) {
			first = i
		}
	}
	h.samples = append([]sample(nil), h.samples[first:]...)
}

// sustained judges a CPU or memory check: failing when every sample of
// the last Minutes is above Threshold and the agent has watched for at
// least Minutes, since a just-started agent cannot tell how long use has
// been high. A sample at exactly the window's start is inside it. The
// check-in interval is the resolution: use that dipped between two
// check-ins is not seen.
func (r *Runner) sustained(now time.Time, c agentproto.Check, what string, value func(sample) float64) (agentproto.CheckState, string) {
	samples := r.history.samples
	cur := value(samples[len(samples)-1])
	win := window(c)
	start := now.Add(-win)
	watched := now.Sub(samples[0].at)
	allAbove := true
	for _, s := range samples {
		if !s.at.Before(start) && !(value(s) > c.Threshold) { // NaN is not above
			allAbove = false
			break
		}
	}
	threshold, span := formatPercent(c.Threshold), formatMinutes(c.Minutes)
	switch {
	case allAbove && watched >= win:
		if win == 0 {
			return agentproto.CheckFailing, fmt.Sprintf("%s at %.0f%%, above %s", what, cur, threshold)
		}
		return agentproto.CheckFailing, fmt.Sprintf("%s above %s for %s (now %.0f%%)", what, threshold, span, cur)
	case allAbove:
		return agentproto.CheckOK, fmt.Sprintf("%s at %.0f%%, above %s but watched for only %s of %s",
			what, cur, threshold, formatMinutes(int(watched/time.Minute)), span)
	case win == 0:
		return agentproto.CheckOK, fmt.Sprintf("%s at %.0f%% (alert above %s)", what, cur, threshold)
	}
	return agentproto.CheckOK, fmt.Sprintf("%s at %.0f%% (alert above %s for %s)", what, cur, threshold, span)
}
