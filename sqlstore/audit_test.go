package sqlstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// TestAudit walks an installation from setup to daily use and checks that
// every change left one entry, naming who did what, and that no password,
// token, session or setup secret reached the log in any form.
func TestAudit(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)
		const adminPassword = "setup-password-7Hq2"
		const userPassword = "user-password-Kx93"
		var secrets []string

		mustDo := func(t *testing.T, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := w.Setup.EnsureProvider(t.Context(), "Northwind MSP")
		mustDo(t, err)
		link, err := w.Setup.CreateSetupToken(t.Context(), time.Hour)
		mustDo(t, err)
		secrets = append(secrets, link)

		mark := auditMark(t, db)
		admin := &tandem.User{Email: "founder@msp.test"}
		mustDo(t, w.Setup.CompleteSetup(t.Context(), link, admin, adminPassword))
		ctx := as(t, admin)

		org := &tandem.Organization{Name: "Acme"}
		mustDo(t, w.Orgs.CreateOrganization(ctx, org))
		name := "Acme Corp"
		_, err = w.Orgs.UpdateOrganization(ctx, org.ID, tandem.OrganizationUpdate{Name: &name})
		mustDo(t, err)

		u := &tandem.User{Email: "person@acme.test", OrganizationID: &org.ID, Role: tandem.RoleITTechnician}
		mustDo(t, w.Users.CreateUser(ctx, u, userPassword))
		viewer := tandem.RoleViewer
		_, err = w.Users.UpdateUser(ctx, u.ID, tandem.UserUpdate{Role: &viewer})
		mustDo(t, err)

		_, token, err := w.Tokens.CreateToken(ctx, u.ID, tandem.TokenOptions{Name: "ci"})
		mustDo(t, err)
		secrets = append(secrets, token)
		loggedIn, err := w.Users.Authenticate(t.Context(), u.Email, userPassword)
		mustDo(t, err)
		session, err := w.Sessions.CreateSession(t.Context(), loggedIn.ID)
		mustDo(t, err)
		secrets = append(secrets, session)

		entries := wantAudit(t, db, mark,
			"setup.complete",
			"organization.create",
			"organization.update",
			"user.create",
			"user.update",
			"token.create",
			"session.login",
		)

		t.Run("Actors", func(t *testing.T) {
			for _, e := range entries {
				want := admin.ID
				if e.Action == "session.login" {
					want = u.ID
				}
				if e.ActorUserID == nil || *e.ActorUserID != want {
					t.Errorf("%s: actor user %v, want %d", e.Action, e.ActorUserID, want)
				}
				if e.Action != "setup.complete" && (e.OrganizationID == nil || *e.OrganizationID != org.ID) {
					t.Errorf("%s: organisation %v, want %d", e.Action, e.OrganizationID, org.ID)
				}
			}
		})

		t.Run("Summaries", func(t *testing.T) {
			byAction := map[string]string{}
			for _, e := range entries {
				byAction[e.Action] = string(e.Summary)
			}
			want := map[string][]string{
				"organization.create": {`"Acme"`, `"acme"`},
				"organization.update": {`"Acme Corp"`},
				"user.create":         {u.Email, string(tandem.RoleITTechnician)},
				"user.update":         {string(tandem.RoleViewer)},
				"token.create":        {u.Email, `"ci"`},
				"session.login":       {u.Email},
			}
			for action, parts := range want {
				for _, p := range parts {
					if !strings.Contains(byAction[action], p) {
						t.Errorf("%s summary %s lacks %s", action, byAction[action], p)
					}
				}
			}
		})

		t.Run("NoSecrets", func(t *testing.T) {
			forbidden := []string{adminPassword, userPassword, "argon2id", "password"}
			for _, s := range secrets {
				forbidden = append(forbidden, s, secret.Hash(s))
			}
			for _, e := range auditLog(t, db) {
				text := strings.ToLower(string(e.Summary) + " " + e.Target)
				if i := slices.IndexFunc(forbidden, func(s string) bool { return strings.Contains(text, strings.ToLower(s)) }); i >= 0 {
					t.Errorf("audit entry %d (%s) holds a secret or password: %s", e.ID, e.Action, e.Summary)
				}
			}
		})
	})
}
