package sqlstore_test

import (
	"slices"
	"strconv"
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
			tok, plain, err := w.Tokens.CreateToken(as(t, w.ATech), w.ATech.ID, tandem.TokenOptions{Name: "  ci  "})
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
			want.TokenID = tok.ID
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
			_, plain, err := w.Tokens.CreateToken(as(t, w.Admin), w.AViewer.ID, tandem.TokenOptions{})
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
			tok, plain, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: "short-lived", ExpiresAt: &expires})
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
				_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: "stale", ExpiresAt: &expires})
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
					_, _, err := w.Tokens.CreateToken(as(t, tt.as), tt.owner.ID, tandem.TokenOptions{})
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrOutsideScope", func(t *testing.T) {
			_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.BAdmin.ID, tandem.TokenOptions{})
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("ErrInvalidName", func(t *testing.T) {
			_, _, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: strings.Repeat("n", 101)})
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("ErrInactiveUser", func(t *testing.T) {
			off := false
			if _, err := w.Users.UpdateUser(as(t, w.Admin), w.ARequester.ID, tandem.UserUpdate{Active: &off}); err != nil {
				t.Fatal(err)
			}
			_, _, err := w.Tokens.CreateToken(as(t, w.Admin), w.ARequester.ID, tandem.TokenOptions{})
			wantCode(t, err, tandem.EINVALID)
		})
	})
}

