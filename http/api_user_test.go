package http_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// Tenancy: each role lists exactly the users its scope allows (see userScope
// in sqlstore/scope.go), and a user outside it is absent.
func TestUserAPI_Tenancy(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		provider := []string{w.admin.Email, w.tech.Email, w.watcher.Email}
		of := func(lists ...[]string) []string {
			out := slices.Concat(lists...)
			slices.Sort(out)
			return out
		}

		t.Run("ListByRole", func(t *testing.T) {
			tests := []struct {
				name string
				m    member
				want []string
			}{
				{"ProviderAdminSeesEveryone", w.admin,
					of(provider, []string{w.itAdminB.Email, w.requesterB.Email, w.itTechA.Email})},
				{"TechnicianSeesProviderAndAssignedOrg", w.tech,
					of(provider, []string{w.itTechA.Email})},
				{"ProviderViewerSeesProviderAndAssignedOrg", w.watcher,
					of(provider, []string{w.itAdminB.Email, w.requesterB.Email})},
				{"ITAdminSeesOwnOrgAndAssignedProviderStaff", w.itAdminB,
					of([]string{w.itAdminB.Email, w.requesterB.Email, w.watcher.Email})},
				{"ITTechnicianSeesOwnOrgAndAssignedProviderStaff", w.itTechA,
					of([]string{w.itTechA.Email, w.tech.Email})},
				{"RequesterSeesSelf", w.requesterB,
					of([]string{w.requesterB.Email})},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := emails(listAll[tandem.User](t, tt.m.client, "/api/v1/users"))
					if !slices.Equal(got, tt.want) {
						t.Errorf("users = %v, want %v", got, tt.want)
					}
				})
			}
		})

		t.Run("FilterCannotWidenScope", func(t *testing.T) {
			got := emails(listAll[tandem.User](t, w.itAdminB.client, fmt.Sprintf("/api/v1/users?organization_id=%d", w.orgA.ID)))
			if len(got) != 0 {
				t.Errorf("it-admin of B listed %v in A", got)
			}
		})

		t.Run("GetOutsideScopeIsNotFound", func(t *testing.T) {
			absent := w.admin.get(t, "/api/v1/users/999999").wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
			for _, tt := range []struct {
				name string
				m    member
				id   int64
			}{
				{"ITAdminOfBGetsUserOfA", w.itAdminB, w.itTechA.ID},
				{"ITAdminOfBGetsTechnicianOfA", w.itAdminB, w.tech.ID},
				{"TechnicianOfAGetsUserOfB", w.tech, w.requesterB.ID},
				{"ITTechnicianOfAGetsUserOfB", w.itTechA, w.itAdminB.ID},
				{"RequesterGetsColleague", w.requesterB, w.itAdminB.ID},
			} {
				t.Run(tt.name, func(t *testing.T) {
					msg := tt.m.get(t, fmt.Sprintf("/api/v1/users/%d", tt.id)).wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
					if msg != absent {
						t.Errorf("message %q differs from a missing user's %q", msg, absent)
					}
				})
			}
		})

		t.Run("PatchOutsideScopeIsNotFound", func(t *testing.T) {
			before := w.snapshot(t)
			w.itAdminB.patch(t, fmt.Sprintf("/api/v1/users/%d", w.itTechA.ID), map[string]any{"active": false}).
				wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
			w.unchanged(t, before)
		})

		t.Run("Me", func(t *testing.T) {
			var u tandem.User
			w.requesterB.get(t, "/api/v1/me").want(t, http.StatusOK, &u)
			if u.ID != w.requesterB.ID {
				t.Errorf("me = %d, want %d", u.ID, w.requesterB.ID)
			}
		})
	})
}

