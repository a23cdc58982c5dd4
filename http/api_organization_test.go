package http_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// Tenancy: every caller sees the organisations of their scope and nothing
// else; another organisation is absent (404), never forbidden.
func TestOrganizationAPI_Tenancy(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		a, b, c := w.orgA.ID, w.orgB.ID, w.orgC.ID

		t.Run("ListByRole", func(t *testing.T) {
			tests := []struct {
				name string
				m    member
				want []int64
			}{
				{"ProviderAdminSeesAll", w.admin, []int64{a, b, c}},
				{"TechnicianSeesAssigned", w.tech, []int64{a}},
				{"ProviderViewerSeesAssigned", w.watcher, []int64{b}},
				{"ITAdminSeesOwn", w.itAdminB, []int64{b}},
				{"ITTechnicianSeesOwn", w.itTechA, []int64{a}},
				{"RequesterSeesOwn", w.requesterB, []int64{b}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := orgIDs(listAll[tandem.Organization](t, tt.m.client, "/api/v1/orgs"))
					if !slices.Equal(got, tt.want) {
						t.Errorf("orgs = %v, want %v", got, tt.want)
					}
				})
			}
		})

		t.Run("GetInScope", func(t *testing.T) {
			var org tandem.Organization
			w.itAdminB.get(t, fmt.Sprintf("/api/v1/orgs/%d", b)).want(t, http.StatusOK, &org)
			if org.ID != b || org.Slug != "beta" {
				t.Errorf("org = %d %q, want %d beta", org.ID, org.Slug, b)
			}
		})

		t.Run("GetOutsideScopeIsNotFound", func(t *testing.T) {
			absent := w.admin.get(t, "/api/v1/orgs/999999").wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
			for _, tt := range []struct {
				name string
				m    member
				id   int64
			}{
				{"ITAdminOfB", w.itAdminB, a},
				{"TechnicianOfA", w.tech, b},
				{"RequesterOfB", w.requesterB, c},
			} {
				t.Run(tt.name, func(t *testing.T) {
					msg := tt.m.get(t, fmt.Sprintf("/api/v1/orgs/%d", tt.id)).wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
					if msg != absent {
						t.Errorf("message %q differs from a missing organisation's %q: it tells that the organisation exists", msg, absent)
					}
				})
			}
		})

		t.Run("PatchOutsideScopeIsNotFound", func(t *testing.T) {
			before := w.snapshot(t)
			w.itAdminB.patch(t, fmt.Sprintf("/api/v1/orgs/%d", a), map[string]any{"name": "Taken over", "slug": "taken"}).
				wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
			w.tech.patch(t, fmt.Sprintf("/api/v1/orgs/%d", c), map[string]any{"name": "Taken over"}).
				wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
			w.unchanged(t, before)
		})

		t.Run("SlugFilterKeepsScope", func(t *testing.T) {
			var pg page[tandem.Organization]
			w.itAdminB.get(t, "/api/v1/orgs?slug=acme").want(t, http.StatusOK, &pg)
			if len(pg.Items) != 0 {
				t.Errorf("it-admin of B found %v by slug acme", orgIDs(pg.Items))
			}
			w.admin.get(t, "/api/v1/orgs?slug=acme").want(t, http.StatusOK, &pg)
			if got := orgIDs(pg.Items); !slices.Equal(got, []int64{a}) {
				t.Errorf("admin found %v by slug acme, want [%d]", got, a)
			}
		})
	})
}

// Roles: who may create and change organisations.
func TestOrganizationAPI_Roles(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)

		for _, tt := range []struct {
			name string
			m    member
		}{
			{"CreateByTechnicianForbidden", w.tech},
			{"CreateByProviderViewerForbidden", w.watcher},
			{"CreateByITAdminForbidden", w.itAdminB},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				tt.m.post(t, "/api/v1/orgs", map[string]any{"name": "Delta"}).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
				w.unchanged(t, before)
			})
		}

		t.Run("CreateByAdmin", func(t *testing.T) {
			res := w.admin.post(t, "/api/v1/orgs", map[string]any{"name": "Delta Logistics"})
			var org tandem.Organization
			res.want(t, http.StatusCreated, &org)
			if org.ID == 0 || org.Name != "Delta Logistics" || org.Slug != "delta-logistics" {
				t.Errorf("created %d %q %q, want an id, Delta Logistics, delta-logistics", org.ID, org.Name, org.Slug)
			}
			if loc, want := res.Header.Get("Location"), fmt.Sprintf("/api/v1/orgs/%d", org.ID); loc != want {
				t.Errorf("Location = %q, want %q", loc, want)
			}
			var kinds []tandem.PartyKind
			for _, p := range org.Parties {
				if p.ID == 0 || p.OrganizationID != org.ID || p.Name == "" {
					t.Errorf("party %+v is incomplete", p)
				}
				kinds = append(kinds, p.Kind)
			}
			slices.Sort(kinds)
			if want := []tandem.PartyKind{tandem.PartyInternal, tandem.PartyProvider}; !slices.Equal(kinds, want) {
				t.Errorf("party kinds = %v, want %v", kinds, want)
			}
			var got tandem.Organization
			w.admin.get(t, res.Header.Get("Location")).want(t, http.StatusOK, &got)
			if got.ID != org.ID || len(got.Parties) != 2 {
				t.Errorf("GET Location = %d with %d parties, want %d with 2", got.ID, len(got.Parties), org.ID)
			}
		})

		t.Run("UpdateOwnByITAdmin", func(t *testing.T) {
			var org tandem.Organization
			w.itAdminB.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), map[string]any{"name": "Beta Corp"}).want(t, http.StatusOK, &org)
			if org.Name != "Beta Corp" || org.Slug != "beta" {
				t.Errorf("updated to %q %q, want Beta Corp beta", org.Name, org.Slug)
			}
		})

		for _, tt := range []struct {
			name string
			m    member
			org  *tandem.Organization
		}{
			{"UpdateByTechnicianForbidden", w.tech, w.orgA},
			{"UpdateByProviderViewerForbidden", w.watcher, w.orgB},
			{"UpdateByITTechnicianForbidden", w.itTechA, w.orgA},
			{"UpdateByRequesterForbidden", w.requesterB, w.orgB},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				tt.m.patch(t, fmt.Sprintf("/api/v1/orgs/%d", tt.org.ID), map[string]any{"name": "Renamed"}).
					wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
				w.unchanged(t, before)
			})
		}
	})
}

