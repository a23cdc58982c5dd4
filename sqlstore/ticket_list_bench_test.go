package sqlstore_test

import (
	"context"
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
		// Two small organisations first, with the oldest ids, and their own
		// technicians: the worst case for a list that reads every
		// organisation's matches in id order looking for theirs. They are
		// dated an hour back so the two runs' names differ.
		db.Now = func() time.Time { return time.Now().Add(-time.Hour) }
		small, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: 2, Tickets: 40, Seed: 2})
		db.Now = time.Now
		if err != nil {
			b.Fatal(err)
		}
		rep, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: 50, Tickets: n, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: generated %d tickets in %s", dialect, rep.Tickets+small.Tickets, time.Since(started).Round(time.Second))
		if stale := os.Getenv("TANDEM_BENCH_STATISTICS"); dialect == "postgres" && stale != "" {
			forgetStatistics(b, db, stale)
		}
		org := rep.Organizations[0]
		var tech, fewTech, internal int64
		mustScan(b, db, `SELECT MIN(user_id) FROM user_organizations WHERE organization_id = `+strconv.FormatInt(org, 10), &tech)
		mustScan(b, db, `SELECT MIN(user_id) FROM user_organizations WHERE organization_id = `+strconv.FormatInt(small.Organizations[0], 10), &fewTech)
		mustScan(b, db, `SELECT MIN(id) FROM users WHERE role = 'it-technician' AND organization_id = `+strconv.FormatInt(org, 10), &internal)
		tickets := sqlstore.NewTicketService(db, nil)
		provider := tandem.NewContextWithActor(b.Context(), &tandem.Actor{UserID: tech, Party: tandem.PartyProvider, Role: tandem.RoleTechnician})
		few := tandem.NewContextWithActor(b.Context(), &tandem.Actor{UserID: fewTech, Party: tandem.PartyProvider, Role: tandem.RoleTechnician})
		itTech := tandem.NewContextWithActor(b.Context(), &tandem.Actor{UserID: internal, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: org})
		cases := []struct {
			name   string
			actor  context.Context
			filter tandem.TicketFilter
		}{
			{"provider-queue-open", provider, tandem.TicketFilter{Party: tandem.PartyProvider, Open: true}},
			{"breached-all-orgs", provider, tandem.TicketFilter{SLAState: tandem.SLABreached}},
			{"org-pending-customer", provider, tandem.TicketFilter{OrganizationID: org, Statuses: []tandem.TicketStatus{tandem.StatusPendingCustomer}}},
			{"priority-1-open", provider, tandem.TicketFilter{Priority: 1, Open: true}},
			{"tag-security", provider, tandem.TicketFilter{Tag: "security"}},
			{"search-firewall", provider, tandem.TicketFilter{Query: "firewall"}},
			{"internal-own-org-open", itTech, tandem.TicketFilter{Open: true}},
			// A technician of two small organisations among many: the
			// pages are short or empty, and must not cost a scan of every
			// other organisation's matches.
			{"few-orgs-all", few, tandem.TicketFilter{}},
			{"few-orgs-search-a", few, tandem.TicketFilter{Query: "a"}},
			{"few-orgs-search-firewall", few, tandem.TicketFilter{Query: "firewall"}},
			{"few-orgs-awaiting", few, tandem.TicketFilter{AwaitingAcceptance: true, Party: tandem.PartyProvider}},
			{"few-orgs-tag-security", few, tandem.TicketFilter{Tag: "security"}},
			{"few-orgs-breached", few, tandem.TicketFilter{SLAState: tandem.SLABreached}},
			{"few-orgs-provider-open", few, tandem.TicketFilter{Party: tandem.PartyProvider, Open: true}},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					page, err := tickets.FindTickets(c.actor, c.filter)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Tickets) == 0 && c.actor != few {
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

// forgetStatistics makes PostgreSQL plan as if the tables had not been
// analysed since they were empty ("empty": the statistics an ANALYZE right
// after the migrations leaves) or never ("never"), as on a server with
// autovacuum off: TANDEM_BENCH_STATISTICS=empty or never.
func forgetStatistics(b *testing.B, db *sqlstore.DB, how string) {
	b.Helper()
	tuples := map[string]int{"empty": 0, "never": -1}
	n, ok := tuples[how]
	if !ok {
		b.Fatalf("TANDEM_BENCH_STATISTICS=%s: want empty or never", how)
	}
	for _, q := range []string{
		`DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)`,
		`UPDATE pg_class SET reltuples = ` + strconv.Itoa(n) + `, relpages = 0, relallvisible = 0 WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')`,
	} {
		if err := sqlstore.ExecRaw(db, q); err != nil {
			b.Fatal(err)
		}
	}
}
