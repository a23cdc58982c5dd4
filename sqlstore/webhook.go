package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/notify"
)

// WebhookService implements tandem.WebhookService: provider admins manage
// the provider's webhooks and see every organisation's; an organisation's
// IT admins manage its own. The secret is returned by the create and the
// rotation that make it, and by no read.
type WebhookService struct {
	db *DB
}

// NewWebhookService returns the webhook service on db.
func NewWebhookService(db *DB) *WebhookService { return &WebhookService{db: db} }

// webhookSecretPrefix starts every webhook secret, so a leaked one is
// recognised for what it is.
const webhookSecretPrefix = "whsec_"

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

// webhookScope is the condition on webhooks w limiting them to those the
// actor oversees: every one for provider admins, their organisation's for
// IT admins (and for a token restricted to one organisation).
func webhookScope(a *tandem.Actor) (string, []any, error) {
	if err := a.CanOverseeWebhooks(); err != nil {
		return "", nil, err
	}
	if a.SeesAllOrganizations() && a.OnlyOrganizationID == 0 {
		return "1=1", nil, nil
	}
	org := a.OrganizationID
	if a.OnlyOrganizationID != 0 {
		org = a.OnlyOrganizationID
	}
	return "w.organization_id = ?", []any{org}, nil
}

// findWebhook reads a webhook in the actor's scope, its secret blanked.
func (tx *Tx) findWebhook(ctx context.Context, a *tandem.Actor, id int64) (*tandem.Webhook, error) {
	cond, args, err := webhookScope(a)
	if err != nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Webhook %d not found.", id)
	}
	w, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "Webhook "+strconv.FormatInt(id, 10))
	}
	w.Secret = ""
	return w, nil
}

// FindWebhooks implements tandem.WebhookService.
func (s *WebhookService) FindWebhooks(ctx context.Context, orgID *int64) ([]*tandem.Webhook, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cond, args, err := webhookScope(a)
	if err != nil {
		return nil, err
	}
	if orgID != nil {
		cond += " AND w.organization_id = ?"
		args = append(args, *orgID)
	}
	var out []*tandem.Webhook
	err = tx.eachRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE `+cond+` ORDER BY w.organization_id IS NOT NULL, w.organization_id, w.name, w.id`, args,
		func(rows *sql.Rows) error {
			w, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			w.Secret = ""
			out = append(out, w)
			return nil
		})
	return out, err
}

// FindWebhook implements tandem.WebhookService.
func (s *WebhookService) FindWebhook(ctx context.Context, id int64) (*tandem.Webhook, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.findWebhook(ctx, a, id)
}

// checkWebhook validates w's fields and the actor's right to store them.
// allowed says private ranges were allowed already: keeping a setting a
// provider admin made is not making it, so an IT admin may edit such a
// webhook (and may turn the allowance off).
func checkWebhook(a *tandem.Actor, w *tandem.Webhook, allowed bool) error {
	if err := w.Validate(); err != nil {
		return err
	}
	// The address rules the deliverer enforces at connect time, refused
	// already when saved where the URL shows them (a literal metadata
	// address or name).
	if err := notify.ValidateWebhookURL(w.URL); err != nil {
		return err
	}
	if w.Kinds == nil {
		w.Kinds = []tandem.NotificationKind{}
	}
	if w.AllowPrivate && !allowed && !a.IsProviderAdmin() {
		return tandem.Errorf(tandem.EFORBIDDEN, "Only a provider admin may let a webhook reach private addresses (allow_private); leave it off, or ask one.")
	}
	return nil
}

// webhookSummary is what the audit trail records of a webhook: never its
// secret.
func webhookSummary(w *tandem.Webhook) map[string]any {
	return map[string]any{"name": w.Name, "url": w.URL, "format": w.Format, "kinds": w.Kinds, "active": w.Active, "allow_private": w.AllowPrivate,
		"party": w.Party}
}

func webhookTarget(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

// CreateWebhook implements tandem.WebhookService.
func (s *WebhookService) CreateWebhook(ctx context.Context, w *tandem.Webhook) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w.Party = tandem.PartyProvider
	if w.OrganizationID != nil {
		w.Party = tandem.PartyInternal
		cond, args := orgScope(a, "id")
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE id = ? AND `+cond, append([]any{*w.OrganizationID}, args...)...).Scan(&id); err != nil {
			return notFound(err, "Organisation "+strconv.FormatInt(*w.OrganizationID, 10))
		}
	}
	if err := a.CanManageWebhook(w); err != nil {
		return err
	}
	if err := checkWebhook(a, w, false); err != nil {
		return err
	}
	kinds, _ := json.Marshal(w.Kinds)
	w.Secret = secret.New(webhookSecretPrefix)
	w.CreatedAt, w.UpdatedAt = tx.now, tx.now
	w.ID, err = tx.insert(ctx, `INSERT INTO webhooks (organization_id, party, name, url, format, kinds, secret, allow_private, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.OrganizationID, w.Party, w.Name, w.URL, w.Format, string(kinds), w.Secret, w.AllowPrivate, w.Active,
		at(tx.now), at(tx.now))
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, w.OrganizationID, "webhook.create", webhookTarget(w.ID), webhookSummary(w)); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateWebhook implements tandem.WebhookService.
func (s *WebhookService) UpdateWebhook(ctx context.Context, w *tandem.Webhook) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := tx.findWebhook(ctx, a, w.ID)
	if err != nil {
		return err
	}
	if err := a.CanManageWebhook(old); err != nil {
		return err
	}
	w.OrganizationID, w.Party, w.CreatedAt, w.Secret = old.OrganizationID, old.Party, old.CreatedAt, ""
	if err := checkWebhook(a, w, old.AllowPrivate); err != nil {
		return err
	}
	kinds, _ := json.Marshal(w.Kinds)
	w.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET name = ?, url = ?, format = ?, kinds = ?, allow_private = ?, active = ?, updated_at = ? WHERE id = ?`,
		w.Name, w.URL, w.Format, string(kinds), w.AllowPrivate, w.Active, at(tx.now), w.ID); err != nil {
		return err
	}
	summary := webhookSummary(w)
	summary["before"] = webhookSummary(old)
	if err := tx.audit(ctx, a, w.OrganizationID, "webhook.update", webhookTarget(w.ID), summary); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteWebhook implements tandem.WebhookService. Its deliveries, and with
