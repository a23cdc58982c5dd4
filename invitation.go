package tandem

import (
	"context"
	"time"
)

// Invitation is a single-use link that lets a person create their own account
// with an email address, role and organisation chosen by whoever invited them.
// Only a hash of its secret is stored; the link is shown once, when the
// invitation is created.
type Invitation struct {
	ID    int64     `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Party PartyKind `json:"party"`
	Role  Role      `json:"role"`
	// OrganizationID is the organisation of an invited internal user; nil
	// invites provider staff.
	OrganizationID *int64 `json:"organization_id"`
	// OrganizationName names that organisation, for the person invited.
	OrganizationName string `json:"organization_name,omitempty"`
	// InvitedBy is the user who sent the invitation; nil when the system did.
	InvitedBy  *int64     `json:"invited_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Status is derived: pending, accepted, revoked or expired.
	Status InvitationStatus `json:"status"`
}

// InvitationStatus says where an invitation stands.
type InvitationStatus string

// The states of an invitation. Only a pending one can be accepted or revoked.
const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationRevoked  InvitationStatus = "revoked"
	InvitationExpired  InvitationStatus = "expired"
)

// Invitation lifetimes: the default when the caller names none, and the
// longest allowed, so a forgotten link does not stay a way in for long.
const (
	DefaultInvitationTTL = 7 * 24 * time.Hour
	MaxInvitationTTL     = 30 * 24 * time.Hour
)

// StatusAt returns the invitation's status at a given time.
func (inv *Invitation) StatusAt(now time.Time) InvitationStatus {
	switch {
	case inv.AcceptedAt != nil:
		return InvitationAccepted
	case inv.RevokedAt != nil:
		return InvitationRevoked
	case !inv.ExpiresAt.After(now):
		return InvitationExpired
	}
	return InvitationPending
}

// User returns the user the invitation would create, for validation and
// permission checks.
func (inv *Invitation) User() *User {
	return &User{Email: inv.Email, Name: inv.Name, Role: inv.Role, OrganizationID: inv.OrganizationID}
}

// InvitationFilter selects invitations; the actor's scope always applies.
type InvitationFilter struct {
	ID             *int64
	OrganizationID *int64
	Party          *PartyKind
	// Pending keeps only invitations that can still be accepted.
	Pending bool
	Limit   int
	Cursor  string
}

// InvitationService invites people to create their own accounts. Inviting
// someone is creating that user: the same rights apply (Actor.CanManageUser).
type InvitationService interface {
	// CreateInvitation stores inv and returns its one-time secret, the last
	// part of the link /invite/{secret}. A zero ExpiresAt means
	// DefaultInvitationTTL from now. EINVALID for bad fields, an expiry in the
	// past or beyond MaxInvitationTTL, or an organisation outside the actor's
	// scope; EFORBIDDEN when the actor may not create that user; ECONFLICT when
	// the email already has an account or a pending invitation there.
	CreateInvitation(ctx context.Context, inv *Invitation) (string, error)
	// FindInvitationByID returns ENOTFOUND when the invitation does not exist
	// or the actor may not see it.
	FindInvitationByID(ctx context.Context, id int64) (*Invitation, error)
	// FindInvitations returns one page of the invitations the actor may see:
	// provider admins every one (provider staff invitations only they see),
	// an organisation's it-admins their organisation's.
	FindInvitations(ctx context.Context, filter InvitationFilter) ([]*Invitation, string, error)
	// RevokeInvitation makes a pending invitation unusable. ENOTFOUND outside
	// scope, EFORBIDDEN without the right to create that user, EINVALID when
	// it was already accepted. Revoking twice is not an error.
	RevokeInvitation(ctx context.Context, id int64) error
	// CheckInvitation returns the pending invitation a secret belongs to, or
	// ENOTFOUND when it is unknown, used, revoked or expired. It needs no actor.
	CheckInvitation(ctx context.Context, secret string) (*Invitation, error)
	// AcceptInvitation creates the invited user with the given name and
	// password and spends the invitation, in one transaction. It needs no
	// actor. ENOTFOUND as CheckInvitation, EINVALID for a bad name or
	// password, ECONFLICT when the email has meanwhile got an account.
	AcceptInvitation(ctx context.Context, secret, name, password string) (*User, error)
}
