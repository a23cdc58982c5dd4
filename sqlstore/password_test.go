package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestUserService_ChangePassword(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		const next = "a new and longer passphrase"

		t.Run("OK", func(t *testing.T) {
			u := w.ATech
			ctx, current := signIn(t, w.services, u)
			elsewhere := w.mustSession(t, u)
			bystander := w.mustSession(t, w.AViewer)
			mark := auditMark(t, db)
			if err := w.Users.ChangePassword(ctx, testPassword, next); err != nil {
				t.Fatal(err)
			}
			e := wantAudit(t, db, mark, "user.password_change")[0]
			if strings.Contains(string(e.Summary), next) || strings.Contains(string(e.Summary), testPassword) {
				t.Fatalf("audit summary holds a password: %s", e.Summary)
			}
			// Every other session of the user ends; the one making the change stays.
			_, err := w.Sessions.ActorForSession(t.Context(), elsewhere)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			for _, s := range []string{current, bystander} {
				if _, err := w.Sessions.ActorForSession(t.Context(), s); err != nil {
					t.Fatalf("a session that should stay ended: %v", err)
				}
			}
			_, err = w.Users.Authenticate(t.Context(), u.Email, testPassword)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if _, err := w.Users.Authenticate(t.Context(), u.Email, next); err != nil {
				t.Fatalf("new password refused: %v", err)
			}
		})

		t.Run("ErrWrongCurrent", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.AViewer)
			elsewhere := w.mustSession(t, w.AViewer)
			mark := auditMark(t, db)
			err := w.Users.ChangePassword(ctx, "not my password", next)
			wantCode(t, err, tandem.EINVALID)
			wantAudit(t, db, mark, "user.password_change_failed")
			if _, err := w.Sessions.ActorForSession(t.Context(), elsewhere); err != nil {
				t.Fatalf("failed change ended a session: %v", err)
			}
			if _, err := w.Users.Authenticate(t.Context(), w.AViewer.Email, testPassword); err != nil {
				t.Fatalf("failed change altered the password: %v", err)
			}
		})

		t.Run("ErrWeakPassword", func(t *testing.T) {
			ctx, _ := signIn(t, w.services, w.AViewer)
			for pw, want := range map[string]string{
				"abc12":      "too short",
				"password1":  "most common",
				"Iloveyou2":  "most common",
				testPassword: "same as the current",
			} {
				err := w.Users.ChangePassword(ctx, testPassword, pw)
				wantCode(t, err, tandem.EINVALID)
				if msg := tandem.ErrorMessage(err); !strings.Contains(msg, want) || strings.Contains(msg, pw) {
					t.Errorf("ChangePassword(%q): message %q, want it to say %q without echoing the password", pw, msg, want)
				}
			}
		})

		t.Run("ErrTokenActor", func(t *testing.T) {
			err := w.Users.ChangePassword(as(t, w.ARequester), testPassword, next)
			wantCode(t, err, tandem.EFORBIDDEN)
		})

		// Wrong current passwords count as failed logins.
		t.Run("Throttled", func(t *testing.T) {
			w.Users.Throttle.PerAccount = 3
			t.Cleanup(func() { w.Users.Throttle = sqlstore.DefaultLoginThrottle })
			ctx, _ := signIn(t, w.services, w.ARequester)
			for range 3 {
				err := w.Users.ChangePassword(ctx, "guess", next)
				wantCode(t, err, tandem.EINVALID)
			}
			err := w.Users.ChangePassword(ctx, testPassword, next)
			wantThrottled(t, err, time.Hour)
			_, err = w.Users.Authenticate(t.Context(), w.ARequester.Email, testPassword)
			wantThrottled(t, err, time.Hour)
		})
	})
}
