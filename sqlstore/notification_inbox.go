package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/tandemhq/tandem"
)

// The reading side of the outbox: a user's own in-app notifications (the
// bell and the notifications page), and the outbox as the admins and a
// ticket's teams oversee it. Reads are not audited, as no read is.

// FindNotifications returns the actor's in-app notifications, newest
// first: a page of filter.Limit (default 50) before filter.BeforeID, only
// the unread with filter.Unread. A token restricted to one organisation
// reads that organisation's only.
func (s *NotificationService) FindNotifications(ctx context.Context, filter tandem.NotificationFilter) ([]*tandem.Notification, error) {
	limit, err := pageLimit(filter.Limit)
	if err != nil {
		return nil, err
	}
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	where, args := inboxWhere(a)
	if filter.Unread {
		where += " AND n.read_at IS NULL"
	}
	if filter.BeforeID > 0 {
		where += " AND n.id < ?"
		args = append(args, filter.BeforeID)
	}
	return queryList(ctx, tx, scanNotification, `SELECT `+notificationColumns+` FROM notifications n WHERE `+where+
		` ORDER BY n.id DESC LIMIT ?`, append(args, limit)...)
}

// UnreadCount is the number on the actor's bell.
func (s *NotificationService) UnreadCount(ctx context.Context) (int, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	where, args := inboxWhere(a)
	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications n WHERE `+where+` AND n.read_at IS NULL`, args...).Scan(&n)
	return n, err
}

// MarkRead marks the actor's in-app notifications read: those of ids, or
// every unread one when ids is empty. Ids of other users' notifications
// are passed over, as if they did not exist. It is not audited: read
// state is the user's own bookkeeping, changes nothing anyone else sees,
// and would drown the trail. The actor's other tabs hear of it (InboxHub).
func (s *NotificationService) MarkRead(ctx context.Context, ids []int64) error {
	if len(ids) > maxPageSize {
		return tandem.Errorf(tandem.EINVALID, "ids lists %d notifications: mark at most %d at once, or none to mark all read.", len(ids), maxPageSize)
	}
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if a.ReadOnly {
		return tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to mark notifications read.")
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	where, args := inboxWhere(a)
	if len(ids) > 0 {
		where += " AND n.id IN (" + marks(len(ids)) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	// The alias n is the table itself here: UPDATE has no alias on SQLite.
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE id IN (SELECT n.id FROM notifications n WHERE `+where+
		` AND n.read_at IS NULL)`, append([]any{at(tx.now)}, args...)...)
	if ok, err := touched(res, err); err != nil || !ok {
		return err
	}
	tx.inboxUsers = append(tx.inboxUsers, a.UserID)
	return tx.Commit()
}

// inboxWhere limits notifications n to the actor's own in-app rows (and to
// one organisation for a token restricted to it).
func inboxWhere(a *tandem.Actor) (string, []any) {
	where, args := "n.user_id = ? AND n.channel = 'inapp'", []any{a.UserID}
	if a.OnlyOrganizationID != 0 {
		where += " AND n.organization_id = ?"
		args = append(args, a.OnlyOrganizationID)
	}
	return where, args
}

