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
	// PerAccount and PerAddress are the failures of any kind allowed within
	// Window, SecondFactorPerAccount those of wrong second factors; zero
	// turns a limit off.
	PerAccount             int
	PerAddress             int
	SecondFactorPerAccount int
	Window                 time.Duration
}

// DefaultLoginThrottle holds the limits of tandem's login throttling.
var DefaultLoginThrottle = LoginThrottle{
	PerAccount:             tandem.LoginFailuresPerAccount,
	PerAddress:             tandem.LoginFailuresPerAddress,
	SecondFactorPerAccount: tandem.SecondFactorFailuresPerAccount,
	Window:                 tandem.LoginFailureWindow,
}

// The kinds of failure in login_failures.kind: what the attempt got wrong.
const (
	failedPassword     = "password"
	failedSecondFactor = "second_factor"
)

// check returns a tandem.ThrottledError when the account (email) or the
// address has reached its limit, saying when the oldest counted failure
// leaves the window. An empty address (the command line, tests) is not
// limited by address.
func (t LoginThrottle) check(ctx context.Context, tx *Tx, email, addr string) error {
	return t.checkAttempt(ctx, tx, email, addr, false)
}

// checkCode is check for an attempt that includes a second factor: it is
// refused too while the account has had too many wrong ones.
func (t LoginThrottle) checkCode(ctx context.Context, tx *Tx, email, addr string) error {
	return t.checkAttempt(ctx, tx, email, addr, true)
}

func (t LoginThrottle) checkAttempt(ctx context.Context, tx *Tx, email, addr string, code bool) error {
	if tx.db.dialect == Postgres {
		// Attempts on one account queue here until the transaction ends, so
		// two cannot both see room for one more failure and both take it.
		// (SQLite's single writer serialises them already.) The two-key form
		// keeps these locks apart from the migration lock's one-key space.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7201, hashtext(?))`, email); err != nil {
			return err
		}
	}
	limits := []struct {
		column, key, kind string
		limit             int
	}{
		{"email", email, "", t.PerAccount},
		{"source", addr, "", t.PerAddress},
		{"email", email, failedSecondFactor, t.SecondFactorPerAccount},
	}
	var wait time.Duration
	for _, l := range limits {
		if (l.column == "source" && addr == "") || (l.kind == failedSecondFactor && !code) {
			continue
		}
		w, err := t.wait(ctx, tx, l.column, l.key, l.kind, l.limit)
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

// wait returns how long until fewer than limit failures of the key (and of
// the kind, unless empty) lie in the window: until the limit-th most recent
// one ages out. Zero when there are fewer already.
func (t LoginThrottle) wait(ctx context.Context, tx *Tx, column, key, kind string, limit int) (time.Duration, error) {
	where, args := column+` = ?`, []any{key}
	if kind != "" {
		where, args = where+` AND kind = ?`, append(args, kind)
	}
	return throttleWait(ctx, tx, "login_failures", where, args, limit, t.Window)
}

// throttleWait returns how long until fewer than limit rows of table
// (with an at column) matching where lie in the window ending now: until
// the limit-th most recent one ages out. Zero when there are fewer
// already, or no limit.
func throttleWait(ctx context.Context, tx *Tx, table, where string, args []any, limit int, window time.Duration) (time.Duration, error) {
	if limit <= 0 {
		return 0, nil
	}
	var last time.Time
	err := tx.QueryRowContext(ctx, `SELECT at FROM `+table+` WHERE `+where+` AND at > ? ORDER BY at DESC LIMIT 1 OFFSET `+strconv.Itoa(limit-1),
		append(args, at(tx.now.Add(-window)))...).Scan(scanTime(&last))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return last.Add(window).Sub(tx.now), nil
}

// recordFailure counts a failure of the kind and prunes those that left the
// window. The table stays as small as an hour of failures, so the unindexed
// prune is cheap.
func (t LoginThrottle) recordFailure(ctx context.Context, tx *Tx, email, addr, kind string) (int64, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, at(tx.now.Add(-t.Window))); err != nil {
		return 0, err
	}
	return tx.insert(ctx, `INSERT INTO login_failures (email, source, kind, at) VALUES (?, ?, ?, ?)`, email, addr, kind, at(tx.now))
}

// forgiveFailure takes back a failure recorded before a check that succeeded.
func forgiveFailure(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ?`, id)
	return err
}

// blameSecondFactor turns a failure recorded in advance of a password check
// into a wrong second factor's: the password was right, the code that came
// with it was not.
func blameSecondFactor(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE login_failures SET kind = ? WHERE id = ?`, failedSecondFactor, id)
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

// loginEmail returns the forms an email address typed at login may be
// stored in (tandem.EmailKeys), each bounded in length since the last, the
// folded form, is stored for throttling whether or not it exists: one
// throttle for every way of typing one address.
func loginEmail(email string) []string {
	keys := tandem.EmailKeys(email)
	for i, k := range keys {
		if len(k) > 254 {
			keys[i] = strings.ToValidUTF8(k[:254], "")
		}
	}
	return keys
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
	keys := loginEmail(email)
	email = keys[len(keys)-1]
	client := tandem.ClientFromContext(ctx)

	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := s.Throttle.check(ctx, tx, email, throttleAddr(client.Addr)); err != nil {
		return nil, err
	}
	failure, err := s.Throttle.recordFailure(ctx, tx, email, throttleAddr(client.Addr), failedPassword)
	if err != nil {
		return nil, err
	}
	var id int64
	var hash string
	var active bool
	var orgID *int64
	// The typed form first: where an old account and a new one hold the
	// two forms, the address exactly as typed wins.
	err = tx.QueryRowContext(ctx, `SELECT id, password_hash, active, organization_id FROM users WHERE email IN (?, ?)
		ORDER BY CASE WHEN email = ? THEN 0 ELSE 1 END LIMIT 1`, keys[0], email, keys[0]).Scan(&id, &hash, &active, &orgID)
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
