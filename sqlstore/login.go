package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// LoginThrottle limits failed credential checks — passwords at login, second
// factors, current passwords when changing one — per account and per client
// address within a sliding window (OWASP ASVS 2.2.1). Failures are rows of
// login_failures; attempts refused by the throttle are not recorded and check
// nothing, so they cost no hash and reveal nothing.
type LoginThrottle struct {
	// PerAccount and PerAddress are the failures allowed within Window; zero
	// turns a limit off.
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// DefaultLoginThrottle holds the limits of tandem's login throttling.
var DefaultLoginThrottle = LoginThrottle{
	PerAccount: tandem.LoginFailuresPerAccount,
	PerAddress: tandem.LoginFailuresPerAddress,
	Window:     tandem.LoginFailureWindow,
}

// check returns a tandem.ThrottledError when the account (email) or the
// address has reached its limit, saying when the oldest counted failure
// leaves the window. An empty address (the command line, tests) is not
// limited by address.
func (t LoginThrottle) check(ctx context.Context, tx *Tx, email, addr string) error {
	if tx.db.dialect == Postgres {
		// Attempts on one account queue here until the transaction ends, so
		// two cannot both see room for one more failure and both take it.
		// (SQLite's single writer serialises them already.) The two-key form
		// keeps these locks apart from the migration lock's one-key space.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201, hashtext(?))`, email); err != nil {
			return err
		}
	}
	wait, err := t.wait(ctx, tx, "email", email, t.PerAccount)
	if err != nil {
		return err
	}
	if addr != "" {
		w, err := t.wait(ctx, tx, "source", addr, t.PerAddress)
		if err != nil {
			return err
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return tandem.Throttled(wait)
	}
	return nil
}

// wait returns how long until fewer than limit failures of the key lie in
// the window: until the limit-th most recent one ages out. Zero when there
// are fewer already.
func (t LoginThrottle) wait(ctx context.Context, tx *Tx, column, key string, limit int) (time.Duration, error) {
	if limit <= 0 {
		return 0, nil
	}
	var last time.Time
	err := tx.QueryRowContext(ctx, `SELECT at FROM login_failures WHERE `+column+` = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET `+strconv.Itoa(limit-1),
		key, at(tx.now.Add(-t.Window))).Scan(scanTime(&last))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return last.Add(t.Window).Sub(tx.now), nil
}

// recordFailure counts a failure and prunes those that left the window. The
// table stays as small as an hour of failures, so the unindexed prune is cheap.
func (t LoginThrottle) recordFailure(ctx context.Context, tx *Tx, email, addr string) (int64, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, at(tx.now.Add(-t.Window))); err != nil {
		return 0, err
	}
	return tx.insert(ctx, `INSERT INTO login_failures (email, source, at) VALUES (?, ?, ?)`, email, addr, at(tx.now))
}

// forgiveFailure takes back a failure recorded before a check that succeeded.
func forgiveFailure(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ?`, id)
	return err
}

// throttleAddr is the key an address is throttled under: an IPv4 address as
// it is, an IPv6 address by its /64 network, since one subscriber usually
// holds a whole /64 and could otherwise rotate through 2^64 addresses.
func throttleAddr(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// loginEmail normalises an email address as typed at login and bounds its
// length, since it is stored for throttling whether or not it exists.
func loginEmail(email string) string {
	email = tandem.NormalizeEmail(email)
	if len(email) > 254 {
		email = strings.ToValidUTF8(email[:254], "")
	}
	return email
}

// Authenticate implements tandem.UserService. It needs no actor; the client
// in ctx is throttled and recorded.
//
// The attempt is counted as a failure before the slow hash and taken back if
// the password is right, so that concurrent guesses cannot overrun the limit.
// Every way of failing — unknown email, wrong password, deactivated account —
// costs one argon2id hash and two write transactions and answers the same
// message, so neither the answer nor its timing tells which accounts exist.
func (s *UserService) Authenticate(ctx context.Context, email, password string) (*tandem.User, error) {
	fail := tandem.Errorf(tandem.EUNAUTHORIZED, "Email or password is wrong.")
	email = loginEmail(email)
	client := tandem.ClientFromContext(ctx)

	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := s.Throttle.check(ctx, tx, email, throttleAddr(client.Addr)); err != nil {
		return nil, err
	}
	failure, err := s.Throttle.recordFailure(ctx, tx, email, throttleAddr(client.Addr))
	if err != nil {
		return nil, err
	}
	var id int64
	var hash string
	var active bool
	var orgID *int64
	err = tx.QueryRowContext(ctx, `SELECT id, password_hash, active, organization_id FROM users WHERE email = ?`, email).Scan(&id, &hash, &active, &orgID)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}

	ok := false
	if found {
		if ok, err = secret.VerifyPassword(hash, password); err != nil {
			return nil, err
		}
	} else {
		// The dummy hash is made on first use to keep start-up fast.
		s.dummyOnce.Do(func() { s.dummyHash, _ = secret.HashPassword("tandem-dummy-password", s.PasswordParams) })
		secret.VerifyPassword(s.dummyHash, password)
	}

	tx, err = s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if ok && active {
		if err := forgiveFailure(ctx, tx, failure); err != nil {
			return nil, err
		}
		u, err := findUserByID(ctx, tx, tandem.SystemActor, id)
		if err != nil {
			return nil, err
		}
		return u, tx.Commit()
	}
	// A failed login belongs to the account's organisation when the account
	// exists, so its it-admins see attacks on their users. The password is
	// never recorded.
	target, reason := "login", "unknown email"
	switch {
	case found && !ok:
		target, reason = userTarget(id), "wrong password"
	case found:
		target, reason = userTarget(id), "account deactivated"
	default:
		orgID = nil
	}
	anonymous := &tandem.Actor{SourceAddr: client.Addr}
	if err := tx.audit(ctx, anonymous, orgID, "session.login_failed", target, map[string]any{"email": auditableEmail(email), "reason": reason}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return nil, fail
}

// sessionActor returns the actor of the context if it may change its own
// credentials: a user signed in through a browser session, not an API token
// (which could otherwise be turned into a lasting account takeover).
func sessionActor(ctx context.Context) (*tandem.Actor, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == 0 || a.SessionID == 0 || a.ReadOnly {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Passwords and second factors are changed in the web interface, signed in as yourself.")
	}
	return a, nil
}

// actorOrganization returns the organisation an actor's own events belong
// to: their organisation, or none (the provider chain) for provider staff.
func actorOrganization(a *tandem.Actor) *int64 {
	if a.Party == tandem.PartyInternal && a.OrganizationID != 0 {
		id := a.OrganizationID
		return &id
	}
	return nil
}

// auditableEmail returns what was typed as the email for the audit trail, or
// a placeholder when it does not look like an address: people paste their
// password into the wrong field, and the trail cannot be edited afterwards.
func auditableEmail(typed string) string {
	if _, err := mail.ParseAddress(typed); err != nil || strings.ContainsAny(typed, " <>") || len(typed) > 254 {
		return "(not an email address)"
	}
	return typed
}
