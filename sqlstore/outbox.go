package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The outbox: every notification is a row of notifications written in the
// transaction of the event that causes it (enqueue), so a rolled-back
// change notifies nobody and a committed one is never lost. In-app rows
// are delivered by being written; email and webhook rows wait, due at
// next_attempt_at, for the scheduler to claim them (claimDeliveries), send
// them outside any transaction, and record the attempt (recordAttempt).

// deliveryLease is how far a claim moves a delivery's due instant: the
// time a replica has to send it and record the attempt before another
// may claim it again (it died meanwhile). It is well above the channels'
// own timeouts.
const deliveryLease = 2 * time.Minute

// signalWake wakes the scheduler without blocking: one pending signal is
// enough, the scheduler looks at everything due when it wakes.
func (db *DB) signalWake() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

const notificationInsertCols = `organization_id, ticket_id, incident_id, user_id, webhook_id, address, channel, kind, priority, subject, body, link,
	action_url, state, attempts, next_attempt_at, created_at, delivered_at`

// enqueue writes notifications in tx, in one statement, and sets their ids
// and state. In-app notifications are sent by being written; the others
// are due at their NextAttemptAt (quiet hours), or now.
func (tx *Tx) enqueue(ctx context.Context, ns ...*tandem.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	rows := make([][]any, len(ns))
	for i, n := range ns {
		n.CreatedAt = tx.now
		n.Attempts = 0
		var delivered any
		var due any
		if n.Channel == tandem.ChannelInApp {
			n.State = tandem.DeliverySent
			now := tx.now
			n.DeliveredAt, n.NextAttemptAt = &now, nil
			delivered = at(now)
			if n.UserID != nil {
				tx.inboxUsers = append(tx.inboxUsers, *n.UserID)
			}
		} else {
			n.State = tandem.DeliveryPending
			if n.NextAttemptAt == nil || n.NextAttemptAt.Before(tx.now) {
				now := tx.now
				n.NextAttemptAt = &now
			}
			due = at(*n.NextAttemptAt)
			tx.wakes = true
		}
		rows[i] = []any{n.OrganizationID, n.TicketID, n.IncidentID, n.UserID, n.WebhookID, n.Address, n.Channel, n.Kind, int(n.Priority),
			n.Subject, n.Body, n.Link, n.ActionURL, n.State, 0, due, at(n.CreatedAt), delivered}
	}
	for start := 0; start < len(rows); start += bulkBatch {
		chunk := rows[start:min(start+bulkBatch, len(rows))]
		var q strings.Builder
		q.WriteString(`INSERT INTO notifications (` + notificationInsertCols + `) VALUES `)
		args := valuesList(&q, 18, chunk)
		ids, err := tx.queryIDs(ctx, q.String()+" RETURNING id", args...)
		if err != nil {
			return fmt.Errorf("write %d notifications: %w", len(chunk), err)
		}
		slices.Sort(ids)
		for i, id := range ids {
			ns[start+i].ID = id
		}
	}
	return nil
}

