package sqlstore

import (
	"context"
	"time"
)

// ExecRaw runs a statement on the writer, bypassing every service, as someone
// with direct database access could. Tests use it to tamper with the audit
// trail and check that verification notices.
func ExecRaw(db *DB, q string, args ...any) error {
	_, err := db.write.Exec(db.rebind(q), args...)
	return err
}

// CountRaw runs a COUNT query on the reader, bypassing every service and
// scope, for tests that check what is stored rather than what is shown.
func CountRaw(db *DB, q string, args ...any) (int, error) {
	var n int
	err := db.read.QueryRow(db.rebind(q), args...).Scan(&n)
	return n, err
}

// OnCallAt is tx.onCallAt in a transaction of its own, for tests of what
// escalation steps will be told.
func OnCallAt(db *DB, scheduleID int64, at time.Time) (int64, bool, error) {
	tx, err := db.beginRead(context.Background())
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	return tx.onCallAt(context.Background(), scheduleID, at)
}
