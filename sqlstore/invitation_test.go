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

// mustInvite invites a user, acting as by, and returns the invitation and
// its secret.
func (s *services) mustInvite(tb testing.TB, by *tandem.User, email string, orgID *int64, role tandem.Role) (*tandem.Invitation, string) {
	tb.Helper()
	inv := &tandem.Invitation{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: orgID, Role: role}
	plain, err := s.Invites.CreateInvitation(as(tb, by), inv)
	if err != nil {
		tb.Fatalf("invite %s as %s: %v", email, by.Email, err)
	}
	return inv, plain
}

func TestInvitationService(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("ProviderAdminInvitesFirstITAdmin", func(t *testing.T) {
			initech := w.mustCreateOrg(t, "Initech")
			mark := auditMark(t, db)
			inv := &tandem.Invitation{Email: " Ivy@Initech.test ", Name: "Ivy", OrganizationID: &initech.ID, Role: tandem.RoleITAdmin}
			plain, err := w.Invites.CreateInvitation(as(t, w.Admin), inv)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain) < 40 {
				t.Fatalf("secret %q is too short to be unguessable", plain)
			}
			now := w.Clock.Now()
			if inv.ID == 0 || inv.Email != "ivy@initech.test" || inv.Party != tandem.PartyInternal || inv.Status != tandem.InvitationPending ||
				!inv.CreatedAt.Equal(now) || !inv.ExpiresAt.Equal(now.Add(7*24*time.Hour)) ||
				inv.InvitedBy == nil || *inv.InvitedBy != w.Admin.ID || inv.OrganizationName != "Initech" {
				t.Fatalf("invitation = %+v", inv)
			}
			e := wantAudit(t, db, mark, "invitation.create")[0]
			if e.OrganizationID == nil || *e.OrganizationID != initech.ID || e.ActorUserID == nil || *e.ActorUserID != w.Admin.ID {
				t.Errorf("audit entry %+v does not name the admin and the organisation", e)
			}

			got, err := w.Invites.CheckInvitation(t.Context(), plain)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != inv.ID || got.Email != inv.Email || got.Role != tandem.RoleITAdmin || got.OrganizationName != "Initech" {
				t.Fatalf("CheckInvitation = %+v, want %+v", got, inv)
			}

			mark = auditMark(t, db)
			u, err := w.Invites.AcceptInvitation(t.Context(), plain, " Ivy Ito ", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Email != "ivy@initech.test" || u.Name != "Ivy Ito" || u.Role != tandem.RoleITAdmin ||
				u.OrganizationID == nil || *u.OrganizationID != initech.ID || !u.Active {
				t.Fatalf("accepted user = %+v", u)
			}
			if _, err := w.Users.Authenticate(t.Context(), "ivy@initech.test", testPassword); err != nil {
				t.Fatalf("the invited user cannot log in: %v", err)
			}
			e = wantAudit(t, db, mark, "invitation.accept")[0]
			if e.ActorUserID == nil || *e.ActorUserID != u.ID || e.OrganizationID == nil || *e.OrganizationID != initech.ID || e.Target != "user:"+strconv.FormatInt(u.ID, 10) {
				t.Errorf("accept audit entry %+v, want it by the new user on their organisation", e)
			}
			stored, err := w.Invites.FindInvitationByID(as(t, w.Admin), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != tandem.InvitationAccepted || stored.AcceptedAt == nil {
				t.Errorf("stored invitation = %+v, want accepted", stored)
			}

			t.Run("SingleUse", func(t *testing.T) {
				mark := auditMark(t, db)
				_, err := w.Invites.CheckInvitation(t.Context(), plain)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = w.Invites.AcceptInvitation(t.Context(), plain, "Mallory", "another long password")
				wantCode(t, err, tandem.ENOTFOUND)
				if !strings.Contains(tandem.ErrorMessage(err), "invalid, used, revoked or expired") {
					t.Errorf("message %q does not say why", tandem.ErrorMessage(err))
				}
				wantAudit(t, db, mark)
			})

			// The organisation's first it-admin builds their team.
			t.Run("NewITAdminInvitesTeam", func(t *testing.T) {
				w.mustInvite(t, u, "team@initech.test", &initech.ID, tandem.RoleITTechnician)
			})
		})

		t.Run("ITAdminInvitesTeam", func(t *testing.T) {
			for _, role := range tandem.InternalRoles {
				inv, plain := w.mustInvite(t, w.AAdmin, "team-"+string(role)+"@acme.test", &w.OrgA.ID, role)
				u, err := w.Invites.AcceptInvitation(t.Context(), plain, "", testPassword)
				if err != nil {
					t.Fatal(err)
				}
				if u.Role != role || *u.OrganizationID != w.OrgA.ID || u.Email != inv.Email {
					t.Errorf("accepted %+v from %+v", u, inv)
				}
			}
		})

		t.Run("ProviderStaff", func(t *testing.T) {
			inv, plain := w.mustInvite(t, w.Admin, "new-tech@msp.test", nil, tandem.RoleTechnician)
			if inv.Party != tandem.PartyProvider || inv.OrganizationID != nil {
				t.Fatalf("invitation = %+v, want provider staff", inv)
			}
			// Only provider admins see provider staff invitations.
			for _, u := range []*tandem.User{w.Tech, w.AAdmin} {
				_, err := w.Invites.FindInvitationByID(as(t, u), inv.ID)
				wantCode(t, err, tandem.ENOTFOUND)
			}
			u, err := w.Invites.AcceptInvitation(t.Context(), plain, "New Tech", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if u.Party != tandem.PartyProvider || u.Role != tandem.RoleTechnician || u.OrganizationID != nil || len(u.Organizations) != 0 {
				t.Errorf("accepted provider user = %+v", u)
			}
		})

		t.Run("ErrOtherOrganization", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, org := range []int64{w.OrgB.ID, 999999} {
				_, err := w.Invites.CreateInvitation(as(t, w.AAdmin), &tandem.Invitation{Email: "intruder@globex.test", OrganizationID: &org, Role: tandem.RoleITAdmin})
				if code := tandem.ErrorCode(err); code != tandem.EINVALID && code != tandem.ENOTFOUND {
					t.Fatalf("organisation %d: error code %q, want invalid or not found (error: %v)", org, code, err)
				}
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			readOnly := *actorOf(w.AAdmin)
			readOnly.ReadOnly = true
			restricted := *actorOf(w.Admin)
			restricted.OnlyOrganizationID = w.OrgA.ID
			tests := []struct {
				name  string
				actor *tandem.Actor
				role  tandem.Role
				org   *int64
			}{
				{"ITAdminInvitesProviderTechnician", actorOf(w.AAdmin), tandem.RoleTechnician, nil},
				{"ITAdminInvitesProviderAdmin", actorOf(w.AAdmin), tandem.RoleAdmin, nil},
				{"ITTechnician", actorOf(w.ATech), tandem.RoleRequester, &w.OrgA.ID},
				{"Viewer", actorOf(w.AViewer), tandem.RoleRequester, &w.OrgA.ID},
				{"Requester", actorOf(w.ARequester), tandem.RoleRequester, &w.OrgA.ID},
				{"ProviderTechnicianInAssignedOrg", actorOf(w.Tech), tandem.RoleRequester, &w.OrgA.ID},
				{"ReadOnlyITAdmin", &readOnly, tandem.RoleRequester, &w.OrgA.ID},
				{"RestrictedAdminInvitesProviderStaff", &restricted, tandem.RoleTechnician, nil},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := w.Invites.CreateInvitation(asActor(t, tt.actor), &tandem.Invitation{Email: "refused@example.test", OrganizationID: tt.org, Role: tt.role})
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
			list, _, err := w.Invites.FindInvitations(as(t, w.Admin), tandem.InvitationFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, inv := range list {
				if inv.Email == "refused@example.test" {
					t.Fatalf("a refused invitation was stored: %+v", inv)
				}
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			now := w.Clock.Now()
			tests := []struct {
				name string
				inv  tandem.Invitation
			}{
				{"NoEmail", tandem.Invitation{OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer}},
				{"BadEmail", tandem.Invitation{Email: "not an address", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer}},
				{"ProviderRoleInOrganization", tandem.Invitation{Email: "x@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleAdmin}},
				{"InternalRoleForProvider", tandem.Invitation{Email: "x@msp.test", Role: tandem.RoleITAdmin}},
				{"ExpiryNow", tandem.Invitation{Email: "x@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer, ExpiresAt: now}},
				{"ExpiryPast", tandem.Invitation{Email: "x@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer, ExpiresAt: now.Add(-time.Hour)}},
				{"ExpiryTooFar", tandem.Invitation{Email: "x@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer, ExpiresAt: now.Add(31 * 24 * time.Hour)}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					inv := tt.inv
					_, err := w.Invites.CreateInvitation(as(t, w.Admin), &inv)
					wantCode(t, err, tandem.EINVALID)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrConflict", func(t *testing.T) {
			for _, email := range []string{w.ATech.Email, strings.ToUpper(w.ATech.Email), w.BAdmin.Email} {
				_, err := w.Invites.CreateInvitation(as(t, w.Admin), &tandem.Invitation{Email: email, OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer})
				wantCode(t, err, tandem.ECONFLICT)
			}
			inv, _ := w.mustInvite(t, w.AAdmin, "twice@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			_, err := w.Invites.CreateInvitation(as(t, w.AAdmin), &tandem.Invitation{Email: "twice@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester})
			wantCode(t, err, tandem.ECONFLICT)
			// Once revoked, a new invitation may go out.
			if err := w.Invites.RevokeInvitation(as(t, w.AAdmin), inv.ID); err != nil {
				t.Fatal(err)
			}
			w.mustInvite(t, w.AAdmin, "twice@acme.test", &w.OrgA.ID, tandem.RoleRequester)
		})

		t.Run("ErrEmailTakenBeforeAccepting", func(t *testing.T) {
			inv, plain := w.mustInvite(t, w.AAdmin, "race@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			w.mustCreateUser(t, "race@acme.test", &w.OrgA.ID, tandem.RoleRequester)
			_, err := w.Invites.AcceptInvitation(t.Context(), plain, "Race", testPassword)
			wantCode(t, err, tandem.ECONFLICT)
			stored, err := w.Invites.FindInvitationByID(as(t, w.AAdmin), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != tandem.InvitationPending {
				t.Errorf("a failed acceptance spent the invitation: %+v", stored)
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			_, plain := w.mustInvite(t, w.AAdmin, "late@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			short := &tandem.Invitation{Email: "soon@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleViewer, ExpiresAt: w.Clock.Now().Add(time.Hour)}
			shortPlain, err := w.Invites.CreateInvitation(as(t, w.AAdmin), short)
			if err != nil {
				t.Fatal(err)
			}
			w.Clock.Advance(time.Hour - time.Second)
			if _, err := w.Invites.CheckInvitation(t.Context(), shortPlain); err != nil {
				t.Fatalf("invitation refused before it expires: %v", err)
			}
			w.Clock.Advance(time.Second)
			_, err = w.Invites.AcceptInvitation(t.Context(), shortPlain, "", testPassword)
			wantCode(t, err, tandem.ENOTFOUND)
			stored, err := w.Invites.FindInvitationByID(as(t, w.AAdmin), short.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != tandem.InvitationExpired {
				t.Errorf("status = %q, want expired", stored.Status)
			}

			w.Clock.Advance(7*24*time.Hour - time.Hour - time.Second)
			if _, err := w.Invites.CheckInvitation(t.Context(), plain); err != nil {
				t.Fatalf("default invitation refused before 7 days: %v", err)
			}
			w.Clock.Advance(time.Second)
			_, err = w.Invites.CheckInvitation(t.Context(), plain)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = w.Users.FindUserByEmail(systemCtx(t), "late@acme.test")
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("Revoke", func(t *testing.T) {
			inv, plain := w.mustInvite(t, w.AAdmin, "revoked@acme.test", &w.OrgA.ID, tandem.RoleViewer)

			// Outside scope or without the right: as if it did not exist.
			for _, u := range []*tandem.User{w.BAdmin, w.ATech, w.Tech} {
				wantCode(t, w.Invites.RevokeInvitation(as(t, u), inv.ID), tandem.ENOTFOUND)
			}
			readOnly := *actorOf(w.AAdmin)
			readOnly.ReadOnly = true
			wantCode(t, w.Invites.RevokeInvitation(asActor(t, &readOnly), inv.ID), tandem.EFORBIDDEN)

			mark := auditMark(t, db)
			if err := w.Invites.RevokeInvitation(as(t, w.AAdmin), inv.ID); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "invitation.revoke")
			_, err := w.Invites.CheckInvitation(t.Context(), plain)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = w.Invites.AcceptInvitation(t.Context(), plain, "", testPassword)
			wantCode(t, err, tandem.ENOTFOUND)
			stored, err := w.Invites.FindInvitationByID(as(t, w.AAdmin), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != tandem.InvitationRevoked || stored.RevokedAt == nil {
				t.Errorf("stored = %+v, want revoked", stored)
			}

			mark = auditMark(t, db)
			if err := w.Invites.RevokeInvitation(as(t, w.AAdmin), inv.ID); err != nil {
				t.Errorf("revoking twice: %v", err)
			}
			wantAudit(t, db, mark)

			accepted, acceptedPlain := w.mustInvite(t, w.AAdmin, "kept@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			if _, err := w.Invites.AcceptInvitation(t.Context(), acceptedPlain, "", testPassword); err != nil {
				t.Fatal(err)
			}
			wantCode(t, w.Invites.RevokeInvitation(as(t, w.AAdmin), accepted.ID), tandem.EINVALID)
		})

		t.Run("AcceptValidates", func(t *testing.T) {
			_, plain := w.mustInvite(t, w.AAdmin, "careful@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			mark := auditMark(t, db)
			for _, tt := range []struct{ name, password string }{
				{"", "xyzzy"},
				{"", strings.Repeat("p", 129)},
				{strings.Repeat("n", 201), testPassword},
			} {
				_, err := w.Invites.AcceptInvitation(t.Context(), plain, tt.name, tt.password)
				wantCode(t, err, tandem.EINVALID)
				if strings.Contains(tandem.ErrorMessage(err), tt.password) {
					t.Errorf("message %q echoes the password", tandem.ErrorMessage(err))
				}
			}
			wantAudit(t, db, mark)
			if _, err := w.Invites.CheckInvitation(t.Context(), plain); err != nil {
				t.Fatalf("refused acceptances spent the invitation: %v", err)
			}
			if _, err := w.Invites.AcceptInvitation(t.Context(), plain, "Careful", testPassword); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrUnknownSecret", func(t *testing.T) {
			_, plain := w.mustInvite(t, w.AAdmin, "unknown@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			for _, s := range []string{"", "x", plain + "x", plain[1:], strings.ToUpper(plain), secret.Hash(plain), strings.Repeat("a", 500)} {
				_, err := w.Invites.CheckInvitation(t.Context(), s)
				wantCode(t, err, tandem.ENOTFOUND)
			}
		})

		// An invitation carries its sender's rights: once they lose them, it
		// is spent.
		t.Run("InviterLosesRights", func(t *testing.T) {
			deactivated := w.mustCreateUser(t, "leaver@acme.test", &w.OrgA.ID, tandem.RoleITAdmin)
			demoted := w.mustCreateUser(t, "demoted@acme.test", &w.OrgA.ID, tandem.RoleITAdmin)
			_, fromDeactivated := w.mustInvite(t, deactivated, "friend1@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			_, fromDemoted := w.mustInvite(t, demoted, "friend2@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			off, viewer := false, tandem.RoleViewer
			if _, err := w.Users.UpdateUser(as(t, w.AAdmin), deactivated.ID, tandem.UserUpdate{Active: &off}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Users.UpdateUser(as(t, w.AAdmin), demoted.ID, tandem.UserUpdate{Role: &viewer}); err != nil {
				t.Fatal(err)
			}
			for _, plain := range []string{fromDeactivated, fromDemoted} {
				_, err := w.Invites.CheckInvitation(t.Context(), plain)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = w.Invites.AcceptInvitation(t.Context(), plain, "", testPassword)
				wantCode(t, err, tandem.ENOTFOUND)
			}
		})

		t.Run("Scope", func(t *testing.T) {
			a, _ := w.mustInvite(t, w.AAdmin, "scope-a@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			b, _ := w.mustInvite(t, w.BAdmin, "scope-b@globex.test", &w.OrgB.ID, tandem.RoleViewer)
			p, _ := w.mustInvite(t, w.Admin, "scope-p@msp.test", nil, tandem.RoleViewer)
			readOnly := *actorOf(w.AAdmin)
			readOnly.ReadOnly = true
			restricted := *actorOf(w.Admin)
			restricted.OnlyOrganizationID = w.OrgA.ID
			has := func(list []*tandem.Invitation, inv *tandem.Invitation) bool {
				return slices.ContainsFunc(list, func(x *tandem.Invitation) bool { return x.ID == inv.ID })
			}
			tests := []struct {
				name       string
				actor      *tandem.Actor
				sees, hide []*tandem.Invitation
			}{
				{"ProviderAdmin", actorOf(w.Admin), []*tandem.Invitation{a, b, p}, nil},
				{"RestrictedProviderAdmin", &restricted, []*tandem.Invitation{a}, []*tandem.Invitation{b, p}},
				{"ITAdminOfA", actorOf(w.AAdmin), []*tandem.Invitation{a}, []*tandem.Invitation{b, p}},
				{"ReadOnlyITAdminOfA", &readOnly, []*tandem.Invitation{a}, []*tandem.Invitation{b, p}},
				{"ITAdminOfB", actorOf(w.BAdmin), []*tandem.Invitation{b}, []*tandem.Invitation{a, p}},
				{"ProviderTechnician", actorOf(w.Tech), nil, []*tandem.Invitation{a, b, p}},
				{"ITTechnician", actorOf(w.ATech), nil, []*tandem.Invitation{a, b, p}},
				{"Requester", actorOf(w.ARequester), nil, []*tandem.Invitation{a, b, p}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := asActor(t, tt.actor)
					list, _, err := w.Invites.FindInvitations(ctx, tandem.InvitationFilter{Limit: 500})
					if err != nil {
						t.Fatal(err)
					}
					for _, inv := range tt.sees {
						if !has(list, inv) {
							t.Errorf("does not list the invitation to %s", inv.Email)
						}
						if _, err := w.Invites.FindInvitationByID(ctx, inv.ID); err != nil {
							t.Errorf("cannot find the invitation to %s: %v", inv.Email, err)
						}
					}
					for _, inv := range tt.hide {
						if has(list, inv) {
							t.Errorf("lists the invitation to %s", inv.Email)
						}
						_, err := w.Invites.FindInvitationByID(ctx, inv.ID)
						wantCode(t, err, tandem.ENOTFOUND)
					}
				})
			}

			t.Run("Filters", func(t *testing.T) {
				ctx := as(t, w.Admin)
				provider := tandem.PartyProvider
				list, _, err := w.Invites.FindInvitations(ctx, tandem.InvitationFilter{Party: &provider, Pending: true, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				for _, inv := range list {
					if inv.OrganizationID != nil || inv.Status != tandem.InvitationPending {
						t.Errorf("provider pending filter lists %+v", inv)
					}
				}
				if !has(list, p) {
					t.Error("provider pending filter misses the provider invitation")
				}
				list, _, err = w.Invites.FindInvitations(ctx, tandem.InvitationFilter{OrganizationID: &w.OrgB.ID, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				if !has(list, b) || has(list, a) {
					t.Errorf("organisation filter lists %d invitations, want B's", len(list))
				}
				first, next, err := w.Invites.FindInvitations(ctx, tandem.InvitationFilter{Limit: 1})
				if err != nil || len(first) != 1 || next == "" {
					t.Fatalf("first page: %d items, cursor %q, %v", len(first), next, err)
				}
				second, _, err := w.Invites.FindInvitations(ctx, tandem.InvitationFilter{Limit: 1, Cursor: next})
				if err != nil || len(second) != 1 || second[0].ID <= first[0].ID {
					t.Fatalf("second page: %+v, %v", second, err)
				}
			})
		})

		t.Run("SecretNotAudited", func(t *testing.T) {
			_, plain := w.mustInvite(t, w.AAdmin, "quiet@acme.test", &w.OrgA.ID, tandem.RoleViewer)
			if _, err := w.Invites.AcceptInvitation(t.Context(), plain, "Quiet", testPassword); err != nil {
				t.Fatal(err)
			}
			for _, e := range auditLog(t, db) {
				for _, s := range []string{plain, secret.Hash(plain), testPassword} {
					if strings.Contains(string(e.Summary), s) || strings.Contains(e.Target, s) {
						t.Fatalf("audit entry %d (%s) holds a secret: %s", e.ID, e.Action, e.Summary)
					}
				}
			}
		})
	})
}
