package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
)

// Offline detection is a kind of the scheduler's work: every online
// device's row carries its deadline (offline_at: its last check-in plus
// agentproto.OfflineAfterIntervals intervals), which each check-in moves
// on. The scheduler marks the devices whose deadline passed, under the
// guard that they are still online and still past it, so a check-in that
// lands first keeps its device online and no replica marks one twice.

// offlineBatch is how many devices one transaction marks offline.
const offlineBatch = 1000

func (s *Scheduler) offlineKind() timerKind {
	return timerKind{name: "offline devices", next: s.nextOffline, run: s.markOffline}
}

// nextOffline is the earliest deadline of an online device.
func (s *Scheduler) nextOffline(ctx context.Context) (time.Time, error) {
	var next *time.Time
	err := s.db.read.QueryRowContext(ctx, `SELECT MIN(offline_at) FROM devices WHERE status = 'online'`).Scan(scanTimePtr(&next))
	if err != nil || next == nil {
		return time.Time{}, err
	}
	return *next, nil
}

// markOffline marks every online device past its deadline offline and
// records it in the device's history.
func (s *Scheduler) markOffline(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireSystem(ctx); err != nil {
		return 0, err
	}
	marked := 0
	for {
		n, err := s.db.markOfflineBatch(ctx, now)
		marked += n
		if err != nil || n < offlineBatch {
			return marked, err
		}
	}
}

func (db *DB) markOfflineBatch(ctx context.Context, now time.Time) (int, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	type gone struct {
		id, org  int64
		lastSeen *time.Time
	}
	var marked []gone
	err = tx.eachRow(ctx, `UPDATE devices SET status = 'offline'
		WHERE id IN (SELECT id FROM devices WHERE status = 'online' AND offline_at <= ? ORDER BY offline_at LIMIT `+strconv.Itoa(offlineBatch)+`)
		AND status = 'online' AND offline_at <= ? RETURNING id, organization_id, last_seen_at`, []any{at(now), at(now)},
		func(rows *sql.Rows) error {
			var g gone
			if err := rows.Scan(&g.id, &g.org, scanTimePtr(&g.lastSeen)); err != nil {
				return err
			}
			marked = append(marked, g)
			return nil
		})
	if err != nil {
		return 0, err
	}
	for _, g := range marked {
		summary := map[string]any{}
		if g.lastSeen != nil {
			summary["last_seen_at"] = g.lastSeen.UTC().Format(time.RFC3339)
		}
		if err := tx.deviceEvent(ctx, g.id, g.org, tandem.DeviceEventOffline, summary); err != nil {
			return 0, err
		}
	}
	return len(marked), tx.Commit()
}
