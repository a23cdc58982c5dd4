// Package localcheck evaluates the local checks an agent is configured
// with (agentproto.Check) at each check-in, from the check-in's metrics
// and a few facts about the machine. It does no I/O of its own: the facts
// come through the Facts interface (collect.Probe on a real machine, a
// fake in tests) and time is passed in, so every verdict can be tested
// with hand-built inputs.
package localcheck

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Facts are what the checks ask of the machine beyond its metrics.
type Facts interface {
	// ServiceRunning says the service (systemd unit, Windows service,
	// launchd job) name runs; an error when that cannot be told, such as
	// a service the machine does not have.
	ServiceRunning(ctx context.Context, name string) (bool, error)
	// ProcessRunning says a process named name runs.
	ProcessRunning(ctx context.Context, name string) (bool, error)
	// FileModTime is when the file at path was last modified; an error
	// wrapping fs.ErrNotExist when there is no such file.
	FileModTime(path string) (time.Time, error)
}

// Runner evaluates the checks at each check-in. A CPU or memory check
// asks whether use stayed high for some minutes, which one check-in's
// metrics cannot tell, so the Runner keeps the recent samples: only as
// far back as the longest such check configured needs. Runner is safe
// for concurrent use; runs are serialised.
type Runner struct {
	facts Facts

	mu      sync.Mutex
	history history
}

// NewRunner returns a Runner that asks facts about the machine and has
// seen no samples yet.
func NewRunner(facts Facts) *Runner { return &Runner{facts: facts} }

// Run evaluates checks at now, with m the metrics of this check-in, and
// returns one result per check, in order of check ID. The metrics are
// added to the samples CPU and memory checks judge by, so Run should be
// called once per check-in with that check-in's time.
//
// A check the server could not accept a result for (an ID that is not
// positive, an ID given twice) gets none, and at most
// agentproto.MaxCheckResults results are returned, so one bad check
// cannot make the server refuse the whole check-in.
func (r *Runner) Run(ctx context.Context, now time.Time, checks []agentproto.Check, m agentproto.Metrics) []agentproto.CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.history.add(now, m, longestWindow(checks))

	checks = slices.Clone(checks)
	slices.SortStableFunc(checks, func(a, b agentproto.Check) int { return cmp.Compare(a.ID, b.ID) })
	checks = slices.CompactFunc(checks, func(a, b agentproto.Check) bool { return a.ID == b.ID })
	results := make([]agentproto.CheckResult, 0, len(checks))
	for _, c := range checks {
		if c.ID <= 0 {
			continue
		}
		if len(results) == agentproto.MaxCheckResults {
			break
		}
		state, output := r.evaluate(ctx, now, c, m)
		results = append(results, agentproto.CheckResult{CheckID: c.ID, State: state, Output: cleanOutput(output)})
	}
	return results
}

func (r *Runner) evaluate(ctx context.Context, now time.Time, c agentproto.Check, m agentproto.Metrics) (agentproto.CheckState, string) {
	switch c.Kind {
	case agentproto.CheckDiskFree:
		return diskFree(c, m.Volumes)
	case agentproto.CheckCPU:
		return r.sustained(now, c, "CPU", func(s sample) float64 { return s.cpu })
	case agentproto.CheckMemory:
		return r.sustained(now, c, "memory", func(s sample) float64 { return s.memory })
	case agentproto.CheckService:
		return running(ctx, "service", c.Target, r.facts.ServiceRunning)
	case agentproto.CheckProcess:
		return running(ctx, "process", c.Target, r.facts.ProcessRunning)
	case agentproto.CheckFileAge:
		return fileAge(now, c, r.facts)
	}
	kinds := make([]string, len(agentproto.CheckKinds))
	for i, k := range agentproto.CheckKinds {
		kinds[i] = string(k)
	}
	return agentproto.CheckError, fmt.Sprintf("unknown check kind %q: this agent runs %s; update the agent", c.Kind, strings.Join(kinds, ", "))
}

// longestWindow is the longest stretch of samples a CPU or memory check
// of checks looks at.
func longestWindow(checks []agentproto.Check) time.Duration {
	var longest time.Duration
	for _, c := range checks {
		if c.Kind == agentproto.CheckCPU || c.Kind == agentproto.CheckMemory {
			longest = max(longest, window(c))
		}
	}
	return longest
}

// window is how long a CPU or memory check wants use high, none for a
// check without minutes (it judges the current sample alone).
func window(c agentproto.Check) time.Duration {
	return time.Duration(max(c.Minutes, 0)) * time.Minute
}
