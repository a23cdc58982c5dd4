package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tandemhq/tandem"
)

// preferenceColumns are the columns of notification_preferences p that
// scanPreferences reads, NULL when the user has no row (LEFT JOIN).
const preferenceColumns = `p.off, p.quiet_from, p.quiet_to, p.time_zone`

// scanPreferences scans dest and then preferenceColumns; nil preferences
// when the user never saved any (everything on, no quiet hours).
func scanPreferences(row scanner, dest ...any) (*tandem.NotificationPreferences, error) {
	var off, from, to, zone sql.NullString
	if err := row.Scan(append(dest, &off, &from, &to, &zone)...); err != nil {
		return nil, err
	}
	if !off.Valid {
		return nil, nil
	}
	p := &tandem.NotificationPreferences{QuietFrom: from.String, QuietTo: to.String, TimeZone: zone.String}
	if err := json.Unmarshal([]byte(off.String), &p.Off); err != nil {
		return nil, fmt.Errorf("notification preferences: %w", err)
	}
	return p, nil
}

// FindPreferences implements tandem.NotificationService: the actor's own
// preferences, everything on when they never saved any.
func (s *NotificationService) FindPreferences(ctx context.Context) (*tandem.NotificationPreferences, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if a.UserID == 0 {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Notification preferences belong to a user; the system has none.")
	}
	p, err := scanPreferences(tx.QueryRowContext(ctx, `SELECT `+preferenceColumns+` FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id
		WHERE u.id = ?`, a.UserID))
	if err != nil {
		return nil, notFound(err, "User")
	}
	if p == nil {
		p = &tandem.NotificationPreferences{}
	}
	if p.Off == nil {
		p.Off = map[tandem.Channel][]tandem.NotificationKind{}
	}
	p.UserID = a.UserID
	return p, nil
}

// UpdatePreferences implements tandem.NotificationService: it replaces the
// actor's preferences (EINVALID naming the field at fault, nothing
// changed) and audits the change.
func (s *NotificationService) UpdatePreferences(ctx context.Context, p *tandem.NotificationPreferences) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if a.UserID == 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "Notification preferences belong to a user; the system has none.")
	}
	if a.ReadOnly {
		return tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; use one that may write to change your notification preferences.")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	off, err := json.Marshal(p.Off)
	if err != nil {
		return err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_preferences (user_id, off, quiet_from, quiet_to, time_zone, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET off = excluded.off, quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to,
		time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
		a.UserID, string(off), p.QuietFrom, p.QuietTo, p.TimeZone, at(tx.now)); err != nil {
		return err
	}
	p.UserID = a.UserID
	summary := map[string]any{"off": p.Off, "quiet_from": p.QuietFrom, "quiet_to": p.QuietTo, "time_zone": p.TimeZone}
	if err := tx.audit(ctx, a, actorOrganization(a), "notification.preferences", userTarget(a.UserID), summary); err != nil {
		return err
	}
	return tx.Commit()
}
