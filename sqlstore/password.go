package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// ChangePassword implements tandem.UserService. Like a login, the attempt
// counts as a failure before the slow check of the current password and is
// forgiven when it was right, so a stolen session cannot be used to guess the
// password faster than the login form allows.
func (s *UserService) ChangePassword(ctx context.Context, current, next string) error {
	a, err := sessionActor(ctx)
	if err != nil {
		return err
	}
	if err := tandem.ValidatePassword(next); err != nil {
		return err
	}
	if next == current {
		return tandem.Errorf(tandem.EINVALID, "The new password is the same as the current one; choose another.")
	}
	addr := throttleAddr(a.SourceAddr)
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.Throttle.check(ctx, tx, a.Email, addr); err != nil {
		return err
	}
	failure, err := s.Throttle.recordFailure(ctx, tx, a.Email, addr, failedPassword)
	if err != nil {
		return err
	}
	var hash string
	if err := tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, a.UserID).Scan(&hash); err != nil {
		return notFound(err, "User")
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	ok, err := secret.VerifyPassword(hash, current)
	if err != nil {
		return err
	}
	var newHash string
	if ok {
		if newHash, err = secret.HashPassword(next, s.PasswordParams); err != nil {
			return err
		}
	}

	tx, err = s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if !ok {
		// A wrong current password through a live session may be someone
		// else at the keyboard: worth a trace.
		if err := tx.audit(ctx, a, actorOrganization(a), "user.password_change_failed", userTarget(a.UserID), map[string]any{"email": a.Email}); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return tandem.Errorf(tandem.EINVALID, "The current password is wrong.")
	}
	if err := forgiveFailure(ctx, tx, failure); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`,
		newHash, at(tx.now), at(tx.now), a.UserID); err != nil {
		return err
	}
	// Whoever else holds a session of this account — perhaps the reason for
	// the change — is signed out; the session making the change stays.
	ended, err := deleteSessions(ctx, tx, a.UserID, a.SessionID)
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "user.password_change", userTarget(a.UserID), map[string]any{"email": a.Email, "sessions_ended": ended}); err != nil {
		return err
	}
	return tx.Commit()
}
