package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// findAllAudit walks every page of FindAuditEntries, two entries at a time,
// and returns the ids in the order served.
func findAllAudit(tb testing.TB, ctx context.Context, s *sqlstore.AuditService, filter tandem.AuditFilter) []int64 {
	tb.Helper()
	filter.Limit = 2
	var ids []int64
	for range 1000 {
		page, next, err := s.FindAuditEntries(ctx, filter)
		if err != nil {
			tb.Fatalf("FindAuditEntries(%+v): %v", filter, err)
		}
		if len(page) > 2 {
			tb.Fatalf("page of %d entries, limit 2", len(page))
		}
		for _, e := range page {
			ids = append(ids, e.ID)
		}
		if next == "" {
			return ids
		}
		filter.Cursor = next
	}
	tb.Fatal("no last page after 1000 pages")
	return nil
}

// auditIDs returns the ids of the entries for which keep is true, newest first.
func auditIDs(tb testing.TB, db *sqlstore.DB, keep func(e tandem.AuditEntry) bool) []int64 {
	tb.Helper()
	var ids []int64
	for _, e := range auditLog(tb, db) {
		if keep(e) {
			ids = append(ids, e.ID)
		}
	}
	slices.Reverse(ids)
	return ids
}

func inOrg(id int64) func(e tandem.AuditEntry) bool {
	return func(e tandem.AuditEntry) bool { return e.OrganizationID != nil && *e.OrganizationID == id }
}

