package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
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

// EnqueueThenRollback writes notifications and rolls the transaction back,
// for tests that a rolled-back change tells nobody.
func EnqueueThenRollback(ctx context.Context, db *DB, ns ...*tandem.Notification) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	if err := tx.enqueue(ctx, ns...); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Rollback()
}
