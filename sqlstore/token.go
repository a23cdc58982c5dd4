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
func (s *TokenService) CreateToken(ctx context.Context, userID int64, opts tandem.TokenOptions) (*tandem.Token, string, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	name := strings.TrimSpace(opts.Name)
	if name == "" {
		name = "api"
	}
	if len(name) > 100 {
		return nil, "", tandem.Errorf(tandem.EINVALID, "Token name is longer than 100 characters; shorten it.")
	}
	if until := a.CredentialExpiresAt; until != nil {
		// A token made with a token never outlives it: it inherits the
		// expiry, and may only shorten it.
		if opts.ExpiresAt == nil {
			opts.ExpiresAt = until
		} else if opts.ExpiresAt.After(*until) {
			return nil, "", tandem.Errorf(tandem.EINVALID, "A token cannot outlive the token creating it: choose an expiry before %s.", until.UTC().Format(time.RFC3339))
		}
	}
	orgID := opts.OrganizationID
	if orgID == nil && a.OnlyOrganizationID != 0 {
		// A restricted credential only issues tokens as narrow as itself.
		only := a.OnlyOrganizationID
		orgID = &only
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
	if opts.ExpiresAt != nil && !opts.ExpiresAt.After(tx.now) {
		return nil, "", tandem.Errorf(tandem.EINVALID, "Token expiry %s is in the past; choose a future time.", opts.ExpiresAt.Format(time.RFC3339))
	}
	if orgID != nil {
		if err := checkTokenOrganization(ctx, tx, a, u, *orgID); err != nil {
			return nil, "", err
		}
	}
	plain := secret.New(TokenPrefix)
	t := &tandem.Token{UserID: u.ID, Name: name, CreatedAt: tx.now, ExpiresAt: opts.ExpiresAt, ReadOnly: opts.ReadOnly, OrganizationID: orgID}
	var parent *int64
	if a.TokenID != 0 {
		parent = &a.TokenID
	}
	t.ID, err = tx.insert(ctx, `INSERT INTO api_tokens (user_id, name, secret_hash, created_at, expires_at, read_only, organization_id, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, name, secret.Hash(plain), at(t.CreatedAt), atPtr(t.ExpiresAt), t.ReadOnly, t.OrganizationID, parent)
	if err != nil {
		return nil, "", err
	}
	summary := map[string]any{"user": u.Email, "name": name, "read_only": t.ReadOnly}
	if t.ExpiresAt != nil {
		summary["expires_at"] = t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if t.OrganizationID != nil {
		summary["organization_id"] = *t.OrganizationID
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "token.create", tokenTarget(t.ID), summary); err != nil {
		return nil, "", err
	}
	return t, plain, tx.Commit()
}

// checkTokenOrganization makes sure a token's organisation restriction lies
// in the scope of the actor issuing it and of the user it acts as: a
// restriction only ever narrows.
func checkTokenOrganization(ctx context.Context, tx *Tx, a *tandem.Actor, u *tandem.User, orgID int64) error {
	list, _, err := findOrganizations(ctx, tx, a, tandem.OrganizationFilter{ID: &orgID, Limit: 1})
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return tandem.Errorf(tandem.EINVALID, "Organisation %d does not exist; list organisations to find its id.", orgID)
	}
	if list, _, err = findOrganizations(ctx, tx, userActor(u), tandem.OrganizationFilter{ID: &orgID, Limit: 1}); err != nil {
		return err
	}
	if len(list) == 0 {
		return tandem.Errorf(tandem.EINVALID, "%s cannot see organisation %d, so a token acting as them cannot be restricted to it; choose one of their organisations.", u.Email, orgID)
	}
	return nil
}

// ActorForToken implements tandem.TokenService. A token's last use is moved
// forward at most once a minute, to spare the writer.
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
	var id, userID int64
	var expires, lastUsed *time.Time
	var readOnly bool
	var orgID *int64
	err = tx.QueryRowContext(ctx, `SELECT id, user_id, expires_at, last_used_at, read_only, organization_id FROM api_tokens WHERE secret_hash = ?`, secret.Hash(plain)).
		Scan(&id, &userID, scanTimePtr(&expires), scanTimePtr(&lastUsed), &readOnly, &orgID)
	if err != nil {
		if tandem.ErrorCode(notFound(err, "token")) == tandem.ENOTFOUND {
			return nil, fail
		}
		return nil, err
	}
	if expires != nil && !expires.After(tx.now) {
		return nil, fail
	}
	a, err := actorForUser(ctx, tx, userID, fail)
	if err != nil {
		return nil, err
	}
	a.ReadOnly, a.CredentialExpiresAt, a.TokenID = readOnly, expires, id
	if orgID != nil {
		a.OnlyOrganizationID = *orgID
	}
	tx.Rollback()
	if lastUsed == nil || tx.now.Sub(*lastUsed) > time.Minute {
		if _, err := s.db.execAlone(ctx, s.db.rebind(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), at(tx.now), id); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ListTokens implements tandem.TokenService.
func (s *TokenService) ListTokens(ctx context.Context, userID int64) ([]*tandem.Token, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, a, userID)
	if err != nil {
		return nil, err
	}
	if u.ID != a.UserID && !a.IsProviderAdmin() {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Only provider admins see other users' tokens.")
	}
	return findTokens(ctx, tx, a, "t.user_id = ?", u.ID)
}

// RevokeToken implements tandem.TokenService.
func (s *TokenService) RevokeToken(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	list, err := findTokens(ctx, tx, a, "t.id = ?", id)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "Token not found.")
	}
	t := list[0]
	// Other users' tokens exist only for those who may list them.
	if t.UserID != a.UserID && !a.IsProviderAdmin() {
		return tandem.Errorf(tandem.ENOTFOUND, "Token not found.")
	}
	u, err := findUserByID(ctx, tx, a, t.UserID)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return tandem.Errorf(tandem.ENOTFOUND, "Token not found.")
	} else if err != nil {
		return err
	}
	if err := a.CanCreateTokenFor(u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, t.ID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "token.revoke", tokenTarget(t.ID), map[string]any{"user": u.Email, "name": t.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

func tokenTarget(id int64) string { return "token:" + strconv.FormatInt(id, 10) }

// findTokens returns the tokens matching cond, newest first. A credential
// restricted to one organisation sees only tokens restricted to the same.
// Callers check that the tokens' user is in scope.
func findTokens(ctx context.Context, tx *Tx, a *tandem.Actor, cond string, args ...any) ([]*tandem.Token, error) {
	if a.OnlyOrganizationID != 0 {
		cond, args = cond+" AND t.organization_id = ?", append(args, a.OnlyOrganizationID)
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.read_only, t.organization_id
		FROM api_tokens t WHERE `+cond+` ORDER BY t.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*tandem.Token
	for rows.Next() {
		t := &tandem.Token{}
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, scanTime(&t.CreatedAt), scanTimePtr(&t.ExpiresAt), scanTimePtr(&t.LastUsedAt), &t.ReadOnly, &t.OrganizationID); err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	return list, rows.Err()
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
	return userActor(u), nil
}

// userActor returns the actor a user acts as through a full credential.
func userActor(u *tandem.User) *tandem.Actor {
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return a
}
