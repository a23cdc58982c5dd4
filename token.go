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
}

// TokenService issues API tokens and resolves them to actors.
type TokenService interface {
	// CreateToken issues a token for a user and returns it with its secret.
	// Users may create tokens for themselves; provider admins and the system
	// for anyone in scope.
	CreateToken(ctx context.Context, userID int64, name string, expiresAt *time.Time) (*Token, string, error)
	// ActorForToken resolves a token secret to the actor of its user, or
	// EUNAUTHORIZED when the token is unknown, expired or its user inactive.
	ActorForToken(ctx context.Context, secret string) (*Actor, error)
}

// SessionService keeps browser sessions on the server.
type SessionService interface {
	// CreateSession starts a session for a user and returns its secret.
	CreateSession(ctx context.Context, userID int64) (string, error)
	// ActorForSession resolves a session secret, or EUNAUTHORIZED.
	ActorForSession(ctx context.Context, secret string) (*Actor, error)
	// DeleteSession ends a session; unknown secrets are ignored.
	DeleteSession(ctx context.Context, secret string) error
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
