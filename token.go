package tandem

import (
	"context"
	"time"
)

// Token is an API credential. Only a hash of its secret is stored; the secret
// is shown once, when the token is created.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// ReadOnly tokens may read what their user reads and change nothing.
	ReadOnly bool `json:"read_only"`
	// OrganizationID, when set, restricts the token to one organisation of
	// its user's scope.
	OrganizationID *int64 `json:"organization_id"`
}

// TokenOptions are the settings of a new token. The zero value is a
// read-write token named "api" without expiry or organisation restriction.
type TokenOptions struct {
	Name      string
	ExpiresAt *time.Time
	ReadOnly  bool
	// OrganizationID restricts the token to one organisation, which must be
	// in the scope of both the token's user and the actor creating it.
	OrganizationID *int64
}

// TokenService issues API tokens and resolves them to actors.
type TokenService interface {
	// CreateToken issues a token for a user and returns it with its secret.
	// Users may create tokens for themselves; provider admins and the system
	// for anyone in scope (EFORBIDDEN otherwise, and always through a
	// read-only credential). A token never reaches further than the actor
	// creating it: one created through an organisation-restricted credential
	// is restricted to the same organisation. EINVALID for a bad name, an
	// expiry in the past or an organisation outside the user's scope.
	CreateToken(ctx context.Context, userID int64, opts TokenOptions) (*Token, string, error)
	// ActorForToken resolves a token secret to the actor of its user, with the
	// token's read-only flag and organisation restriction, or EUNAUTHORIZED
	// when the token is unknown, expired or its user inactive.
	ActorForToken(ctx context.Context, secret string) (*Actor, error)
	// ListTokens returns a user's tokens, newest first, without secrets: the
	// actor's own, or anyone's in scope for provider admins (EFORBIDDEN
	// otherwise).
	ListTokens(ctx context.Context, userID int64) ([]*Token, error)
	// RevokeToken deletes a token under the rules of CreateToken; ENOTFOUND
	// when it does not exist or its user is outside the actor's scope.
	RevokeToken(ctx context.Context, id int64) error
}

// SetupService brings an empty installation to its first provider admin.
type SetupService interface {
	// EnsureProvider returns the provider, creating it with name when there is none.
	EnsureProvider(ctx context.Context, name string) (*Provider, error)
	// NeedsSetup reports whether no active provider admin exists yet.
	NeedsSetup(ctx context.Context) (bool, error)
	// CreateSetupToken returns the secret of a one-time setup link valid for ttl.
	CreateSetupToken(ctx context.Context, ttl time.Duration) (string, error)
	// CheckSetupToken returns ENOTFOUND unless secret is an unused, unexpired setup token.
	CheckSetupToken(ctx context.Context, secret string) error
	// CompleteSetup uses a setup token to create the first provider admin.
	CompleteSetup(ctx context.Context, secret string, user *User, password string) error
}