// claimDeliveries claims up to limit email and webhook deliveries due by
// now for owner: each moves a lease ahead and counts an attempt, in one
// transaction, so that no other scheduler claims it meanwhile
// (FOR UPDATE SKIP LOCKED on PostgreSQL; the one writer on SQLite). A
// delivery whose owner died is claimed again once its lease has passed.
func (db *DB) claimDeliveries(ctx context.Context, now time.Time, owner string, limit int) ([]*tandem.Delivery, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tx.now = now.UTC().Truncate(time.Microsecond)
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	ids, err := tx.queryIDs(ctx, `SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+lock,
		at(tx.now), limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, at(tx.now.Add(deliveryLease)), owner)
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = ?, claimed_by = ?, attempts = attempts + 1 WHERE id IN (`+
		marks(len(ids))+`)`, args...); err != nil {
		return nil, err
	}
	var out []*tandem.Delivery
	webhooks := map[int64]*tandem.Webhook{}
	err = tx.eachRow(ctx, `SELECT `+notificationColumns+` FROM notifications n WHERE n.id IN (`+marks(len(ids))+`) ORDER BY n.next_attempt_at, n.id`,
		args[2:], func(rows *sql.Rows) error {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			out = append(out, &tandem.Delivery{Notification: n})
			if n.WebhookID != nil {
				webhooks[*n.WebhookID] = nil
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for id := range webhooks {
		w, err := tx.loadWebhook(ctx, id)
		if err != nil {
			return nil, err
		}
		webhooks[id] = w
	}
	for _, d := range out {
		if d.WebhookID != nil {
			d.Webhook = webhooks[*d.WebhookID]
		}
	}
	return out, tx.Commit()
}

// recordAttempt records how owner's attempt at delivering the claimed
// notification went: sent; or, after a failure, due again after the retry
// delay, or failed for good when the error is permanent or the retry
// window has passed, which tells the admins. It does nothing when the
// claim was lost (another owner has it now).
func (db *DB) recordAttempt(ctx context.Context, d *tandem.Delivery, owner string, now time.Time, status int, sendErr error, jitter float64) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tx.now = now.UTC().Truncate(time.Microsecond)
	n := d.Notification
	msg := ""
	if sendErr != nil {
		msg = truncateError(sendErr.Error())
	}
	var res sql.Result
	var held *heldError
	switch {
	case sendErr == nil:
		res, err = tx.ExecContext(ctx, `UPDATE notifications SET state = 'sent', delivered_at = ?, next_attempt_at = NULL, claimed_by = NULL, last_error = ''
			WHERE id = ? AND claimed_by = ? AND state = 'pending'`, at(tx.now), n.ID, owner)
	case errors.As(sendErr, &held):
		res, err = tx.ExecContext(ctx, `UPDATE notifications SET state = 'held', next_attempt_at = NULL, claimed_by = NULL, last_error = ?
			WHERE id = ? AND claimed_by = ? AND state = 'pending'`, msg, n.ID, owner)
	case isPermanent(sendErr) || !n.CreatedAt.Add(tandem.RetryWindow).After(tx.now):
		res, err = tx.ExecContext(ctx, `UPDATE notifications SET state = 'failed', next_attempt_at = NULL, claimed_by = NULL, last_error = ?
			WHERE id = ? AND claimed_by = ? AND state = 'pending'`, msg, n.ID, owner)
		if ok, terr := touched(res, err); terr != nil || !ok {
			return terr
		}
		if err := tx.deliveryFailed(ctx, n, msg); err != nil {
			return err
		}
		res = nil
	default:
		next := tx.now.Add(tandem.RetryDelay(n.Attempts, jitter))
		res, err = tx.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = ?, claimed_by = NULL, last_error = ?
			WHERE id = ? AND claimed_by = ? AND state = 'pending'`, at(next), msg, n.ID, owner)
	}
	if res != nil {
		if ok, terr := touched(res, err); terr != nil || !ok {
			return terr
		}
	} else if err != nil {
		return err
	}
	if held == nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_attempts (notification_id, at, ok, status, error) VALUES (?, ?, ?, ?, ?)`,
			n.ID, at(tx.now), sendErr == nil, status, msg); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// heldError is the answer for a channel with nothing to send it: an email
// with no SMTP server configured. The delivery is kept, held, in the
// outbox.
type heldError struct{ reason string }

func (e *heldError) Error() string { return e.reason }

func isPermanent(err error) bool {
	var p *tandem.PermanentError
	return errors.As(err, &p)
}

// truncateError keeps a stored error message short.
func truncateError(s string) string {
	const max = 500
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// deliveryFailed tells the admins who oversee n in-app that it failed for
// good, and audits it. An email's overseers are the provider's admins and,
// for an organisation's notification, its IT admins; a webhook's are its
// owner's: the provider's admins, and its organisation's IT admins for an
// organisation's webhook (a provider webhook carries every organisation's
// notifications, but is none of theirs to see). A failure to tell of a
// failure is not told of again.
func (tx *Tx) deliveryFailed(ctx context.Context, n *tandem.Notification, reason string) error {
	if n.Kind == tandem.NotifyDeliveryFailed {
		return nil
	}
	overseenBy, to, link := n.OrganizationID, n.Address, "/outbox?id="+strconv.FormatInt(n.ID, 10)
	if n.Channel == tandem.ChannelWebhook && n.WebhookID != nil {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT organization_id, name FROM webhooks WHERE id = ?`, *n.WebhookID).Scan(&overseenBy, &name); err != nil {
			return err
		}
		to = "webhook \"" + name + "\""
		link = "/webhooks/" + strconv.FormatInt(*n.WebhookID, 10) + "/deliveries"
	}
	where := `u.organization_id IS NULL AND u.role = 'admin'`
	args := []any{}
	if overseenBy != nil {
		where = `(` + where + ` OR (u.organization_id = ? AND u.role = 'it-admin'))`
		args = append(args, *overseenBy)
	}
	admins, err := tx.queryIDs(ctx, `SELECT u.id FROM users u WHERE u.active = ? AND `+where+` ORDER BY u.id`, append([]any{true}, args...)...)
	if err != nil {
		return err
	}
	attempts := "1 attempt"
	if n.Attempts != 1 {
		attempts = strconv.Itoa(n.Attempts) + " attempts"
	}
	var out []*tandem.Notification
	for _, id := range admins {
		out = append(out, &tandem.Notification{OrganizationID: overseenBy, TicketID: n.TicketID, UserID: &id,
			Channel: tandem.ChannelInApp, Kind: tandem.NotifyDeliveryFailed, Priority: n.Priority,
			Subject: "Delivery failed: " + n.Subject,
			Body:    fmt.Sprintf("The %s to %s could not be delivered after %s: %s", n.Channel, to, attempts, reason),
			Link:    link})
	}
	if err := tx.enqueue(ctx, out...); err != nil {
		return err
	}
	data := map[string]any{"notification_id": n.ID, "channel": n.Channel, "attempts": n.Attempts}
	if n.WebhookID != nil {
		data["webhook_id"] = *n.WebhookID
	}
	return tx.audit(ctx, tandem.SystemActor, overseenBy, "notification.failed", "notification:"+strconv.FormatInt(n.ID, 10), data)
}

// notificationColumns are the columns of notifications n that
// scanNotification reads.
const notificationColumns = `n.id, n.organization_id, n.ticket_id, n.incident_id, n.user_id, n.webhook_id, n.address, n.channel, n.kind, n.priority,
	n.subject, n.body, n.link, n.action_url, n.state, n.attempts, n.next_attempt_at, n.last_error, n.created_at, n.delivered_at, n.read_at`

func scanNotification(row scanner) (*tandem.Notification, error) {
	n := &tandem.Notification{}
	var pr int
	err := row.Scan(&n.ID, &n.OrganizationID, &n.TicketID, &n.IncidentID, &n.UserID, &n.WebhookID, &n.Address, &n.Channel, &n.Kind, &pr,
		&n.Subject, &n.Body, &n.Link, &n.ActionURL, &n.State, &n.Attempts, scanTimePtr(&n.NextAttemptAt), &n.LastError, scanTime(&n.CreatedAt),
		scanTimePtr(&n.DeliveredAt), scanTimePtr(&n.ReadAt))
	n.Priority = tandem.Priority(pr)
	return n, err
}

// threadIDs are the Message-ID of the email of notification n and the one
// its ticket's emails all refer to, on the host of baseURL.
func threadIDs(n *tandem.Notification, baseURL string) (messageID, threadID string) {
	host := "tandem.invalid"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	messageID = "<notification-" + strconv.FormatInt(n.ID, 10) + "@" + host + ">"
	if n.TicketID != nil {
		threadID = "<ticket-" + strconv.FormatInt(*n.TicketID, 10) + "@" + host + ">"
	}
	return messageID, threadID
}
