package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// SessionService implements tandem.SessionService with sessions stored in the
// database, so they survive restarts and can be revoked.
type SessionService struct {
	db *DB
	// IdleTimeout ends a session unused this long; AbsoluteTimeout ends any
	// session this long after login.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// Throttle limits wrong second factors: they count together with failed
	// passwords, and against a tighter limit of their own (login.go).
	Throttle LoginThrottle
}

// mfaPendingTimeout bounds how long a login may wait for its second factor.
// Wrong codes count against the account's login throttle and against its
// tighter limit of wrong second factors (tandem.SecondFactorFailuresPerAccount).
const mfaPendingTimeout = 10 * time.Minute

// NewSessionService returns the session service on db with the default
// timeouts (30 minutes idle, 12 hours absolute).
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db, IdleTimeout: tandem.DefaultSessionIdleTimeout, AbsoluteTimeout: tandem.DefaultSessionMaxAge, Throttle: DefaultLoginThrottle}
}

var _ tandem.SessionService = (*SessionService)(nil)

// Stored lengths of what a client says about itself.
const (
	maxSourceLen    = 64
	maxUserAgentLen = 300
)

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// CreateSession implements tandem.SessionService.
func (s *SessionService) CreateSession(ctx context.Context, userID int64) (string, error) {
	client := tandem.ClientFromContext(ctx)
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, tandem.SystemActor, userID)
	if err != nil {
		return "", err
	}
	if !u.Active {
		return "", tandem.Errorf(tandem.EUNAUTHORIZED, "This account is deactivated.")
	}
	var mfa bool
	if err := tx.QueryRowContext(ctx, `SELECT mfa_enabled FROM users WHERE id = ?`, u.ID).Scan(&mfa); err != nil {
		return "", err
	}
	// Ended sessions are pruned here, where sessions are made, so the table
	// stays the size of the sessions alive.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? OR (mfa_verified = ? AND created_at <= ?)`,
		at(tx.now), at(tx.now.Add(-s.IdleTimeout)), false, at(tx.now.Add(-mfaPendingTimeout))); err != nil {
		return "", err
	}
	plain := secret.New("")
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (user_id, secret_hash, created_at, last_seen_at, expires_at, mfa_verified, source, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		userID, secret.Hash(plain), at(tx.now), at(tx.now), at(tx.now.Add(s.AbsoluteTimeout)), !mfa,
		clip(client.Addr, maxSourceLen), clip(client.UserAgent, maxUserAgentLen)); err != nil {
		return "", err
	}
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role, SourceAddr: client.Addr}
	summary := map[string]any{"email": u.Email}
	if mfa {
		summary["second_factor"] = "pending"
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "session.login", userTarget(u.ID), summary); err != nil {
		return "", err
	}
	return plain, tx.Commit()
}

// sessionRow is a session with what resolving it needs of its user.
type sessionRow struct {
	id, userID                     int64
	createdAt, lastSeen, expires   time.Time
	verified                       bool
	email                          string
	role                           tandem.Role
	orgID                          *int64
	active, mfaEnabled, mustUseMFA bool
}

// mfaRequiredSQL is whether the user u must use MFA: their organisation o
// requires it, or, for provider staff (no organisation), the provider does.
const mfaRequiredSQL = `COALESCE(o.require_mfa, (SELECT p.require_mfa FROM provider p ORDER BY p.id LIMIT 1), FALSE)`

// findSession reads a session by its secret; sql.ErrNoRows when there is none.
func findSession(ctx context.Context, tx *Tx, plain string) (*sessionRow, error) {
	r := &sessionRow{}
	err := tx.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.mfa_verified,
			u.email, u.role, u.organization_id, u.active, u.mfa_enabled, `+mfaRequiredSQL+`
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN organizations o ON o.id = u.organization_id
		WHERE s.secret_hash = ?`, secret.Hash(plain)).
		Scan(&r.id, &r.userID, scanTime(&r.createdAt), scanTime(&r.lastSeen), scanTime(&r.expires), &r.verified,
			&r.email, &r.role, &r.orgID, &r.active, &r.mfaEnabled, &r.mustUseMFA)
	return r, err
}

// alive reports whether a session may still be used at now.
func (s *SessionService) alive(r *sessionRow, now time.Time) bool {
	switch {
	case !r.active, !r.expires.After(now), !r.lastSeen.Add(s.IdleTimeout).After(now):
		return false
	case !r.verified && !r.createdAt.Add(mfaPendingTimeout).After(now):
		return false
	}
	return true
}

func (r *sessionRow) actor() *tandem.Actor {
	a := &tandem.Actor{UserID: r.userID, Email: r.email, Party: tandem.PartyProvider, Role: r.role, SessionID: r.id}
	if r.orgID != nil {
		a.Party, a.OrganizationID = tandem.PartyInternal, *r.orgID
	}
	return a
}

func errSessionEnded() error {
	return tandem.Errorf(tandem.EUNAUTHORIZED, "Your session has ended; log in again.")
}

// ResolveSession implements tandem.SessionService. A valid session's last use
// is moved forward, at most once a minute to spare the writer.
func (s *SessionService) ResolveSession(ctx context.Context, plain string) (*tandem.SessionState, error) {
	if plain == "" || len(plain) > 100 {
		return nil, errSessionEnded()
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, err := findSession(ctx, tx, plain)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionEnded()
	} else if err != nil {
		return nil, err
	}
	if !s.alive(r, tx.now) {
		return nil, errSessionEnded()
	}
	if !r.verified {
		return &tandem.SessionState{AwaitingMFA: true, Email: r.email}, nil
	}
	tx.Rollback()
	if tx.now.Sub(r.lastSeen) > time.Minute {
		if _, err := s.db.execAlone(ctx, s.db.rebind(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`), at(tx.now), r.id); err != nil {
			return nil, err
		}
	}
	return &tandem.SessionState{Actor: r.actor(), MustEnrollMFA: r.mustUseMFA && !r.mfaEnabled}, nil
}

