package tandem

import (
	"context"
	"time"
)

// Multi-factor authentication with time-based one-time passwords (RFC 6238)
// as authenticator apps compute them: HMAC-SHA1, 6 digits, a new code every
// 30 seconds. A code is accepted one step early or late, for clocks that
// drift and people who type slowly, and only once (OWASP ASVS 2.8.4).
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	TOTPSkew   = 1
	// RecoveryCodeCount is how many single-use recovery codes a user gets
	// when enabling MFA, for when the authenticator is lost.
	RecoveryCodeCount = 10
)

// MFAStatus is a user's second factor as they see it.
type MFAStatus struct {
	Enabled bool `json:"enabled"`
	// Required says the user may not go without: the provider requires it of
	// its staff, or the user's organisation of its users. RequiredBy names
	// which ("provider" or the organisation's name).
	Required   bool   `json:"required"`
	RequiredBy string `json:"required_by,omitempty"`
	// RecoveryCodesLeft counts unused recovery codes.
	RecoveryCodesLeft int `json:"recovery_codes_left"`
}

// MFAKey is a TOTP secret offered for enrolment: the base32 secret to type
// into an authenticator app, and the otpauth:// URL a QR code carries.
type MFAKey struct {
	Secret string
	URL    string
}

// MFAService manages users' second factors and who must have one. The
// self-service methods act on the actor's own account and need a browser
// session (EFORBIDDEN through an API token). Every change is audited.
type MFAService interface {
	// MFAStatus returns the actor's own MFA status.
	MFAStatus(ctx context.Context) (*MFAStatus, error)
	// MFAKey returns a key for the actor to enrol: a new random one when
	// secret is empty, or the one with the given secret again (to show the
	// form again after a mistyped code). Nothing is stored until EnableMFA.
	MFAKey(ctx context.Context, secret string) (*MFAKey, error)
	// EnableMFA turns MFA on with the key's secret, given the actor's
	// password, once code shows the authenticator holds the secret, and
	// returns the recovery codes, shown this once and stored only as hashes.
	// ECONFLICT when MFA is already on, EINVALID for a wrong password (audited
	// and throttled like logins), a wrong code or a malformed secret, ETOOMANY
	// when throttled.
	EnableMFA(ctx context.Context, password, secret, code string) ([]string, error)
	// RegenerateRecoveryCodes replaces the actor's recovery codes, given
	// their password and a current TOTP code (EINVALID otherwise, audited and
	// throttled like logins; a wrong code counts as a wrong second factor).
	RegenerateRecoveryCodes(ctx context.Context, password, code string) ([]string, error)
	// DisableMFA turns MFA off given the actor's password and a current TOTP
	// code or a recovery code (EINVALID otherwise, audited and throttled like
	// logins; a wrong code counts as a wrong second factor); EFORBIDDEN when
	// MFA is required of the actor.
	DisableMFA(ctx context.Context, password, code string) error

	// ResetMFA turns off another user's MFA for them when they lost both
	// their authenticator and their recovery codes: it clears the secret and
	// the recovery codes and ends all their sessions, so they sign in with
	// their password again and, where MFA is required, enrol anew. ENOTFOUND
	// for a user outside the actor's scope; EFORBIDDEN unless the actor may
	// manage the user (Actor.CanManageUser), for the actor's own account
	// (that is what DisableMFA is for), and through an API token. A user
	// without MFA is left as they are, without an audit entry.
	ResetMFA(ctx context.Context, userID int64) error

	// OrganizationRequiresMFA reports whether an organisation requires MFA
	// of its users; ENOTFOUND outside the actor's scope.
	OrganizationRequiresMFA(ctx context.Context, orgID int64) (bool, error)
	// SetOrganizationRequiresMFA changes that: the organisation's it-admins
	// and provider admins (ActionOrganizationUpdate, EFORBIDDEN otherwise).
	SetOrganizationRequiresMFA(ctx context.Context, orgID int64, required bool) error
	// ProviderRequiresMFA reports whether provider staff must use MFA (the
	// default).
	ProviderRequiresMFA(ctx context.Context) (bool, error)
	// SetProviderRequiresMFA changes that: provider admins only
	// (ActionProviderManage).
	SetProviderRequiresMFA(ctx context.Context, required bool) error
}
