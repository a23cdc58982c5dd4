package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// PasswordResetService implements tandem.PasswordResetService: a link by
// email whose token is stored only as its SHA-256, used once within
// tandem.PasswordResetTTL. Requests are throttled per typed address and
// per client address (password_reset_requests, migration 0011) whether or
// not an account uses the address, so neither the answer nor the throttle
// tells which accounts exist.
type PasswordResetService struct {
	db    *DB
	users *UserService // its password hashing parameters
	// PerAddress and PerClient are the requests allowed within Window for
	// one email address and from one client address; zero turns a limit
	// off.
	PerAddress int
	PerClient  int
	Window     time.Duration
}

// The default limits: a person who lost their password asks a few times;
// an office behind one address may hold many such people.
const (
	ResetRequestsPerAddress = 5
	ResetRequestsPerClient  = 30
	ResetRequestWindow      = time.Hour
)

// NewPasswordResetService returns the password reset service on db, hashing
// new passwords with users' parameters.
func NewPasswordResetService(db *DB, users *UserService) *PasswordResetService {
	return &PasswordResetService{db: db, users: users,
		PerAddress: ResetRequestsPerAddress, PerClient: ResetRequestsPerClient, Window: ResetRequestWindow}
}

// resetTokenPrefix marks a password reset token where it is pasted.
const resetTokenPrefix = "pwr_"

// ResetPath is the page of a reset link, with its token.
func ResetPath(token string) string { return "/password/reset?token=" + url.QueryEscape(token) }

// RequestPasswordReset implements tandem.PasswordResetService. It needs no
// actor; the client in ctx is throttled and recorded. Both answers — an
// account uses the address or none does — do the same work (a token, the
// throttle's row, a lookup, an audit entry) and return nil.
func (s *PasswordResetService) RequestPasswordReset(ctx context.Context, email string) error {
	keys := loginEmail(email)
	canonical := keys[len(keys)-1]
	if canonical == "" {
		return tandem.Errorf(tandem.EINVALID, "Email is empty: type the address you log in with.")
	}
	client := tandem.ClientFromContext(ctx)
	addr := throttleAddr(client.Addr)
	token := secret.New(resetTokenPrefix)

	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.throttle(ctx, tx, canonical, addr); err != nil {
		return err
	}
	var u struct {
		id     int64
		email  string
		name   string
		orgID  *int64
		active bool
	}
	err = tx.QueryRowContext(ctx, `SELECT id, email, name, organization_id, active FROM users WHERE email IN (?, ?)
		ORDER BY CASE WHEN email = ? THEN 0 ELSE 1 END LIMIT 1`, keys[0], canonical, keys[0]).Scan(&u.id, &u.email, &u.name, &u.orgID, &u.active)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	anonymous := &tandem.Actor{SourceAddr: client.Addr}
	if err != nil || !u.active {
		// Recorded so that a run of requests for addresses nobody uses
		// shows in the provider's trail; the email is kept as typed.
		if err := tx.audit(ctx, anonymous, nil, "user.password_reset_requested", "password_reset",
			map[string]any{"email": auditableEmail(email), "sent": false}); err != nil {
			return err
		}
		return tx.Commit()
	}
	id, err := tx.insert(ctx, `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		u.id, secret.Hash(token), at(tx.now), at(tx.now.Add(tandem.PasswordResetTTL)))
	if err != nil {
		return err
	}
	// The body never holds the link: the outbox shows bodies, and the link
	// is a credential. The email carries it as its action.
	uid := u.id
	n := &tandem.Notification{OrganizationID: u.orgID, UserID: &uid, Address: u.email, Channel: tandem.ChannelEmail, Kind: tandem.NotifyPasswordReset,
		Subject: "Reset your Tandem password",
		Body: "Someone, hopefully you, asked to reset the password of your Tandem account " + u.email + ". " +
			"The link in this email sets a new one; it works once, within 30 minutes, and signs you out everywhere. " +
			"If you did not ask, ignore this email: your password stays as it is.",
		ActionURL: ResetPath(token)}
	if err := tx.enqueue(ctx, n); err != nil {
		return err
	}
	if err := tx.audit(ctx, anonymous, u.orgID, "user.password_reset_requested", userTarget(u.id),
		map[string]any{"email": u.email, "sent": true, "reset_id": id, "notification_id": n.ID}); err != nil {
		return err
	}
	return tx.Commit()
}

// throttle refuses a request (ETOOMANY) when the address or the client has
// made its limit of requests in the window, and otherwise counts this one.
func (s *PasswordResetService) throttle(ctx context.Context, tx *Tx, email, addr string) error {
	if tx.db.dialect == Postgres {
		// Requests for one address queue here, so two cannot both take the
		// last one allowed (SQLite's single writer serialises them).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7202, hashtext(?))`, email); err != nil {
			return err
		}
	}
	wait, err := throttleWait(ctx, tx, "password_reset_requests", "email = ?", []any{email}, s.PerAddress, s.Window)
	if err != nil {
		return err
	}
	if addr != "" {
		w, err := throttleWait(ctx, tx, "password_reset_requests", "source = ?", []any{addr}, s.PerClient, s.Window)
		if err != nil {
			return err
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return tandem.ThrottledBecause("Too many password reset requests for this address or from yours.", wait)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM password_reset_requests WHERE at <= ?`, at(tx.now.Add(-s.Window))); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO password_reset_requests (email, source, at) VALUES (?, ?, ?)`, email, addr, at(tx.now))
	return err
}

