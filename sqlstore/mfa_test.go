package sqlstore_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// totpAt returns the TOTP code of secret at t, as an authenticator app computes it.
func totpAt(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	code, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// mustEnableMFA enrols the actor of ctx and returns the TOTP secret and the
// recovery codes.
func mustEnableMFA(tb testing.TB, m *sqlstore.MFAService, clock *clock, ctx context.Context) (string, []string) {
	tb.Helper()
	key, err := m.MFAKey(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	codes, err := m.EnableMFA(ctx, testPassword, key.Secret, totpAt(tb, key.Secret, clock.Now()))
	if err != nil {
		tb.Fatalf("enable MFA: %v", err)
	}
	return key.Secret, codes
}

func TestMFAService_Enrolment(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMFAService(db)

		t.Run("OK", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.ATech)
			key, err := m.MFAKey(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(key.Secret) {
				t.Fatalf("secret %q is not 160 bits of base32", key.Secret)
			}
			if !strings.HasPrefix(key.URL, "otpauth://totp/Northwind%20MSP:tech@acme.test?") || !strings.Contains(key.URL, "secret="+key.Secret) {
				t.Fatalf("key URL %q", key.URL)
			}
			// The same key can be asked for again, to show the form again.
			again, err := m.MFAKey(ctx, strings.ToLower(key.Secret))
			if err != nil || again.Secret != key.Secret || again.URL != key.URL {
				t.Fatalf("MFAKey(secret) = %+v, %v; want %+v", again, err, key)
			}

			// A wrong code does not enable it.
			_, err = m.EnableMFA(ctx, testPassword, key.Secret, totpAt(t, key.Secret, w.Clock.Now().Add(-5*time.Minute)))
			wantCode(t, err, tandem.EINVALID)
			if st, _ := m.MFAStatus(ctx); st.Enabled {
				t.Fatal("MFA enabled by a wrong code")
			}

			mark := auditMark(t, db)
			codes, err := m.EnableMFA(ctx, testPassword, key.Secret, totpAt(t, key.Secret, w.Clock.Now()))
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != tandem.RecoveryCodeCount || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
				t.Fatalf("recovery codes %q: want %d distinct", codes, tandem.RecoveryCodeCount)
			}
			for _, c := range codes {
				if !regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$`).MatchString(c) {
					t.Fatalf("recovery code %q is not four groups of four base32 characters", c)
				}
			}
			e := wantAudit(t, db, mark, "mfa.enable")[0]
			if strings.Contains(string(e.Summary), key.Secret) || strings.Contains(string(e.Summary), codes[0]) {
				t.Fatalf("audit summary holds a secret: %s", e.Summary)
			}
			st, err := m.MFAStatus(ctx)
			if err != nil || !st.Enabled || st.RecoveryCodesLeft != 10 || st.Required {
				t.Fatalf("status = %+v, %v", st, err)
			}

			_, err = m.EnableMFA(ctx, testPassword, key.Secret, totpAt(t, key.Secret, w.Clock.Now().Add(30*time.Second)))
			wantCode(t, err, tandem.ECONFLICT)
		})

		// Enrolling takes the password: someone at an unattended browser or
		// holding a stolen session must not enrol their own authenticator,
		// take the recovery codes and lock the user out. A wrong password is
		// audited and counts as a failed login.
		t.Run("ErrWrongPassword", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.ARequester)
			key, err := m.MFAKey(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			mark := auditMark(t, db)
			_, err = m.EnableMFA(ctx, "not the password", key.Secret, totpAt(t, key.Secret, w.Clock.Now()))
			wantCode(t, err, tandem.EINVALID)
			if msg := tandem.ErrorMessage(err); msg != "The password is wrong." {
				t.Errorf("message %q", msg)
			}
			e := wantAudit(t, db, mark, "mfa.enable_failed")[0]
			if !strings.Contains(string(e.Summary), "wrong password") || strings.Contains(string(e.Summary), "not the password") || e.Target != "user:"+itoa(int(w.ARequester.ID)) {
				t.Errorf("audit entry %s on %s", e.Summary, e.Target)
			}
			if st, err := m.MFAStatus(ctx); err != nil || st.Enabled {
				t.Fatalf("status after a wrong password = %+v, %v", st, err)
			}
			_, err = m.EnableMFA(ctx, "", key.Secret, totpAt(t, key.Secret, w.Clock.Now()))
			wantCode(t, err, tandem.EINVALID)

			// Two wrong passwords reach a limit of two: even the right one is
			// refused now, here and at the login form.
			m.Throttle.PerAccount, w.Users.Throttle.PerAccount = 2, 2
			t.Cleanup(func() { m.Throttle, w.Users.Throttle = sqlstore.DefaultLoginThrottle, sqlstore.DefaultLoginThrottle })
			_, err = m.EnableMFA(ctx, testPassword, key.Secret, totpAt(t, key.Secret, w.Clock.Now()))
			wantThrottled(t, err, time.Hour)
			_, err = w.Users.Authenticate(from(t, "203.0.113.7"), w.ARequester.Email, testPassword)
			wantThrottled(t, err, time.Hour)

			// The right password, once the failures aged out, enrols.
			w.Clock.Advance(time.Hour)
			if _, err := m.EnableMFA(ctx, testPassword, key.Secret, totpAt(t, key.Secret, w.Clock.Now())); err != nil {
				t.Fatal(err)
			}
		})

		// API tokens cannot change a second factor: a leaked token must not
		// become a lasting takeover.
		t.Run("ErrTokenActor", func(t *testing.T) {
			ctx := as(t, w.AViewer) // no session
			_, err := m.MFAKey(ctx, "")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = m.EnableMFA(ctx, testPassword, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "123456")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = m.RegenerateRecoveryCodes(ctx, testPassword, "123456")
			wantCode(t, err, tandem.EFORBIDDEN)
			err = m.DisableMFA(ctx, testPassword, "123456")
			wantCode(t, err, tandem.EFORBIDDEN)
		})

		t.Run("ErrMalformedSecret", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.AViewer)
			for _, s := range []string{"", "not base32!", "JBSWY3DP"} {
				_, err := m.EnableMFA(ctx, testPassword, s, "123456")
				wantCode(t, err, tandem.EINVALID)
			}
		})
	})
}

func TestSessionService_VerifyMFA(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMFAService(db)
		ctx, _ := signIn(t, w.services, w.AAdmin)
		secretB32, recovery := mustEnableMFA(t, m, w.Clock, ctx)
		w.Clock.Advance(10 * time.Minute) // the enrolment code is long past

		// login returns a session of AAdmin awaiting the second factor.
		login := func(t *testing.T) string {
			t.Helper()
			plain, err := w.Sessions.CreateSession(from(t, "192.0.2.30"), w.AAdmin.ID)
			if err != nil {
				t.Fatal(err)
			}
			return plain
		}

		t.Run("AwaitingMFA", func(t *testing.T) {
			plain := login(t)
			st, err := w.Sessions.ResolveSession(t.Context(), plain)
			if err != nil || !st.AwaitingMFA || st.Actor != nil || st.Email != w.AAdmin.Email {
				t.Fatalf("ResolveSession = %+v, %v; want awaiting MFA, no actor", st, err)
			}
			_, err = w.Sessions.ActorForSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)

			mark := auditMark(t, db)
			next, err := w.Sessions.VerifyMFA(from(t, "192.0.2.30"), plain, totpAt(t, secretB32, w.Clock.Now()))
			if err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "session.mfa_verified")
			// The secret changed with the session's rights.
			_, err = w.Sessions.ActorForSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			a, err := w.Sessions.ActorForSession(t.Context(), next)
			if err != nil || a.UserID != w.AAdmin.ID {
				t.Fatalf("verified session resolves to %+v, %v", a, err)
			}
		})

		// Codes one step early or late are accepted, two steps are not; each
		// code works once, and codes older than the last accepted one never.
		t.Run("Skew", func(t *testing.T) {
			w.Clock.Advance(10 * time.Minute)
			now := w.Clock.Now()
			for _, tt := range []struct {
				steps int
				ok    bool
			}{
				{-2, false},
				{+2, false},
				{-1, true},
				{0, true},
				{+1, true},
				{+1, false}, // reused
				{0, false},  // older than the last accepted
			} {
				plain := login(t)
				_, err := w.Sessions.VerifyMFA(t.Context(), plain, totpAt(t, secretB32, now.Add(time.Duration(tt.steps)*30*time.Second)))
				if tt.ok && err != nil {
					t.Errorf("code %+d steps away refused: %v", tt.steps, err)
				}
				if !tt.ok && tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("code %+d steps away: error %v, want EINVALID", tt.steps, err)
				}
			}
		})

		t.Run("RecoveryCode", func(t *testing.T) {
			// Case, spaces and hyphens do not matter.
			typed := strings.ToLower(strings.ReplaceAll(recovery[0], "-", " "))
			if _, err := w.Sessions.VerifyMFA(t.Context(), login(t), typed); err != nil {
				t.Fatalf("recovery code refused: %v", err)
			}
			_, err := w.Sessions.VerifyMFA(t.Context(), login(t), recovery[0])
			wantCode(t, err, tandem.EINVALID)
			st, err := m.MFAStatus(ctx)
			if err != nil || st.RecoveryCodesLeft != 9 {
				t.Fatalf("status after using a recovery code = %+v, %v", st, err)
			}
			// Another user's code is no code of this one's.
			other, _ := signIn(t, w.services, w.AViewer)
			_, otherCodes := mustEnableMFA(t, m, w.Clock, other)
			_, err = w.Sessions.VerifyMFA(t.Context(), login(t), otherCodes[0])
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("PendingExpires", func(t *testing.T) {
			plain := login(t)
			w.Clock.Advance(10 * time.Minute)
			_, err := w.Sessions.ResolveSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Sessions.VerifyMFA(t.Context(), plain, totpAt(t, secretB32, w.Clock.Now()))
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("Throttled", func(t *testing.T) {
			w.Sessions.Throttle.PerAccount = 2
			t.Cleanup(func() { w.Sessions.Throttle = sqlstore.DefaultLoginThrottle })
			w.Clock.Advance(2 * time.Hour)
			for range 2 {
				_, err := w.Sessions.VerifyMFA(t.Context(), login(t), "111111")
				wantCode(t, err, tandem.EINVALID)
			}
			_, err := w.Sessions.VerifyMFA(t.Context(), login(t), totpAt(t, secretB32, w.Clock.Now()))
			wantThrottled(t, err, time.Hour)
		})

		// Wrong codes have a tighter limit of their own than failed
		// passwords: whoever gives one holds the password. It is the
		// account's, whatever the address, and a right code in between does
		// not lift it: the one who typed it need not be the one guessing.
		t.Run("SecondFactorLimit", func(t *testing.T) {
			w.Clock.Advance(2 * time.Hour)
			start := w.Clock.Now()
			for i := range tandem.SecondFactorFailuresPerAccount {
				_, err := w.Sessions.VerifyMFA(from(t, "198.51.100."+itoa(i+1)), login(t), "111111")
				wantCode(t, err, tandem.EINVALID)
				if i == 4 {
					if _, err := w.Sessions.VerifyMFA(t.Context(), login(t), totpAt(t, secretB32, w.Clock.Now())); err != nil {
						t.Fatalf("right code after 5 wrong ones: %v", err)
					}
				}
				w.Clock.Advance(time.Minute)
			}
			// The next attempt is refused unchecked and unaudited, even with
			// the right code, until the oldest failure leaves the hour.
			plain := login(t)
			mark := auditMark(t, db)
			_, err := w.Sessions.VerifyMFA(from(t, "203.0.113.5"), plain, totpAt(t, secretB32, w.Clock.Now()))
			wantThrottled(t, err, time.Hour-10*time.Minute)
			wantAudit(t, db, mark)
			// Passwords are not affected: 10 failures are far from 100.
			if _, err := w.Users.Authenticate(from(t, "203.0.113.5"), w.AAdmin.Email, testPassword); err != nil {
				t.Fatalf("password login while codes are throttled: %v", err)
			}
			if n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM login_failures WHERE email = ? AND kind = ?`, w.AAdmin.Email, "second_factor"); err != nil || n != tandem.SecondFactorFailuresPerAccount {
				t.Fatalf("%d wrong second factors recorded (%v), want %d", n, err, tandem.SecondFactorFailuresPerAccount)
			}

			w.Clock.Advance(start.Add(time.Hour).Sub(w.Clock.Now()))
			if _, err := w.Sessions.VerifyMFA(t.Context(), login(t), totpAt(t, secretB32, w.Clock.Now())); err != nil {
				t.Fatalf("right code once the oldest failure aged out: %v", err)
			}
		})

		t.Run("ErrVerifiedSession", func(t *testing.T) {
			_, plain := signIn(t, w.services, w.ATech) // no MFA: verified at once
			_, err := w.Sessions.VerifyMFA(t.Context(), plain, "123456")
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestMFAService_RecoveryCodesAndDisable(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMFAService(db)
		ctx, _ := signIn(t, w.services, w.ATech)
		secretB32, old := mustEnableMFA(t, m, w.Clock, ctx)

		// New recovery codes take the password and a code: they are as good
		// as the authenticator, so a borrowed session must not get them.
		t.Run("Regenerate", func(t *testing.T) {
			w.Clock.Advance(30 * time.Second)
			mark := auditMark(t, db)
			_, err := m.RegenerateRecoveryCodes(ctx, "not the password", totpAt(t, secretB32, w.Clock.Now()))
			wantCode(t, err, tandem.EINVALID)
			_, err = m.RegenerateRecoveryCodes(ctx, testPassword, "000000")
			wantCode(t, err, tandem.EINVALID)
			for i, e := range wantAudit(t, db, mark, "mfa.recovery_codes_failed", "mfa.recovery_codes_failed") {
				reason := []string{"wrong password", "wrong code"}[i]
				if !strings.Contains(string(e.Summary), reason) || strings.Contains(string(e.Summary), "not the password") {
					t.Errorf("entry %d: summary %s, want the reason %q", i, e.Summary, reason)
				}
			}
			// The wrong password spent no code: the same one works now.
			mark = auditMark(t, db)
			codes, err := m.RegenerateRecoveryCodes(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now()))
			if err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "mfa.recovery_codes")
			if len(codes) != 10 || slices.Contains(codes, old[0]) {
				t.Fatalf("new codes %q", codes)
			}
			plain, err := w.Sessions.CreateSession(t.Context(), w.ATech.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.Sessions.VerifyMFA(t.Context(), plain, old[1])
			wantCode(t, err, tandem.EINVALID)
			if _, err := w.Sessions.VerifyMFA(t.Context(), plain, codes[1]); err != nil {
				t.Fatalf("new recovery code refused: %v", err)
			}
		})

		t.Run("Disable", func(t *testing.T) {
			w.Clock.Advance(time.Minute)
			mark := auditMark(t, db)
			err := m.DisableMFA(ctx, "wrong password!", totpAt(t, secretB32, w.Clock.Now()))
			wantCode(t, err, tandem.EINVALID)
			err = m.DisableMFA(ctx, testPassword, "000000")
			wantCode(t, err, tandem.EINVALID)
			for _, e := range wantAudit(t, db, mark, "mfa.disable_failed", "mfa.disable_failed") {
				if strings.Contains(string(e.Summary), "wrong password!") {
					t.Errorf("audit summary holds the password: %s", e.Summary)
				}
			}
			mark = auditMark(t, db)
			if err := m.DisableMFA(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now())); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "mfa.disable")
			st, err := m.MFAStatus(ctx)
			if err != nil || st.Enabled || st.RecoveryCodesLeft != 0 {
				t.Fatalf("status after disabling = %+v, %v", st, err)
			}
			// Logging in needs the password only again.
			plain, err := w.Sessions.CreateSession(t.Context(), w.ATech.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Sessions.ActorForSession(t.Context(), plain); err != nil {
				t.Fatalf("login after disabling MFA: %v", err)
			}
		})

		// A wrong code given with the right password counts against the
		// limit of wrong second factors, wherever it is given; a wrong
		// password does not.
		t.Run("WrongCodesCountAsSecondFactors", func(t *testing.T) {
			w.Clock.Advance(2 * time.Hour)
			secretB32, _ := mustEnableMFA(t, m, w.Clock, ctx)
			m.Throttle.SecondFactorPerAccount = 2
			t.Cleanup(func() { m.Throttle = sqlstore.DefaultLoginThrottle })
			for range 3 {
				_, err := m.RegenerateRecoveryCodes(ctx, "not the password", "000000")
				wantCode(t, err, tandem.EINVALID)
			}
			_, err := m.RegenerateRecoveryCodes(ctx, testPassword, "000000")
			wantCode(t, err, tandem.EINVALID)
			w.Clock.Advance(time.Minute)
			err = m.DisableMFA(ctx, testPassword, "000000")
			wantCode(t, err, tandem.EINVALID)
			// Two wrong codes: the right password and code are refused unchecked.
			err = m.DisableMFA(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now()))
			wantThrottled(t, err, time.Hour-time.Minute)
			_, err = m.RegenerateRecoveryCodes(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now()))
			wantThrottled(t, err, time.Hour-time.Minute)
			// So is a login's second factor: the limit is the account's.
			w.Sessions.Throttle.SecondFactorPerAccount = 2
			t.Cleanup(func() { w.Sessions.Throttle = sqlstore.DefaultLoginThrottle })
			_, err = w.Sessions.VerifyMFA(t.Context(), w.mustSession(t, w.ATech), totpAt(t, secretB32, w.Clock.Now()))
			wantThrottled(t, err, time.Hour-time.Minute)
			w.Clock.Advance(time.Hour)
			if err := m.DisableMFA(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now())); err != nil {
				t.Fatalf("disable an hour later: %v", err)
			}
		})

		t.Run("DisableWithRecoveryCode", func(t *testing.T) {
			_, codes := mustEnableMFA(t, m, w.Clock, ctx)
			if err := m.DisableMFA(ctx, testPassword, codes[3]); err != nil {
				t.Fatalf("disable with a recovery code: %v", err)
			}
		})

		t.Run("ErrRequired", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.Tech) // provider staff: required by default
			secretB32, _ := mustEnableMFA(t, m, w.Clock, ctx)
			w.Clock.Advance(time.Minute)
			err := m.DisableMFA(ctx, testPassword, totpAt(t, secretB32, w.Clock.Now()))
			wantCode(t, err, tandem.EFORBIDDEN)
			if !strings.Contains(tandem.ErrorMessage(err), "Northwind MSP requires") {
				t.Errorf("message %q does not say who requires MFA", tandem.ErrorMessage(err))
			}
		})
	})
}

