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
	// notification to one user (each link is single use); webhookAckFor
	// the link of its message to one webhook's channel.
	ackFor        func(userID int64) (string, error)
	webhookAckFor func(webhookID int64) (string, error)
}

// sendToUsers writes m for each user on the channels they receive it on:
// in-app and email, as their preferences say (P1 escalations always), in
// one query for the users and their preferences. An email falling in the
// user's quiet hours is due when they end, never for a P1 ticket; in-app
// rows are written at once whatever the hour.
func (tx *Tx) sendToUsers(ctx context.Context, m *message, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	type recipient struct {
		email string
		prefs *tandem.NotificationPreferences
	}
	recipients := map[int64]recipient{}
	args := make([]any, len(userIDs))
	for i, id := range userIDs {
		args[i] = id
	}
	err := tx.eachRow(ctx, `SELECT u.id, u.email, `+preferenceColumns+` FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id
		WHERE u.active = ? AND u.id IN (`+marks(len(userIDs))+`)`, append([]any{true}, args...),
		func(rows *sql.Rows) error {
			var r recipient
			var id int64
			prefs, err := scanPreferences(rows, &id, &r.email)
			if err != nil {
				return err
			}
			r.prefs = prefs
			recipients[id] = r
			return nil
		})
	if err != nil {
		return err
	}
	var out []*tandem.Notification
	for _, id := range userIDs {
		r, ok := recipients[id]
		if !ok {
			continue
		}
		ack := ""
		for _, ch := range tandem.PreferenceChannels {
			if !r.prefs.Wants(ch, m.kind, m.priority) {
				continue
			}
			if m.ackFor != nil && ack == "" {
				if ack, err = m.ackFor(id); err != nil {
					return err
				}
			}
			n := m.notification(ch)
			uid := id
			n.UserID, n.ActionURL = &uid, ack
			if ch == tandem.ChannelEmail {
				n.Address = r.email
				if until, quiet := r.prefs.QuietUntil(tx.now); quiet && m.priority != 1 && m.kind != tandem.NotifyPasswordReset {
					n.NextAttemptAt = &until
				}
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
