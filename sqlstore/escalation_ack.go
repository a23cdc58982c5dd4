package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// ackToken is a stored acknowledgement link: a user's, sent by email, or
// a webhook's, posted to its channel.
type ackToken struct {
	id, incidentID    int64
	userID, webhookID *int64
	expiresAt         time.Time
	usedAt            *time.Time
}

// findAckToken reads the token of a link by its hash; EUNAUTHORIZED when
// there is none.
func findAckToken(ctx context.Context, tx *Tx, token string) (*ackToken, error) {
	t := &ackToken{}
	err := tx.QueryRowContext(ctx, `SELECT id, incident_id, user_id, webhook_id, expires_at, used_at FROM incident_ack_tokens WHERE token_hash = ?`, secret.Hash(token)).
		Scan(&t.id, &t.incidentID, &t.userID, &t.webhookID, scanTime(&t.expiresAt), scanTimePtr(&t.usedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "This acknowledgement link is not valid: it may have been mistyped. Open the ticket in Tandem to acknowledge.")
	}
	return t, err
}

// PeekAckLink implements tandem.EscalationService. It reads only: mail
// scanners fetch links before people click them.
func (s *EscalationService) PeekAckLink(ctx context.Context, token string) (*tandem.AckLink, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findAckToken(ctx, tx, token)
	if err != nil {
		return nil, err
	}
	in, err := findIncident(ctx, tx, tandem.SystemActor, t.incidentID)
	if err != nil {
		return nil, err
	}
	link := &tandem.AckLink{Incident: in, Used: t.usedAt != nil, Expired: !tx.now.Before(t.expiresAt)}
	if t.userID != nil {
		link.UserName = userLabel(ctx, tx, *t.userID)
	} else if link.WebhookName, err = webhookName(ctx, tx, *t.webhookID); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT title FROM tickets WHERE id = ?`, in.TicketID).Scan(&link.TicketTitle); err != nil {
		return nil, err
	}
	return link, nil
}

// AcknowledgeWithToken implements tandem.EscalationService: the link's
// user acknowledges — or, for a link posted to a webhook's channel, the
// signed-in actor who may work the ticket — and the token is spent.
func (s *EscalationService) AcknowledgeWithToken(ctx context.Context, token string) (*tandem.Incident, error) {
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findAckToken(ctx, tx, token)
	if err != nil {
		return nil, err
	}
	switch {
	case t.usedAt != nil:
		return nil, tandem.Errorf(tandem.ECONFLICT, "This acknowledgement link was used already; each link works once.")
	case !tx.now.Before(t.expiresAt):
		return nil, tandem.Errorf(tandem.ECONFLICT, "This acknowledgement link expired; open the ticket in Tandem to acknowledge.")
	}
	a, how, err := ackTokenActor(ctx, tx, t)
	if err != nil {
		return nil, err
	}
	r, err := loadIncidentRow(ctx, tx, t.incidentID, false)
	if err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE incident_ack_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL`, at(tx.now), t.id)
	if ok, err := touched(res, err); err != nil {
		return nil, err
	} else if !ok {
		return nil, tandem.Errorf(tandem.ECONFLICT, "This acknowledgement link was used already; each link works once.")
	}
	if err := tx.acknowledge(ctx, a, r, how, "incident.acknowledge"); err != nil {
		return nil, err
	}
	in, err := findIncident(ctx, tx, tandem.SystemActor, r.id)
	if err != nil {
		return nil, err
	}
	return in, tx.Commit()
}

// ackTokenActor is who acknowledges with t, and how the timeline tells
// it: the user an emailed link was sent to; for a link posted to a
// webhook's channel, which anyone in the channel may open, the signed-in
// actor in ctx, who must see the ticket and may work it.
func ackTokenActor(ctx context.Context, tx *Tx, t *ackToken) (*tandem.Actor, string, error) {
	if t.userID != nil {
		a, err := actorForUser(ctx, tx, *t.userID, tandem.Errorf(tandem.EUNAUTHORIZED, "The account this link was sent to is deactivated."))
		if err != nil {
			return nil, "", err
		}
		a.SourceAddr = tandem.ClientFromContext(ctx).Addr
		return a, "from the emailed link", nil
	}
	name, err := webhookName(ctx, tx, *t.webhookID)
	if err != nil {
		return nil, "", err
	}
	a := tandem.ActorFromContext(ctx)
	if a == nil || a.System {
		return nil, "", tandem.Errorf(tandem.EUNAUTHORIZED, "Sign in to acknowledge: this link was posted to %q and acknowledges as whoever signs in to use it.", name)
	}
	in, err := findIncident(ctx, tx, a, t.incidentID)
	if err == nil {
		err = a.Can(tandem.ActionTicketWork, in.OrganizationID)
	}
	if err != nil {
		return nil, "", err
	}
	return a, fmt.Sprintf("from the link posted to %q", name), nil
}

// webhookName is a webhook's name, as a link posted by it is told.
func webhookName(ctx context.Context, tx *Tx, id int64) (string, error) {
	var name string
	err := tx.QueryRowContext(ctx, `SELECT name FROM webhooks WHERE id = ?`, id).Scan(&name)
	return name, err
}
