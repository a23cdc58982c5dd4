package sqlstore_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// from returns a context of a request from the given address, as the HTTP
// layer builds it for a login.
func from(tb testing.TB, addr string) context.Context {
	return tandem.NewContextWithClient(tb.Context(), tandem.Client{Addr: addr, UserAgent: "Mozilla/5.0 (test)"})
}

// signIn starts a browser session for u and returns a context acting through
// it, as page() builds one, and the session's secret.
func signIn(tb testing.TB, s *services, u *tandem.User) (context.Context, string) {
	tb.Helper()
	plain := s.mustSession(tb, u)
	a, err := s.Sessions.ActorForSession(tb.Context(), plain)
	if err != nil {
		tb.Fatalf("resolve session of %s: %v", u.Email, err)
	}
	a.SourceAddr = "192.0.2.1"
	return asActor(tb, a), plain
}

// wantThrottled fails unless err refuses the attempt with ETOOMANY and a
// retry time of want.
func wantThrottled(tb testing.TB, err error, want time.Duration) {
	tb.Helper()
	wantCode(tb, err, tandem.ETOOMANY)
	if got := tandem.RetryAfter(err); got != want {
		tb.Fatalf("RetryAfter = %v, want %v", got, want)
	}
}

func TestUserService_AuthenticateThrottle(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)
		org := w.mustCreateOrg(t, "Acme")

		// 100 failures within the hour lock the account, whatever the
		// address; a refused attempt checks nothing, not even a right
		// password; an hour after the oldest failure one attempt is free.
		// Unknown accounts behave the same, so the lock tells nothing.
		for _, tt := range []struct {
			name  string
			email string
		}{
			{"KnownAccount", "locked@acme.test"},
			{"UnknownAccount", "nobody@acme.test"},
		} {
			t.Run("PerAccount"+tt.name, func(t *testing.T) {
				if tt.email != "nobody@acme.test" {
					w.mustCreateUser(t, tt.email, &org.ID, tandem.RoleITTechnician)
				}
				start := w.Clock.Now()
				for i := range tandem.LoginFailuresPerAccount {
					// Spread over 99 × 10 s, from different addresses, so only
					// the account limit applies.
					_, err := w.Users.Authenticate(from(t, "198.51.100."+itoa(i%200+1)), tt.email, "wrong password!")
					wantCode(t, err, tandem.EUNAUTHORIZED)
					w.Clock.Advance(10 * time.Second)
				}
				// Now = start + 1000 s; the oldest failure leaves the window at start + 1 h.
				_, err := w.Users.Authenticate(from(t, "203.0.113.9"), " "+strings.ToUpper(tt.email), testPassword)
				wantThrottled(t, err, time.Hour-1000*time.Second)
				if msg := tandem.ErrorMessage(err); !strings.Contains(msg, "44 minutes") {
					t.Errorf("message %q does not say when to retry", msg)
				}

				w.Clock.Advance(start.Add(time.Hour).Sub(w.Clock.Now()))
				_, err = w.Users.Authenticate(from(t, "203.0.113.9"), tt.email, "wrong password!")
				wantCode(t, err, tandem.EUNAUTHORIZED) // one slot freed, and used
				_, err = w.Users.Authenticate(from(t, "203.0.113.9"), tt.email, testPassword)
				wantThrottled(t, err, 10*time.Second)

				// An hour after the last failure the account is free again.
				w.Clock.Advance(time.Hour)
				_, err = w.Users.Authenticate(from(t, "203.0.113.9"), tt.email, testPassword)
				if tt.email == "nobody@acme.test" {
					wantCode(t, err, tandem.EUNAUTHORIZED)
				} else if err != nil {
					t.Fatalf("login an hour after the lock: %v", err)
				}
			})
		}

		t.Run("PerAddress", func(t *testing.T) {
			w.Users.Throttle.PerAddress = 5
			t.Cleanup(func() { w.Users.Throttle = sqlstore.DefaultLoginThrottle })
			u := w.mustCreateUser(t, "spray@acme.test", &org.ID, tandem.RoleITTechnician)
			// One address guessing one password per account, across accounts…
			for i := range 5 {
				_, err := w.Users.Authenticate(from(t, "2001:db8:1:2::"+itoa(i+1)), "victim"+itoa(i)+"@acme.test", "Summer2030!")
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
			// …is stopped at the address's limit, counted per IPv6 /64 network.
			_, err := w.Users.Authenticate(from(t, "2001:db8:1:2:ffff::1"), u.Email, testPassword)
			wantThrottled(t, err, time.Hour)
			// Other addresses are not affected.
			if _, err := w.Users.Authenticate(from(t, "2001:db8:1:3::1"), u.Email, testPassword); err != nil {
				t.Fatalf("login from another network: %v", err)
			}
			w.Clock.Advance(time.Hour)
			if _, err := w.Users.Authenticate(from(t, "2001:db8:1:2::1"), u.Email, testPassword); err != nil {
				t.Fatalf("login from the address an hour later: %v", err)
			}
		})

		// Each attempt counts before its slow hash, so a burst of parallel
		// guesses gets no more than the limit.
		t.Run("ConcurrentAttempts", func(t *testing.T) {
			w.Users.Throttle.PerAccount = 5
			t.Cleanup(func() { w.Users.Throttle = sqlstore.DefaultLoginThrottle })
			u := w.mustCreateUser(t, "burst@acme.test", &org.ID, tandem.RoleITTechnician)
			codes := make(chan string, 20)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					_, err := w.Users.Authenticate(from(t, "198.51.100."+itoa(i+1)), u.Email, "guess "+itoa(i))
					codes <- tandem.ErrorCode(err)
				})
			}
			wg.Wait()
			close(codes)
			count := map[string]int{}
			for c := range codes {
				count[c]++
			}
			if count[tandem.EUNAUTHORIZED] != 5 || count[tandem.ETOOMANY] != 15 {
				t.Fatalf("20 parallel guesses with a limit of 5 answered %v; want 5 checked and 15 refused", count)
			}
		})

		// A success does not count against the limit.
		t.Run("SuccessesDoNotCount", func(t *testing.T) {
			w.Users.Throttle.PerAccount = 3
			t.Cleanup(func() { w.Users.Throttle = sqlstore.DefaultLoginThrottle })
			u := w.mustCreateUser(t, "often@acme.test", &org.ID, tandem.RoleITTechnician)
			for range 10 {
				if _, err := w.Users.Authenticate(from(t, "192.0.2.10"), u.Email, testPassword); err != nil {
					t.Fatal(err)
				}
			}
		})

		t.Run("PasswordTypedAsEmailNotAudited", func(t *testing.T) {
			mark := auditMark(t, db)
			_, err := w.Users.Authenticate(from(t, "192.0.2.78"), "Tr0ub4dor&3 horse", "anything at all")
			wantCode(t, err, tandem.EUNAUTHORIZED)
			e := wantAudit(t, db, mark, "session.login_failed")[0]
			if strings.Contains(string(e.Summary), "Tr0ub4dor") || !strings.Contains(string(e.Summary), "not an email address") {
				t.Fatalf("a password typed into the email field reached the audit trail: %s", e.Summary)
			}
		})

		t.Run("FailuresAudited", func(t *testing.T) {
			u := w.mustCreateUser(t, "audited@acme.test", &org.ID, tandem.RoleITTechnician)
			mark := auditMark(t, db)
			for _, email := range []string{u.Email, "ghost@acme.test"} {
				_, err := w.Users.Authenticate(from(t, "192.0.2.77"), email, "Secret-Guess-123")
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
			entries := wantAudit(t, db, mark, "session.login_failed", "session.login_failed")
			for i, e := range entries {
				var summary map[string]string
				if err := json.Unmarshal(e.Summary, &summary); err != nil {
					t.Fatal(err)
				}
				if e.ActorParty != "anonymous" || e.ActorUserID != nil || e.Source != "192.0.2.77" {
					t.Errorf("entry %d: actor %s/%v from %q, want anonymous from 192.0.2.77", i, e.ActorParty, e.ActorUserID, e.Source)
				}
				if strings.Contains(string(e.Summary), "Secret-Guess-123") {
					t.Errorf("entry %d holds the password: %s", i, e.Summary)
				}
				if summary["email"] == "" {
					t.Errorf("entry %d does not name the email: %s", i, e.Summary)
				}
			}
			// The known account's failure belongs to its organisation; the
			// unknown one to the provider chain.
			if e := entries[0]; e.OrganizationID == nil || *e.OrganizationID != org.ID || e.Target != "user:"+itoa(int(u.ID)) {
				t.Errorf("failure on a known account: organisation %v, target %q", e.OrganizationID, e.Target)
			}
			if e := entries[1]; e.OrganizationID != nil {
				t.Errorf("failure on an unknown account in organisation %v", *e.OrganizationID)
			}
		})
	})
}