func TestMFAService_Required(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMFAService(db)
		mustEnroll := func(t *testing.T, u *tandem.User) bool {
			t.Helper()
			st, err := w.Sessions.ResolveSession(t.Context(), w.mustSession(t, u))
			if err != nil {
				t.Fatal(err)
			}
			return st.MustEnrollMFA
		}

		t.Run("ProviderStaffByDefault", func(t *testing.T) {
			if required, err := m.ProviderRequiresMFA(as(t, w.Admin)); err != nil || !required {
				t.Fatalf("ProviderRequiresMFA = %v, %v; want true by default", required, err)
			}
			if !mustEnroll(t, w.Admin) || !mustEnroll(t, w.Tech) {
				t.Error("provider staff without MFA may go on; want them sent to enrol")
			}
			if mustEnroll(t, w.ATech) {
				t.Error("internal user must enrol, but their organisation does not require it")
			}
			// Once enrolled, nothing is asked.
			ctx, _ := signIn(t, w.services, w.Tech)
			mustEnableMFA(t, m, w.Clock, ctx)
			plain := w.mustSession(t, w.Tech)
			st, err := w.Sessions.ResolveSession(t.Context(), plain)
			if err != nil || !st.AwaitingMFA {
				t.Fatalf("enrolled technician's new session = %+v, %v; want awaiting MFA", st, err)
			}
		})

		t.Run("Organization", func(t *testing.T) {
			// Outside scope: not found; in scope without the right: forbidden.
			err := m.SetOrganizationRequiresMFA(as(t, w.BAdmin), w.OrgA.ID, true)
			wantCode(t, err, tandem.ENOTFOUND)
			err = m.SetOrganizationRequiresMFA(as(t, w.ATech), w.OrgA.ID, true)
			wantCode(t, err, tandem.EFORBIDDEN)
			err = m.SetOrganizationRequiresMFA(as(t, w.Tech), w.OrgA.ID, true)
			wantCode(t, err, tandem.EFORBIDDEN)

			mark := auditMark(t, db)
			if err := m.SetOrganizationRequiresMFA(as(t, w.AAdmin), w.OrgA.ID, true); err != nil {
				t.Fatal(err)
			}
			e := wantAudit(t, db, mark, "organization.require_mfa")[0]
			if e.OrganizationID == nil || *e.OrganizationID != w.OrgA.ID {
				t.Errorf("audited in organisation %v", e.OrganizationID)
			}
			if required, err := m.OrganizationRequiresMFA(as(t, w.AViewer), w.OrgA.ID); err != nil || !required {
				t.Fatalf("OrganizationRequiresMFA = %v, %v", required, err)
			}
			if !mustEnroll(t, w.ARequester) {
				t.Error("organisation requires MFA, yet its requester may go on without")
			}
			if mustEnroll(t, w.BAdmin) {
				t.Error("another organisation's user must enrol")
			}
			st, err := m.MFAStatus(as(t, w.ARequester))
			if err != nil || !st.Required || st.RequiredBy != w.OrgA.Name {
				t.Fatalf("status = %+v, %v; want required by %s", st, err, w.OrgA.Name)
			}
			// Provider admins may change it too; setting it again changes nothing.
			mark = auditMark(t, db)
			if err := m.SetOrganizationRequiresMFA(as(t, w.Admin), w.OrgA.ID, false); err != nil {
				t.Fatal(err)
			}
			if err := m.SetOrganizationRequiresMFA(as(t, w.Admin), w.OrgA.ID, false); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "organization.require_mfa")
			if mustEnroll(t, w.ARequester) {
				t.Error("requirement lifted, yet the requester must enrol")
			}
		})

		t.Run("Provider", func(t *testing.T) {
			err := m.SetProviderRequiresMFA(as(t, w.AAdmin), false)
			wantCode(t, err, tandem.EFORBIDDEN)
			err = m.SetProviderRequiresMFA(as(t, w.Tech), false)
			wantCode(t, err, tandem.EFORBIDDEN)
			mark := auditMark(t, db)
			if err := m.SetProviderRequiresMFA(as(t, w.Admin), false); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "provider.require_mfa")
			if mustEnroll(t, w.Admin) {
				t.Error("provider no longer requires MFA, yet its admin must enrol")
			}
		})
	})
}

