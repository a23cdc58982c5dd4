package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// SetupService implements tandem.SetupService.
type SetupService struct {
	db    *DB
	users *UserService
}

// NewSetupService returns the setup service on db.
func NewSetupService(db *DB, users *UserService) *SetupService {
	return &SetupService{db: db, users: users}
}

var _ tandem.SetupService = (*SetupService)(nil)

// EnsureProvider implements tandem.SetupService.
func (s *SetupService) EnsureProvider(ctx context.Context, name string) (*tandem.Provider, error) {
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p := &tandem.Provider{}
	err = tx.QueryRowContext(ctx, `SELECT id, name, created_at FROM provider ORDER BY id LIMIT 1`).Scan(&p.ID, &p.Name, scanTime(&p.CreatedAt))
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	p.Name, p.CreatedAt = strings.TrimSpace(name), tx.now
	if p.Name == "" {
		return nil, tandem.Errorf(tandem.EINVALID, "Provider name is required.")
	}
	if p.ID, err = tx.insert(ctx, `INSERT INTO provider (name, created_at) VALUES (?, ?)`, p.Name, at(p.CreatedAt)); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, tandem.SystemActor, nil, "provider.create", "provider", map[string]any{"name": p.Name}); err != nil {
		return nil, err
	}
	return p, tx.Commit()
}

// NeedsSetup implements tandem.SetupService.
func (s *SetupService) NeedsSetup(ctx context.Context) (bool, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT COUNT(*) FROM users WHERE organization_id IS NULL AND role = ? AND active = ?`), tandem.RoleAdmin, true).Scan(&n)
	return n == 0, err
}

// CreateSetupToken implements tandem.SetupService.
func (s *SetupService) CreateSetupToken(ctx context.Context, ttl time.Duration) (string, error) {
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	plain := secret.New("")
	if _, err := tx.ExecContext(ctx, `INSERT INTO setup_tokens (secret_hash, created_at, expires_at) VALUES (?, ?, ?)`,
		secret.Hash(plain), at(tx.now), at(tx.now.Add(ttl))); err != nil {
		return "", err
	}
	if err := tx.audit(ctx, tandem.SystemActor, nil, "setup.link", "provider", map[string]any{"expires_at": tx.now.Add(ttl).Format(time.RFC3339)}); err != nil {
		return "", err
	}
	return plain, tx.Commit()
}

// CheckSetupToken implements tandem.SetupService.
func (s *SetupService) CheckSetupToken(ctx context.Context, plain string) error {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = validSetupToken(ctx, tx, plain)
	return err
}

func validSetupToken(ctx context.Context, tx *Tx, plain string) (int64, error) {
	var id int64
	var expires time.Time
	var used *time.Time
	err := tx.QueryRowContext(ctx, `SELECT id, expires_at, used_at FROM setup_tokens WHERE secret_hash = ?`, secret.Hash(plain)).
		Scan(&id, scanTime(&expires), scanTimePtr(&used))
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used != nil || !expires.After(tx.now)) {
		return 0, errSetupLink()
	}
	if err != nil {
		return 0, err
	}
	// A link only brings an installation to its first admin: once one is
	// active, every outstanding link is spent.
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE organization_id IS NULL AND role = ? AND active = ?`, tandem.RoleAdmin, true).Scan(&admins); err != nil {
		return 0, err
	}
	if admins > 0 {
		return 0, errSetupLink()
	}
	return id, nil
}

func errSetupLink() error {
	return tandem.Errorf(tandem.ENOTFOUND, "This setup link is invalid, used or expired. Restart tandem serve to print a new one, or create an admin with tandem user add.")
}

// spendSetupTokens marks every unused setup link used in one statement and
// returns their ids. On PostgreSQL a concurrent completion waits for the rows
// this one locks, then finds them spent and gets none back, so any number of
// links racing yields one admin.
func spendSetupTokens(ctx context.Context, tx *Tx) ([]int64, error) {
	return tx.queryIDs(ctx, `UPDATE setup_tokens SET used_at = ? WHERE used_at IS NULL RETURNING id`, at(tx.now))
}

// CompleteSetup implements tandem.SetupService.
func (s *SetupService) CompleteSetup(ctx context.Context, plain string, u *tandem.User, password string) error {
	u.OrganizationID, u.Organizations, u.Role = nil, nil, tandem.RoleAdmin
	if err := u.Validate(); err != nil {
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
	id, err := validSetupToken(ctx, tx, plain)
	if err != nil {
		return err
	}
	spent, err := spendSetupTokens(ctx, tx)
	if err != nil {
		return err
	}
	if !slices.Contains(spent, id) {
		return errSetupLink() // a concurrent completion spent it first
	}
	if err := createUser(ctx, tx, u, hash); err != nil {
		return err
	}
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: tandem.PartyProvider, Role: tandem.RoleAdmin}
	if err := tx.audit(ctx, a, nil, "setup.complete", userTarget(u.ID), map[string]any{"email": u.Email, "role": u.Role}); err != nil {
		return err
	}
	return tx.Commit()
}
