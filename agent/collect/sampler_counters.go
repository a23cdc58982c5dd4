//go:build linux || windows

package collect

import (
	"context"
	"time"
)

// firstCPUInterval is how long the first Metrics call measures CPU use
// over: long enough to be more than noise, short enough not to delay the
// agent's first check-in.
const firstCPUInterval = 250 * time.Millisecond

// cpuPercent is the CPU use since the previous call, from the OS's
// cumulative counters; the first call measures over firstCPUInterval.
func (s *Sampler) cpuPercent(ctx context.Context) (float64, error) {
	cur, err := readCPUTimes()
	if err != nil {
		return 0, err
	}
	if !s.havePrev {
		s.prev, s.havePrev = cur, true
		t := time.NewTimer(firstCPUInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		if cur, err = readCPUTimes(); err != nil {
			return 0, err
		}
	}
	p := cpuPercentBetween(s.prev, cur)
	s.prev = cur
	return p, nil
}
