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
			want := actorOf(u)
			want.SessionID = a.SessionID
			if *a != *want || a.SessionID == 0 {
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

func TestSessionService_OwnSessions(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		u := w.ATech
		older, err := w.Sessions.CreateSession(tandem.NewContextWithClient(t.Context(), tandem.Client{Addr: "198.51.100.4", UserAgent: "Firefox"}), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		w.Clock.Advance(time.Minute)
		ctx, current := signIn(t, w.services, u)
		other := w.mustSession(t, w.AViewer)

		t.Run("List", func(t *testing.T) {
			list, err := w.Sessions.FindSessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || !list[0].Current || list[1].Current {
				t.Fatalf("sessions = %+v; want the current one first, then the older one", list)
			}
			if list[1].Source != "198.51.100.4" || list[1].UserAgent != "Firefox" || !list[1].CreatedAt.Equal(w.Clock.Now().Add(-time.Minute)) {
				t.Fatalf("older session %+v does not record where and when it started", list[1])
			}
		})

		t.Run("RevokeOne", func(t *testing.T) {
			list, _ := w.Sessions.FindSessions(ctx)
			// Another user's session is not ours to end.
			otherActor, err := w.Sessions.ActorForSession(t.Context(), other)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Sessions.RevokeSession(ctx, otherActor.SessionID)
			wantCode(t, err, tandem.ENOTFOUND)

			mark := auditMark(t, db)
			if err := w.Sessions.RevokeSession(ctx, list[1].ID); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "session.revoke")
			_, err = w.Sessions.ActorForSession(t.Context(), older)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			for _, s := range []string{current, other} {
				if _, err := w.Sessions.ActorForSession(t.Context(), s); err != nil {
					t.Fatalf("ending one session ended another: %v", err)
				}
			}
			err = w.Sessions.RevokeSession(ctx, list[1].ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("RevokeOthers", func(t *testing.T) {
			a, b := w.mustSession(t, u), w.mustSession(t, u)
			mark := auditMark(t, db)
			n, err := w.Sessions.RevokeOtherSessions(ctx)
			if err != nil || n != 2 {
				t.Fatalf("RevokeOtherSessions = %d, %v; want 2", n, err)
			}
			wantAudit(t, db, mark, "session.revoke_others")
			for _, s := range []string{a, b} {
				_, err := w.Sessions.ActorForSession(t.Context(), s)
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
			for _, s := range []string{current, other} {
				if _, err := w.Sessions.ActorForSession(t.Context(), s); err != nil {
					t.Fatalf("a session that should stay ended: %v", err)
				}
			}
		})
	})
}

// An admin ends all sessions of a user they may manage: the organisation's
// it-admin its users, provider admins anyone; others are refused.
func TestSessionService_RevokeUserSessions(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		for _, tt := range []struct {
			name   string
			actor  *tandem.User
			target *tandem.User
			code   string
		}{
			{"ITAdminOwnOrganization", w.AAdmin, w.ATech, ""},
			{"ProviderAdminAnyone", w.Admin, w.BAdmin, ""},
			{"ProviderAdminProviderStaff", w.Admin, w.Tech, ""},
			{"ErrOtherOrganization", w.BAdmin, w.ATech, tandem.ENOTFOUND},
			{"ErrTechnician", w.ATech, w.AViewer, tandem.EFORBIDDEN},
			{"ErrProviderTechnician", w.Tech, w.ATech, tandem.EFORBIDDEN},
			{"ErrITAdminOnProviderStaff", w.AAdmin, w.Tech, tandem.EFORBIDDEN},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s1, s2 := w.mustSession(t, tt.target), w.mustSession(t, tt.target)
				mark := auditMark(t, db)
				err := w.Sessions.RevokeUserSessions(as(t, tt.actor), tt.target.ID)
				wantCode(t, err, tt.code)
				for _, s := range []string{s1, s2} {
					_, err := w.Sessions.ActorForSession(t.Context(), s)
					if tt.code == "" {
						wantCode(t, err, tandem.EUNAUTHORIZED)
					} else if err != nil {
						t.Fatalf("refused revocation ended a session: %v", err)
					}
				}
				if tt.code == "" {
					e := wantAudit(t, db, mark, "session.revoke_all")[0]
					if !strings.Contains(string(e.Summary), `"sessions":2`) {
						t.Errorf("summary %s does not count the sessions", e.Summary)
					}
				} else {
					wantAudit(t, db, mark)
				}
			})
		}
	})
}

// Timeouts are settings of the service (tandem serve's
// --session-idle-timeout and --session-max-age).
func TestSessionService_ConfiguredTimeouts(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)
		w.Sessions.IdleTimeout, w.Sessions.AbsoluteTimeout = 5*time.Minute, 20*time.Minute
		org := w.mustCreateOrg(t, "Acme")
		u := w.mustCreateUser(t, "person@acme.test", &org.ID, tandem.RoleViewer)

		idle := w.mustSession(t, u)
		w.Clock.Advance(5 * time.Minute)
		_, err := w.Sessions.ActorForSession(t.Context(), idle)
		wantCode(t, err, tandem.EUNAUTHORIZED)

		busy := w.mustSession(t, u)
		for range 4 {
			w.Clock.Advance(4 * time.Minute)
			if _, err := w.Sessions.ActorForSession(t.Context(), busy); err != nil {
				t.Fatal(err)
			}
		}
		w.Clock.Advance(4 * time.Minute)
		_, err = w.Sessions.ActorForSession(t.Context(), busy)
		wantCode(t, err, tandem.EUNAUTHORIZED)
	})
}
