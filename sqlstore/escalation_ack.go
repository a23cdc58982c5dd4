package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// ackToken is a stored acknowledgement link.
type ackToken struct {
	id, incidentID, userID int64
	expiresAt              time.Time
	usedAt                 *time.Time
}

// findAckToken reads the token of a link by its hash; EUNAUTHORIZED when
// there is none.
func findAckToken(ctx context.Context, tx *Tx, token string) (*ackToken, error) {
	t := &ackToken{}
	err := tx.QueryRowContext(ctx, `SELECT id, incident_id, user_id, expires_at, used_at FROM incident_ack_tokens WHERE token_hash = ?`, secret.Hash(token)).
		Scan(&t.id, &t.incidentID, &t.userID, scanTime(&t.expiresAt), scanTimePtr(&t.usedAt))
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
	link := &tandem.AckLink{Incident: in, UserName: userLabel(ctx, tx, t.userID), Used: t.usedAt != nil, Expired: !tx.now.Before(t.expiresAt)}
	if err := tx.QueryRowContext(ctx, `SELECT title FROM tickets WHERE id = ?`, in.TicketID).Scan(&link.TicketTitle); err != nil {
		return nil, err
	}
	return link, nil
}

// AcknowledgeWithToken implements tandem.EscalationService: the link's
// user acknowledges, the token is spent.
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
	a, err := actorForUser(ctx, tx, t.userID, tandem.Errorf(tandem.EUNAUTHORIZED, "The account this link was sent to is deactivated."))
	if err != nil {
		return nil, err
	}
	a.SourceAddr = tandem.ClientFromContext(ctx).Addr
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
	if err := tx.acknowledge(ctx, a, r, "from the emailed link", "incident.acknowledge"); err != nil {
		return nil, err
	}
	in, err := findIncident(ctx, tx, tandem.SystemActor, r.id)
	if err != nil {
		return nil, err
	}
	return in, tx.Commit()
}
