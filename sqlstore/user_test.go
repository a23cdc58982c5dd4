package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestUserService_CreateUser(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			u := &tandem.User{Email: "  New.Person@Acme.TEST ", Name: " New Person ", OrganizationID: &w.OrgA.ID, Role: tandem.RoleITTechnician}
			if err := w.Users.CreateUser(as(t, w.Admin), u, testPassword); err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Email != "new.person@acme.test" || u.Name != "New Person" || u.Party != tandem.PartyInternal || !u.Active {
				t.Fatalf("created %+v; want an id, the normalised email and name, internal party, active", u)
			}
			got, err := w.Users.FindUserByEmail(as(t, w.Admin), "NEW.PERSON@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || got.Name != u.Name || got.Role != u.Role || *got.OrganizationID != w.OrgA.ID ||
				!got.Active || !got.CreatedAt.Equal(u.CreatedAt) {
				t.Fatalf("found %+v, want %+v", got, u)
			}
			e := wantAudit(t, db, mark, "user.create")[0]
			if e.OrganizationID == nil || *e.OrganizationID != w.OrgA.ID || !strings.Contains(string(e.Summary), u.Email) {
				t.Fatalf("audit entry %+v does not name the organisation and the email", e)
			}
		})

		t.Run("ProviderWithAssignments", func(t *testing.T) {
			u := &tandem.User{Email: "tech2@msp.test", Role: tandem.RoleTechnician, Organizations: []int64{w.OrgB.ID, w.OrgA.ID, w.OrgB.ID}}
			if err := w.Users.CreateUser(as(t, w.Admin), u, testPassword); err != nil {
				t.Fatal(err)
			}
			got, err := w.Users.FindUserByID(as(t, w.Admin), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{w.OrgA.ID, w.OrgB.ID}
			if got.Party != tandem.PartyProvider || got.OrganizationID != nil || !slices.Equal(got.Organizations, want) {
				t.Fatalf("found %+v; want a provider user assigned to %v", got, want)
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			missing := int64(999999)
			tests := []struct {
				name     string
				user     tandem.User
				password string
			}{
				{"EmptyEmail", tandem.User{Role: tandem.RoleAdmin}, testPassword},
				{"BadEmail", tandem.User{Email: "not-an-email", Role: tandem.RoleAdmin}, testPassword},
				{"EmailWithName", tandem.User{Email: "Bob <bob@msp.test>", Role: tandem.RoleAdmin}, testPassword},
				{"InternalRoleForProvider", tandem.User{Email: "bad1@msp.test", Role: tandem.RoleITAdmin}, testPassword},
				{"ProviderRoleForInternal", tandem.User{Email: "bad2@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleAdmin}, testPassword},
				{"UnknownRole", tandem.User{Email: "bad3@acme.test", OrganizationID: &w.OrgA.ID, Role: "root"}, testPassword},
				{"AssignmentsForInternal", tandem.User{Email: "bad4@acme.test", OrganizationID: &w.OrgA.ID, Role: tandem.RoleITTechnician, Organizations: []int64{w.OrgB.ID}}, testPassword},
				{"UnknownOrganization", tandem.User{Email: "bad5@acme.test", OrganizationID: &missing, Role: tandem.RoleRequester}, testPassword},
				{"UnknownAssignment", tandem.User{Email: "bad6@msp.test", Role: tandem.RoleTechnician, Organizations: []int64{missing}}, testPassword},
				{"ShortPassword", tandem.User{Email: "bad7@msp.test", Role: tandem.RoleTechnician}, "short12"},
				{"LongPassword", tandem.User{Email: "bad8@msp.test", Role: tandem.RoleTechnician}, strings.Repeat("p", 129)},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					u := tt.user
					err := w.Users.CreateUser(as(t, w.Admin), &u, tt.password)
					wantCode(t, err, tandem.EINVALID)
					if strings.Contains(tandem.ErrorMessage(err), tt.password) {
						t.Fatalf("error message %q echoes the password", tandem.ErrorMessage(err))
					}
					if tt.user.Email != "" {
						_, err := w.Users.FindUserByEmail(systemCtx(t), tt.user.Email)
						wantCode(t, err, tandem.ENOTFOUND)
					}
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrEmailTaken", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, email := range []string{w.ATech.Email, strings.ToUpper(w.ATech.Email), " " + w.ATech.Email + " "} {
				u := &tandem.User{Email: email, OrganizationID: &w.OrgB.ID, Role: tandem.RoleRequester}
				wantCode(t, w.Users.CreateUser(as(t, w.Admin), u, testPassword), tandem.ECONFLICT)
			}
			wantAudit(t, db, mark)
		})
	})
}

func TestUserService_UpdateUser(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			name, role := "Viewer Now", tandem.RoleViewer
			u, err := w.Users.UpdateUser(as(t, w.AAdmin), w.ARequester.ID, tandem.UserUpdate{Name: &name, Role: &role})
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.Users.FindUserByID(as(t, w.Admin), w.ARequester.ID)
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != name || u.Role != role || got.Name != name || got.Role != role {
				t.Fatalf("returned %+v, stored %+v; want name %q and role %q", u, got, name, role)
			}
			wantAudit(t, db, mark, "user.update")
		})

		t.Run("OwnName", func(t *testing.T) {
			name := "Tech Renamed"
			u, err := w.Users.UpdateUser(as(t, w.ATech), w.ATech.ID, tandem.UserUpdate{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != name {
				t.Fatalf("name = %q, want %q", u.Name, name)
			}
		})

		t.Run("ErrOwnRoleOrActive", func(t *testing.T) {
			tech, off := tandem.RoleTechnician, false
			requester := tandem.RoleRequester
			tests := []struct {
				name string
				as   *tandem.User
				upd  tandem.UserUpdate
			}{
				{"ProviderAdminDemotesSelf", w.Admin, tandem.UserUpdate{Role: &tech}},
				{"ProviderAdminDeactivatesSelf", w.Admin, tandem.UserUpdate{Active: &off}},
				{"ITAdminDemotesSelf", w.AAdmin, tandem.UserUpdate{Role: &requester}},
				{"ITAdminDeactivatesSelf", w.AAdmin, tandem.UserUpdate{Active: &off}},
				{"ITTechnicianDeactivatesSelf", w.ATech, tandem.UserUpdate{Active: &off}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := w.Users.UpdateUser(as(t, tt.as), tt.as.ID, tt.upd)
					wantCode(t, err, tandem.EFORBIDDEN)
					got, err := w.Users.FindUserByID(systemCtx(t), tt.as.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Role != tt.as.Role || !got.Active {
						t.Fatalf("user changed to %+v", got)
					}
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			name, admin := "Hijacked", tandem.RoleAdmin
			ids := []int64{w.OrgA.ID}
			tests := []struct {
				name string
				as   *tandem.User
				id   int64
				upd  tandem.UserUpdate
			}{
				{"ITTechnicianRenamesColleague", w.ATech, w.AViewer.ID, tandem.UserUpdate{Name: &name}},
				{"ITAdminChangesProviderStaff", w.AAdmin, w.Tech.ID, tandem.UserUpdate{Name: &name}},
				{"ProviderTechnicianPromotesSelf", w.Tech, w.Tech.ID, tandem.UserUpdate{Role: &admin}},
				{"ProviderTechnicianAssignsSelf", w.Tech, w.Tech.ID, tandem.UserUpdate{Organizations: &ids}},
				{"ProviderTechnicianChangesAdmin", w.Tech, w.Admin.ID, tandem.UserUpdate{Name: &name}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := w.Users.UpdateUser(as(t, tt.as), tt.id, tt.upd)
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			admin, root := tandem.RoleAdmin, tandem.Role("root")
			assigned := []int64{w.OrgB.ID}
			missing := []int64{999999}
			tests := []struct {
				name string
				id   int64
				upd  tandem.UserUpdate
			}{
				{"ProviderRoleForInternal", w.AViewer.ID, tandem.UserUpdate{Role: &admin}},
				{"UnknownRole", w.AViewer.ID, tandem.UserUpdate{Role: &root}},
				{"AssignmentsForInternal", w.AViewer.ID, tandem.UserUpdate{Organizations: &assigned}},
				{"UnknownAssignment", w.Tech.ID, tandem.UserUpdate{Organizations: &missing}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := w.Users.UpdateUser(as(t, w.Admin), tt.id, tt.upd)
					wantCode(t, err, tandem.EINVALID)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("RoleChangeAppliesAtOnce", func(t *testing.T) {
			// Credentials resolve to the user's current role, not the one
			// they had when the credential was issued.
			token := w.mustToken(t, w.BAdmin)
			session := w.mustSession(t, w.BAdmin)
			viewer := tandem.RoleViewer
			if _, err := w.Users.UpdateUser(as(t, w.Admin), w.BAdmin.ID, tandem.UserUpdate{Role: &viewer}); err != nil {
				t.Fatal(err)
			}
			a, err := w.Tokens.ActorForToken(t.Context(), token)
			if err != nil {
				t.Fatal(err)
			}
			b, err := w.Sessions.ActorForSession(t.Context(), session)
			if err != nil {
				t.Fatal(err)
			}
			if a.Role != viewer || b.Role != viewer {
				t.Fatalf("after demotion token acts as %q, session as %q; want %q", a.Role, b.Role, viewer)
			}
		})

		t.Run("DeactivateEndsAccess", func(t *testing.T) {
			u := w.AViewer
			token := w.mustToken(t, u)
			session := w.mustSession(t, u)
			mark := auditMark(t, db)
			off, on := false, true
			got, err := w.Users.UpdateUser(as(t, w.AAdmin), u.ID, tandem.UserUpdate{Active: &off})
			if err != nil {
				t.Fatal(err)
			}
			if got.Active {
				t.Fatal("user still active after deactivation")
			}
			wantAudit(t, db, mark, "user.update")
			_, err = w.Tokens.ActorForToken(t.Context(), token)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Sessions.ActorForSession(t.Context(), session)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Users.Authenticate(t.Context(), u.Email, testPassword)
			wantCode(t, err, tandem.EUNAUTHORIZED)

			// Tokens and sessions were deleted, not merely suspended:
			// reactivating the user does not bring them back.
			if _, err := w.Users.UpdateUser(as(t, w.AAdmin), u.ID, tandem.UserUpdate{Active: &on}); err != nil {
				t.Fatal(err)
			}
			_, err = w.Tokens.ActorForToken(t.Context(), token)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Sessions.ActorForSession(t.Context(), session)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if _, err := w.Users.Authenticate(t.Context(), u.Email, testPassword); err != nil {
				t.Fatalf("reactivated user cannot log in: %v", err)
			}
		})
	})
}

func TestUserService_FindUsers(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("Pagination", func(t *testing.T) {
			want := userIDs(w.users())
			for _, limit := range []int{1, 2, 3, 7} {
				t.Run(fmt.Sprint(limit), func(t *testing.T) {
					var got []int64
					cursor := ""
					for range 100 {
						page, next, err := w.Users.FindUsers(as(t, w.Admin), tandem.UserFilter{Limit: limit, Cursor: cursor})
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, userIDs(page)...)
						if next == "" {
							break
						}
						cursor = next
					}
					if !slices.Equal(got, want) {
						t.Fatalf("pages of %d walked %v, want %v", limit, got, want)
					}
				})
			}
		})

		t.Run("Filters", func(t *testing.T) {
			provider, internal := tandem.PartyProvider, tandem.PartyInternal
			tests := []struct {
				name   string
				filter tandem.UserFilter
				want   []*tandem.User
			}{
				{"ProviderParty", tandem.UserFilter{Party: &provider}, []*tandem.User{w.Admin, w.Tech}},
				{"InternalParty", tandem.UserFilter{Party: &internal}, []*tandem.User{w.AAdmin, w.ATech, w.AViewer, w.ARequester, w.BAdmin}},
				{"Organization", tandem.UserFilter{OrganizationID: &w.OrgB.ID}, []*tandem.User{w.BAdmin}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					list, _, err := w.Users.FindUsers(as(t, w.Admin), tt.filter)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := userIDs(list), userIDs(tt.want); !slices.Equal(got, want) {
						t.Fatalf("found %v, want %v", got, want)
					}
				})
			}
		})

		t.Run("ErrBadRequest", func(t *testing.T) {
			for _, f := range []tandem.UserFilter{{Cursor: "x"}, {Cursor: "-5"}, {Limit: -1}, {Limit: 501}} {
				_, _, err := w.Users.FindUsers(as(t, w.Admin), f)
				wantCode(t, err, tandem.EBADREQUEST)
			}
		})
	})
}

func TestUserService_Authenticate(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)
		org := w.mustCreateOrg(t, "Acme")
		u := w.mustCreateUser(t, "person@acme.test", &org.ID, tandem.RoleITTechnician)
		gone := w.mustCreateUser(t, "gone@acme.test", &org.ID, tandem.RoleITTechnician)
		off := false
		if _, err := w.Users.UpdateUser(systemCtx(t), gone.ID, tandem.UserUpdate{Active: &off}); err != nil {
			t.Fatal(err)
		}

		t.Run("OK", func(t *testing.T) {
			got, err := w.Users.Authenticate(t.Context(), " Person@ACME.test", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || got.Role != u.Role || *got.OrganizationID != org.ID {
				t.Fatalf("authenticated %+v, want %+v", got, u)
			}
		})

		// Whatever was wrong, the answer is the same, so a caller cannot tell
		// which accounts exist or are deactivated.
		t.Run("ErrUnauthorized", func(t *testing.T) {
			tests := []struct {
				name, email, password string
			}{
				{"WrongPassword", u.Email, "wrong password!"},
				{"PasswordCase", u.Email, strings.ToUpper(testPassword)},
				{"EmptyPassword", u.Email, ""},
				{"UnknownEmail", "nobody@acme.test", testPassword},
				{"Inactive", gone.Email, testPassword},
			}
			var messages []string
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := w.Users.Authenticate(t.Context(), tt.email, tt.password)
					wantCode(t, err, tandem.EUNAUTHORIZED)
					if got != nil {
						t.Fatalf("returned user %+v with the error", got)
					}
					messages = append(messages, tandem.ErrorMessage(err))
				})
			}
			if len(slices.Compact(slices.Clone(messages))) != 1 {
				t.Fatalf("messages differ: %q", messages)
			}
		})
	})
}

