package sqlstore_test

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkTicketList measures the first page of filtered ticket lists with
// many tickets in the database (TANDEM_BENCH_TICKETS, default 1,000,000,
// written by the same generator as `tandem generate`). Each sub-benchmark
// reports the median and 95th-percentile latency of one page of 50.
//
//	go test ./sqlstore -run '^$' -bench TicketList -benchtime 200x
func BenchmarkTicketList(b *testing.B) {
	n := benchSize("TANDEM_BENCH_TICKETS", 1_000_000)
	benchDialects(b, func(b *testing.B, dialect string, db *sqlstore.DB) {
		ctx := systemCtx(b)
		started := time.Now()
		rep, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: 50, Tickets: n, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: generated %d tickets in %s", dialect, rep.Tickets, time.Since(started).Round(time.Second))
		var tech, internal int64
		mustScan(b, db, `SELECT MIN(user_id) FROM user_organizations`, &tech)
		mustScan(b, db, `SELECT MIN(id) FROM users WHERE role = 'it-technician'`, &internal)
		org := rep.Organizations[0]
		tickets := sqlstore.NewTicketService(db, nil)
		provider := tandem.NewContextWithActor(b.Context(), &tandem.Actor{UserID: tech, Party: tandem.PartyProvider, Role: tandem.RoleTechnician})
		itTech := tandem.NewContextWithActor(b.Context(), &tandem.Actor{UserID: internal, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: org})
		cases := []struct {
			name   string
			filter tandem.TicketFilter
		}{
			{"provider-queue-open", tandem.TicketFilter{Party: tandem.PartyProvider, Open: true}},
			{"breached-all-orgs", tandem.TicketFilter{SLAState: tandem.SLABreached}},
			{"org-pending-customer", tandem.TicketFilter{OrganizationID: org, Statuses: []tandem.TicketStatus{tandem.StatusPendingCustomer}}},
			{"priority-1-open", tandem.TicketFilter{Priority: 1, Open: true}},
			{"tag-security", tandem.TicketFilter{Tag: "security"}},
			{"search-firewall", tandem.TicketFilter{Query: "firewall"}},
			{"internal-own-org-open", tandem.TicketFilter{Open: true}},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				actx := provider
				if c.name == "internal-own-org-open" {
					actx = itTech
				}
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					page, err := tickets.FindTickets(actx, c.filter)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Tickets) == 0 {
						b.Fatal("empty page")
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			})
		}
	})
}

func mustScan(tb testing.TB, db *sqlstore.DB, q string, dst *int64) {
	tb.Helper()
	n, err := sqlstore.CountRaw(db, q)
	if err != nil {
		tb.Fatal(err)
	}
	*dst = int64(n)
}

// benchSize is the number of rows a benchmark writes: the environment
// variable env when set, def otherwise.
func benchSize(env string, def int) int {
	if v := os.Getenv(env); v != "" {
		n, _ := strconv.Atoi(v)
		return n
	}
	return def
}

// benchDialects runs fn once per database, as testdb.Dialects does for
// tests: "sqlite" always, "postgres" when TANDEM_TEST_POSTGRES is set.
func benchDialects(b *testing.B, fn func(b *testing.B, dialect string, db *sqlstore.DB)) {
	open := map[string]func(testing.TB) *sqlstore.DB{"sqlite": testdb.MustOpenSQLite, "postgres": testdb.MustOpenPostgres}
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) { fn(b, dialect, open[dialect](b)) })
	}
}