// ActorForSession implements tandem.SessionService.
func (s *SessionService) ActorForSession(ctx context.Context, plain string) (*tandem.Actor, error) {
	state, err := s.ResolveSession(ctx, plain)
	if err != nil {
		return nil, err
	}
	if state.AwaitingMFA {
		return nil, errSessionEnded()
	}
	return state.Actor, nil
}

// VerifyMFA implements tandem.SessionService. The check is fast, so unlike a
// password it runs inside the write transaction that records its outcome.
func (s *SessionService) VerifyMFA(ctx context.Context, plain, code string) (string, error) {
	gone := tandem.Errorf(tandem.EUNAUTHORIZED, "Your login has expired or was ended; log in again.")
	if plain == "" || len(plain) > 100 {
		return "", gone
	}
	client := tandem.ClientFromContext(ctx)
	addr := throttleAddr(client.Addr)
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	r, err := findSession(ctx, tx, plain)
	if errors.Is(err, sql.ErrNoRows) {
		return "", gone
	} else if err != nil {
		return "", err
	}
	if r.verified || !r.mfaEnabled || !s.alive(r, tx.now) {
		return "", gone
	}
	if err := s.Throttle.checkCode(ctx, tx, r.email, addr); err != nil {
		return "", err
	}
	a := r.actor()
	a.SourceAddr = client.Addr
	method, ok, err := checkSecondFactor(ctx, tx, r.userID, code)
	if err != nil {
		return "", err
	}
	if !ok {
		if _, err := s.Throttle.recordFailure(ctx, tx, r.email, addr, failedSecondFactor); err != nil {
			return "", err
		}
		if err := tx.audit(ctx, a, r.orgID, "session.mfa_failed", userTarget(r.userID), map[string]any{"email": r.email}); err != nil {
			return "", err
		}
		if err := tx.Commit(); err != nil {
			return "", err
		}
		return "", tandem.Errorf(tandem.EINVALID, "That code is wrong or was already used. Enter the current code from your authenticator app, or one of your recovery codes.")
	}
	// The session gains its rights under a new secret, so a secret seen
	// before this point (session fixation) is worth nothing.
	next := secret.New("")
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET secret_hash = ?, mfa_verified = ?, last_seen_at = ? WHERE id = ?`,
		secret.Hash(next), true, at(tx.now), r.id); err != nil {
		return "", err
	}
	if err := tx.audit(ctx, a, r.orgID, "session.mfa_verified", userTarget(r.userID), map[string]any{"email": r.email, "method": method}); err != nil {
		return "", err
	}
	return next, tx.Commit()
}

// DeleteSession implements tandem.SessionService.
func (s *SessionService) DeleteSession(ctx context.Context, plain string) error {
	_, err := s.db.execAlone(ctx, s.db.rebind(`DELETE FROM sessions WHERE secret_hash = ?`), secret.Hash(plain))
	return err
}

// FindSessions implements tandem.SessionService.
func (s *SessionService) FindSessions(ctx context.Context) ([]*tandem.Session, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, created_at, last_seen_at, expires_at, source, user_agent, mfa_verified FROM sessions
		WHERE user_id = ? AND expires_at > ? AND last_seen_at > ? ORDER BY id DESC`, a.UserID, at(tx.now), at(tx.now.Add(-s.IdleTimeout)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*tandem.Session{}
	for rows.Next() {
		x := &tandem.Session{}
		var verified bool
		if err := rows.Scan(&x.ID, scanTime(&x.CreatedAt), scanTime(&x.LastSeenAt), scanTime(&x.ExpiresAt), &x.Source, &x.UserAgent, &verified); err != nil {
			return nil, err
		}
		if !verified && !x.CreatedAt.Add(mfaPendingTimeout).After(tx.now) {
			continue
		}
		x.AwaitingMFA, x.Current = !verified, x.ID == a.SessionID
		list = append(list, x)
	}
	return list, rows.Err()
}

// RevokeSession implements tandem.SessionService.
func (s *SessionService) RevokeSession(ctx context.Context, id int64) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if a.ReadOnly {
		return tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, a.UserID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "Session not found; it may have ended already.")
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "session.revoke", userTarget(a.UserID), map[string]any{"session": id, "current": id == a.SessionID}); err != nil {
		return err
	}
	return tx.Commit()
}

// RevokeOtherSessions implements tandem.SessionService.
func (s *SessionService) RevokeOtherSessions(ctx context.Context) (int, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return 0, err
	}
	if a.ReadOnly {
		return 0, tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := deleteSessions(ctx, tx, a.UserID, a.SessionID)
	if err != nil || n == 0 {
		return 0, err
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "session.revoke_others", userTarget(a.UserID), map[string]any{"sessions": n}); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// RevokeUserSessions implements tandem.SessionService.
func (s *SessionService) RevokeUserSessions(ctx context.Context, userID int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, a, userID)
	if err != nil {
		return err
	}
	if err := a.CanManageUser(u); err != nil {
		return err
	}
	n, err := deleteSessions(ctx, tx, u.ID, 0)
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "session.revoke_all", userTarget(u.ID), map[string]any{"email": u.Email, "sessions": n}); err != nil {
		return err
	}
	return tx.Commit()
}

// deleteSessions ends every session of a user except keep (zero keeps none)
// and returns how many ended.
func deleteSessions(ctx context.Context, tx *Tx, userID, keep int64) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