// FindOutbox lists notifications on every channel, newest first, as the
// actor may oversee them:
//   - provider admins every row (of their token's organisation, if it is
//     restricted to one);
//   - an organisation's it-admin the rows of their organisation addressed
//     to its own users and webhooks;
//   - with filter.TicketID, anyone who may read that ticket's team content
//     (staff and viewers of either party, never requesters) the rows about
//     it: who was notified, when, on which channel, and how it went.
//
// The subject and body of a row addressed to the other party's team are
// left out (it may carry that party's own content), as is every
// action_url (acknowledgement and password reset links are credentials).
// A recipient is named as the ticket names people (personLabel).
func (s *NotificationService) FindOutbox(ctx context.Context, filter tandem.NotificationFilter) ([]*tandem.Notification, error) {
	limit, err := pageLimit(filter.Limit)
	if err != nil {
		return nil, err
	}
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var where []string
	var args []any
	switch {
	case filter.TicketID != nil:
		if a.IsRequesterRole() {
			return nil, tandem.Errorf(tandem.EFORBIDDEN, "Who was notified about a ticket is shown to the IT teams only.")
		}
		if _, err := scopedTicketOrg(ctx, tx, a, *filter.TicketID); err != nil {
			return nil, err
		}
		where, args = append(where, "n.ticket_id = ?"), append(args, *filter.TicketID)
	case a.SeesAllOrganizations():
		cond, cargs := orgScope(a, "n.organization_id")
		if a.OnlyOrganizationID == 0 {
			cond, cargs = "1=1", nil // rows of no organisation (the provider's own) too
		}
		where, args = append(where, cond), append(args, cargs...)
	case a.Party == tandem.PartyInternal && a.Role == tandem.RoleITAdmin:
		where = append(where, "n.organization_id = ? AND (u.organization_id = ? OR w.organization_id = ?)")
		args = append(args, a.OrganizationID, a.OrganizationID, a.OrganizationID)
	default:
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "The outbox is for admins: provider admins, and an organisation's IT admins for their organisation.")
	}
	if filter.OrganizationID != nil {
		where, args = append(where, "n.organization_id = ?"), append(args, *filter.OrganizationID)
	}
	if filter.WebhookID != nil {
		where, args = append(where, "n.webhook_id = ?"), append(args, *filter.WebhookID)
	}
	if filter.Channel != nil {
		where, args = append(where, "n.channel = ?"), append(args, string(*filter.Channel))
	}
	if filter.State != nil {
		where, args = append(where, "n.state = ?"), append(args, string(*filter.State))
	}
	if filter.BeforeID > 0 {
		where, args = append(where, "n.id < ?"), append(args, filter.BeforeID)
	}
	visible, vargs := userScope(a)
	query := `SELECT ` + notificationColumns + `, COALESCE(u.name, ''), COALESCE(u.email, ''), COALESCE(u.role, ''), u.organization_id IS NULL,
		CASE WHEN u.id IS NOT NULL AND ` + visible + ` THEN 1 ELSE 0 END, COALESCE(w.name, ''), COALESCE(w.party, '')
		FROM notifications n LEFT JOIN users u ON u.id = n.user_id LEFT JOIN webhooks w ON w.id = n.webhook_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY n.id DESC LIMIT ?`
	var out []*tandem.Notification
	err = tx.eachRow(ctx, query, append(append(vargs, args...), limit), func(rows *sql.Rows) error {
		n, r, err := scanOutboxRow(rows)
		if err != nil {
			return err
		}
		r.present(a, n)
		out = append(out, n)
		return nil
	})
	if out == nil {
		out = []*tandem.Notification{}
	}
	return out, err
}

// outboxRecipient is whom an outbox row went to, as read with it.
type outboxRecipient struct {
	name, email  string
	role         tandem.Role
	provider     bool // a provider user (no organisation)
	visible      int  // 1 when userScope shows the user to the reader
	webhook      string
	webhookParty tandem.PartyKind
}

func scanOutboxRow(rows *sql.Rows) (*tandem.Notification, *outboxRecipient, error) {
	n := &tandem.Notification{}
	r := &outboxRecipient{}
	var pr int
	err := rows.Scan(&n.ID, &n.OrganizationID, &n.TicketID, &n.IncidentID, &n.UserID, &n.WebhookID, &n.Address, &n.Channel, &n.Kind, &pr,
		&n.Subject, &n.Body, &n.Link, &n.ActionURL, &n.State, &n.Attempts, scanTimePtr(&n.NextAttemptAt), &n.LastError, scanTime(&n.CreatedAt),
		scanTimePtr(&n.DeliveredAt), scanTimePtr(&n.ReadAt),
		&r.name, &r.email, &r.role, &r.provider, &r.visible, &r.webhook, &r.webhookParty)
	n.Priority = tandem.Priority(pr)
	return n, r, err
}

// present fits row n for reader a: the recipient named, content for the
// other party's team and every credential left out.
func (r *outboxRecipient) present(a *tandem.Actor, n *tandem.Notification) {
	n.ActionURL = ""
	var audience tandem.PartyKind
	switch {
	case n.WebhookID != nil:
		audience = r.webhookParty
		n.Recipient = r.webhook
		if audience != a.Party && !a.SeesAllOrganizations() {
			n.Recipient = string(audience) + " webhook"
		}
	case n.UserID != nil:
		audience = tandem.PartyInternal
		if r.provider {
			audience = tandem.PartyProvider
		}
		if r.role == tandem.RoleRequester {
			audience = a.Party // a requester receives only what requesters may read
		}
		n.Recipient = personLabel(r.name, r.email, r.role, r.provider, r.visible == 1)
		if r.visible != 1 {
			n.Address = ""
		}
	}
	if audience != a.Party && !a.System {
		n.Subject, n.Body = "", ""
	}
}