func TestMFAService_ResetMFA(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		m := sqlstore.NewMFAService(db)
		// enrolled signs u in, enrols them and returns their session.
		enrolled := func(t *testing.T, u *tandem.User) string {
			t.Helper()
			ctx, plain := signIn(t, w.services, u)
			mustEnableMFA(t, m, w.Clock, ctx)
			return plain
		}
		// stored counts what is left of u's second factor in the database:
		// the secret, the last step, the flag and every recovery code.
		stored := func(t *testing.T, u *tandem.User) int {
			t.Helper()
			n, err := sqlstore.CountRaw(db, `SELECT
				(SELECT COUNT(*) FROM users WHERE id = ? AND (mfa_enabled = ? OR mfa_secret IS NOT NULL OR mfa_last_step <> 0)) +
				(SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?)`, u.ID, true, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		adminA, _ := signIn(t, w.services, w.AAdmin)

		t.Run("OK", func(t *testing.T) {
			plain := enrolled(t, w.ATech)
			other := w.mustSession(t, w.ATech) // awaiting the second factor
			mark := auditMark(t, db)
			if err := m.ResetMFA(adminA, w.ATech.ID); err != nil {
				t.Fatal(err)
			}
			e := wantAudit(t, db, mark, "mfa.reset")[0]
			if e.OrganizationID == nil || *e.OrganizationID != w.OrgA.ID || e.ActorEmail != w.AAdmin.Email {
				t.Errorf("audited in organisation %v by %s; want %d by %s", e.OrganizationID, e.ActorEmail, w.OrgA.ID, w.AAdmin.Email)
			}
			if !strings.Contains(string(e.Summary), w.ATech.Email) || strings.Contains(string(e.Summary), "secret") {
				t.Errorf("audit summary %s: want the user's email and no secret", e.Summary)
			}
			for _, p := range []string{plain, other} {
				_, err := w.Sessions.ResolveSession(t.Context(), p)
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
			st, err := m.MFAStatus(as(t, w.ATech))
			if err != nil || st.Enabled || st.RecoveryCodesLeft != 0 {
				t.Fatalf("status after reset = %+v, %v", st, err)
			}
			if n := stored(t, w.ATech); n != 0 {
				t.Errorf("%d traces of the old second factor remain", n)
			}
			if u, err := w.Users.FindUserByID(adminA, w.ATech.ID); err != nil || u.MFAEnabled {
				t.Errorf("user after reset = %+v, %v", u, err)
			}
			// Signing in takes the password only again.
			if st, err := w.Sessions.ResolveSession(t.Context(), w.mustSession(t, w.ATech)); err != nil || st.AwaitingMFA || st.Actor == nil {
				t.Errorf("new session after reset = %+v, %v; want signed in", st, err)
			}
		})

		// A user without MFA is left as they are: nothing to audit, and their
		// sessions go on.
		t.Run("NoMFA", func(t *testing.T) {
			plain := w.mustSession(t, w.AViewer)
			mark := auditMark(t, db)
			if err := m.ResetMFA(adminA, w.AViewer.ID); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark)
			if _, err := w.Sessions.ActorForSession(t.Context(), plain); err != nil {
				t.Errorf("session ended by a reset that changed nothing: %v", err)
			}
		})

		t.Run("ProviderAdminResetsStaff", func(t *testing.T) {
			enrolled(t, w.Tech)
			admin, _ := signIn(t, w.services, w.Admin)
			mark := auditMark(t, db)
			if err := m.ResetMFA(admin, w.Tech.ID); err != nil {
				t.Fatal(err)
			}
			if e := wantAudit(t, db, mark, "mfa.reset")[0]; e.OrganizationID != nil || e.Chain != tandem.AuditChain(nil) {
				t.Errorf("audited in organisation %v, chain %q; want the provider chain", e.OrganizationID, e.Chain)
			}
			if n := stored(t, w.Tech); n != 0 {
				t.Errorf("%d traces of the old second factor remain", n)
			}
			// The provider requires MFA of its staff: the next session must enrol.
			st, err := w.Sessions.ResolveSession(t.Context(), w.mustSession(t, w.Tech))
			if err != nil || !st.MustEnrollMFA {
				t.Errorf("technician's session after reset = %+v, %v; want sent to enrol", st, err)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			adminB, _ := signIn(t, w.services, w.BAdmin)
			techA, _ := signIn(t, w.services, w.ATech)
			tech, _ := signIn(t, w.services, w.Tech)
			enrolled(t, w.ARequester)
			mustEnableMFA(t, m, w.Clock, tech)
			mustEnableMFA(t, m, w.Clock, adminA) // an admin, yet not of their own second factor
			mark := auditMark(t, db)
			for _, tt := range []struct {
				name   string
				ctx    context.Context
				target *tandem.User
				code   string
			}{
				{"OtherOrganization", adminB, w.ARequester, tandem.ENOTFOUND},
				{"ITTechnician", techA, w.ARequester, tandem.EFORBIDDEN},
				{"ProviderTechnician", tech, w.ARequester, tandem.EFORBIDDEN},
				// Provider staff assigned to A are seen by A's it-admin, not
				// managed; the others are not even seen.
				{"ITAdminOnProviderStaff", adminA, w.Tech, tandem.EFORBIDDEN},
				{"ITAdminOnProviderAdmin", adminA, w.Admin, tandem.ENOTFOUND},
				{"Self", adminA, w.AAdmin, tandem.EFORBIDDEN},
				{"APIToken", as(t, w.AAdmin), w.ARequester, tandem.EFORBIDDEN},
				{"Unknown", adminA, &tandem.User{ID: 1 << 40}, tandem.ENOTFOUND},
			} {
				t.Run(tt.name, func(t *testing.T) {
					err := m.ResetMFA(tt.ctx, tt.target.ID)
					wantCode(t, err, tt.code)
					if tt.name == "Self" && !strings.Contains(tandem.ErrorMessage(err), "/account/mfa") {
						t.Errorf("message %q does not point to /account/mfa", tandem.ErrorMessage(err))
					}
				})
			}
			wantAudit(t, db, mark)
			for _, u := range []*tandem.User{w.ARequester, w.Tech, w.AAdmin} {
				if st, err := m.MFAStatus(as(t, u)); err != nil || !st.Enabled || st.RecoveryCodesLeft != tandem.RecoveryCodeCount {
					t.Errorf("%s after refused resets: %+v, %v", u.Email, st, err)
				}
			}
		})
	})
}
