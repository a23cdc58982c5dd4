package tandem

import (
	"context"
	"time"
)

// Session lifetimes by default (OWASP ASVS 3.3.1, 3.3.2): a session unused for
// the idle timeout ends, and so does any session at its maximum age, however
// busy. `tandem serve` can change both.
const (
	DefaultSessionIdleTimeout = 30 * time.Minute
	DefaultSessionMaxAge      = 12 * time.Hour
)

// Client is where a request comes from. The HTTP layer puts it in the
// context of the requests that start or complete a login, before any actor
// exists: the login throttle counts failures per address, the audit trail
// records the address, and a session keeps both to show its user.
type Client struct {
	// Addr is the network address of the peer.
	Addr string
	// UserAgent is the browser's User-Agent header.
	UserAgent string
}

type clientKey struct{}

// NewContextWithClient returns a copy of ctx carrying c.
func NewContextWithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFromContext returns the client in ctx, or the zero Client.
func ClientFromContext(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Session is a browser session as its user sees it in their list.
type Session struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Source and UserAgent describe the client that logged in.
	Source    string `json:"source"`
	UserAgent string `json:"user_agent"`
	// AwaitingMFA marks a session whose password was right but whose second
	// factor has not been given yet; it acts for nobody.
	AwaitingMFA bool `json:"awaiting_mfa"`
	// Current marks the session the list was asked for through.
	Current bool `json:"current"`
}

// SessionState is what a session secret resolves to.
type SessionState struct {
	// Actor is the signed-in user, with SessionID set; nil while AwaitingMFA.
	Actor *Actor
	// AwaitingMFA: the password was right and the session waits for a TOTP
	// or recovery code (SessionService.VerifyMFA). Email names the account
	// for the prompt.
	AwaitingMFA bool
	Email       string
	// MustEnrollMFA: the user's organisation, or the provider for its staff,
	// requires MFA and the user has not set it up; the web interface lets them
	// reach nothing but the set-up page.
	MustEnrollMFA bool
}

// SessionService keeps browser sessions on the server.
type SessionService interface {
	// CreateSession starts a session for a user whose password was just
	// checked (UserService.Authenticate) or who just completed setup, and
	// returns its secret. The client in ctx is recorded with it. A user with
	// MFA gets a session awaiting the second factor. ENOTFOUND for an
	// unknown user, EUNAUTHORIZED for a deactivated one.
	CreateSession(ctx context.Context, userID int64) (string, error)
	// ResolveSession returns the state of a session, or EUNAUTHORIZED when it
	// is unknown, idle too long, past its maximum age, awaiting its second
	// factor for too long, or its user is deactivated.
	ResolveSession(ctx context.Context, secret string) (*SessionState, error)
	// ActorForSession resolves a fully signed-in session: ResolveSession,
	// with a session awaiting its second factor also EUNAUTHORIZED.
	ActorForSession(ctx context.Context, secret string) (*Actor, error)
	// VerifyMFA completes a login awaiting its second factor with a TOTP
	// code or a recovery code, and returns the session's new secret: the
	// secret changes as the session gains rights. EINVALID for a wrong code,
	// EUNAUTHORIZED when the session is not awaiting a code (or waited longer
	// than ten minutes), ETOOMANY when the account or address is throttled
	// (the code is then not checked): wrong codes count as failed logins,
	// and against SecondFactorFailuresPerAccount too.
	VerifyMFA(ctx context.Context, secret, code string) (string, error)
	// DeleteSession ends a session (logging out); unknown secrets are ignored.
	DeleteSession(ctx context.Context, secret string) error
	// FindSessions lists the actor's own sessions, newest first, marking the
	// one the actor acts through.
	FindSessions(ctx context.Context) ([]*Session, error)
	// RevokeSession ends one of the actor's own sessions; ENOTFOUND for any other.
	RevokeSession(ctx context.Context, id int64) error
	// RevokeOtherSessions ends every session of the actor's but the one it
	// acts through, and returns how many ended.
	RevokeOtherSessions(ctx context.Context) (int, error)
	// RevokeUserSessions ends every session of a user, for admins: ENOTFOUND
	// outside the actor's scope, EFORBIDDEN unless the actor may manage the
	// user (Actor.CanManageUser).
	RevokeUserSessions(ctx context.Context, userID int64) error
}
