package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
		measureParallel(b, 8, func(client *http.Client) (*http.Response, error) {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			return client.Do(req)
		})
	})
}

// BenchmarkCreateTicket measures POST /api/v1/orgs/{id}/tickets — validate,
// route from the accepted matrix, store, start the SLA timers, timeline and
// audit entries, all in one transaction — by an it-technician's token, with
// 8, 32 and 128 clients in parallel (an integration or an alert storm keeps
// many requests in flight), and reports tickets/s, p50/p99 latency and, on
// PostgreSQL on this machine, the database's CPU per ticket.
func BenchmarkCreateTicket(b *testing.B) {
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		s := testserver.StartWith(b, newMain())
		benchCreateTicket(b, s, s.HTTPServer.URL())
	})
}

// BenchmarkCreateTicketReplicas is BenchmarkCreateTicket against two
// servers on one PostgreSQL database, each request going to the next of
// them in turn, as behind a load balancer.
func BenchmarkCreateTicketReplicas(b *testing.B) {
	s := testserver.StartWith(b, &app.Main{DatabaseURL: testdb.PostgresURL(b)})
	s2 := testserver.StartWith(b, &app.Main{DatabaseURL: s.DatabaseURL})
	benchCreateTicket(b, s, s.HTTPServer.URL(), s2.HTTPServer.URL())
}

// benchCreateTicket creates tickets through the servers at urls, all on
// s's database, and after each run checks that every ticket answered 201
// is stored, once.
func benchCreateTicket(b *testing.B, s *testserver.Server, urls ...string) {
	org := s.MustCreateOrganization(b, "Bench Client")
	tech := s.MustCreateUser(b, &tandem.User{Email: "tech@client.example", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, "bench-password-1")
	token := s.MustCreateToken(b, tech.ID)
	areas := acceptMatrix(b, s, org.ID)
	var n atomic.Int64
	for _, clients := range []int{8, 32, 128} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			measureParallel(b, clients, func(client *http.Client) (*http.Response, error) {
				i := n.Add(1)
				body := fmt.Sprintf(`{"title":"Printer %d jams","description":"Paper jam on **tray 2**.","area_id":%d,"impact":"low","urgency":"medium","tags":["printer"]}`, i, areas[i%int64(len(areas))].ID)
				url := fmt.Sprintf("%s/api/v1/orgs/%d/tickets", urls[i%int64(len(urls))], org.ID)
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				return client.Do(req)
			})
			var stored int64
			for _, pool := range s.Services.DB.Stats() {
				if err := pool.QueryRow(`SELECT COUNT(*) FROM tickets`).Scan(&stored); err != nil {
					b.Fatal(err)
				}
				break
			}
			if stored != n.Load() {
				b.Fatalf("%d tickets stored after %d were created", stored, n.Load())
			}
		})
	}
}

// measureParallel runs do from the given number of keep-alive clients in
// parallel until the benchmark has made b.N requests, fails on any response
// but 200 or 201, and reports requests/s and p50/p99 latency.
func measureParallel(b *testing.B, clients int, do func(*http.Client) (*http.Response, error)) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var mu sync.Mutex
	var latencies []time.Duration
	var left atomic.Int64
	left.Store(int64(b.N))
	b.ResetTimer()
	start, pgStart := time.Now(), postgresCPU()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var local []time.Duration
			for left.Add(-1) >= 0 {
				t0 := time.Now()
				resp, err := do(client)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed, pgUsed := time.Since(start), postgresCPU()-pgStart
	b.StopTimer()
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(latencies[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[n*99/100].Microseconds()), "p99-µs")
		if pgUsed > 0 {
			b.ReportMetric(float64(pgUsed.Microseconds())/float64(n), "pg-cpu-µs/op")
		}
	}
}

// postgresCPU returns the CPU time used so far by this machine's PostgreSQL
// processes (every process named postgres, from /proc; zero where there is
// none or no /proc). The benchmark's connections stay open in its pool, so
// the difference over a run is what the database spent on it, background
// writers included.
func postgresCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields 14 and 15, counted
		// after the command name, which may hold spaces.
		end := bytes.LastIndexByte(stat, ')')
		if end < 0 || !bytes.HasSuffix(stat[:end], []byte("(postgres")) {
			continue
		}
		fields := strings.Fields(string(stat[end+1:]))
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += utime + stime
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

