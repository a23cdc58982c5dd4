package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// SessionAlive reports whether a session is still signed in (nil) or has
// ended (EUNAUTHORIZED), without counting as its use: a tab left open on
// the bell's event stream must not keep an idle session alive, so the
// stream checks with this rather than ResolveSession.
func (s *SessionService) SessionAlive(ctx context.Context, plain string) error {
	if plain == "" || len(plain) > 100 {
		return errSessionEnded()
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	r, err := findSession(ctx, tx, plain)
	if errors.Is(err, sql.ErrNoRows) {
		return errSessionEnded()
	} else if err != nil {
		return err
	}
	if !s.alive(r, tx.now) || !r.verified {
		return errSessionEnded()
	}
	return nil
}