func TestAuditService_Scope(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewAuditService(db)
		all := auditIDs(t, db, func(tandem.AuditEntry) bool { return true })
		orgA, orgB := auditIDs(t, db, inOrg(w.OrgA.ID)), auditIDs(t, db, inOrg(w.OrgB.ID))
		if len(orgA) == 0 || len(orgB) == 0 || len(all) <= len(orgA)+len(orgB) {
			t.Fatalf("fixture: %d entries, %d of A, %d of B; want some in each chain and the provider's", len(all), len(orgA), len(orgB))
		}
		restricted := actorOf(w.Admin)
		restricted.OnlyOrganizationID = w.OrgB.ID
		readOnly := actorOf(w.AAdmin)
		readOnly.ReadOnly = true

		tests := []struct {
			name   string
			ctx    context.Context
			filter tandem.AuditFilter
			want   []int64
		}{
			{"ProviderAdminSeesEveryChain", as(t, w.Admin), tandem.AuditFilter{}, all},
			{"SystemSeesEveryChain", systemCtx(t), tandem.AuditFilter{}, all},
			{"TechnicianSeesAssigned", as(t, w.Tech), tandem.AuditFilter{}, orgA},
			{"ITAdminSeesOwn", as(t, w.AAdmin), tandem.AuditFilter{}, orgA},
			{"ITTechnicianSeesOwn", as(t, w.ATech), tandem.AuditFilter{}, orgA},
			{"ViewerSeesOwn", as(t, w.AViewer), tandem.AuditFilter{}, orgA},
			{"OtherITAdminSeesOwn", as(t, w.BAdmin), tandem.AuditFilter{}, orgB},
			{"RestrictedTokenSeesItsOrganization", asActor(t, restricted), tandem.AuditFilter{}, orgB},
			{"ReadOnlyTokenReads", asActor(t, readOnly), tandem.AuditFilter{}, orgA},
			{"AdminFiltersOrganization", as(t, w.Admin), tandem.AuditFilter{OrganizationID: &w.OrgB.ID}, orgB},
			{"ITAdminFiltersOtherOrganization", as(t, w.AAdmin), tandem.AuditFilter{OrganizationID: &w.OrgB.ID}, nil},
			{"TechnicianFiltersUnassigned", as(t, w.Tech), tandem.AuditFilter{OrganizationID: &w.OrgB.ID}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := findAllAudit(t, tt.ctx, s, tt.filter); !slices.Equal(got, tt.want) {
					t.Errorf("ids = %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("RequesterForbidden", func(t *testing.T) {
			_, _, err := s.FindAuditEntries(as(t, w.ARequester), tandem.AuditFilter{})
			wantCode(t, err, tandem.EFORBIDDEN)
		})
		t.Run("NoActor", func(t *testing.T) {
			_, _, err := s.FindAuditEntries(t.Context(), tandem.AuditFilter{})
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestAuditService_Filters(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewAuditService(db)
		start := w.Clock.Now()
		w.Clock.Advance(time.Hour)
		middle := w.Clock.Now()
		name := "Acme Renamed"
		if _, err := w.Orgs.UpdateOrganization(as(t, w.AAdmin), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		w.Clock.Advance(time.Hour)
		end := w.Clock.Now()
		w.mustCreateUser(t, "late@acme.test", &w.OrgA.ID, tandem.RoleViewer)

		str := func(s string) *string { return &s }
		tests := []struct {
			name   string
			filter tandem.AuditFilter
			keep   func(e tandem.AuditEntry) bool
		}{
			{"ActionExact", tandem.AuditFilter{Action: str("user.create")},
				func(e tandem.AuditEntry) bool { return e.Action == "user.create" }},
			{"ActionPrefix", tandem.AuditFilter{Action: str("user.")},
				func(e tandem.AuditEntry) bool { return strings.HasPrefix(e.Action, "user.") }},
			{"ActionNameIsNoPrefix", tandem.AuditFilter{Action: str("user")},
				func(e tandem.AuditEntry) bool { return false }},
			{"Party", tandem.AuditFilter{ActorParty: str("internal")},
				func(e tandem.AuditEntry) bool { return e.ActorParty == "internal" }},
			{"SystemParty", tandem.AuditFilter{ActorParty: str("system")},
				func(e tandem.AuditEntry) bool { return e.ActorParty == "system" }},
			{"Actor", tandem.AuditFilter{ActorUserID: &w.Admin.ID},
				func(e tandem.AuditEntry) bool { return e.ActorUserID != nil && *e.ActorUserID == w.Admin.ID }},
			{"Since", tandem.AuditFilter{Since: &middle},
				func(e tandem.AuditEntry) bool { return !e.At.Before(middle) }},
			{"Until", tandem.AuditFilter{Until: &middle},
				func(e tandem.AuditEntry) bool { return e.At.Before(middle) }},
			{"SinceUntil", tandem.AuditFilter{Since: &middle, Until: &end},
				func(e tandem.AuditEntry) bool { return !e.At.Before(middle) && e.At.Before(end) }},
			{"Combined", tandem.AuditFilter{OrganizationID: &w.OrgA.ID, Action: str("organization."), ActorUserID: &w.AAdmin.ID},
				func(e tandem.AuditEntry) bool {
					return inOrg(w.OrgA.ID)(e) && strings.HasPrefix(e.Action, "organization.") && e.ActorUserID != nil && *e.ActorUserID == w.AAdmin.ID
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := auditIDs(t, db, tt.keep)
				got := findAllAudit(t, as(t, w.Admin), s, tt.filter)
				if !slices.Equal(got, want) {
					t.Errorf("ids = %v, want %v", got, want)
				}
				if tt.name != "ActionNameIsNoPrefix" && len(got) == 0 {
					t.Error("the filter selects nothing; the case proves little")
				}
			})
		}
		if start.Equal(middle) {
			t.Fatal("clock did not advance")
		}

		t.Run("PageBoundaries", func(t *testing.T) {
			all := auditIDs(t, db, func(tandem.AuditEntry) bool { return true })
			page, next, err := s.FindAuditEntries(as(t, w.Admin), tandem.AuditFilter{Limit: len(all)})
			if err != nil || len(page) != len(all) || next != "" {
				t.Fatalf("a page as large as the log: %d entries, next %q, %v; want %d and no next page", len(page), next, err, len(all))
			}
			page, next, err = s.FindAuditEntries(as(t, w.Admin), tandem.AuditFilter{Limit: 1})
			if err != nil || len(page) != 1 || page[0].ID != all[0] || next == "" {
				t.Fatalf("first page of one: %v, next %q, %v; want newest entry %d and a next page", page, next, err, all[0])
			}
		})
	})
}

func TestAuditService_BadFilter(t *testing.T) {
	t.Parallel()
	db := testdb.MustOpenSQLite(t)
	w := newWorld(t, db)
	s := sqlstore.NewAuditService(db)
	str := func(s string) *string { return &s }
	id := func(n int64) *int64 { return &n }
	now := time.Now()
	earlier := now.Add(-time.Hour)
	tests := []struct {
		name   string
		filter tandem.AuditFilter
		param  string // the message must name it
	}{
		{"UnknownParty", tandem.AuditFilter{ActorParty: str("robots")}, "party"},
		{"ActionUpperCase", tandem.AuditFilter{Action: str("User.Create")}, "action"},
		{"ActionWildcard", tandem.AuditFilter{Action: str("user.%")}, "action"},
		{"ActionEmpty", tandem.AuditFilter{Action: str("")}, "action"},
		{"ActionDotOnly", tandem.AuditFilter{Action: str(".")}, "action"},
		{"OrganizationZero", tandem.AuditFilter{OrganizationID: id(0)}, "organization_id"},
		{"ActorNegative", tandem.AuditFilter{ActorUserID: id(-4)}, "actor_user_id"},
		{"UntilBeforeSince", tandem.AuditFilter{Since: &now, Until: &earlier}, "until"},
		{"LimitTooLarge", tandem.AuditFilter{Limit: 501}, "limit"},
		{"CursorNotANumber", tandem.AuditFilter{Cursor: "abc"}, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.FindAuditEntries(as(t, w.Admin), tt.filter)
			wantCode(t, err, tandem.EBADREQUEST)
			if msg := tandem.ErrorMessage(err); !strings.HasPrefix(msg, tt.param+" ") {
				t.Errorf("message %q does not start with the parameter %s", msg, tt.param)
			}
		})
	}
}
