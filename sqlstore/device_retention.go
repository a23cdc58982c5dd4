package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
)

// MetricsRetention is how long a device's metric history is kept: raw
// samples (one per check-in) for the charts of the last days, hourly
// rollups for months. The defaults keep 10,000 endpoints under 20 GB
// (docs/BENCHMARKS.md measures the bytes per endpoint-day).
type MetricsRetention struct {
	Raw    time.Duration
	Hourly time.Duration
}

// DefaultMetricsRetention is two days of samples and 190 days of hourly
// rollups: this quarter and the last, for the quarterly review.
var DefaultMetricsRetention = MetricsRetention{Raw: 48 * time.Hour, Hourly: 190 * 24 * time.Hour}

// Validate checks the retention settings.
func (r MetricsRetention) Validate() error {
	switch {
	case r.Raw < time.Hour:
		return tandem.Errorf(tandem.ECONFIG, "--metrics-raw-retention must be at least 1h: the charts of a device's last hours read the raw samples.")
	case r.Hourly < r.Raw:
		return tandem.Errorf(tandem.ECONFIG, "--metrics-hourly-retention must be at least --metrics-raw-retention.")
	}
	return nil
}

// retentionJob is the name of the metric retention in scheduled_jobs.
const retentionJob = "metrics_retention"

// retentionEvery is how often the retention runs; retentionChunk how many
// rows one of its transactions deletes, so check-ins wait little for it.
const (
	retentionEvery = 10 * time.Minute
	retentionChunk = 5000
)

func (s *Scheduler) retentionKind() timerKind {
	return timerKind{name: "metrics retention", next: s.nextRetention, run: s.runRetention}
}

func (s *Scheduler) nextRetention(ctx context.Context) (time.Time, error) {
	var next time.Time
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT next_at FROM scheduled_jobs WHERE name = ?`), retentionJob).Scan(scanTime(&next))
	if errors.Is(err, sql.ErrNoRows) {
		// Never run: due once a device has sent a sample.
		var any int
		err = s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM device_samples LIMIT 1) s`).Scan(&any)
		if err != nil || any == 0 {
			return time.Time{}, err
		}
		return s.db.now(), nil
	}
	return next, err
}

// runRetention deletes the samples and rollups older than their
// retention, when the job is due and this replica claims it.
func (s *Scheduler) runRetention(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireSystem(ctx); err != nil {
		return 0, err
	}
	if next, err := s.nextRetention(ctx); err != nil || next.IsZero() || next.After(now) {
		return 0, err
	}
	claimed, err := s.db.claimJob(ctx, retentionJob, s.Owner, now, now.Add(retentionEvery))
	if err != nil || !claimed {
		return 0, err
	}
	r := s.Retention
	if r.Raw == 0 {
		r = DefaultMetricsRetention
	}
	deleted := 0
	for _, q := range []struct {
		sql    string
		cutoff time.Time
	}{
		{`DELETE FROM device_samples WHERE (device_id, seq) IN (SELECT device_id, seq FROM device_samples WHERE at < ? LIMIT ?)`, now.Add(-r.Raw)},
		{`DELETE FROM device_rollups WHERE (device_id, hour) IN (SELECT device_id, hour FROM device_rollups WHERE hour < ? LIMIT ?)`, now.Add(-r.Hourly)},
		{`DELETE FROM device_events WHERE id IN (SELECT id FROM device_events WHERE at < ? AND kind = 'online' LIMIT ?)`, now.Add(-r.Hourly)},
	} {
		for {
			n, err := s.db.deleteChunk(ctx, q.sql, q.cutoff)
			deleted += n
			if err != nil {
				return deleted, err
			}
			if n < retentionChunk {
				break
			}
		}
	}
	return deleted, nil
}

func (db *DB) deleteChunk(ctx context.Context, query string, cutoff time.Time) (int, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, at(cutoff), retentionChunk)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), tx.Commit()
}

// claimJob takes a scheduled job due by now for owner, setting when it is
// due next; false when it is not due or another replica took it.
func (db *DB) claimJob(ctx context.Context, name, owner string, now, next time.Time) (bool, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO scheduled_jobs (name, next_at, claimed_by, claimed_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at, claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
		WHERE scheduled_jobs.next_at <= ?`, name, at(next), owner, at(next), at(now))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}
