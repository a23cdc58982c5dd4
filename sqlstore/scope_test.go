package sqlstore_test

import (
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// Scope is what an actor can see at all; outside it, rows do not exist for
// them. These tests pin down the scope of every role on both databases.

func TestScope_Organizations(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		both := []int64{w.OrgA.ID, w.OrgB.ID}
		onlyA := []int64{w.OrgA.ID}
		tests := []struct {
			name string
			as   *tandem.User
			want []int64
		}{
			{"ProviderAdmin", w.Admin, both},
			{"ProviderTechnician", w.Tech, onlyA},
			{"ITAdmin", w.AAdmin, onlyA},
			{"ITTechnician", w.ATech, onlyA},
			{"Viewer", w.AViewer, onlyA},
			{"Requester", w.ARequester, onlyA},
			{"OtherITAdmin", w.BAdmin, []int64{w.OrgB.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, _, err := w.Orgs.FindOrganizations(as(t, tt.as), tandem.OrganizationFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if got := orgIDs(list); !slices.Equal(got, tt.want) {
					t.Fatalf("sees organisations %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("ErrNotFoundOutsideScope", func(t *testing.T) {
			// Another organisation answers exactly like one that does not
			// exist: ENOTFOUND with the same message, never EFORBIDDEN.
			_, missing := w.Orgs.FindOrganizationByID(as(t, w.AAdmin), 999999)
			for _, u := range []*tandem.User{w.Tech, w.AAdmin, w.ARequester} {
				_, err := w.Orgs.FindOrganizationByID(as(t, u), w.OrgB.ID)
				wantCode(t, err, tandem.ENOTFOUND)
				if tandem.ErrorMessage(err) != tandem.ErrorMessage(missing) {
					t.Fatalf("%s: message %q differs from a missing organisation's %q", u.Email, tandem.ErrorMessage(err), tandem.ErrorMessage(missing))
				}
				_, err = w.Orgs.FindOrganizationBySlug(as(t, u), w.OrgB.Slug)
				wantCode(t, err, tandem.ENOTFOUND)
			}
		})

		t.Run("AssignmentMovesScope", func(t *testing.T) {
			w.assign(t, w.Tech, w.OrgB.ID)
			list, _, err := w.Orgs.FindOrganizations(as(t, w.Tech), tandem.OrganizationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := orgIDs(list); !slices.Equal(got, []int64{w.OrgB.ID}) {
				t.Fatalf("reassigned technician sees %v, want only %d", got, w.OrgB.ID)
			}
			_, err = w.Orgs.FindOrganizationByID(as(t, w.Tech), w.OrgA.ID)
			wantCode(t, err, tandem.ENOTFOUND)

			w.assign(t, w.Tech)
			list, _, err = w.Orgs.FindOrganizations(as(t, w.Tech), tandem.OrganizationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Fatalf("unassigned technician sees %v, want none", orgIDs(list))
			}
			w.assign(t, w.Tech, w.OrgA.ID)
		})

		t.Run("ErrNoActor", func(t *testing.T) {
			_, _, err := w.Orgs.FindOrganizations(t.Context(), tandem.OrganizationFilter{})
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Orgs.FindOrganizationByID(t.Context(), w.OrgA.ID)
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestScope_Users(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		orgA := []*tandem.User{w.AAdmin, w.ATech, w.AViewer, w.ARequester}
		tests := []struct {
			name string
			as   *tandem.User
			want []*tandem.User
		}{
			// Provider admins see everyone.
			{"ProviderAdmin", w.Admin, w.users()},
			// Other provider staff: their colleagues and the users of their
			// assigned organisations.
			{"ProviderTechnician", w.Tech, append([]*tandem.User{w.Admin, w.Tech}, orgA...)},
			// An organisation's IT staff: its users and the provider staff
			// assigned to it.
			{"ITAdmin", w.AAdmin, append([]*tandem.User{w.Tech}, orgA...)},
			{"ITTechnician", w.ATech, append([]*tandem.User{w.Tech}, orgA...)},
			{"Viewer", w.AViewer, append([]*tandem.User{w.Tech}, orgA...)},
			{"OtherITAdmin", w.BAdmin, []*tandem.User{w.BAdmin}},
			// A requester only themselves.
			{"Requester", w.ARequester, []*tandem.User{w.ARequester}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, _, err := w.Users.FindUsers(as(t, tt.as), tandem.UserFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := userIDs(list), userIDs(tt.want); !slices.Equal(got, want) {
					t.Fatalf("sees users %v, want %v", got, want)
				}
				for _, u := range w.users() {
					_, err := w.Users.FindUserByID(as(t, tt.as), u.ID)
					_, errEmail := w.Users.FindUserByEmail(as(t, tt.as), u.Email)
					if slices.Contains(tt.want, u) {
						wantCode(t, err, "")
						wantCode(t, errEmail, "")
					} else {
						wantCode(t, err, tandem.ENOTFOUND)
						wantCode(t, errEmail, tandem.ENOTFOUND)
					}
				}
			})
		}

		t.Run("FilterOutsideScope", func(t *testing.T) {
			// Filtering on another organisation narrows the scope; it never widens it.
			list, _, err := w.Users.FindUsers(as(t, w.AAdmin), tandem.UserFilter{OrganizationID: &w.OrgB.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Fatalf("it-admin of A filtering on B sees %v, want none", userIDs(list))
			}
		})

		t.Run("ErrUpdateOutsideScope", func(t *testing.T) {
			name := "Hijacked"
			_, err := w.Users.UpdateUser(as(t, w.AAdmin), w.BAdmin.ID, tandem.UserUpdate{Name: &name})
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = w.Users.UpdateUser(as(t, w.ARequester), w.ATech.ID, tandem.UserUpdate{Name: &name})
			wantCode(t, err, tandem.ENOTFOUND)
		})
	})
}

func TestScope_CreateUser(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			u := &tandem.User{Email: "new@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleITTechnician}
			if err := w.Users.CreateUser(as(t, w.AAdmin), u, testPassword); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrOtherOrganization", func(t *testing.T) {
			// Organisation B is outside the it-admin's scope: it is absent for
			// them, exactly like an organisation that does not exist.
			mark := auditMark(t, db)
			missing := int64(999999)
			for _, orgID := range []int64{w.OrgB.ID, missing} {
				u := &tandem.User{Email: "intruder@globex.test", OrganizationID: &orgID, Role: tandem.RoleRequester}
				err := w.Users.CreateUser(as(t, w.AAdmin), u, testPassword)
				if code := tandem.ErrorCode(err); code != tandem.ENOTFOUND && code != tandem.EINVALID {
					t.Fatalf("organisation %d: error code = %q, want not found or invalid (error: %v)", orgID, code, err)
				}
			}
			wantAudit(t, db, mark)
			_, err := w.Users.FindUserByEmail(systemCtx(t), "intruder@globex.test")
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			readOnly := *actorOf(w.AAdmin)
			readOnly.ReadOnly = true
			tests := []struct {
				name  string
				actor *tandem.Actor
				user  tandem.User
			}{
				{"ITAdminCreatesProviderUser", actorOf(w.AAdmin), tandem.User{Email: "p1@msp.test", Role: tandem.RoleTechnician}},
				{"ITAdminCreatesProviderAdmin", actorOf(w.AAdmin), tandem.User{Email: "p2@msp.test", Role: tandem.RoleAdmin}},
				{"ITTechnician", actorOf(w.ATech), tandem.User{Email: "x1@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester}},
				{"Viewer", actorOf(w.AViewer), tandem.User{Email: "x2@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester}},
				{"ProviderTechnicianInAssignedOrg", actorOf(w.Tech), tandem.User{Email: "x3@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester}},
				{"ReadOnlyITAdmin", &readOnly, tandem.User{Email: "x4@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleRequester}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					u := tt.user
					wantCode(t, w.Users.CreateUser(asActor(t, tt.actor), &u, testPassword), tandem.EFORBIDDEN)
					_, err := w.Users.FindUserByEmail(systemCtx(t), tt.user.Email)
					wantCode(t, err, tandem.ENOTFOUND)
				})
			}
			wantAudit(t, db, mark)
		})
	})
}

// TestScope_ReadOnly checks that read-only actors, through a read-only
// credential or the viewer role, change nothing while still reading.
func TestScope_ReadOnly(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		readOnlyAdmin := *actorOf(w.Admin)
		readOnlyAdmin.ReadOnly = true
		actors := []struct {
			name  string
			actor *tandem.Actor
			org   int64 // an organisation in the actor's scope
		}{
			{"ReadOnlyProviderAdmin", &readOnlyAdmin, w.OrgA.ID},
			{"Viewer", actorOf(w.AViewer), w.OrgA.ID},
		}
		for _, tt := range actors {
			t.Run(tt.name, func(t *testing.T) {
				ctx := asActor(t, tt.actor)
				mark := auditMark(t, db)
				name := "Changed"
				viewer := tandem.RoleViewer

				_, err := w.Orgs.UpdateOrganization(ctx, tt.org, tandem.OrganizationUpdate{Name: &name})
				wantCode(t, err, tandem.EFORBIDDEN)
				err = w.Users.CreateUser(ctx, &tandem.User{Email: "ro@acme.test", OrganizationID: &tt.org, Role: tandem.RoleRequester}, testPassword)
				wantCode(t, err, tandem.EFORBIDDEN)
				_, err = w.Users.UpdateUser(ctx, w.ATech.ID, tandem.UserUpdate{Role: &viewer})
				wantCode(t, err, tandem.EFORBIDDEN)
				wantAudit(t, db, mark)

				// Reading still works.
				if _, err := w.Orgs.FindOrganizationByID(ctx, tt.org); err != nil {
					t.Fatalf("read-only actor cannot read: %v", err)
				}
			})
		}

		t.Run("ReadOnlyCredential", func(t *testing.T) {
			// A read-only credential may not even change its own user's name
			// or mint a token.
			ctx := asActor(t, &readOnlyAdmin)
			name := "Renamed"
			_, err := w.Users.UpdateUser(ctx, w.Admin.ID, tandem.UserUpdate{Name: &name})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, _, err = w.Tokens.CreateToken(ctx, w.Admin.ID, tandem.TokenOptions{Name: "ro"})
			wantCode(t, err, tandem.EFORBIDDEN)
			err = w.Orgs.CreateOrganization(ctx, &tandem.Organization{Name: "Read Only Inc"})
			wantCode(t, err, tandem.EFORBIDDEN)
		})
	})
}

// TestScope_Assignments proves an organisation's team sees which provider
// staff work on it, but not which other clients those staff serve.
func TestScope_Assignments(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		w.assign(t, w.Tech, w.OrgA.ID, w.OrgB.ID)
		for _, tt := range []struct {
			name string
			as   *tandem.User
			want []int64
		}{
			{"ProviderAdmin", w.Admin, []int64{w.OrgA.ID, w.OrgB.ID}},
			{"Themselves", w.Tech, []int64{w.OrgA.ID, w.OrgB.ID}},
			{"ITAdminOfA", w.AAdmin, []int64{w.OrgA.ID}},
			{"ITAdminOfB", w.BAdmin, []int64{w.OrgB.ID}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				u, err := w.Users.FindUserByID(as(t, tt.as), w.Tech.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(u.Organizations, tt.want) {
					t.Fatalf("sees assignments %v, want %v", u.Organizations, tt.want)
				}
			})
		}
	})
}
