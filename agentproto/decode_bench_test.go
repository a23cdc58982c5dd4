package agentproto_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

func realisticCheckin() []byte {
	const gib = 1 << 30
	c := agentproto.Checkin{Seq: 4812, At: time.Date(2026, 12, 7, 11, 40, 3, 123456000, time.UTC), ConfigRevision: 3,
		Metrics: agentproto.Metrics{CPUPercent: 12.3, MemoryTotalBytes: 16 * gib, MemoryUsedBytes: 7 * gib, SwapTotalBytes: 2 * gib, SwapUsedBytes: 1 << 26,
			Load1: 0.48, Load5: 0.41, Load15: 0.35, UptimeSeconds: 86400 * 3,
			Volumes: []agentproto.Volume{{Mount: "/", FSType: "ext4", TotalBytes: 240 * gib, UsedBytes: 96 * gib}, {Mount: "/boot", FSType: "ext4", TotalBytes: gib, UsedBytes: 300 << 20}, {Mount: "/home", FSType: "ext4", TotalBytes: 700 * gib, UsedBytes: 410 * gib}},
			Users:   []string{"ana"}},
		Checks: []agentproto.CheckResult{{CheckID: 1, State: agentproto.CheckOK, Output: "ok"}, {CheckID: 2, State: agentproto.CheckOK, Output: "ok"}}}
	b, _ := json.Marshal(c)
	return b
}

// BenchmarkDecodeCheckin measures what the server spends decoding and
// checking one check-in as the load generator sends it.
func BenchmarkDecodeCheckin(b *testing.B) {
	data := realisticCheckin()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := agentproto.DecodeCheckin(data); err != nil {
			b.Fatal(err)
		}
	}
}
