package main

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/agent/collect"
	"github.com/tandemhq/tandem/agent/localcheck"
	"github.com/tandemhq/tandem/agentproto"
)

// machine is the agent's Sources on a real machine: agent/collect's
// collectors and agent/localcheck's checks.
type machine struct {
	sampler *collect.Sampler
	checks  *localcheck.Runner
}

func newMachine() *machine {
	return &machine{sampler: collect.NewSampler(), checks: localcheck.NewRunner(collect.Probe{})}
}

func (m *machine) Metrics(ctx context.Context) (agentproto.Metrics, error) {
	return m.sampler.Metrics(ctx)
}

func (m *machine) Inventory(ctx context.Context) (agentproto.Inventory, error) {
	return collect.Inventory(ctx)
}

func (m *machine) Checks(ctx context.Context, now time.Time, checks []agentproto.Check, metrics agentproto.Metrics) []agentproto.CheckResult {
	return m.checks.Run(ctx, now, checks, metrics)
}
