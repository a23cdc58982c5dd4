package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// EnqueueForTest writes notifications in a transaction of its own, as a
// notification rule writes them in its event's (enqueue): for tests of
// other packages (the bell's stream, the browser) that need notifications
// of a kind no rule of theirs writes. Tandem itself never calls it.
func EnqueueForTest(ctx context.Context, db *DB, ns ...*tandem.Notification) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.enqueue(ctx, ns...); err != nil {
		return err
	}
	return tx.Commit()
}
