package loadgen

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// simulated is a made-up Linux machine with figures that move as a real
// one's do: CPU wandering around a base load, memory and disks slowly
// filling, three volumes, a user or two, and 300-odd packages.
type simulated struct {
	host     string
	rng      *rand.Rand
	cpu      float64
	software []agentproto.Software
	serial   string
	started  time.Time
}

func newSimulated(host string, software []agentproto.Software) *simulated {
	h := fnv.New64a()
	h.Write([]byte(host))
	seed := h.Sum64()
	// The serial number is the machine's: the same in every inventory, or
	// each would be a hardware change.
	return &simulated{host: host, rng: rand.New(rand.NewPCG(seed, seed>>7)), cpu: 10, software: software, serial: fmt.Sprintf("SIM%07d", seed%1e7), started: time.Now()}
}

func (s *simulated) Metrics(context.Context) (agentproto.Metrics, error) {
	s.cpu = math.Min(100, math.Max(0, s.cpu+s.rng.NormFloat64()*5+(12-s.cpu)*0.1))
	const gib = 1 << 30
	return agentproto.Metrics{
		CPUPercent: math.Round(s.cpu*10) / 10, MemoryTotalBytes: 16 * gib, MemoryUsedBytes: uint64((6 + 2*s.rng.Float64()) * gib),
		SwapTotalBytes: 2 * gib, SwapUsedBytes: uint64(0.1 * gib * s.rng.Float64()),
		Load1: s.cpu / 25, Load5: s.cpu / 30, Load15: s.cpu / 35, UptimeSeconds: int64(time.Since(s.started).Seconds()) + 86400,
		Volumes: []agentproto.Volume{
			{Mount: "/", FSType: "ext4", TotalBytes: 240 * gib, UsedBytes: uint64(96*gib + s.rng.IntN(gib))},
			{Mount: "/boot", FSType: "ext4", TotalBytes: gib, UsedBytes: 300 << 20},
			{Mount: "/home", FSType: "ext4", TotalBytes: 700 * gib, UsedBytes: 410 * gib},
		},
		Users: []string{"ana"},
	}, nil
}

func (s *simulated) Inventory(context.Context) (agentproto.Inventory, error) {
	return agentproto.Inventory{
		Hostname: s.host, OS: agentproto.OSLinux, OSName: "Ubuntu 24.04.1 LTS", OSVersion: "24.04", Kernel: "6.8.0-49-generic", Arch: "amd64",
		Manufacturer: "Dell Inc.", Model: "Latitude 7440", Serial: s.serial, CPUModel: "13th Gen Intel(R) Core(TM) i7-1365U", CPUCores: 12,
		MemoryBytes: 16 << 30, Disks: []agentproto.Disk{{Name: "nvme0n1", Model: "PM9A1 NVMe Samsung 1024GB", SizeBytes: 1024 << 30}},
		Interfaces: []agentproto.NetworkInterface{{Name: "wlp0s20f3", MAC: "3c:e9:f7:12:34:56", Addresses: []string{"10.20.30.40/24"}}},
		Software:   s.software, UpdatesKnown: true,
		PendingUpdates: []agentproto.PendingUpdate{{Name: "openssl", Version: "3.0.13-0ubuntu3.4", Security: true}, {Name: "tzdata", Version: "2024b-0ubuntu0.24.04"}},
	}, nil
}

func (s *simulated) Checks(_ context.Context, _ time.Time, checks []agentproto.Check, _ agentproto.Metrics) []agentproto.CheckResult {
	out := make([]agentproto.CheckResult, 0, len(checks))
	for _, c := range checks {
		out = append(out, agentproto.CheckResult{CheckID: c.ID, State: agentproto.CheckOK, Output: "ok"})
	}
	return out
}

// simulatedSoftware is a package list the size of a desktop's: the
// names and versions are made up, the shape is dpkg's.
func simulatedSoftware() []agentproto.Software {
	out := make([]agentproto.Software, 320)
	for i := range out {
		out[i] = agentproto.Software{Name: fmt.Sprintf("lib-simulated-%03d", i), Version: fmt.Sprintf("%d.%d.%d-1ubuntu%d", i%7, i%13, i%5, i%3), Source: "dpkg"}
	}
	return out
}
