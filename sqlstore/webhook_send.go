package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// sendToWebhooks writes m for every active webhook that takes its kind
// (no kinds: every kind) and may carry its content: the provider's
// webhooks for every organisation's messages, an organisation's for its
// own; content for one party's team alone (m.party) only to that party's
// webhooks. It runs in the transaction of every ticket event, so it asks
// one query of an index (webhooks_fanout, migration 0008) and writes every
// delivery in one statement. A password reset link never leaves by
// webhook.
func (tx *Tx) sendToWebhooks(ctx context.Context, m *message) error {
	if m.kind == tandem.NotifyPasswordReset {
		return nil
	}
	// Kinds are a JSON list of names, which hold no quotes: a quoted name
	// matches only that element.
	q := `SELECT w.id FROM webhooks w WHERE w.active = ? AND (w.organization_id IS NULL OR w.organization_id = ?)
		AND (w.kinds = '[]' OR w.kinds LIKE ?)`
	args := []any{true, m.orgID, `%"` + string(m.kind) + `"%`}
	if m.party != "" {
		q += ` AND w.party = ?`
		args = append(args, m.party)
	}
	ids, err := tx.queryIDs(ctx, q+` ORDER BY w.id`, args...)
	if err != nil || len(ids) == 0 {
		return err
	}
	out := make([]*tandem.Notification, len(ids))
	for i, id := range ids {
		n := m.notification(tandem.ChannelWebhook)
		n.WebhookID = &id
		if m.webhookAckFor != nil {
			if n.ActionURL, err = m.webhookAckFor(id); err != nil {
				return err
			}
		}
		out[i] = n
	}
	return tx.enqueue(ctx, out...)
}
