package sqlstore

import (
	"context"
	"time"
)

// onCallAt is the active user on call in a schedule at an instant: ok is
// false when nobody is (a gap, or a member with no active account).
// (Filled in by the on-call work.)
func (tx *Tx) onCallAt(ctx context.Context, scheduleID int64, at time.Time) (userID int64, ok bool, err error) {
	return 0, false, nil
}