// Roles: who may create users and change roles.
func TestUserAPI_Roles(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		newUser := func(email string, role tandem.Role, org *int64) map[string]any {
			return map[string]any{"email": email, "name": "New", "role": role, "organization_id": org, "password": "long enough secret"}
		}

		t.Run("ITAdminCreatesInOwnOrg", func(t *testing.T) {
			res := w.itAdminB.post(t, "/api/v1/users", newUser("new@beta.test", tandem.RoleITTechnician, &w.orgB.ID))
			var u tandem.User
			res.want(t, http.StatusCreated, &u)
			if u.ID == 0 || u.Party != tandem.PartyInternal || u.OrganizationID == nil || *u.OrganizationID != w.orgB.ID || !u.Active {
				t.Errorf("created %+v, want an active internal user of %d", u, w.orgB.ID)
			}
			if loc, want := res.Header.Get("Location"), fmt.Sprintf("/api/v1/users/%d", u.ID); loc != want {
				t.Errorf("Location = %q, want %q", loc, want)
			}
			w.itAdminB.get(t, res.Header.Get("Location")).want(t, http.StatusOK, nil)
		})

		t.Run("ITAdminCreatesInOtherOrg", func(t *testing.T) {
			before := w.snapshot(t)
			res := w.itAdminB.post(t, "/api/v1/users", newUser("intruder@acme.test", tandem.RoleITAdmin, &w.orgA.ID))
			if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusNotFound {
				t.Fatalf("status = %d, want 422 or 404; body: %s", res.Status, res.Body)
			}
			w.unchanged(t, before)
		})

		refusals := []struct {
			name string
			m    member
			body map[string]any
		}{
			{"ITAdminCreatesProviderUser", w.itAdminB, newUser("mole@msp.test", tandem.RoleTechnician, nil)},
			{"ITAdminCreatesAssignedProviderUser", w.itAdminB,
				map[string]any{"email": "mole@msp.test", "role": "technician", "assigned_organizations": []int64{w.orgB.ID}, "password": "long enough secret"}},
			{"TechnicianCreatesUser", w.tech, newUser("new@acme.test", tandem.RoleRequester, &w.orgA.ID)},
			{"ProviderViewerCreatesUser", w.watcher, newUser("new2@beta.test", tandem.RoleRequester, &w.orgB.ID)},
			{"ITTechnicianCreatesUser", w.itTechA, newUser("new2@acme.test", tandem.RoleRequester, &w.orgA.ID)},
			{"RequesterCreatesUser", w.requesterB, newUser("new3@beta.test", tandem.RoleRequester, &w.orgB.ID)},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				tt.m.post(t, "/api/v1/users", tt.body).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
				w.unchanged(t, before)
			})
		}

		for _, tt := range []struct {
			name string
			m    member
			role tandem.Role
		}{
			{"ITAdminChangesOwnRole", w.itAdminB, tandem.RoleViewer},
			{"ProviderAdminChangesOwnRole", w.admin, tandem.RoleTechnician},
			{"TechnicianPromotesSelf", w.tech, tandem.RoleAdmin},
			{"RequesterPromotesSelf", w.requesterB, tandem.RoleITAdmin},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				tt.m.patch(t, fmt.Sprintf("/api/v1/users/%d", tt.m.ID), map[string]any{"role": tt.role}).
					wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
				w.unchanged(t, before)
			})
		}

		t.Run("ProviderViewerWritesNothing", func(t *testing.T) {
			before := w.snapshot(t)
			w.watcher.patch(t, fmt.Sprintf("/api/v1/users/%d", w.requesterB.ID), map[string]any{"name": "Changed"}).
				wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
			w.watcher.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), map[string]any{"name": "Changed"}).
				wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
			w.watcher.post(t, "/api/v1/orgs", map[string]any{"name": "Changed"}).
				wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
			w.unchanged(t, before)
		})

		t.Run("ITAdminChangesColleagueRole", func(t *testing.T) {
			var u tandem.User
			w.itAdminB.patch(t, fmt.Sprintf("/api/v1/users/%d", w.requesterB.ID), map[string]any{"role": tandem.RoleITTechnician}).
				want(t, http.StatusOK, &u)
			if u.Role != tandem.RoleITTechnician {
				t.Errorf("role = %q, want it-technician", u.Role)
			}
		})

		t.Run("UserRenamesSelf", func(t *testing.T) {
			var u tandem.User
			w.tech.patch(t, fmt.Sprintf("/api/v1/users/%d", w.tech.ID), map[string]any{"name": "Tess Tech"}).want(t, http.StatusOK, &u)
			if u.Name != "Tess Tech" || u.Role != tandem.RoleTechnician {
				t.Errorf("user = %q %q, want Tess Tech technician", u.Name, u.Role)
			}
		})
	})
}

// A look-alike address is refused with 422 and a message that says what is
// wrong and where, on both ways a new member's address enters the API.
func TestUserAPI_LookAlikeEmail(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		tests := []struct {
			name, path, email, want string
		}{
			{"UserWithZeroWidthSpace", "/api/v1/users", "new\u200B@beta.test",
				"The email address contains an invisible character (U+200B ZERO WIDTH SPACE) at position 4; retype it."},
			{"UserMixingScripts", "/api/v1/users", "p\u0430ypal@beta.test",
				"The part before @ mixes Latin and Cyrillic letters (U+0430 CYRILLIC SMALL LETTER A at position 2), so it can look like another address; use one script."},
			{"InvitationWithBidiOverride", "/api/v1/invitations", "new@\u202Eatset.beta", "invisible character (U+202E RIGHT-TO-LEFT OVERRIDE) at position 5"},
			{"InvitationMixingScripts", "/api/v1/invitations", "\u0440aypal@beta.test", "mixes Cyrillic and Latin letters"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				body := map[string]any{"email": tt.email, "name": "New", "role": tandem.RoleRequester, "organization_id": w.orgB.ID}
				if tt.path == "/api/v1/users" {
					body["password"] = "long enough secret"
				}
				msg := w.itAdminB.post(t, tt.path, body).wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("message %q, want it to contain %q", msg, tt.want)
				}
				w.unchanged(t, before)
			})
		}
	})
}
