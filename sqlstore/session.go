package sqlstore

import (
	"context"
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
}

// NewSessionService returns the session service on db with 30 minutes idle
// and 12 hours absolute timeouts.
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db, IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}
}

var _ tandem.SessionService = (*SessionService)(nil)

// CreateSession implements tandem.SessionService.
func (s *SessionService) CreateSession(ctx context.Context, userID int64) (string, error) {
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
	plain := secret.New("")
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (user_id, secret_hash, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		userID, secret.Hash(plain), at(tx.now), at(tx.now), at(tx.now.Add(s.AbsoluteTimeout))); err != nil {
		return "", err
	}
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if err := tx.audit(ctx, a, u.OrganizationID, "session.login", userTarget(u.ID), map[string]any{"email": u.Email}); err != nil {
		return "", err
	}
	return plain, tx.Commit()
}

// ActorForSession implements tandem.SessionService. A valid session's last use
// is moved forward, at most once a minute to spare the writer.
func (s *SessionService) ActorForSession(ctx context.Context, plain string) (*tandem.Actor, error) {
	fail := tandem.Errorf(tandem.EUNAUTHORIZED, "Your session has ended; log in again.")
	if plain == "" || len(plain) > 100 {
		return nil, fail
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id, userID int64
	var lastSeen, expires time.Time
	err = tx.QueryRowContext(ctx, `SELECT id, user_id, last_seen_at, expires_at FROM sessions WHERE secret_hash = ?`, secret.Hash(plain)).
		Scan(&id, &userID, scanTime(&lastSeen), scanTime(&expires))
	if err != nil {
		if tandem.ErrorCode(notFound(err, "session")) == tandem.ENOTFOUND {
			return nil, fail
		}
		return nil, err
	}
	if !expires.After(tx.now) || !lastSeen.Add(s.IdleTimeout).After(tx.now) {
		return nil, fail
	}
	a, err := actorForUser(ctx, tx, userID, fail)
	if err != nil {
		return nil, err
	}
	tx.Rollback()
	if tx.now.Sub(lastSeen) > time.Minute {
		if _, err := s.db.write.ExecContext(ctx, s.db.rebind(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`), at(tx.now), id); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// DeleteSession implements tandem.SessionService.
func (s *SessionService) DeleteSession(ctx context.Context, plain string) error {
	_, err := s.db.write.ExecContext(ctx, s.db.rebind(`DELETE FROM sessions WHERE secret_hash = ?`), secret.Hash(plain))
	return err
}