// TestUserService_EmailInUseOutsideScope proves an it-admin cannot learn who
// has an account in another organisation by trying their email address.
func TestUserService_EmailInUseOutsideScope(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		for name, email := range map[string]string{"OtherOrganization": w.AAdmin.Email, "ProviderStaff": w.Admin.Email} {
			t.Run(name, func(t *testing.T) {
				u := &tandem.User{Email: email, Role: tandem.RoleITTechnician, OrganizationID: &w.OrgB.ID}
				err := w.Users.CreateUser(as(t, w.BAdmin), u, testPassword)
				wantCode(t, err, tandem.ECONFLICT)
				if strings.Contains(tandem.ErrorMessage(err), "already exists") {
					t.Fatalf("message confirms an account outside scope: %q", tandem.ErrorMessage(err))
				}
			})
		}
		t.Run("VisibleColleague", func(t *testing.T) {
			u := &tandem.User{Email: w.ATech.Email, Role: tandem.RoleITTechnician, OrganizationID: &w.OrgA.ID}
			err := w.Users.CreateUser(as(t, w.AAdmin), u, testPassword)
			if !strings.Contains(tandem.ErrorMessage(err), "already exists") {
				t.Fatalf("a visible colleague's address: %v", err)
			}
		})
	})
}

// TestUserService_LookAlikeEmails: an address that can pass for another is
// refused wherever one enters (a user, an invitation, the first admin),
// while an account stored before the rule keeps working: it still logs in,
// and an admin can still change it.
func TestUserService_LookAlikeEmails(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		const spoof = "p\u0430ypal@acme.test" // Cyrillic а
		const hidden = "pay\u200Bpal@acme.test"

		t.Run("ErrCreateUser", func(t *testing.T) {
			for _, email := range []string{spoof, hidden} {
				u := &tandem.User{Email: email, Role: tandem.RoleRequester, OrganizationID: &w.OrgA.ID}
				wantCode(t, w.Users.CreateUser(as(t, w.AAdmin), u, testPassword), tandem.EINVALID)
			}
		})
		t.Run("ErrCreateInvitation", func(t *testing.T) {
			inv := &tandem.Invitation{Email: spoof, Role: tandem.RoleRequester, OrganizationID: &w.OrgA.ID}
			_, err := w.Invites.CreateInvitation(as(t, w.AAdmin), inv)
			wantCode(t, err, tandem.EINVALID)
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, "mixes Latin and Cyrillic") {
				t.Errorf("message %q does not name the scripts", msg)
			}
		})
		t.Run("CanonicalFormStored", func(t *testing.T) {
			u := &tandem.User{Email: "ｆｕｌｌ.ｗｉｄｔｈ@Acme.test", Role: tandem.RoleRequester, OrganizationID: &w.OrgA.ID}
			if err := w.Users.CreateUser(as(t, w.AAdmin), u, testPassword); err != nil {
				t.Fatal(err)
			}
			// Typed as stored, or as it was created (full width; an é as e
			// and a combining accent), the address finds the account.
			for _, typed := range []string{"full.width@acme.test", "ｆｕｌｌ.ｗｉｄｔｈ@Acme.test"} {
				if got, err := w.Users.Authenticate(t.Context(), typed, testPassword); err != nil || got.ID != u.ID {
					t.Fatalf("login as %s = %v, %v; want user %d", typed, got, err, u.ID)
				}
				if got, err := w.Users.FindUserByEmail(as(t, w.AAdmin), typed); err != nil || got.ID != u.ID {
					t.Fatalf("FindUserByEmail(%s) = %v, %v; want user %d", typed, got, err, u.ID)
				}
			}
			jose := &tandem.User{Email: "jose\u0301@acme.test", Role: tandem.RoleRequester, OrganizationID: &w.OrgA.ID}
			if err := w.Users.CreateUser(as(t, w.AAdmin), jose, testPassword); err != nil {
				t.Fatal(err)
			}
			for _, typed := range []string{"jos\u00e9@acme.test", "jose\u0301@acme.test"} {
				if got, err := w.Users.Authenticate(t.Context(), typed, testPassword); err != nil || got.ID != jose.ID {
					t.Fatalf("login as %q = %v, %v; want user %d", typed, got, err, jose.ID)
				}
			}
		})
		t.Run("StoredBeforeTheRule", func(t *testing.T) {
			// As a database written before CanonicalEmail holds it.
			legit := w.mustCreateUser(t, "paypal@acme.test", &w.OrgA.ID, tandem.RoleRequester)
			if err := sqlstore.ExecRaw(db, `UPDATE users SET email = ? WHERE id = ?`, spoof, legit.ID); err != nil {
				t.Fatal(err)
			}
			got, err := w.Users.Authenticate(t.Context(), spoof, testPassword)
			if err != nil || got.ID != legit.ID {
				t.Fatalf("login with the stored address = %v, %v; want user %d", got, err, legit.ID)
			}
			off := false
			upd, err := w.Users.UpdateUser(as(t, w.AAdmin), legit.ID, tandem.UserUpdate{Active: &off})
			if err != nil || upd.Active || upd.Email != spoof {
				t.Fatalf("deactivating it = %+v, %v; want it inactive with its address unchanged", upd, err)
			}
		})
	})
}
