package sqlstore_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkSLARecompute measures what a change of an organisation's SLA
// settings costs with TANDEM_BENCH_SLA_TICKETS open tickets (default
// 100,000; a third of them with a pause behind them, half with a first
// response), each in one transaction:
//
//   - targets: the resolution targets move by an hour, back and forth. No
//     row moves: each running clock's due instant follows from its stored
//     origin; the tickets whose clocks cross a warning share or a target
//     are found by index and resynced (a few hundred here, and the first
//     time the breaches the shorter targets bring).
//
//   - calendar: the calendar's opening moves by an hour, back and forth.
//     A change of calendar counts from when it is made (the clock
//     history): no clock's origin moves, and no ticket crosses anything.
//
//     go test ./sqlstore -run '^$' -bench SLARecompute -benchtime 3x
func BenchmarkSLARecompute(b *testing.B) {
	n := benchSize("TANDEM_BENCH_SLA_TICKETS", 100_000)
	benchDialects(b, func(b *testing.B, dialect string, db *sqlstore.DB) {
		s := newServices(b, db)
		ctx := systemCtx(b)
		if _, err := s.Setup.EnsureProvider(ctx, "Northwind MSP"); err != nil {
			b.Fatal(err)
		}
		org := s.mustCreateOrg(b, "Bench Corp")
		u := s.mustCreateUser(b, "bench@bench.test", &org.ID, tandem.RoleRequester)
		started := time.Now()
		slaBenchTickets(b, db, org.ID, u.ID, n, s.Clock.Now())
		b.Logf("%s: wrote %d open tickets in %s", dialect, n, time.Since(started).Round(time.Millisecond))

		svc := sqlstore.NewSLAService(db)
		cal := &tandem.BusinessCalendar{OrganizationID: org.ID, Name: "Office", Definition: []byte(officeHours)}
		if err := svc.CreateCalendar(ctx, cal); err != nil {
			b.Fatal(err)
		}
		// The tickets were written without timers: a policy without
		// targets, then one with them, starts every clock.
		p := &tandem.SLAPolicy{OrganizationID: org.ID, CalendarID: &cal.ID}
		if err := svc.UpdateSLAPolicy(ctx, p); err != nil {
			b.Fatal(err)
		}
		p = tandem.DefaultSLAPolicy(org.ID)
		p.CalendarID = &cal.ID
		started = time.Now()
		if err := svc.UpdateSLAPolicy(ctx, p); err != nil { // writes the timer rows
			b.Fatal(err)
		}
		timers, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM sla_timers`)
		b.Logf("%s: first computation (inserting %d timers) took %s", dialect, timers, time.Since(started).Round(time.Millisecond))
		// The clocks that ran out get their breaches recorded, as the
		// worker does when they come due (the same policy again records
		// them in one go): a policy change finds none left to record.
		started = time.Now()
		if err := svc.UpdateSLAPolicy(ctx, p); err != nil {
			b.Fatal(err)
		}
		breaches, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM sla_timers WHERE breached_at IS NOT NULL`)
		b.Logf("%s: recording the %d breaches due took %s", dialect, breaches, time.Since(started).Round(time.Millisecond))
		if dialect == "postgres" {
			// What autovacuum does to tables filled moments ago: without
			// statistics PostgreSQL plans the reads by ticket as scans.
			if err := sqlstore.ExecRaw(db, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}

		// Each round toggles between two settings, whatever the rounds
		// before it (-count runs the sub-benchmarks again).
		longer, earlier := false, false
		b.Run("targets", func(b *testing.B) {
			for b.Loop() {
				longer = !longer
				for i := range p.Targets {
					if longer {
						p.Targets[i].ResolutionMinutes += 60
					} else {
						p.Targets[i].ResolutionMinutes -= 60
					}
				}
				if err := svc.UpdateSLAPolicy(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/recompute")
			recomputed := `SELECT CAST(json_extract(summary, '$.recomputed_tickets') AS INTEGER)`
			if dialect == "postgres" {
				recomputed = `SELECT CAST(CAST(summary AS json)->>'recomputed_tickets' AS integer)`
			}
			n, _ := sqlstore.CountRaw(db, recomputed+` FROM audit_log WHERE action = 'sla_policy.update' ORDER BY id DESC LIMIT 1`)
			b.Logf("%s: the last change resynced %d tickets", dialect, n)
		})
		b.Run("calendar", func(b *testing.B) {
			for b.Loop() {
				earlier = !earlier
				cal.Definition = []byte(officeHours)
				if earlier {
					cal.Definition = []byte(strings.ReplaceAll(officeHours, `"09:00"`, `"08:00"`))
				}
				if err := svc.UpdateCalendar(ctx, cal); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/recompute")
		})
	})
}

// slaBenchTickets writes n open tickets of an organisation in a few
// statements, created six seconds apart over the days before now (a week
// for 100,000): a ticket older than an hour has had its first response
// when its id is even, one older than twenty hours a pause of eighteen
// when its id is a multiple of three, and one in seven older than 21 hours
// is pending since then. Their clocks spread over the targets, most of
// them run out (the first computation records those breaches).
func slaBenchTickets(tb testing.TB, db *sqlstore.DB, orgID, userID int64, n int, now time.Time) {
	tb.Helper()
	created := `strftime('%Y-%m-%dT%H:%M:%f000Z', ?, '-' || (i * 6) || ' seconds')`
	plusHours := func(h int) string {
		return `strftime('%Y-%m-%dT%H:%M:%S.000000Z', created_at, '+` + strconv.Itoa(h) + ` hours')`
	}
	stampArg := "?"
	if db.Dialect() == sqlstore.Postgres {
		created = `CAST(? AS timestamptz) - i * interval '6 seconds'`
		plusHours = func(h int) string { return `created_at + interval '` + strconv.Itoa(h) + ` hours'` }
		stampArg = "CAST(? AS timestamptz)"
	}
	stamp := now.UTC().Format("2006-01-02T15:04:05.000000Z")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO tickets (organization_id, requester_id, title, description, impact, urgency, priority, status, owning_party, sla_state, created_by, created_at, updated_at)
			WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			SELECT ?, ?, 'Bench ticket ' || i, '', 'medium', 'medium', 1 + i % 5, CASE WHEN i % 7 = 0 AND i * 6 > 21 * 3600 THEN 'pending-customer' ELSE 'open' END,
			'provider', 'none', ?, ` + created + `, ` + created + ` FROM seq`,
			[]any{n, orgID, userID, userID, stamp, stamp}},
		{`UPDATE tickets SET first_response_at = ` + plusHours(1) + ` WHERE organization_id = ? AND id % 2 = 0 AND ` + plusHours(1) + ` <= ` + stampArg, []any{orgID, stamp}},
		{`INSERT INTO ticket_pauses (ticket_id, started_at, ended_at) SELECT id, ` + plusHours(2) + `, ` + plusHours(20) + ` FROM tickets
			WHERE organization_id = ? AND id % 3 = 0 AND ` + plusHours(20) + ` <= ` + stampArg, []any{orgID, stamp}},
		{`INSERT INTO ticket_pauses (ticket_id, started_at) SELECT id, ` + plusHours(21) + ` FROM tickets WHERE organization_id = ? AND status = 'pending-customer'`, []any{orgID}},
	} {
		if err := sqlstore.ExecRaw(db, q.sql, q.args...); err != nil {
			tb.Fatal(err)
		}
	}
}
