package sqlstore

import (
	"context"
	"time"
)

// StringsRaw runs a one-column query on the reader, bypassing every
// service and scope, for tests that read what was stored (the links of
// the notifications written).
func StringsRaw(db *DB, q string, args ...any) ([]string, error) {
	rows, err := db.read.Query(db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RunEscalationSteps runs the scheduler's escalation kind alone, for the
// benchmark of its throughput.
func RunEscalationSteps(db *DB, ctx context.Context, now time.Time) (int, error) {
	return db.runEscalationSteps(ctx, now)
}
