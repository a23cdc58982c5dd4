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

func TestTokenService(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			tok, plain, err := w.Tokens.CreateToken(as(t, w.ATech), w.ATech.ID, "  ci  ", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(plain, "tdm_") || len(plain) < 40 {
				t.Fatalf("secret %q does not look like tdm_ followed by a random string", plain)
			}
			if tok.ID == 0 || tok.UserID != w.ATech.ID || tok.Name != "ci" || tok.ExpiresAt != nil || !tok.CreatedAt.Equal(w.Clock.Now()) {
				t.Fatalf("token = %+v", tok)
			}
			a, err := w.Tokens.ActorForToken(t.Context(), plain)
			if err != nil {
				t.Fatal(err)
			}
			want := actorOf(w.ATech)
			if *a != *want {
				t.Fatalf("token resolves to %+v, want %+v", a, want)
			}
			e := wantAudit(t, db, mark, "token.create")[0]
			if e.OrganizationID == nil || *e.OrganizationID != w.OrgA.ID || e.ActorUserID == nil || *e.ActorUserID != w.ATech.ID {
				t.Fatalf("audit entry %+v does not name the user and organisation", e)
			}
		})

		t.Run("SecretsDiffer", func(t *testing.T) {
			a, b := w.mustToken(t, w.Tech), w.mustToken(t, w.Tech)
			if a == b {
				t.Fatal("two tokens share a secret")
			}
		})

		t.Run("AdminForOther", func(t *testing.T) {
			_, plain, err := w.Tokens.CreateToken(as(t, w.Admin), w.AViewer.ID, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := w.Tokens.ActorForToken(t.Context(), plain)
			if err != nil {
				t.Fatal(err)
			}
			if a.UserID != w.AViewer.ID {
				t.Fatalf("token for the viewer acts as user %d", a.UserID)
			}
		})

		t.Run("SecretNotAudited", func(t *testing.T) {
			// The api_tokens table is out of reach from here; the audit log
			// is the one place a careless change would copy the secret to.
			plain := w.mustToken(t, w.AAdmin)
			for _, e := range auditLog(t, db) {
				if strings.Contains(string(e.Summary), plain) || strings.Contains(string(e.Summary), secret.Hash(plain)) ||
					strings.Contains(e.Target, plain) {
					t.Fatalf("audit entry %d (%s) holds the token: %s", e.ID, e.Action, e.Summary)
				}
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			expires := w.Clock.Now().Add(time.Hour)
			tok, plain, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, "short-lived", &expires)
			if err != nil {
				t.Fatal(err)
			}
			if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(expires) {
				t.Fatalf("ExpiresAt = %v, want %v", tok.ExpiresAt, expires)
			}
			w.Clock.Advance(59 * time.Minute)
			if _, err := w.Tokens.ActorForToken(t.Context(), plain); err != nil {
				t.Fatalf("token refused before it expires: %v", err)
			}
			w.Clock.Advance(time.Minute)
			_, err = w.Tokens.ActorForToken(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("ErrExpiryInPast", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, expires := range []time.Time{w.Clock.Now(), w.Clock.Now().Add(-time.Second)} {
				_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, "stale", &expires)
				wantCode(t, err, tandem.EINVALID)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrUnknownSecret", func(t *testing.T) {
			plain := w.mustToken(t, w.AAdmin)
			for _, s := range []string{"", "tdm_", "tdm_unknown", plain[len(sqlstore.TokenPrefix):], plain + "x", strings.ToUpper(plain), "tdm_" + strings.Repeat("a", 300)} {
				_, err := w.Tokens.ActorForToken(t.Context(), s)
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			tests := []struct {
				name  string
				as    *tandem.User
				owner *tandem.User
			}{
				// The admin is in the technician's scope (a colleague), but a
				// token acting as someone else is theirs to issue only.
				{"ProviderTechnicianForAdmin", w.Tech, w.Admin},
				{"ITAdminForOwnUser", w.AAdmin, w.ATech},
				{"ITTechnicianForColleague", w.ATech, w.AViewer},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, _, err := w.Tokens.CreateToken(as(t, tt.as), tt.owner.ID, "", nil)
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrOutsideScope", func(t *testing.T) {
			_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.BAdmin.ID, "", nil)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("ErrInvalidName", func(t *testing.T) {
			_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, strings.Repeat("n", 101), nil)
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("ErrInactiveUser", func(t *testing.T) {
			off := false
			if _, err := w.Users.UpdateUser(as(t, w.Admin), w.ARequester.ID, tandem.UserUpdate{Active: &off}); err != nil {
				t.Fatal(err)
			}
			_, _, err := w.Tokens.CreateToken(as(t, w.Admin), w.ARequester.ID, "", nil)
			wantCode(t, err, tandem.EINVALID)
		})
	})
}