// Pagination: following next_cursor visits every organisation exactly once
// and the last page says so with an empty cursor.
func TestOrganizationAPI_Pagination(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		admin := adminClient(t, s)
		var want []int64
		for i := range 7 {
			want = append(want, s.MustCreateOrganization(t, fmt.Sprintf("Client %d", i)).ID)
		}

		t.Run("WalkLimit3", func(t *testing.T) {
			var got []int64
			var sizes []int
			cursor := ""
			for n := 0; ; n++ {
				if n > len(want) {
					t.Fatalf("still paging after %d pages", n)
				}
				path := "/api/v1/orgs?limit=3"
				if cursor != "" {
					path += "&cursor=" + cursor
				}
				var pg page[tandem.Organization]
				admin.get(t, path).want(t, http.StatusOK, &pg)
				got = append(got, orgIDs(pg.Items)...)
				sizes = append(sizes, len(pg.Items))
				if pg.NextCursor == "" {
					break
				}
				cursor = pg.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("walked %v, want each of %v once, in order", got, want)
			}
			if !slices.Equal(sizes, []int{3, 3, 1}) {
				t.Errorf("page sizes = %v, want [3 3 1]", sizes)
			}
		})

		t.Run("ExactLastPageHasNoCursor", func(t *testing.T) {
			var pg page[tandem.Organization]
			admin.get(t, "/api/v1/orgs?limit=7").want(t, http.StatusOK, &pg)
			if len(pg.Items) != 7 || pg.NextCursor != "" {
				t.Errorf("limit=7 gave %d items and cursor %q, want 7 and \"\"", len(pg.Items), pg.NextCursor)
			}
		})
	})
}

// Audit: a change leaves an entry naming who made it; a refusal leaves none.
func TestOrganizationAPI_Audit(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		ctx := context.Background()
		creates := func(t *testing.T) []int64 {
			t.Helper()
			entries, err := s.Services.DB.AuditEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var actors []int64
			for _, e := range entries {
				if e.Action == "organization.create" {
					if e.ActorUserID == nil {
						actors = append(actors, 0)
					} else {
						actors = append(actors, *e.ActorUserID)
					}
				}
			}
			return actors
		}

		t.Run("CreateIsAudited", func(t *testing.T) {
			before := creates(t)
			var org tandem.Organization
			w.admin.post(t, "/api/v1/orgs", map[string]any{"name": "Audited"}).want(t, http.StatusCreated, &org)
			entries, err := s.Services.DB.AuditEntries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			last := entries[len(entries)-1]
			if last.Action != "organization.create" || last.ActorUserID == nil || *last.ActorUserID != w.admin.ID ||
				last.OrganizationID == nil || *last.OrganizationID != org.ID || last.Target != fmt.Sprintf("organization:%d", org.ID) {
				t.Errorf("last audit entry = %+v, want organization.create of %d by user %d", last, org.ID, w.admin.ID)
			}
			if got := creates(t); len(got) != len(before)+1 {
				t.Errorf("organization.create entries went from %d to %d, want one more", len(before), len(got))
			}
		})

		t.Run("RefusalIsNotAudited", func(t *testing.T) {
			before := creates(t)
			w.tech.post(t, "/api/v1/orgs", map[string]any{"name": "Refused"}).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
			w.admin.post(t, "/api/v1/orgs", map[string]any{"name": " "}).wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
			w.admin.post(t, "/api/v1/orgs", map[string]any{"name": "Acme again", "slug": "acme"}).wantError(t, http.StatusConflict, tandem.ECONFLICT)
			if got := creates(t); !slices.Equal(got, before) {
				t.Errorf("organization.create entries by user = %v, want %v", got, before)
			}
		})
	})
}

// adminClient creates a provider admin and returns a client acting as them.
func adminClient(t *testing.T, s *testserver.Server) client {
	t.Helper()
	u := s.MustCreateUser(t, &tandem.User{Email: "root@msp.test", Role: tandem.RoleAdmin}, "correct horse battery")
	return client{base: s.HTTPServer.URL(), token: s.MustCreateToken(t, u.ID)}
}
