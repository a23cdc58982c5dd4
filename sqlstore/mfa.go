package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// MFAService implements tandem.MFAService.
//
// The TOTP secret is stored as it is in users.mfa_secret: the server must
// read it to check codes, so hashing is no option. Encryption at rest arrives
// with the documentation vault's envelope encryption (a later issue), which
// will cover these secrets too; until then they are as safe as the database.
type MFAService struct {
	db *DB
	// Throttle limits wrong passwords and codes given to change MFA; failures
	// count together with failed logins, wrong codes also against the tighter
	// limit of wrong second factors (login.go).
	Throttle LoginThrottle
}

// NewMFAService returns the MFA service on db.
func NewMFAService(db *DB) *MFAService {
	return &MFAService{db: db, Throttle: DefaultLoginThrottle}
}

var _ tandem.MFAService = (*MFAService)(nil)

// TOTP secrets are 160 bits (RFC 4226's recommended length), written in
// unpadded base32 as authenticator apps expect.
const totpSecretBytes = 20

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpStep is the RFC 6238 time step t falls in.
func totpStep(t time.Time) int64 { return t.Unix() / int64(tandem.TOTPPeriod/time.Second) }

// matchTOTP returns the time step whose code is code, among the steps within
// tandem.TOTPSkew of now's and later than last, the step last accepted: a
// code, once accepted, never works again, nor do codes older than it.
func matchTOTP(secretB32, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != tandem.TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := totpStep(now)
	var found int64
	for step := cur - tandem.TOTPSkew; step <= cur+tandem.TOTPSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secretB32, uint64(step), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > last && found == 0 {
			found = step
		}
	}
	return found, found != 0
}

// acceptTOTP checks a code against the user's stored secret and, when it
// matches, records its step so it cannot be used again. The conditional
// update makes a code single-use even when two requests race with it.
func acceptTOTP(ctx context.Context, tx *Tx, userID int64, code string) (bool, error) {
	var secretB32 sql.NullString
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT mfa_secret, mfa_last_step FROM users WHERE id = ?`, userID).Scan(&secretB32, &last); err != nil {
		return false, err
	}
	step, ok := matchTOTP(secretB32.String, code, tx.now, last)
	if !secretB32.Valid || !ok {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_last_step < ?`, step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// checkSecondFactor accepts a TOTP code or an unused recovery code and says
// which it was.
func checkSecondFactor(ctx context.Context, tx *Tx, userID int64, code string) (string, bool, error) {
	if c := strings.ReplaceAll(strings.TrimSpace(code), " ", ""); len(c) == tandem.TOTPDigits {
		ok, err := acceptTOTP(ctx, tx, userID, c)
		return "totp", ok, err
	}
	ok, err := useRecoveryCode(ctx, tx, userID, code)
	return "recovery code", ok, err
}

// Recovery codes are 80 random bits, shown as 16 base32 characters in groups
// of four. They are stored as plain SHA-256 hashes rather than with argon2id:
// a slow hash protects secrets people choose, which are guessable, while an
// offline search of 2^80 possibilities is out of reach however fast the hash.
const recoveryCodeBytes = 10

func newRecoveryCode() string {
	b := make([]byte, recoveryCodeBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
	}
	s := base32NoPad.EncodeToString(b)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// recoveryCodeHash hashes a recovery code as typed: case, spaces and hyphens
// do not matter.
func recoveryCodeHash(code string) string {
	code = strings.ToUpper(code)
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, code)
	return secret.Hash(code)
}

// replaceRecoveryCodes deletes a user's recovery codes and issues new ones.
func replaceRecoveryCodes(ctx context.Context, tx *Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	codes := make([]string, tandem.RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, recoveryCodeHash(codes[i])); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// useRecoveryCode spends an unused recovery code of the user, if code is one.
func useRecoveryCode(ctx context.Context, tx *Tx, userID int64, code string) (bool, error) {
	if len(code) > 64 {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		at(tx.now), userID, recoveryCodeHash(code))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// mfaState is what the MFA methods read of the actor's account.
type mfaState struct {
	enabled, required bool
	requiredBy        string
	codesLeft         int
}

func readMFAState(ctx context.Context, tx *Tx, userID int64) (*mfaState, error) {
	st := &mfaState{}
	err := tx.QueryRowContext(ctx, `SELECT u.mfa_enabled, `+mfaRequiredSQL+`, COALESCE(o.name, (SELECT p.name FROM provider p ORDER BY p.id LIMIT 1), ''),
			(SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
		FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = ?`, userID).
		Scan(&st.enabled, &st.required, &st.requiredBy, &st.codesLeft)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "User not found.")
	}
	return st, err
}

// MFAStatus implements tandem.MFAService.
func (s *MFAService) MFAStatus(ctx context.Context) (*tandem.MFAStatus, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st, err := readMFAState(ctx, tx, a.UserID)
	if err != nil {
		return nil, err
	}
	out := &tandem.MFAStatus{Enabled: st.enabled, Required: st.required, RecoveryCodesLeft: st.codesLeft}
	if st.required {
		out.RequiredBy = st.requiredBy
	}
	return out, nil
}

// MFAKey implements tandem.MFAService.
func (s *MFAService) MFAKey(ctx context.Context, secretB32 string) (*tandem.MFAKey, error) {
	a, err := sessionActor(ctx)
	if err != nil {
		return nil, err
	}
	var raw []byte
	if secretB32 == "" {
		raw = make([]byte, totpSecretBytes)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
	} else if raw, err = decodeTOTPSecret(secretB32); err != nil {
		return nil, err
	}
	issuer := "Tandem"
	var provider string
	if err := s.db.read.QueryRowContext(ctx, `SELECT name FROM provider ORDER BY id LIMIT 1`).Scan(&provider); err == nil && provider != "" {
		issuer = provider
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: a.Email, Period: uint(tandem.TOTPPeriod / time.Second),
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, err
	}
	return &tandem.MFAKey{Secret: key.Secret(), URL: key.URL()}, nil
}

func decodeTOTPSecret(s string) ([]byte, error) {
	raw, err := base32NoPad.DecodeString(strings.ToUpper(strings.TrimSpace(s)))
	if err != nil || len(raw) != totpSecretBytes {
		return nil, tandem.Errorf(tandem.EINVALID, "The MFA key is malformed; reload the page to get a new one.")
	}
	return raw, nil
}

// countAttempt counts an attempt to change the actor's second factor against
// the login throttle before its slow password check, as a login is counted:
// it refuses the attempt while the account or address is throttled (or,
// when the attempt brings a code of the actor's second factor, while the
// account has had too many wrong ones) and records a failed password, to be
// forgiven if the password is right. It returns that failure and the
// password hash to check once tx is committed.
func (s *MFAService) countAttempt(ctx context.Context, tx *Tx, a *tandem.Actor, withCode bool) (int64, string, error) {
	addr := throttleAddr(a.SourceAddr)
	check := s.Throttle.check
	if withCode {
		check = s.Throttle.checkCode
	}
	if err := check(ctx, tx, a.Email, addr); err != nil {
		return 0, "", err
	}
	failure, err := s.Throttle.recordFailure(ctx, tx, a.Email, addr, failedPassword)
	if err != nil {
		return 0, "", err
	}
	var hash string
	if err := tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, a.UserID).Scan(&hash); err != nil {
		return 0, "", notFound(err, "User")
	}
	return failure, hash, nil
}

