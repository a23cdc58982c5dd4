package sqlstore_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkTicketSummary measures the home pages' figures with many tickets
// in the database (TANDEM_BENCH_TICKETS, default 1,000,000, over 50
// organisations and a year, as BenchmarkTicketList), each done ticket given
// a resolution clock met at its resolution, or breached at its creation
// when its SLA state says so. It reports the median and 95th-percentile
// latency of one Summary. What it costs grows with the open tickets and
// the period's clocks in scope: the generator leaves about 28% of the
// tickets open, far more than a desk holds, so the all-organisation cases
// are the worst case.
//
//	go test ./sqlstore -run '^$' -bench TicketSummary -benchtime 30x
//
// At 1,000,000 tickets (280,000 open, 66,000 clocks stopped in the month)
// on a shared 2-core machine, p50/p95: a provider admin over all 50
// organisations 81/143 ms on SQLite, 58/97 ms on PostgreSQL; an
// it-technician of one organisation 1.3/2.3 and 2.2/4.2 ms; a requester
// 3.2/4.0 and 4.7/10 ms.
func BenchmarkTicketSummary(b *testing.B) {
	n := benchSize("TANDEM_BENCH_TICKETS", 1_000_000)
	benchDialects(b, func(b *testing.B, dialect string, db *sqlstore.DB) {
		ctx := systemCtx(b)
		started := time.Now()
		rep, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: 50, Tickets: n, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO sla_timers (ticket_id, organization_id, kind, party, state, target_class, target_minutes, started_at, met_at)
			 SELECT id, organization_id, 'resolution', owning_party, 'met', 'p3', 600, created_at, resolved_at FROM tickets WHERE resolved_at IS NOT NULL AND sla_state <> 'breached'`,
			`INSERT INTO sla_timers (ticket_id, organization_id, kind, party, state, target_class, target_minutes, started_at, breached_at)
			 SELECT id, organization_id, 'resolution', owning_party, 'breached', 'p3', 600, created_at, created_at FROM tickets WHERE sla_state = 'breached'`,
		} {
			if err := sqlstore.ExecRaw(db, q); err != nil {
				b.Fatal(err)
			}
		}
		if dialect == "postgres" {
			// As autovacuum would have by now on a database in use: the
			// visibility map lets the counts read the indexes alone, and
			// the planner knows the tables' sizes.
			if err := sqlstore.ExecRaw(db, `VACUUM ANALYZE tickets, sla_timers`); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("%s: generated %d tickets in %s", dialect, rep.Tickets, time.Since(started).Round(time.Second))
		org := rep.Organizations[0]
		var tech, admin, viewer, requester int64
		mustScan(b, db, `SELECT MIN(user_id) FROM user_organizations WHERE organization_id = `+strconv.FormatInt(org, 10), &tech)
		// The generator writes no provider admin: the technician acts as one.
		admin = tech
		mustScan(b, db, `SELECT MIN(id) FROM users WHERE role = 'it-technician' AND organization_id = `+strconv.FormatInt(org, 10), &viewer)
		mustScan(b, db, `SELECT MIN(requester_id) FROM tickets WHERE organization_id = `+strconv.FormatInt(org, 10), &requester)
		tickets := sqlstore.NewTicketService(db, nil)
		month := time.Now().AddDate(0, -1, 0)
		cases := []struct {
			name  string
			actor *tandem.Actor
		}{
			{"provider-admin-50-orgs", &tandem.Actor{UserID: admin, Party: tandem.PartyProvider, Role: tandem.RoleAdmin}},
			{"provider-tech", &tandem.Actor{UserID: tech, Party: tandem.PartyProvider, Role: tandem.RoleTechnician}},
			{"it-technician", &tandem.Actor{UserID: viewer, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: org}},
			{"requester", &tandem.Actor{UserID: requester, Party: tandem.PartyInternal, Role: tandem.RoleRequester, OrganizationID: org}},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				actx := tandem.NewContextWithActor(context.Background(), c.actor)
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					s, err := tickets.Summary(actx, tandem.DeskSummaryQuery{Since: month, Load: true})
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if s.Total.Open == 0 {
						b.Fatal("no open tickets counted")
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			})
		}
	})
}