// them its log, go with it.
func (s *WebhookService) DeleteWebhook(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w, err := tx.findWebhook(ctx, a, id)
	if err != nil {
		return err
	}
	if err := a.CanManageWebhook(w); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, w.OrganizationID, "webhook.delete", webhookTarget(id), map[string]any{"name": w.Name, "url": w.URL}); err != nil {
		return err
	}
	return tx.Commit()
}

// RotateWebhookSecret implements tandem.WebhookService.
func (s *WebhookService) RotateWebhookSecret(ctx context.Context, id int64) (string, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	w, err := tx.findWebhook(ctx, a, id)
	if err != nil {
		return "", err
	}
	if err := a.CanManageWebhook(w); err != nil {
		return "", err
	}
	plain := secret.New(webhookSecretPrefix)
	if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET secret = ?, updated_at = ? WHERE id = ?`, plain, at(tx.now), id); err != nil {
		return "", err
	}
	if err := tx.audit(ctx, a, w.OrganizationID, "webhook.rotate_secret", webhookTarget(id), map[string]any{"name": w.Name}); err != nil {
		return "", err
	}
	return plain, tx.Commit()
}

// TestWebhook implements tandem.WebhookService.
func (s *WebhookService) TestWebhook(ctx context.Context, id int64) (*tandem.Notification, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w, err := tx.findWebhook(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := a.CanManageWebhook(w); err != nil {
		return nil, err
	}
	n := &tandem.Notification{OrganizationID: w.OrganizationID, WebhookID: &w.ID, Channel: tandem.ChannelWebhook, Kind: tandem.NotifyWebhookTest,
		Subject: "Test from Tandem: " + w.Name,
		Body:    "This is a test of the webhook \"" + w.Name + "\", sent by " + a.Email + ". If you can read it, Tandem reaches this receiver.",
		Link:    "/webhooks/" + strconv.FormatInt(w.ID, 10) + "/deliveries"}
	if err := tx.enqueue(ctx, n); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, w.OrganizationID, "webhook.test", webhookTarget(id), map[string]any{"name": w.Name, "notification_id": n.ID}); err != nil {
		return nil, err
	}
	return n, tx.Commit()
}

// FindDeliveries implements tandem.WebhookService.
func (s *WebhookService) FindDeliveries(ctx context.Context, webhookID int64, limit int) ([]*tandem.Notification, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.findWebhook(ctx, a, webhookID); err != nil {
		return nil, err
	}
	var out []*tandem.Notification
	byID := map[int64]*tandem.Notification{}
	err = tx.eachRow(ctx, `SELECT `+notificationColumns+` FROM notifications n WHERE n.webhook_id = ? ORDER BY n.id DESC LIMIT ?`, []any{webhookID, limit},
		func(rows *sql.Rows) error {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			out = append(out, n)
			byID[n.ID] = n
			return nil
		})
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]any, len(out))
	for i, n := range out {
		ids[i] = n.ID
	}
	err = tx.eachRow(ctx, `SELECT notification_id, at, ok, status, error FROM notification_attempts WHERE notification_id IN (`+marks(len(ids))+`) ORDER BY id`,
		ids, func(rows *sql.Rows) error {
			var at tandem.DeliveryAttempt
			if err := rows.Scan(&at.NotificationID, scanTime(&at.At), &at.OK, &at.Status, &at.Error); err != nil {
				return err
			}
			n := byID[at.NotificationID]
			n.AttemptLog = append(n.AttemptLog, at)
			return nil
		})
	return out, err
}
