package sqlstore_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// fromClient returns a context of a visitor at addr.
func fromClient(tb testing.TB, addr string) context.Context {
	return tandem.NewContextWithClient(tb.Context(), tandem.Client{Addr: addr, UserAgent: "test"})
}

// resetEmail returns the reset emails written after mark and the token of
// the last, read the way its reader would: from its link.
func resetEmail(tb testing.TB, db *sqlstore.DB, mark int64) ([]*tandem.Notification, string) {
	tb.Helper()
	list, err := sqlstore.OutboxAfter(db, mark)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*tandem.Notification
	token := ""
	for _, n := range list {
		if n.Kind != tandem.NotifyPasswordReset {
			continue
		}
		out = append(out, n)
		u, err := url.Parse(n.ActionURL)
		if err != nil || u.Path != "/password/reset" {
			tb.Fatalf("action URL %q", n.ActionURL)
		}
		token = u.Query().Get("token")
	}
	return out, token
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewPasswordResetService(db, w.Users)
		const newPassword = "violet tractor moonlight"

		t.Run("EndToEnd", func(t *testing.T) {
			ctx := fromClient(t, "203.0.113.1")
			session := w.mustSession(t, w.ATech)
			mark, audits := outboxMark(t, db), auditMark(t, db)
			if err := s.RequestPasswordReset(ctx, "  Tech@Acme.test "); err != nil {
				t.Fatal(err)
			}
			list, token := resetEmail(t, db, mark)
			if len(list) != 1 || list[0].Channel != tandem.ChannelEmail || list[0].Address != w.ATech.Email || *list[0].UserID != w.ATech.ID || token == "" {
				t.Fatalf("reset emails %+v", list)
			}
			if strings.Contains(list[0].Body, token) || strings.Contains(list[0].Subject, token) {
				t.Fatal("the token is in the email's text, which the outbox shows")
			}
			if n, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM password_resets WHERE token_hash = ?`, token); n != 0 {
				t.Fatal("the token is stored as it is")
			}
			for _, e := range auditSince(t, db, audits) {
				if strings.Contains(string(e.Summary), token) {
					t.Fatalf("the token is in the audit trail: %+v", e)
				}
			}

			// A weak password is refused and the link still works.
			wantCode(t, s.ResetPassword(ctx, token, "password"), tandem.EINVALID)
			if err := s.ResetPassword(ctx, token, newPassword); err != nil {
				t.Fatal(err)
			}
			_, err := w.Users.Authenticate(ctx, w.ATech.Email, testPassword)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if _, err := w.Users.Authenticate(ctx, w.ATech.Email, newPassword); err != nil {
				t.Fatalf("the new password: %v", err)
			}
			_, err = w.Sessions.ActorForSession(t.Context(), session)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			// Single use.
			wantCode(t, s.ResetPassword(ctx, token, "another fine password"), tandem.EUNAUTHORIZED)

			var actions []string
			for _, e := range auditSince(t, db, audits) {
				actions = append(actions, e.Action)
			}
			if !slices.Contains(actions, "user.password_reset_requested") || !slices.Contains(actions, "user.password_reset") {
				t.Fatalf("audited %v, want the request and the reset", actions)
			}
		})

		t.Run("ExpiresAfter30Minutes", func(t *testing.T) {
			ctx := fromClient(t, "203.0.113.2")
			mark := outboxMark(t, db)
			if err := s.RequestPasswordReset(ctx, w.AViewer.Email); err != nil {
				t.Fatal(err)
			}
			_, token := resetEmail(t, db, mark)
			w.Clock.Advance(tandem.PasswordResetTTL + time.Second)
			wantCode(t, s.ResetPassword(ctx, token, newPassword), tandem.EUNAUTHORIZED)
			if _, err := w.Users.Authenticate(ctx, w.AViewer.Email, testPassword); err != nil {
				t.Fatalf("the old password after a refused reset: %v", err)
			}
		})

		t.Run("UnknownAddressSameAnswerNoRow", func(t *testing.T) {
			ctx := fromClient(t, "203.0.113.3")
			mark := outboxMark(t, db)
			resets, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM password_resets`)
			if err := s.RequestPasswordReset(ctx, "nobody@acme.test"); err != nil {
				t.Fatalf("unknown address answered %v, want the same nil as a known one", err)
			}
			if list, _ := sqlstore.OutboxAfter(db, mark); len(list) != 0 {
				t.Fatalf("wrote %+v", list)
			}
			if n, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM password_resets`); n != resets {
				t.Fatalf("password_resets %d → %d", resets, n)
			}
			wantCode(t, s.ResetPassword(ctx, "pwr_made-up", newPassword), tandem.EUNAUTHORIZED)
			wantCode(t, s.ResetPassword(ctx, "", newPassword), tandem.EUNAUTHORIZED)
		})

		t.Run("ThrottledPerAddressWhetherItExistsOrNot", func(t *testing.T) {
			for i, email := range []string{w.AAdmin.Email, "ghost@acme.test"} {
				ctx := fromClient(t, "198.51.100."+itoa(10+i))
				for range sqlstore.ResetRequestsPerAddress {
					if err := s.RequestPasswordReset(ctx, email); err != nil {
						t.Fatal(err)
					}
				}
				err := s.RequestPasswordReset(fromClient(t, "198.51.100.99"), strings.ToUpper(email))
				wantCode(t, err, tandem.ETOOMANY)
				if tandem.RetryAfter(err) <= 0 {
					t.Fatalf("%s: no Retry-After", email)
				}
			}
			// Once the hour has passed, the address may ask again.
			w.Clock.Advance(sqlstore.ResetRequestWindow)
			if err := s.RequestPasswordReset(fromClient(t, "198.51.100.98"), w.AAdmin.Email); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ThrottledPerClient", func(t *testing.T) {
			c := sqlstore.NewPasswordResetService(db, w.Users)
			c.PerClient = 3
			ctx := fromClient(t, "2001:db8:1:2::5")
			for i := range 3 {
				if err := c.RequestPasswordReset(ctx, "someone"+itoa(i)+"@acme.test"); err != nil {
					t.Fatal(err)
				}
			}
			// Another address of the same /64 is the same client.
			wantCode(t, c.RequestPasswordReset(fromClient(t, "2001:db8:1:2::6"), w.BAdmin.Email), tandem.ETOOMANY)
			if err := c.RequestPasswordReset(fromClient(t, "2001:db8:1:3::6"), w.BAdmin.Email); err != nil {
				t.Fatal(err)
			}
		})
	})
}
