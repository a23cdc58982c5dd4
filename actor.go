package tandem

import (
	"context"
	"time"
)

// PartyKind names one of the two parties of a co-managed organisation.
type PartyKind string

// The two parties: the organisation's own IT team and the managed service provider.
const (
	PartyInternal PartyKind = "internal"
	PartyProvider PartyKind = "provider"
)

// Role is what a user may do within their party.
type Role string

// Provider roles.
const (
	RoleAdmin      Role = "admin"
	RoleTechnician Role = "technician"
)

// Internal (organisation) roles.
const (
	RoleITAdmin      Role = "it-admin"
	RoleITTechnician Role = "it-technician"
	RoleRequester    Role = "requester"
)

// RoleViewer exists in both parties: read-only access to what the party sees.
const RoleViewer Role = "viewer"

// ProviderRoles and InternalRoles list the roles valid in each party, most
// powerful first.
var (
	ProviderRoles = []Role{RoleAdmin, RoleTechnician, RoleViewer}
	InternalRoles = []Role{RoleITAdmin, RoleITTechnician, RoleViewer, RoleRequester}
)

// ValidRole reports whether role exists in the given party.
func ValidRole(party PartyKind, role Role) bool {
	list := InternalRoles
	if party == PartyProvider {
		list = ProviderRoles
	}
	for _, r := range list {
		if r == role {
			return true
		}
	}
	return false
}

// Actor is who is calling a service: a user, their party and role, and the
// organisations they may see. It travels in the context; every service method
// reads it before touching storage.
type Actor struct {
	UserID int64
	Email  string
	Party  PartyKind
	Role   Role
	// OrganizationID is the organisation an internal user belongs to; zero for
	// provider users.
	OrganizationID int64
	// System marks the command line and start-up code working on the data
	// directory directly: it may see and change everything.
	System bool
	// ReadOnly marks an actor acting through a read-only credential.
	ReadOnly bool
	// OnlyOrganizationID, when not zero, narrows the actor's scope to one
	// organisation: an API token restricted to it. It never widens the scope.
	OnlyOrganizationID int64
	// TokenID is the API token the actor acts through; zero otherwise.
	TokenID int64
	// CredentialExpiresAt is when the token the actor acts through expires;
	// tokens it creates may not outlive it.
	CredentialExpiresAt *time.Time
	// SourceAddr is the network address the request came from, for the audit trail.
	SourceAddr string
	// SessionID is the browser session the actor acts through; zero for API
	// tokens and the system. Changing one's own password or second factor
	// needs a session.
	SessionID int64
}

// SystemActor is the actor of the admin command line and of start-up tasks.
var SystemActor = &Actor{System: true, Party: PartyProvider, Role: RoleAdmin}

// SeesAllOrganizations reports whether the actor's scope is every organisation:
// the system and provider admins.
func (a *Actor) SeesAllOrganizations() bool {
	return a.System || (a.Party == PartyProvider && a.Role == RoleAdmin)
}

// IsProviderAdmin reports whether the actor administers the whole installation.
func (a *Actor) IsProviderAdmin() bool {
	return a.SeesAllOrganizations()
}

type actorKey struct{}

// NewContextWithActor returns a copy of ctx carrying actor.
func NewContextWithActor(ctx context.Context, actor *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor in ctx, or nil when there is none.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// RequireActor returns the actor in ctx or an EUNAUTHORIZED error.
func RequireActor(ctx context.Context) (*Actor, error) {
	a := ActorFromContext(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHORIZED, "Authentication required.")
	}
	return a, nil
}
