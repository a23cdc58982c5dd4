package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/tandemhq/tandem"
)

// webhookColumns are the columns of webhooks w that scanWebhook reads.
const webhookColumns = `w.id, w.organization_id, w.party, w.name, w.url, w.format, w.kinds, w.secret, w.allow_private, w.active, w.created_at, w.updated_at`

func scanWebhook(row scanner) (*tandem.Webhook, error) {
	w := &tandem.Webhook{}
	var kinds string
	if err := row.Scan(&w.ID, &w.OrganizationID, &w.Party, &w.Name, &w.URL, &w.Format, &kinds, &w.Secret, &w.AllowPrivate, &w.Active,
		scanTime(&w.CreatedAt), scanTime(&w.UpdatedAt)); err != nil {
		return nil, err
	}
	return w, json.Unmarshal([]byte(kinds), &w.Kinds)
}

// loadWebhook reads a webhook, secret included, without scope: for the
// scheduler delivering to it.
func (tx *Tx) loadWebhook(ctx context.Context, id int64) (*tandem.Webhook, error) {
	return scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`, id))
}
