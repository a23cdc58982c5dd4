package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// StoreCheckinAsStale writes m for a device as a second writer would that
// read the device before the first check-in stored: offline, its sequence
// just before m's. Two replicas do this when an agent retries on the
// other while its first attempt commits.
func StoreCheckinAsStale(ctx context.Context, db *DB, deviceID, orgID int64, m *agentproto.Checkin) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	read := &deviceRow{orgID: orgID, status: tandem.DeviceOffline, lastSeq: m.Seq - 1, interval: 60}
	if err := tx.writeCheckins(ctx, []acceptedCheckin{{job: &checkinJob{deviceID: deviceID, m: m}, dev: read}}); err != nil {
		return err
	}
	return tx.Commit()
}
