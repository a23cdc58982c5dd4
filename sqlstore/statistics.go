package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// statisticsJob is the name in scheduled_jobs of the planner statistics'
// upkeep on PostgreSQL; it runs every statisticsEvery.
const (
	statisticsJob   = "planner_statistics"
	statisticsEvery = 15 * time.Second
)

// statisticsKind keeps PostgreSQL's planner statistics of the tables
// Tandem writes no staler than autovacuum would (a table is analysed once
// the rows changed since its last analysis pass 50 plus a tenth of its
// rows, autovacuum's own default rule), also where autovacuum is off or
// has not come round. Stale statistics do not only mislead new plans: a
// plan a connection has cached — the foreign-key checks of every insert
// among them — is kept until an analysis of its table invalidates it, so
// a check planned as a scan of a then-empty tickets table went on scanning
// it as it grew (BENCHMARKS.md). Where autovacuum analyses first, this
// finds nothing to do. SQLite plans each statement afresh.
//
// The job has no due instant of its own to wake the scheduler for (no
// next): it runs in the rounds the scheduler makes anyway, every
// DefaultTimerInterval at the longest.
func (s *Scheduler) statisticsKind() timerKind {
	return timerKind{name: "planner statistics", run: s.runStatistics}
}

func (s *Scheduler) nextStatistics(ctx context.Context) (time.Time, error) {
	var next time.Time
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT next_at FROM scheduled_jobs WHERE name = ?`), statisticsJob).Scan(scanTime(&next))
	if errors.Is(err, sql.ErrNoRows) {
		return time.Unix(0, 0).UTC(), nil // never run: due since always
	}
	return next, err
}

// runStatistics analyses the tables whose statistics are stale, when the
// job is due and this replica claims it, and returns how many it analysed.
func (s *Scheduler) runStatistics(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireSystem(ctx); err != nil {
		return 0, err
	}
	// Rounds come as often as writes wake the scheduler: this process
	// looks at the job's row once a statisticsEvery.
	if s.db.dialect != Postgres || now.Before(time.Unix(0, s.statisticsLooked.Load()).Add(statisticsEvery)) {
		return 0, nil
	}
	s.statisticsLooked.Store(now.UnixNano())
	if next, err := s.nextStatistics(ctx); err != nil || next.After(now) {
		return 0, err
	}
	claimed, err := s.db.claimJob(ctx, statisticsJob, s.Owner, now, now.Add(statisticsEvery))
	if err != nil || !claimed {
		return 0, err
	}
	tables, err := s.db.staleTables(ctx)
	if err != nil {
		return 0, err
	}
	for i, table := range tables {
		if err := s.db.analyze(ctx, table); err != nil {
			return i, err
		}
	}
	return len(tables), nil
}

// analyze refreshes the planner's statistics of the tables, or of every
// table when none is named; on PostgreSQL in a transaction of its own with
// no statement time limit, since a large database takes a while.
func (db *DB) analyze(ctx context.Context, tables ...string) error {
	quoted := make([]string, len(tables))
	for i, table := range tables {
		quoted[i] = pgx.Identifier{table}.Sanitize()
	}
	q := strings.TrimSpace(`ANALYZE ` + strings.Join(quoted, ", "))
	if db.dialect != Postgres {
		_, err := db.write.ExecContext(ctx, q)
		return err
	}
	tx, err := db.beginWriteAlone(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return err
	}
	return tx.Commit()
}

// staleTables names the tables of Tandem's schema that autovacuum's rule
// says are due for analysis.
func (db *DB) staleTables(ctx context.Context) ([]string, error) {
	var tables []string
	err := db.autocommit().eachRow(ctx, `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0) ORDER BY s.relname`, nil,
		func(rows *sql.Rows) error {
			var name string
			err := rows.Scan(&name)
			tables = append(tables, name)
			return err
		})
	return tables, err
}