// acceptMatrix gives the organisation an accepted responsibility matrix —
// the provider Responsible and Accountable for every area, proposed by the
// system and signed by an it-admin and a provider admin — so tickets route
// as in a real installation, and returns its areas.
func acceptMatrix(b testing.TB, s *testserver.Server, orgID int64) []*tandem.ServiceArea {
	ctx := testserver.SystemContext()
	areas, err := s.Services.Matrix.FindServiceAreas(ctx, orgID)
	if err != nil {
		b.Fatal(err)
	}
	var list []tandem.Assignment
	for _, a := range areas {
		list = append(list, tandem.Assignment{AreaID: a.ID, Party: tandem.PartyProvider, Responsible: true, Accountable: true},
			tandem.Assignment{AreaID: a.ID, Party: tandem.PartyInternal, Informed: true})
	}
	v, err := s.Services.Matrix.ProposeMatrix(ctx, orgID, list)
	if err != nil {
		b.Fatal(err)
	}
	itAdmin := s.MustCreateUser(b, &tandem.User{Email: "it.admin@client.example", Role: tandem.RoleITAdmin, OrganizationID: &orgID}, "bench-password-1")
	admin := s.MustCreateUser(b, &tandem.User{Email: "admin@msp.example", Role: tandem.RoleAdmin}, "bench-password-1")
	for _, a := range []*tandem.Actor{
		{UserID: itAdmin.ID, Email: itAdmin.Email, Party: tandem.PartyInternal, Role: tandem.RoleITAdmin, OrganizationID: orgID},
		{UserID: admin.ID, Email: admin.Email, Party: tandem.PartyProvider, Role: tandem.RoleAdmin},
	} {
		if _, err := s.Services.Matrix.SignMatrix(tandem.NewContextWithActor(ctx, a), orgID, v.Number); err != nil {
			b.Fatal(err)
		}
	}
	return areas
}

// BenchmarkTicketActions measures the two commonest writes after creation
// from 32 keep-alive clients: a public comment (POST
// /api/v1/tickets/{id}/comments) and a status change (PATCH
// /api/v1/tickets/{id}, open and pending-customer in turn), over 1,000
// tickets, each with its timeline entry, notifications, SLA clock changes
// and audit entry. It reports requests/s, p50/p99 latency and, on
// PostgreSQL on this machine, the database's CPU per request.
func BenchmarkTicketActions(b *testing.B) {
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		s := testserver.StartWith(b, newMain())
		org := s.MustCreateOrganization(b, "Bench Client")
		tech := s.MustCreateUser(b, &tandem.User{Email: "tech@client.example", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, "bench-password-1")
		token := s.MustCreateToken(b, tech.ID)
		areas := acceptMatrix(b, s, org.ID)
		ctx := tandem.NewContextWithActor(context.Background(), &tandem.Actor{UserID: tech.ID, Email: tech.Email, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: org.ID})
		const tickets = 1000
		ids := make([]int64, tickets)
		for i := range ids {
			t, err := s.Services.Tickets.CreateTicket(ctx, tandem.TicketInput{OrganizationID: org.ID, Title: fmt.Sprintf("Printer %d jams", i), Description: "Paper jam.", AreaID: &areas[i%len(areas)].ID})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = t.ID
		}
		send := func(client *http.Client, method, url, body string) (*http.Response, error) {
			req, _ := http.NewRequest(method, url, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			return client.Do(req)
		}
		base := s.HTTPServer.URL() + "/api/v1/tickets/"
		b.Run("comment", func(b *testing.B) {
			var n atomic.Int64
			measureParallel(b, 32, func(client *http.Client) (*http.Response, error) {
				i := n.Add(1)
				return send(client, "POST", fmt.Sprintf("%s%d/comments", base, ids[i%tickets]), fmt.Sprintf(`{"body":"Tried tray %d again: still jams."}`, i))
			})
		})
		b.Run("status", func(b *testing.B) {
			var n atomic.Int64
			statuses := []string{"open", "pending-customer"}
			measureParallel(b, 32, func(client *http.Client) (*http.Response, error) {
				i := n.Add(1) - 1
				return send(client, "PATCH", fmt.Sprintf("%s%d", base, ids[i%tickets]), fmt.Sprintf(`{"status":%q}`, statuses[(i/tickets)%2]))
			})
		})
	})
}
