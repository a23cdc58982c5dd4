package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkEscalationSteps measures escalation steps taken per second with
// TANDEM_BENCH_INCIDENTS triggered incidents pending (default 100,000,
// seeded in bulk): one due every second of the clock. Each iteration moves
// the clock a window of 1,000 seconds and runs the scheduler's escalation
// kind: a thousand incidents each step to their next level in their own
// guarded transaction, notifying one person (in-app and email rows, an
// acknowledgement token, a timeline entry, an audit entry).
//
//	go test ./sqlstore -run '^$' -bench EscalationSteps -benchtime 5x
func BenchmarkEscalationSteps(b *testing.B) {
	n := benchSize("TANDEM_BENCH_INCIDENTS", 100_000)
	const window = 1000
	benchDialects(b, func(b *testing.B, dialect string, db *sqlstore.DB) {
		d := newDesk(b, db)
		base := d.Clock.Now()
		escalationBenchIncidents(b, db, d, n, base)
		ctx := systemCtx(b)
		var now time.Time
		steps := 0
		b.ResetTimer()
		for range b.N {
			d.Clock.Advance(window * time.Second)
			now = d.Clock.Now()
			got, err := sqlstore.RunEscalationSteps(db, ctx, now)
			if err != nil {
				b.Fatal(err)
			}
			steps += got
		}
		b.StopTimer()
		if steps < b.N*window*9/10 {
			b.Fatalf("%d steps in %d runs, want about %d each", steps, b.N, window)
		}
		b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
	})
}

// escalationBenchIncidents writes n tickets of Org, each with a triggered
// incident at level 1 of a two-level policy (the provider technician, then
// the admin; 15 minutes each, repeated nine times), incident i due i
// seconds after base.
func escalationBenchIncidents(b *testing.B, db *sqlstore.DB, d *desk, n int, base time.Time) {
	b.Helper()
	stamp := base.UTC().Format("2006-01-02T15:04:05.000000Z")
	due := `strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '+' || (t.id - m.first + 1) || ' seconds')`
	created := "?"
	if db.Dialect() == sqlstore.Postgres {
		due = `CAST(? AS timestamptz) + (t.id - m.first + 1) * interval '1 second'`
		created = "CAST(? AS timestamptz)"
	}
	snapshot := fmt.Sprintf(`{"levels":[{"targets":[{"kind":"user","user_id":%d}],"timeout_minutes":15},{"targets":[{"kind":"user","user_id":%d}],"timeout_minutes":15}],"repeats":9}`,
		d.ProviderTech.ID, d.ProviderAdmin.ID)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO tickets (organization_id, requester_id, title, description, impact, urgency, priority, status, owning_party, sla_state, created_by, created_at, updated_at)
			WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			SELECT ?, ?, 'Bench P1 ' || i, '', 'high', 'high', 1, 'open', 'provider', 'none', ?, ` + created + `, ` + created + ` FROM seq`,
			[]any{n, d.Org.ID, d.Requester.ID, d.Requester.ID, stamp, stamp}},
		{`INSERT INTO incidents (organization_id, ticket_id, policy_name, party, trigger_kind, state, level, round, next_step_at, policy_snapshot, created_at, updated_at)
			SELECT t.organization_id, t.id, 'Bench P1', 'provider', 'ticket', 'triggered', 0, 0, ` + due + `, ?, ` + created + `, ` + created + `
			FROM tickets t, (SELECT MIN(id) AS first FROM tickets) m`,
			[]any{stamp, snapshot, stamp, stamp}},
	} {
		if err := sqlstore.ExecRaw(db, q.sql, q.args...); err != nil {
			b.Fatal(err)
		}
	}
	if got, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM incidents WHERE state = 'triggered'`); err != nil || got != n {
		b.Fatalf("seeded %d incidents (%v), want %d", got, err, n)
	}
}