func errResetLink() error {
	return tandem.Errorf(tandem.EUNAUTHORIZED, "This password reset link is unknown, used or expired. Ask for a new one; a link works once, within 30 minutes.")
}

// validReset returns the user of a reset token that is unused and unexpired
// and whose account is active.
func validReset(ctx context.Context, tx *Tx, token string) (resetID int64, u *tandem.User, err error) {
	if token == "" || len(token) > 100 {
		return 0, nil, errResetLink()
	}
	var userID int64
	err = tx.QueryRowContext(ctx, `SELECT r.id, r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id
		WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ? AND u.active = ?`, secret.Hash(token), at(tx.now), true).Scan(&resetID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, errResetLink()
	} else if err != nil {
		return 0, nil, err
	}
	u, err = findUserByID(ctx, tx, tandem.SystemActor, userID)
	return resetID, u, err
}

// ResetPassword implements tandem.PasswordResetService. The token is
// checked before the password (a weak password leaves it usable) and again,
// and spent, in the write transaction, so two uses racing yield one.
func (s *PasswordResetService) ResetPassword(ctx context.Context, token, password string) error {
	rtx, err := s.db.beginRead(ctx)
	if err != nil {
		return err
	}
	_, _, err = validReset(ctx, rtx, token)
	rtx.Rollback()
	if err != nil {
		return err
	}
	if err := tandem.ValidatePassword(password); err != nil {
		return err
	}
	hash, err := secret.HashPassword(password, s.users.PasswordParams)
	if err != nil {
		return err
	}

	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, u, err := validReset(ctx, tx, token)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL`, at(tx.now), id)
	if ok, err := touched(res, err); err != nil {
		return err
	} else if !ok {
		return errResetLink()
	}
	// The other links of the account die with this one: the password
	// they would reset is gone.
	if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, at(tx.now), u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`,
		hash, at(tx.now), at(tx.now), u.ID); err != nil {
		return err
	}
	ended, err := deleteSessions(ctx, tx, u.ID, 0)
	if err != nil {
		return err
	}
	a := userActor(u)
	a.SourceAddr = tandem.ClientFromContext(ctx).Addr
	if err := tx.audit(ctx, a, u.OrganizationID, "user.password_reset", userTarget(u.ID),
		map[string]any{"email": u.Email, "reset_id": id, "sessions_ended": ended}); err != nil {
		return err
	}
	return tx.Commit()
}