// TestUserService_AuthenticateTiming checks that an unknown email costs a
// password hash like a known one, so the time of an answer does not tell
// which accounts exist. The work is counted, not timed: argon2id fills its
// whole memory cost on every hash, so each path must allocate one hash's
// memory, and not two.
func TestUserService_AuthenticateTiming(t *testing.T) {
	w := newServices(t, testdb.MustOpenSQLite(t))
	w.Users.PasswordParams = secret.Params{MemoryKiB: 8 * 1024, Iterations: 1, Parallelism: 1}
	hashBytes := uint64(w.Users.PasswordParams.MemoryKiB) * 1024
	org := w.mustCreateOrg(t, "Acme")
	u := w.mustCreateUser(t, "timed@acme.test", &org.ID, tandem.RoleITTechnician)
	attempt := func(email string) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := w.Users.Authenticate(t.Context(), email, "wrong password!")
		runtime.ReadMemStats(&after)
		wantCode(t, err, tandem.EUNAUTHORIZED)
		return after.TotalAlloc - before.TotalAlloc
	}
	attempt("warm-up@acme.test") // makes the dummy hash
	for _, email := range []string{u.Email, "nobody@acme.test"} {
		if got := attempt(email); got < hashBytes || got >= 2*hashBytes {
			t.Errorf("a wrong login as %s allocated %d bytes, want one password hash's %d and less than two", email, got, hashBytes)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
