package sqlstore

import (
	"context"
	"database/sql"

	"github.com/tandemhq/tandem"
)

// message is what a notification says, before it is addressed: the rules
// (notify_event.go) and the escalation steps build one and send it to
// users (sendToUsers) and webhooks (sendToWebhooks).
type message struct {
	orgID      *int64
	ticketID   *int64
	incidentID *int64
	kind       tandem.NotificationKind
	priority   tandem.Priority
	subject    string
	body       string // plain text
	link       string // path of the page it is about
	// teams says it carries content for the teams only (never for a
	// requester); party, when set, the party whose team-only content it
	// carries (never for the other party).
	teams bool
	party tandem.PartyKind
	// ackFor, when set, returns the acknowledgement link of the
	// notification to one user (each link is single use).
	ackFor func(userID int64) (string, error)
}

// sendToUsers writes m for each user on the channels they receive it on:
// in-app and email, as their preferences say (P1 escalations always),
// emails falling in their quiet hours due when those end (never for P1).
// (The preferences and quiet hours are filled in by the notification
// rules; until then every user gets both.)
func (tx *Tx) sendToUsers(ctx context.Context, m *message, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	emails := map[int64]string{}
	args := make([]any, len(userIDs))
	for i, id := range userIDs {
		args[i] = id
	}
	err := tx.eachRow(ctx, `SELECT id, email FROM users WHERE active = ? AND id IN (`+marks(len(userIDs))+`)`, append([]any{true}, args...),
		func(rows *sql.Rows) error {
			var id int64
			var email string
			if err := rows.Scan(&id, &email); err != nil {
				return err
			}
			emails[id] = email
			return nil
		})
	if err != nil {
		return err
	}
	var out []*tandem.Notification
	for _, id := range userIDs {
		email, ok := emails[id]
		if !ok {
			continue
		}
		ack := ""
		if m.ackFor != nil {
			if ack, err = m.ackFor(id); err != nil {
				return err
			}
		}
		for _, ch := range []tandem.Channel{tandem.ChannelInApp, tandem.ChannelEmail} {
			n := m.notification(ch)
			uid := id
			n.UserID, n.ActionURL = &uid, ack
			if ch == tandem.ChannelEmail {
				n.Address = email
			}
			out = append(out, n)
		}
	}
	return tx.enqueue(ctx, out...)
}

// notification is m on channel ch, not yet addressed.
func (m *message) notification(ch tandem.Channel) *tandem.Notification {
	return &tandem.Notification{OrganizationID: m.orgID, TicketID: m.ticketID, IncidentID: m.incidentID, Channel: ch, Kind: m.kind,
		Priority: m.priority, Subject: m.subject, Body: m.body, Link: m.link}
}