// TestTokenService_Scope checks what a token carries besides its user: a
// read-only flag and an organisation restriction, neither of which can reach
// further than the user or the credential that issued the token.
func TestTokenService_Scope(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		resolve := func(t *testing.T, plain string) *tandem.Actor {
			t.Helper()
			a, err := w.Tokens.ActorForToken(t.Context(), plain)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}

		t.Run("RevokedWithItsCreator", func(t *testing.T) {
			parentTok, parent, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: "leaked"})
			if err != nil {
				t.Fatal(err)
			}
			_, child, err := w.Tokens.CreateToken(asActor(t, resolve(t, parent)), w.AAdmin.ID, tandem.TokenOptions{Name: "minted"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Tokens.RevokeToken(as(t, w.AAdmin), parentTok.ID); err != nil {
				t.Fatal(err)
			}
			_, err = w.Tokens.ActorForToken(t.Context(), child)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("NeverOutlivesItsCreator", func(t *testing.T) {
			until := w.Clock.Now().Add(time.Hour)
			_, parent, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: "short", ExpiresAt: &until})
			if err != nil {
				t.Fatal(err)
			}
			ctx := asActor(t, resolve(t, parent))
			child, _, err := w.Tokens.CreateToken(ctx, w.AAdmin.ID, tandem.TokenOptions{Name: "child"})
			if err != nil || child.ExpiresAt == nil || !child.ExpiresAt.Equal(until) {
				t.Fatalf("child token = %+v, %v; want it to expire with its parent at %v", child, err, until)
			}
			later := until.Add(time.Minute)
			_, _, err = w.Tokens.CreateToken(ctx, w.AAdmin.ID, tandem.TokenOptions{Name: "longer", ExpiresAt: &later})
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("ReadOnly", func(t *testing.T) {
			tok, plain, err := w.Tokens.CreateToken(as(t, w.AAdmin), w.AAdmin.ID, tandem.TokenOptions{Name: "reader", ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ReadOnly {
				t.Fatalf("token = %+v, want read-only", tok)
			}
			a := resolve(t, plain)
			want := actorOf(w.AAdmin)
			want.ReadOnly, want.TokenID = true, tok.ID
			if *a != *want {
				t.Fatalf("token resolves to %+v, want %+v", a, want)
			}
			ctx := asActor(t, a)
			mark := auditMark(t, db)
			name, viewer := "Renamed", tandem.RoleViewer
			_, err = w.Users.UpdateUser(ctx, w.AAdmin.ID, tandem.UserUpdate{Name: &name})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = w.Users.UpdateUser(ctx, w.ATech.ID, tandem.UserUpdate{Role: &viewer})
			wantCode(t, err, tandem.EFORBIDDEN)
			wantCode(t, w.Users.CreateUser(ctx, &tandem.User{Email: "ro@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester}, testPassword), tandem.EFORBIDDEN)
			_, err = w.Orgs.UpdateOrganization(ctx, w.OrgA.ID, tandem.OrganizationUpdate{Name: &name})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, _, err = w.Tokens.CreateToken(ctx, w.AAdmin.ID, tandem.TokenOptions{})
			wantCode(t, err, tandem.EFORBIDDEN)
			wantCode(t, w.Tokens.RevokeToken(ctx, tok.ID), tandem.EFORBIDDEN)
			_, err = w.Invites.CreateInvitation(ctx, &tandem.Invitation{Email: "ro@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer})
			wantCode(t, err, tandem.EFORBIDDEN)
			wantAudit(t, db, mark)

			// Reading still works.
			if _, err := w.Orgs.FindOrganizationByID(ctx, w.OrgA.ID); err != nil {
				t.Errorf("read-only token cannot read its organisation: %v", err)
			}
			if _, err := w.Tokens.ListTokens(ctx, w.AAdmin.ID); err != nil {
				t.Errorf("read-only token cannot list its user's tokens: %v", err)
			}
		})

		t.Run("OrganizationRestriction", func(t *testing.T) {
			w.assign(t, w.Tech, w.OrgA.ID, w.OrgB.ID)
			defer w.assign(t, w.Tech, w.OrgA.ID)
			tok, plain, err := w.Tokens.CreateToken(as(t, w.Tech), w.Tech.ID, tandem.TokenOptions{Name: "acme-only", OrganizationID: &w.OrgA.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tok.OrganizationID == nil || *tok.OrganizationID != w.OrgA.ID {
				t.Fatalf("token = %+v, want restricted to A", tok)
			}
			a := resolve(t, plain)
			if a.OnlyOrganizationID != w.OrgA.ID || a.ReadOnly {
				t.Fatalf("token resolves to %+v, want restricted to A and read-write", a)
			}
			ctx := asActor(t, a)
			orgs, _, err := w.Orgs.FindOrganizations(ctx, tandem.OrganizationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := orgIDs(orgs); !slices.Equal(got, []int64{w.OrgA.ID}) {
				t.Errorf("restricted token lists organisations %v, want only A", got)
			}
			_, err = w.Orgs.FindOrganizationByID(ctx, w.OrgB.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = w.Users.FindUserByID(ctx, w.BAdmin.ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("RestrictedProviderAdmin", func(t *testing.T) {
			_, plain, err := w.Tokens.CreateToken(as(t, w.Admin), w.Admin.ID, tandem.TokenOptions{OrganizationID: &w.OrgA.ID})
			if err != nil {
				t.Fatal(err)
			}
			ctx := asActor(t, resolve(t, plain))
			mark := auditMark(t, db)
			wantCode(t, w.Orgs.CreateOrganization(ctx, &tandem.Organization{Name: "Sneaky"}), tandem.EFORBIDDEN)
			wantCode(t, w.Users.CreateUser(ctx, &tandem.User{Email: "staff@msp.test", Role: tandem.RoleTechnician}, testPassword), tandem.EFORBIDDEN)
			_, _, err = w.Tokens.CreateToken(ctx, w.ATech.ID, tandem.TokenOptions{})
			wantCode(t, err, tandem.EFORBIDDEN)
			wantAudit(t, db, mark)
			// Within its organisation it acts with its user's rights.
			name := "Acme Corporation"
			if _, err := w.Orgs.UpdateOrganization(ctx, w.OrgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
				t.Errorf("restricted admin token cannot change its organisation: %v", err)
			}
		})

		t.Run("RestrictionOnlyNarrows", func(t *testing.T) {
			restricted := actorOf(w.Admin)
			restricted.OnlyOrganizationID = w.OrgA.ID
			ctx := asActor(t, restricted)
			tok, _, err := w.Tokens.CreateToken(ctx, w.Admin.ID, tandem.TokenOptions{Name: "child"})
			if err != nil {
				t.Fatal(err)
			}
			if tok.OrganizationID == nil || *tok.OrganizationID != w.OrgA.ID {
				t.Errorf("token issued through a restricted credential = %+v, want restricted to A as well", tok)
			}
			_, _, err = w.Tokens.CreateToken(ctx, w.Admin.ID, tandem.TokenOptions{OrganizationID: &w.OrgB.ID})
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("ErrOrganizationOutsideUserScope", func(t *testing.T) {
			mark := auditMark(t, db)
			tests := []struct {
				name  string
				as    *tandem.User
				owner *tandem.User
				org   int64
			}{
				// The admin sees B, but the technician works on A only.
				{"AdminForTechnicianOnOtherOrg", w.Admin, w.Tech, w.OrgB.ID},
				{"ITAdminOnOtherOrg", w.AAdmin, w.AAdmin, w.OrgB.ID},
				{"TechnicianOnUnassignedOrg", w.Tech, w.Tech, w.OrgB.ID},
				{"UnknownOrganization", w.Admin, w.Admin, 999999},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, _, err := w.Tokens.CreateToken(as(t, tt.as), tt.owner.ID, tandem.TokenOptions{OrganizationID: &tt.org})
					wantCode(t, err, tandem.EINVALID)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("RestrictionLaterOutOfScope", func(t *testing.T) {
			// Unassigning the technician leaves their A-only token nothing.
			_, plain, err := w.Tokens.CreateToken(as(t, w.Tech), w.Tech.ID, tandem.TokenOptions{OrganizationID: &w.OrgA.ID})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.Tech)
			defer w.assign(t, w.Tech, w.OrgA.ID)
			orgs, _, err := w.Orgs.FindOrganizations(asActor(t, resolve(t, plain)), tandem.OrganizationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != 0 {
				t.Errorf("token of an unassigned technician lists %v", orgIDs(orgs))
			}
		})

		t.Run("ListTokens", func(t *testing.T) {
			u := w.mustCreateUser(t, "lister@acme.test", &w.OrgA.ID, tandem.RoleITTechnician)
			first, _, err := w.Tokens.CreateToken(as(t, u), u.ID, tandem.TokenOptions{Name: "first"})
			if err != nil {
				t.Fatal(err)
			}
			second, plain, err := w.Tokens.CreateToken(as(t, u), u.ID, tandem.TokenOptions{Name: "second", ReadOnly: true, OrganizationID: &w.OrgA.ID})
			if err != nil {
				t.Fatal(err)
			}
			resolve(t, plain)
			for _, viewer := range []*tandem.User{u, w.Admin} {
				list, err := w.Tokens.ListTokens(as(t, viewer), u.ID)
				if err != nil {
					t.Fatalf("as %s: %v", viewer.Email, err)
				}
				if len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
					t.Fatalf("as %s: tokens %+v, want second then first", viewer.Email, list)
				}
				if got := list[0]; !got.ReadOnly || got.OrganizationID == nil || *got.OrganizationID != w.OrgA.ID || got.LastUsedAt == nil || !got.LastUsedAt.Equal(w.Clock.Now()) {
					t.Errorf("listed %+v, want read-only, restricted to A, last used now", got)
				}
				if list[1].LastUsedAt != nil {
					t.Errorf("unused token has last use %v", list[1].LastUsedAt)
				}
			}
			_, err = w.Tokens.ListTokens(as(t, w.AAdmin), u.ID)
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = w.Tokens.ListTokens(as(t, w.BAdmin), u.ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("RevokeToken", func(t *testing.T) {
			own, ownPlain, err := w.Tokens.CreateToken(as(t, w.ATech), w.ATech.ID, tandem.TokenOptions{Name: "own"})
			if err != nil {
				t.Fatal(err)
			}
			other, otherPlain, err := w.Tokens.CreateToken(as(t, w.AViewer), w.AViewer.ID, tandem.TokenOptions{Name: "other"})
			if err != nil {
				t.Fatal(err)
			}
			// Another user's token is not there for colleagues, even their it-admin.
			mark := auditMark(t, db)
			for _, u := range []*tandem.User{w.ATech, w.AAdmin, w.BAdmin} {
				wantCode(t, w.Tokens.RevokeToken(as(t, u), other.ID), tandem.ENOTFOUND)
			}
			wantCode(t, w.Tokens.RevokeToken(as(t, w.ATech), 999999), tandem.ENOTFOUND)
			wantAudit(t, db, mark)

			if err := w.Tokens.RevokeToken(as(t, w.ATech), own.ID); err != nil {
				t.Fatal(err)
			}
			if err := w.Tokens.RevokeToken(as(t, w.Admin), other.ID); err != nil {
				t.Fatal(err)
			}
			entries := wantAudit(t, db, mark, "token.revoke", "token.revoke")
			if entries[0].Target != "token:"+strconv.FormatInt(own.ID, 10) || entries[1].ActorUserID == nil || *entries[1].ActorUserID != w.Admin.ID {
				t.Errorf("audit entries %+v", entries)
			}
			for _, plain := range []string{ownPlain, otherPlain} {
				_, err := w.Tokens.ActorForToken(t.Context(), plain)
				wantCode(t, err, tandem.EUNAUTHORIZED)
			}
			wantCode(t, w.Tokens.RevokeToken(as(t, w.ATech), own.ID), tandem.ENOTFOUND)
		})

		t.Run("DeactivationEndsTokens", func(t *testing.T) {
			u := w.mustCreateUser(t, "leaving@acme.test", &w.OrgA.ID, tandem.RoleITTechnician)
			plain := w.mustToken(t, u)
			off := false
			if _, err := w.Users.UpdateUser(as(t, w.AAdmin), u.ID, tandem.UserUpdate{Active: &off}); err != nil {
				t.Fatal(err)
			}
			_, err := w.Tokens.ActorForToken(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			// Reactivating does not bring the token back.
			on := true
			if _, err := w.Users.UpdateUser(as(t, w.AAdmin), u.ID, tandem.UserUpdate{Active: &on}); err != nil {
				t.Fatal(err)
			}
			_, err = w.Tokens.ActorForToken(t.Context(), plain)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}
