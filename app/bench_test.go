package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/testserver"
)

// eachDialect runs a benchmark on SQLite and, when TANDEM_TEST_POSTGRES is
// set, on PostgreSQL; newMain returns a Main on a fresh database.
func eachDialect(b *testing.B, fn func(b *testing.B, newMain func() *app.Main)) {
	b.Run("sqlite", func(b *testing.B) {
		fn(b, func() *app.Main { return &app.Main{DataDir: b.TempDir()} })
	})
	b.Run("postgres", func(b *testing.B) {
		fn(b, func() *app.Main { return &app.Main{DatabaseURL: testdb.PostgresURL(b)} })
	})
}

// BenchmarkColdStart measures Main.Run on an existing, migrated database until
// /readyz answers 200, then Close: the start-up cost of a restart.
func BenchmarkColdStart(b *testing.B) {
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		m := newMain()
		m.Addr, m.ProviderName = "127.0.0.1:0", "Bench MSP"
		if err := m.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		m.Close()
		b.ResetTimer()
		for b.Loop() {
			m2 := &app.Main{Addr: "127.0.0.1:0", ProviderName: "Bench MSP", DataDir: m.DataDir, DatabaseURL: m.DatabaseURL}
			if err := m2.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			waitReady(b, m2.HTTPServer.URL())
			if err := m2.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func waitReady(b *testing.B, url string) {
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkListOrganizations measures GET /api/v1/orgs (first page of 20
// organisations, provider admin token) over loopback with keep-alive clients
// in parallel, and reports requests/s and p50/p99 latency.
func BenchmarkListOrganizations(b *testing.B) {
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		s := testserver.StartWith(b, newMain())
		for i := range 20 {
			s.MustCreateOrganization(b, fmt.Sprintf("Client %02d", i))
		}
		admin := s.MustCreateUser(b, &tandem.User{Email: "bench@msp.example", Role: tandem.RoleAdmin}, "bench-password-1")
		token := s.MustCreateToken(b, admin.ID)
		url := s.HTTPServer.URL() + "/api/v1/orgs"
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

		var mu sync.Mutex
		var latencies []time.Duration
		b.SetParallelism(4)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			var local []time.Duration
			for pb.Next() {
				t0 := time.Now()
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(latencies)
		if n := len(latencies); n > 0 {
			b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(latencies[n/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(latencies[n*99/100].Microseconds()), "p99-µs")
		}
	})
}
