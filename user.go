package tandem

import (
	"context"
	"strings"
	"time"

	"github.com/tandemhq/tandem/internal/commonpw"
)

// User is a person who logs in. A user belongs either to the provider
// (OrganizationID zero) or to exactly one organisation's internal team.
type User struct {
	ID    int64     `json:"id"`
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Party PartyKind `json:"party"`
	Role  Role      `json:"role"`
	// OrganizationID is the organisation of an internal user; nil for provider users.
	OrganizationID *int64 `json:"organization_id"`
	// Organizations lists the organisations a provider technician or viewer is
	// assigned to. Provider admins see every organisation; internal users their own.
	Organizations []int64 `json:"assigned_organizations,omitempty"`
	Active        bool    `json:"active"`
	// MFAEnabled says the user signs in with a second factor.
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// UserFilter selects users; the actor's scope always applies.
type UserFilter struct {
	ID             *int64
	OrganizationID *int64
	Party          *PartyKind
	Email          *string
	Limit          int
	Cursor         string
}

// UserUpdate holds the fields an update may change; nil leaves a field as it is.
type UserUpdate struct {
	Name          *string  `json:"name"`
	Role          *Role    `json:"role"`
	Active        *bool    `json:"active"`
	Organizations *[]int64 `json:"assigned_organizations"`
}

// UserService manages users, their passwords and provider assignments.
type UserService interface {
	// FindUserByID returns ENOTFOUND when the user does not exist or lies
	// outside the actor's scope.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUserByEmail is FindUserByID by email address.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers returns one page of users in scope and the next cursor.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, string, error)
	// CreateUser stores a user with the given password. Provider admins may
	// create anyone; an organisation's it-admin may create users of that
	// organisation with a role no higher than their own (EFORBIDDEN otherwise).
	// EINVALID for bad fields or a weak password, ECONFLICT for an email in use.
	CreateUser(ctx context.Context, user *User, password string) error
	// UpdateUser changes a user under the same rules as CreateUser.
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, error)
	// Authenticate checks an email and password and returns the active user, or
	// EUNAUTHORIZED with the same message, in similar time, whatever was wrong.
	// Failures are throttled per account and per client address (the Client
	// in ctx): ETOOMANY, carrying the time to wait, checks nothing.
	Authenticate(ctx context.Context, email, password string) (*User, error)
	// ChangePassword sets the actor's own password after checking the current
	// one, and ends every other session of theirs. It needs a browser session
	// (EFORBIDDEN through an API token); EINVALID for a wrong current password
	// or a weak new one; wrong current passwords are throttled like logins.
	ChangePassword(ctx context.Context, current, next string) error
}

// Validate checks a new user before it is stored: its email address, which
// it replaces with the canonical form (CanonicalEmail), and the rest
// (ValidateProfile).
func (u *User) Validate() error {
	email, err := CanonicalEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = email
	return u.ValidateProfile()
}

// ValidateProfile checks a user's name, role and assignments and fills Party
// from OrganizationID. A change to a stored user calls it rather than
// Validate: it does not change the address, and an address accepted under
// older rules must not stop an admin from, say, deactivating its account.
func (u *User) ValidateProfile() error {
	u.Name = strings.TrimSpace(u.Name)
	if len([]rune(u.Name)) > 200 {
		return Errorf(EINVALID, "Name is longer than 200 characters; shorten it.")
	}
	u.Party = PartyOf(u.OrganizationID)
	if !ValidRole(u.Party, u.Role) {
		return Errorf(EINVALID, "Role %q is not a %s role; use one of %s.", u.Role, u.Party, roleList(u.Party))
	}
	if u.Party == PartyInternal && len(u.Organizations) > 0 {
		return Errorf(EINVALID, "Organisation assignments apply to provider users only.")
	}
	return nil
}

// PartyOf is the party of a user or invitation with the given organisation:
// internal to it, or the provider's when there is none.
func PartyOf(organizationID *int64) PartyKind {
	if organizationID != nil {
		return PartyInternal
	}
	return PartyProvider
}

func roleList(party PartyKind) string {
	list := InternalRoles
	if party == PartyProvider {
		list = ProviderRoles
	}
	names := make([]string, len(list))
	for i, r := range list {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Password length bounds (OWASP ASVS 2.1.1 and 2.1.2).
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// ValidatePassword checks a new password: its length, and that it is not one
// of the most common passwords (OWASP ASVS 2.1.7). There are no composition
// rules and no forced rotation. It never echoes the password.
func ValidatePassword(password string) error {
	n := len([]rune(password))
	if n < MinPasswordLength {
		return Errorf(EINVALID, "Password is too short: use at least %d characters.", MinPasswordLength)
	}
	if n > MaxPasswordLength {
		return Errorf(EINVALID, "Password is too long: use at most %d characters.", MaxPasswordLength)
	}
	if commonpw.IsCommon(password) {
		return Errorf(EINVALID, "This password is one of the most common passwords and would be guessed quickly; choose another (a few unrelated words make a strong one).")
	}
	return nil
}
