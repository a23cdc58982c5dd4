package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// Offline detection is a kind of the scheduler's work. Every online
// device's row carries a deadline (offline_at, indexed by
// devices_offline_due) set when the device comes online. Check-ins do not
// move it, so the hot path writes no index entry: when a deadline passes,
// the scheduler reads the device's last check-in and either moves the
// deadline to agentproto.OfflineAfterIntervals intervals after it, or,
// when that has passed too, marks the device offline. An online device's
// deadline is thus moved once every few intervals, in batches, instead of
// at every check-in. Marking is guarded by the last check-in read, so a
// check-in that lands first keeps its device online and no replica marks
// one twice.

// offlineBatch is how many due devices one transaction handles.
const offlineBatch = 1000

// offlineTick is how late a device may be marked offline: the kind comes
// due at multiples of it, so the scheduler wakes every few seconds to
// move a large fleet's deadlines, not for every device.
const offlineTick = 5 * time.Second

func (s *Scheduler) offlineKind() timerKind {
	return timerKind{name: "offline devices", next: s.nextOffline, run: s.markOffline}
}

// nextOffline is the earliest deadline of an online device, rounded up to
// offlineTick.
func (s *Scheduler) nextOffline(ctx context.Context) (time.Time, error) {
	var next *time.Time
	err := s.db.read.QueryRowContext(ctx, `SELECT MIN(offline_at) FROM devices WHERE status = 'online'`).Scan(scanTimePtr(&next))
	if err != nil || next == nil {
		return time.Time{}, err
	}
	if t := next.Truncate(offlineTick); !t.Equal(*next) {
		return t.Add(offlineTick), nil
	}
	return *next, nil
}

// markOffline handles every online device past its deadline and returns
// how many it marked offline.
func (s *Scheduler) markOffline(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireSystem(ctx); err != nil {
		return 0, err
	}
	marked := 0
	for {
		due, n, err := s.db.markOfflineBatch(ctx, now)
		marked += n
		if err != nil || due < offlineBatch {
			return marked, err
		}
	}
}

// dueDevice is an online device past its deadline.
type dueDevice struct {
	id, org  int64
	lastSeen *time.Time
	interval int
}

// deadline is when the device counts as offline: OfflineAfterIntervals
// intervals after the server stored its last check-in.
func (d dueDevice) deadline() time.Time {
	if d.lastSeen == nil {
		return time.Time{}
	}
	return d.lastSeen.Add(time.Duration(agentproto.OfflineAfterIntervals*d.interval) * time.Second)
}

// markOfflineBatch handles up to offlineBatch due devices in one
// transaction: it returns how many were due and how many it marked.
func (db *DB) markOfflineBatch(ctx context.Context, now time.Time) (due, marked int, err error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var devices []dueDevice
	err = tx.eachRow(ctx, `SELECT id, organization_id, last_seen_at, checkin_interval_s FROM devices
		WHERE status = 'online' AND offline_at <= ? ORDER BY offline_at LIMIT `+strconv.Itoa(offlineBatch), []any{at(now)},
		func(rows *sql.Rows) error {
			var d dueDevice
			if err := rows.Scan(&d.id, &d.org, scanTimePtr(&d.lastSeen), &d.interval); err != nil {
				return err
			}
			devices = append(devices, d)
			return nil
		})
	if err != nil {
		return 0, 0, err
	}
	var moved []dueDevice
	for _, d := range devices {
		if d.deadline().After(now) {
			// Seen since the deadline was set: it moves on.
			moved = append(moved, d)
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE devices SET status = 'offline' WHERE id = ? AND status = 'online' AND last_seen_at IS NOT DISTINCT FROM ?`,
			d.id, atPtr(d.lastSeen))
		if err != nil {
			return 0, 0, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// A check-in landed first (or another replica marked it).
			if err != nil {
				return 0, 0, err
			}
			continue
		}
		summary := map[string]any{}
		if d.lastSeen != nil {
			summary["last_seen_at"] = d.lastSeen.UTC().Format(time.RFC3339)
		}
		if err := tx.deviceEvent(ctx, d.id, d.org, tandem.DeviceEventOffline, summary); err != nil {
			return 0, 0, err
		}
		marked++
	}
	if err := tx.moveOfflineDeadlines(ctx, moved); err != nil {
		return 0, 0, err
	}
	return len(devices), marked, tx.Commit()
}

// moveOfflineDeadlines sets each device's deadline to 3 intervals after
// its last check-in. On PostgreSQL it is one statement: the rows it locks
// are the ones the check-ins of the same devices update, and a round trip
// per device would hold them for a thousand round trips.
func (tx *Tx) moveOfflineDeadlines(ctx context.Context, devices []dueDevice) error {
	if len(devices) == 0 {
		return nil
	}
	if tx.db.dialect == Postgres {
		ids, deadlines := make([]int64, len(devices)), make([]time.Time, len(devices))
		for i, d := range devices {
			ids[i], deadlines[i] = d.id, d.deadline()
		}
		_, err := tx.ExecContext(ctx, `UPDATE devices d SET offline_at = m.deadline FROM unnest(?::bigint[], ?::timestamptz[]) AS m(id, deadline)
			WHERE d.id = m.id AND d.status = 'online'`, ids, deadlines)
		return err
	}
	for _, d := range devices {
		if _, err := tx.ExecContext(ctx, `UPDATE devices SET offline_at = ? WHERE id = ? AND status = 'online'`, at(d.deadline()), d.id); err != nil {
			return err
		}
	}
	return nil
}
