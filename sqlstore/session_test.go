package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestSessionService(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)
		org := w.mustCreateOrg(t, "Acme")
		u := w.mustCreateUser(t, "person@acme.test", &org.ID, tandem.RoleITTechnician)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			plain := w.mustSession(t, u)
			a, err := w.Sessions.ActorForSession(t.Context(), plain)
			if err != nil {
				t.Fatal(err)
			}
			if want := actorOf(u); *a != *want {
				t.Fatalf("session resolves to %+v, want %+v", a, want)
			}
			e := wantAudit(t, db, mark, "session.login")[0]
			if e.ActorUserID == nil || *e.ActorUserID != u.ID || e.OrganizationID == nil || *e.OrganizationID != org.ID {
				t.Fatalf("audit entry %+v does not name the user and organisation", e)
			}
			if strings.Contains(string(e.Summary), plain) || strings.Contains(string(e.Summary), secret.Hash(plain)) {
				t.Fatalf("audit summary holds the session secret: %s", e.Summary)
			}
		})

		t.Run("IdleTimeout", func(t *testing.T) {
			plain := w.mustSession(t, u)
			// Each use within 30 minutes keeps the session alive…
			for range 3 {
				w.Clock.Advance(29 * time.Minute)
				if _, err := w.Sessions.ActorForSession(t.Context(), plain); err != nil {
					t.Fatalf("session used every 29 minutes ended: %v", err)
				}
			}
			// …30 minutes without one ends it.
			w.Clock.Advance(30 * time.Minute)
			_, err := w.Sessions.ActorForSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("IdleTimeoutBoundary", func(t *testing.T) {
			alive, idle := w.mustSession(t, u), w.mustSession(t, u)
			w.Clock.Advance(30*time.Minute - time.Second)
			if _, err := w.Sessions.ActorForSession(t.Context(), alive); err != nil {
				t.Fatalf("session ended before 30 idle minutes: %v", err)
			}
			w.Clock.Advance(time.Second)
			_, err := w.Sessions.ActorForSession(t.Context(), idle)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("AbsoluteTimeout", func(t *testing.T) {
			// Constant use cannot stretch a session past 12 hours.
			plain := w.mustSession(t, u)
			for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
				w.Clock.Advance(20 * time.Minute)
				if _, err := w.Sessions.ActorForSession(t.Context(), plain); err != nil {
					t.Fatalf("active session ended after %v: %v", elapsed, err)
				}
			}
			w.Clock.Advance(20 * time.Minute)
			_, err := w.Sessions.ActorForSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("DeleteSession", func(t *testing.T) {
			plain, other := w.mustSession(t, u), w.mustSession(t, u)
			if err := w.Sessions.DeleteSession(t.Context(), plain); err != nil {
				t.Fatal(err)
			}
			_, err := w.Sessions.ActorForSession(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if _, err := w.Sessions.ActorForSession(t.Context(), other); err != nil {
				t.Fatalf("logging out one session ended another: %v", err)
			}
			// Deleting twice, or an unknown secret, is not an error.
			if err := w.Sessions.DeleteSession(t.Context(), plain); err != nil {
				t.Fatal(err)
			}
			if err := w.Sessions.DeleteSession(t.Context(), "unknown"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrUnknownSecret", func(t *testing.T) {
			plain := w.mustSession(t, u)
			for _, s := range []string{"", "unknown", plain + "x", plain[1:], strings.Repeat("a", 101)} {
				_, err := w.Sessions.ActorForSession(t.Context(), s)
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
		})

		t.Run("ErrUnknownUser", func(t *testing.T) {
			_, err := w.Sessions.CreateSession(t.Context(), 999999)
			wantCode(t, err, tandem.ENOTFOUND)
		})
	})
}
