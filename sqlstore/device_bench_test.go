package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem/internal/testdb"
)

// BenchmarkCheckins measures the ingest of check-ins without HTTP: 2,000
// agents checking in concurrently, each check-in its own call, as the
// handlers make them.
func BenchmarkCheckins(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		db := testdb.MustOpenSQLite(b)
		benchmarkCheckins(b, newDeviceWorld(b, db), 2000)
	})
	b.Run("postgres", func(b *testing.B) {
		db := testdb.MustOpenPostgres(b)
		benchmarkCheckins(b, newDeviceWorld(b, db), 2000)
	})
}

func benchmarkCheckins(b *testing.B, w *deviceWorld, agents int) {
	tok := w.mustEnrollment(b, w.AAdmin, w.OrgA.ID, nil)
	creds := make([]string, agents)
	for i := range creds {
		creds[i] = w.mustEnroll(b, tok.Token, fmt.Sprintf("bench-%05d", i)).Credential
	}
	var seq atomic.Int64
	now := time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/agents + 1
	for _, c := range creds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := w.Devices.Checkin(context.Background(), c, checkin(int64(i+1), now, 10)); err != nil {
					b.Error(err)
					return
				}
				seq.Add(1)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "checkins/s")
}
