package sqlstore

import (
	"context"
	"time"

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

// Hooks of the outbox for its tests (outbox_test.go, scheduler_test.go):
// the unexported steps a rule, a scheduler that dies, or a fan-out take.

// EnqueueIn writes ns in one write transaction through enqueue, committed
// or rolled back as commit says.
func EnqueueIn(ctx context.Context, db *DB, commit bool, ns ...*tandem.Notification) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.enqueue(ctx, ns...); err != nil || !commit {
		return err
	}
	return tx.Commit()
}

// FanOut sends a message of kind about organisation orgID (nil: the
// provider's own), party-only content for party when it is set, to the
// webhooks through sendToWebhooks, and commits.
func FanOut(ctx context.Context, db *DB, orgID *int64, kind tandem.NotificationKind, party tandem.PartyKind, subject string) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	m := &message{orgID: orgID, kind: kind, party: party, teams: party != "", subject: subject, body: subject}
	if err := tx.sendToWebhooks(ctx, m); err != nil {
		return err
	}
	return tx.Commit()
}

// ClaimDeliveries claims due deliveries for owner, as a scheduler does
// before it sends them.
func ClaimDeliveries(ctx context.Context, db *DB, now time.Time, owner string, limit int) ([]*tandem.Delivery, error) {
	return db.claimDeliveries(ctx, now, owner, limit)
}

// RecordAttempt records owner's attempt at d, as a scheduler does after
// sending it.
func RecordAttempt(ctx context.Context, db *DB, d *tandem.Delivery, owner string, now time.Time, status int, sendErr error) error {
	return db.recordAttempt(ctx, d, owner, now, status, sendErr, 0.5)
}

// LoadNotification reads one notification by id, without scope.
func LoadNotification(ctx context.Context, db *DB, id int64) (*tandem.Notification, error) {
	return scanNotification(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+notificationColumns+` FROM notifications n WHERE n.id = ?`), id))
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

// HoldAuditShard starts a write transaction that appends one entry to the
// organisation's audit chain and keeps the shard it took locked until
// commit is called. PostgreSQL only: on SQLite an open write transaction
// holds the one writer, not a shard.
func HoldAuditShard(ctx context.Context, db *DB, orgID int64) (shard string, commit func() error, err error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := tx.audit(ctx, tandem.SystemActor, &orgID, "test.hold", "organization:held", map[string]any{}); err != nil {
		tx.Rollback()
		return "", nil, err
	}
	if err := tx.flushAudit(ctx); err != nil {
		tx.Rollback()
		return "", nil, err
	}
	return tx.auditHeads[tandem.AuditChain(&orgID)].shard, tx.Commit, nil
}

// AuditMany appends n entries about the organisation in one transaction
// and commits: more than one multi-row statement holds on PostgreSQL.
func AuditMany(ctx context.Context, db *DB, orgID int64, n int) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := range n {
		if err := tx.audit(ctx, tandem.SystemActor, &orgID, "test.many", "organization:many", map[string]any{"i": i}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// AuditRowsPerStatement is how many entries one append statement holds
// on PostgreSQL.
const AuditRowsPerStatement = auditRowsPerStatement