// refuseAttempt ends an attempt to change the actor's second factor that
// brought a wrong password or, with the right one, a wrong code: the failure
// counted in advance is blamed on the code in that case, and either is
// audited as action, since a wrong password through a live session may be
// someone else at the keyboard. It commits tx and returns the error to show.
func refuseAttempt(ctx context.Context, tx *Tx, a *tandem.Actor, failure int64, passwordOK bool, action string, refusal error) error {
	reason := "wrong password"
	if passwordOK {
		reason = "wrong code"
		if err := blameSecondFactor(ctx, tx, failure); err != nil {
			return err
		}
	}
	if err := tx.audit(ctx, a, actorOrganization(a), action, userTarget(a.UserID), map[string]any{"email": a.Email, "reason": reason}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return refusal
}

// EnableMFA implements tandem.MFAService. The password is checked like
// DisableMFA's: whoever sits at an unattended browser or holds a stolen
// session must not enrol their own authenticator and lock the user out. The
// code is not throttled: it proves the authenticator holds a secret the
// caller was just shown, and guesses nothing.
func (s *MFAService) EnableMFA(ctx context.Context, password, secretB32, code string) ([]string, error) {
	a, err := sessionActor(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := decodeTOTPSecret(secretB32)
	if err != nil {
		return nil, err
	}
	secretB32 = base32NoPad.EncodeToString(raw)
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := mfaOff(ctx, tx, a.UserID); err != nil {
		return nil, err
	}
	// A new secret starts afresh: the steps used with an earlier one do not
	// bind it. Its first code is spent here.
	step, ok := matchTOTP(secretB32, code, tx.now, 0)
	if !ok {
		return nil, tandem.Errorf(tandem.EINVALID, "That code does not match. Scan the QR code shown now (or type the key), then enter the 6-digit code your app shows.")
	}
	failure, hash, err := s.countAttempt(ctx, tx, a, false)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	ok, err = secret.VerifyPassword(hash, password)
	if err != nil {
		return nil, err
	}

	tx, err = s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if !ok {
		return nil, refuseAttempt(ctx, tx, a, failure, false, "mfa.enable_failed", tandem.Errorf(tandem.EINVALID, "The password is wrong."))
	}
	if err := forgiveFailure(ctx, tx, failure); err != nil {
		return nil, err
	}
	if err := mfaOff(ctx, tx, a.UserID); err != nil { // turned on meanwhile
		if cerr := tx.Commit(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_secret = ?, mfa_enabled = ?, mfa_last_step = ? WHERE id = ?`, secretB32, true, step, a.UserID); err != nil {
		return nil, err
	}
	codes, err := replaceRecoveryCodes(ctx, tx, a.UserID)
	if err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "mfa.enable", userTarget(a.UserID), map[string]any{"email": a.Email, "recovery_codes": len(codes)}); err != nil {
		return nil, err
	}
	return codes, tx.Commit()
}

// mfaOff returns ECONFLICT when the user has MFA on already.
func mfaOff(ctx context.Context, tx *Tx, userID int64) error {
	var enabled bool
	if err := tx.QueryRowContext(ctx, `SELECT mfa_enabled FROM users WHERE id = ?`, userID).Scan(&enabled); err != nil {
		return notFound(err, "User")
	}
	if enabled {
		return tandem.Errorf(tandem.ECONFLICT, "Two-factor authentication is already on; turn it off first to use another authenticator.")
	}
	return nil
}

// errWrongPasswordOrCode refuses a change of MFA without saying which was
// wrong.
func errWrongPasswordOrCode() error {
	return tandem.Errorf(tandem.EINVALID, "The password or the code is wrong.")
}

// RegenerateRecoveryCodes implements tandem.MFAService. The password and the
// code are checked like DisableMFA's: the new codes are as good as the
// authenticator, so someone who borrowed the session must not get them.
func (s *MFAService) RegenerateRecoveryCodes(ctx context.Context, password, code string) ([]string, error) {
	a, err := sessionActor(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st, err := readMFAState(ctx, tx, a.UserID)
	if err != nil {
		return nil, err
	}
	if !st.enabled {
		return nil, tandem.Errorf(tandem.EINVALID, "Two-factor authentication is off; turn it on to get recovery codes.")
	}
	failure, hash, err := s.countAttempt(ctx, tx, a, true)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	passwordOK, err := secret.VerifyPassword(hash, password)
	if err != nil {
		return nil, err
	}

	tx, err = s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ok := passwordOK
	if ok {
		if ok, err = acceptTOTP(ctx, tx, a.UserID, code); err != nil {
			return nil, err
		}
	}
	if !ok {
		return nil, refuseAttempt(ctx, tx, a, failure, passwordOK, "mfa.recovery_codes_failed", errWrongPasswordOrCode())
	}
	if err := forgiveFailure(ctx, tx, failure); err != nil {
		return nil, err
	}
	codes, err := replaceRecoveryCodes(ctx, tx, a.UserID)
	if err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "mfa.recovery_codes", userTarget(a.UserID), map[string]any{"email": a.Email, "recovery_codes": len(codes)}); err != nil {
		return nil, err
	}
	return codes, tx.Commit()
}

// DisableMFA implements tandem.MFAService. Like a login, the attempt counts
// as a failure before the slow password hash and is forgiven on success.
func (s *MFAService) DisableMFA(ctx context.Context, password, code string) error {
	a, err := sessionActor(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := readMFAState(ctx, tx, a.UserID)
	if err != nil {
		return err
	}
	if !st.enabled {
		return tandem.Errorf(tandem.EINVALID, "Two-factor authentication is already off.")
	}
	if st.required {
		return tandem.Errorf(tandem.EFORBIDDEN, "%s requires two-factor authentication; it cannot be turned off.", st.requiredBy)
	}
	failure, hash, err := s.countAttempt(ctx, tx, a, true)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	passwordOK, err := secret.VerifyPassword(hash, password)
	if err != nil {
		return err
	}

	tx, err = s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ok := passwordOK
	if ok {
		// A recovery code will do: it is how someone who lost their
		// authenticator turns MFA off before setting up a new one.
		if _, ok, err = checkSecondFactor(ctx, tx, a.UserID, code); err != nil {
			return err
		}
	}
	if !ok {
		return refuseAttempt(ctx, tx, a, failure, passwordOK, "mfa.disable_failed", errWrongPasswordOrCode())
	}
	if err := forgiveFailure(ctx, tx, failure); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enabled = ?, mfa_secret = NULL WHERE id = ?`, false, a.UserID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, a.UserID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, actorOrganization(a), "mfa.disable", userTarget(a.UserID), map[string]any{"email": a.Email}); err != nil {
		return err
	}
	return tx.Commit()
}

// ResetMFA implements tandem.MFAService. It takes a browser session, like the
// self-service methods: a leaked API token must not strip a second factor.
// The system actor may too, for recovery from the command line.
func (s *MFAService) ResetMFA(ctx context.Context, userID int64) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if !a.System {
		if a, err = sessionActor(ctx); err != nil {
			return err
		}
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, a, userID)
	if err != nil {
		return err
	}
	if u.ID == a.UserID {
		return tandem.Errorf(tandem.EFORBIDDEN, "You cannot reset your own two-factor authentication; manage it at /account/mfa, or ask another admin.")
	}
	if err := a.CanManageUser(u); err != nil {
		return err
	}
	if !u.MFAEnabled {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enabled = ?, mfa_secret = NULL, mfa_last_step = 0 WHERE id = ?`, false, u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	// Sessions signed in with the old factor end too: whoever holds one may
	// be the reason the factor was reset.
	n, err := deleteSessions(ctx, tx, u.ID, 0)
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "mfa.reset", userTarget(u.ID), map[string]any{"email": u.Email, "sessions": n}); err != nil {
		return err
	}
	return tx.Commit()
}
