package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// TokenPrefix starts every API token so leaked tokens are easy to recognise
// (and to find with secret scanners).
const TokenPrefix = "tdm_"

// TokenService implements tandem.TokenService.
type TokenService struct{ db *DB }

// NewTokenService returns the token service on db.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

var _ tandem.TokenService = (*TokenService)(nil)

// CreateToken implements tandem.TokenService.
func (s *TokenService) CreateToken(ctx context.Context, userID int64, name string, expiresAt *time.Time) (*tandem.Token, string, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api"
	}
	if len(name) > 100 {
		return nil, "", tandem.Errorf(tandem.EINVALID, "Token name is longer than 100 characters; shorten it.")
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, a, userID)
	if err != nil {
		return nil, "", err
	}
	if err := a.CanCreateTokenFor(u.ID); err != nil {
		return nil, "", err
	}
	if !u.Active {
		return nil, "", tandem.Errorf(tandem.EINVALID, "User %s is deactivated; activate them before issuing a token.", u.Email)
	}
	if expiresAt != nil && !expiresAt.After(tx.now) {
		return nil, "", tandem.Errorf(tandem.EINVALID, "Token expiry %s is in the past; choose a future time.", expiresAt.Format(time.RFC3339))
	}
	plain := secret.New(TokenPrefix)
	t := &tandem.Token{UserID: u.ID, Name: name, CreatedAt: tx.now, ExpiresAt: expiresAt}
	t.ID, err = tx.insert(ctx, `INSERT INTO api_tokens (user_id, name, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, name, secret.Hash(plain), at(t.CreatedAt), atPtr(expiresAt))
	if err != nil {
		return nil, "", err
	}
	summary := map[string]any{"user": u.Email, "name": name}
	if expiresAt != nil {
		summary["expires_at"] = expiresAt.UTC().Format(time.RFC3339)
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "token.create", "token:"+strconv.FormatInt(t.ID, 10), summary); err != nil {
		return nil, "", err
	}
	return t, plain, tx.Commit()
}

// ActorForToken implements tandem.TokenService.
func (s *TokenService) ActorForToken(ctx context.Context, plain string) (*tandem.Actor, error) {
	fail := tandem.Errorf(tandem.EUNAUTHORIZED, "The API token is invalid or expired; create a new one with tandem token create.")
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 200 {
		return nil, fail
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var userID int64
	var expires *time.Time
	err = tx.QueryRowContext(ctx, `SELECT user_id, expires_at FROM api_tokens WHERE secret_hash = ?`, secret.Hash(plain)).Scan(&userID, scanTimePtr(&expires))
	if err != nil {
		if tandem.ErrorCode(notFound(err, "token")) == tandem.ENOTFOUND {
			return nil, fail
		}
		return nil, err
	}
	if expires != nil && !expires.After(tx.now) {
		return nil, fail
	}
	return actorForUser(ctx, tx, userID, fail)
}

// actorForUser builds the actor of an active user, or returns fail.
func actorForUser(ctx context.Context, tx *Tx, userID int64, fail error) (*tandem.Actor, error) {
	u, err := findUserByID(ctx, tx, tandem.SystemActor, userID)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, fail
	} else if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, fail
	}
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return a, nil
}
