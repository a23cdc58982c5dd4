package collect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/tandemhq/tandem/agentproto"
)

// Sampler gathers a machine's Metrics at each check-in. CPU use is only
// meaningful over an interval, so the Sampler keeps the CPU counters of
// its previous call and CPUPercent is the use since then: the average
// over the check-in interval, not a spike of the last instant.
//
// The first call has no previous counters and measures over
// firstCPUInterval (a quarter of a second) instead of returning 0. On
// macOS, whose counters Go cannot read without cgo, every call measures
// over one second with top.
//
// A Sampler is safe for concurrent use; calls are serialised.
type Sampler struct {
	mu       sync.Mutex
	prev     cpuTimes
	havePrev bool
}

// NewSampler returns a Sampler that has not yet read the CPU counters.
func NewSampler() *Sampler { return &Sampler{} }

// Metrics gathers the machine's metrics now. A part that cannot be read
// (no swap, no utmp for the users) is left zero or empty; Metrics fails
// only when neither CPU nor memory could be read, since a check-in without
// either says nothing.
func (s *Sampler) Metrics(ctx context.Context) (agentproto.Metrics, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m agentproto.Metrics
	cpu, cpuErr := s.cpuPercent(ctx)
	m.CPUPercent = cpu
	memErr := readMemory(ctx, &m)
	if cpuErr != nil && memErr != nil {
		return agentproto.Metrics{}, fmt.Errorf("collect metrics: %w", errors.Join(cpuErr, memErr))
	}
	readLoadAndUptime(ctx, &m)
	m.Volumes = readVolumes(ctx)
	m.Users = readUsers(ctx)
	cleanMetrics(&m)
	return m, nil
}

// cleanMetrics makes the figures ones the server accepts: a percentage in
// 0..100, finite load averages, used never above total, at most as many
// volumes and users as the protocol allows.
func cleanMetrics(m *agentproto.Metrics) {
	if math.IsNaN(m.CPUPercent) {
		m.CPUPercent = 0
	}
	m.CPUPercent = min(max(m.CPUPercent, 0), 100)
	for _, l := range []*float64{&m.Load1, &m.Load5, &m.Load15} {
		if math.IsNaN(*l) || math.IsInf(*l, 0) || *l < 0 || *l > 1e6 {
			*l = 0
		}
	}
	m.MemoryUsedBytes = min(m.MemoryUsedBytes, m.MemoryTotalBytes)
	m.SwapUsedBytes = min(m.SwapUsedBytes, m.SwapTotalBytes)
	m.UptimeSeconds = max(m.UptimeSeconds, 0)
	vols := m.Volumes[:0]
	for _, v := range m.Volumes {
		v.Mount = cleanText(v.Mount, agentproto.MaxTextLen)
		v.FSType = cleanText(v.FSType, 64)
		v.UsedBytes = min(v.UsedBytes, v.TotalBytes)
		if v.Mount != "" && len(vols) < agentproto.MaxVolumes {
			vols = append(vols, v)
		}
	}
	m.Volumes = vols
	users := m.Users[:0]
	for _, u := range m.Users {
		if u = cleanText(u, 256); u != "" && len(users) < agentproto.MaxUsers {
			users = append(users, u)
		}
	}
	m.Users = users
}

// volume is a mount's use, counted as df counts it: used is what files
// take (size less free blocks), and the total is used plus what is
// still available to programs that are not root. The blocks a file
// system reserves for root (5% on ext4 by default) are thus in neither,
// so the free share is df's 100 - Use%, and the free bytes are df's
// Avail: what a program can still write, which is what a disk-free check
// must warn about.
func volume(m mount, used, available uint64) agentproto.Volume {
	return agentproto.Volume{Mount: m.Point, FSType: m.FSType, TotalBytes: satAdd(used, available), UsedBytes: used}
}
