package sqlstore_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// The scheduler analyses a PostgreSQL table once enough of it changed
// since its last analysis, as autovacuum would (autovacuum is off on the
// test server), and not again until more changes.
func TestSchedulerPlannerStatistics(t *testing.T) {
	t.Parallel()
	db := testdb.MustOpenPostgres(t)
	newWorld(t, db)
	sched := sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))
	if err := sqlstore.ExecRaw(db, `INSERT INTO scheduled_jobs (name, next_at) SELECT 'test-' || g, '2030-01-01 00:00:00+00' FROM generate_series(1, 500) g`); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL publishes a session's table counts within seconds of its
	// commit; wait for them rather than for a time.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		n, err := sqlstore.CountRaw(db, `SELECT COALESCE(MAX(n_mod_since_analyze), 0) FROM pg_stat_user_tables WHERE relname = 'scheduled_jobs'`)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL counted %d changes of scheduled_jobs a minute after 500 inserts", n)
		}
	}
	reltuples := func() int {
		n, err := sqlstore.CountRaw(db, `SELECT CAST(reltuples AS integer) FROM pg_class WHERE relname = 'scheduled_jobs'`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := reltuples(); n >= 500 {
		t.Fatalf("scheduled_jobs already has statistics for %d rows before the scheduler ran", n)
	}
	now := time.Now()
	fired, err := sched.RunDue(systemCtx(t), now)
	if err != nil {
		t.Fatal(err)
	}
	if fired["planner statistics"] < 1 || reltuples() < 500 {
		t.Fatalf("fired %v; scheduled_jobs planned for %d rows, want the 500 inserted and more", fired, reltuples())
	}
	// Analysed now: not again, neither before the job is due nor after.
	for _, at := range []time.Time{now.Add(10 * time.Second), now.Add(time.Minute)} {
		if fired, err := sched.RunDue(systemCtx(t), at); err != nil || fired["planner statistics"] != 0 {
			t.Errorf("at +%s: fired %v, %v; want no analysis", at.Sub(now), fired, err)
		}
	}
}
