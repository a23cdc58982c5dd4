package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestOrganizationService_CreateOrganization(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			org := &tandem.Organization{Name: "  Initech Ltd.  "}
			if err := w.Orgs.CreateOrganization(as(t, w.Admin), org); err != nil {
				t.Fatal(err)
			}
			if org.ID == 0 || org.Name != "Initech Ltd." || org.Slug != "initech-ltd" {
				t.Fatalf("created %+v; want an id, the trimmed name and slug initech-ltd", org)
			}
			if !org.CreatedAt.Equal(w.Clock.Now()) {
				t.Fatalf("CreatedAt = %v, want the clock's %v", org.CreatedAt, w.Clock.Now())
			}
			internal, provider := org.Party(tandem.PartyInternal), org.Party(tandem.PartyProvider)
			if len(org.Parties) != 2 || internal == nil || provider == nil {
				t.Fatalf("parties = %+v, want one internal and one provider", org.Parties)
			}
			if internal.Name != "Initech Ltd. IT" || provider.Name != "Northwind MSP" {
				t.Fatalf("party names = %q, %q; want the organisation's IT and the provider's name", internal.Name, provider.Name)
			}

			// What was stored reads back the same on either database.
			got, err := w.Orgs.FindOrganizationByID(as(t, w.Admin), org.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != org.Name || got.Slug != org.Slug || !got.CreatedAt.Equal(org.CreatedAt) || !got.UpdatedAt.Equal(org.UpdatedAt) {
				t.Fatalf("found %+v, want %+v", got, org)
			}
			if !slices.Equal(got.Parties, org.Parties) {
				t.Fatalf("found parties %+v, want %+v", got.Parties, org.Parties)
			}
			e := wantAudit(t, db, mark, "organization.create")[0]
			if e.ActorUserID == nil || *e.ActorUserID != w.Admin.ID || e.ActorParty != "provider" ||
				e.OrganizationID == nil || *e.OrganizationID != org.ID || e.Target != fmt.Sprintf("organization:%d", org.ID) {
				t.Fatalf("audit entry %+v does not name the admin and the new organisation", e)
			}
		})

		t.Run("ExplicitSlug", func(t *testing.T) {
			org := &tandem.Organization{Name: "Umbrella", Slug: "umbrella-eu"}
			if err := w.Orgs.CreateOrganization(as(t, w.Admin), org); err != nil {
				t.Fatal(err)
			}
			got, err := w.Orgs.FindOrganizationBySlug(as(t, w.Admin), "umbrella-eu")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != org.ID {
				t.Fatalf("FindOrganizationBySlug returned organisation %d, want %d", got.ID, org.ID)
			}
		})

		t.Run("ErrSlugTaken", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, org := range []*tandem.Organization{
				{Name: "ACME corp!"},               // slug from name collides with Acme Corp
				{Name: "Other", Slug: w.OrgB.Slug}, // explicit slug collides
			} {
				err := w.Orgs.CreateOrganization(as(t, w.Admin), org)
				wantCode(t, err, tandem.ECONFLICT)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			tests := []struct {
				name string
				org  tandem.Organization
			}{
				{"EmptyName", tandem.Organization{}},
				{"BlankName", tandem.Organization{Name: " \t "}},
				{"LongName", tandem.Organization{Name: strings.Repeat("x", 201)}},
				{"NameWithoutSlug", tandem.Organization{Name: "!!!"}},
				{"UpperCaseSlug", tandem.Organization{Name: "Valid", Slug: "Valid"}},
				{"LeadingHyphen", tandem.Organization{Name: "Valid", Slug: "-valid"}},
				{"TrailingHyphen", tandem.Organization{Name: "Valid", Slug: "valid-"}},
				{"SpaceInSlug", tandem.Organization{Name: "Valid", Slug: "in valid"}},
				{"LongSlug", tandem.Organization{Name: "Valid", Slug: strings.Repeat("a", 65)}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					org := tt.org
					wantCode(t, w.Orgs.CreateOrganization(as(t, w.Admin), &org), tandem.EINVALID)
				})
			}
			wantAudit(t, db, mark)
			list, _, err := w.Orgs.FindOrganizations(as(t, w.Admin), tandem.OrganizationFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list {
				if o.Slug == "valid" {
					t.Fatalf("invalid organisation %+v was stored", o)
				}
			}
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			readOnly := *actorOf(w.Admin)
			readOnly.ReadOnly = true
			actors := map[string]*tandem.Actor{
				"ProviderTechnician": actorOf(w.Tech),
				"ITAdmin":            actorOf(w.AAdmin),
				"ReadOnlyAdmin":      &readOnly,
			}
			mark := auditMark(t, db)
			for name, a := range actors {
				t.Run(name, func(t *testing.T) {
					err := w.Orgs.CreateOrganization(asActor(t, a), &tandem.Organization{Name: "Forbidden " + name})
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrNoActor", func(t *testing.T) {
			err := w.Orgs.CreateOrganization(t.Context(), &tandem.Organization{Name: "Anonymous"})
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestOrganizationService_UpdateOrganization(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			w.Clock.Advance(time.Hour)
			name, slug := "Acme Corporation", "acme-corporation"
			org, err := w.Orgs.UpdateOrganization(as(t, w.Admin), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name, Slug: &slug})
			if err != nil {
				t.Fatal(err)
			}
			if org.Name != name || org.Slug != slug || !org.UpdatedAt.Equal(w.Clock.Now()) || !org.CreatedAt.Equal(w.OrgA.CreatedAt) {
				t.Fatalf("updated %+v; want the new name and slug, UpdatedAt now and CreatedAt kept", org)
			}
			got, err := w.Orgs.FindOrganizationBySlug(as(t, w.Admin), slug)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != w.OrgA.ID || got.Name != name {
				t.Fatalf("found %+v after update", got)
			}
			e := wantAudit(t, db, mark, "organization.update")[0]
			if !strings.Contains(string(e.Summary), name) || !strings.Contains(string(e.Summary), slug) {
				t.Fatalf("audit summary %s does not record the changes", e.Summary)
			}
		})

		t.Run("ByITAdmin", func(t *testing.T) {
			name := "Acme (internal rename)"
			org, err := w.Orgs.UpdateOrganization(as(t, w.AAdmin), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if org.Name != name {
				t.Fatalf("name = %q, want %q", org.Name, name)
			}
		})

		t.Run("NoChange", func(t *testing.T) {
			mark := auditMark(t, db)
			cur, err := w.Orgs.FindOrganizationByID(as(t, w.Admin), w.OrgB.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Orgs.UpdateOrganization(as(t, w.Admin), w.OrgB.ID, tandem.OrganizationUpdate{Name: &cur.Name}); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			readOnly := *actorOf(w.AAdmin)
			readOnly.ReadOnly = true
			actors := map[string]*tandem.Actor{
				"ITTechnician":       actorOf(w.ATech),
				"Viewer":             actorOf(w.AViewer),
				"Requester":          actorOf(w.ARequester),
				"ProviderTechnician": actorOf(w.Tech),
				"ReadOnlyITAdmin":    &readOnly,
			}
			mark := auditMark(t, db)
			name := "Hijacked"
			for label, a := range actors {
				t.Run(label, func(t *testing.T) {
					_, err := w.Orgs.UpdateOrganization(asActor(t, a), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name})
					wantCode(t, err, tandem.EFORBIDDEN)
				})
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrOtherOrganization", func(t *testing.T) {
			// Another organisation is out of scope: it does not exist for the
			// actor, so the answer is ENOTFOUND, not EFORBIDDEN.
			name := "Hijacked"
			_, err := w.Orgs.UpdateOrganization(as(t, w.BAdmin), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name})
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("ErrSlugTaken", func(t *testing.T) {
			slug := w.OrgB.Slug
			_, err := w.Orgs.UpdateOrganization(as(t, w.Admin), w.OrgA.ID, tandem.OrganizationUpdate{Slug: &slug})
			wantCode(t, err, tandem.ECONFLICT)
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			tests := []struct {
				name string
				upd  tandem.OrganizationUpdate
			}{
				{"EmptyName", tandem.OrganizationUpdate{Name: new("")}},
				{"BlankName", tandem.OrganizationUpdate{Name: new("   ")}},
				{"EmptySlug", tandem.OrganizationUpdate{Slug: new("")}},
				{"BadSlug", tandem.OrganizationUpdate{Slug: new("Not A Slug")}},
			}
			mark := auditMark(t, db)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := w.Orgs.UpdateOrganization(as(t, w.Admin), w.OrgB.ID, tt.upd)
					wantCode(t, err, tandem.EINVALID)
				})
			}
			wantAudit(t, db, mark)
			got, err := w.Orgs.FindOrganizationByID(as(t, w.Admin), w.OrgB.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != w.OrgB.Name || got.Slug != w.OrgB.Slug {
				t.Fatalf("organisation changed to %+v by invalid updates", got)
			}
		})
	})
}

func TestOrganizationService_FindOrganizations(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		all := []*tandem.Organization{w.OrgA, w.OrgB}
		for i := range 5 {
			all = append(all, w.mustCreateOrg(t, fmt.Sprintf("Client %d", i)))
		}

		t.Run("Pagination", func(t *testing.T) {
			for _, limit := range []int{1, 2, 3, 7, 8} {
				t.Run(fmt.Sprint(limit), func(t *testing.T) {
					got := walkOrganizations(t, w.Orgs, w.Admin, limit)
					if !slices.Equal(orgIDs(got), orgIDs(all)) {
						t.Fatalf("pages of %d walked %v, want %v", limit, orgIDs(got), orgIDs(all))
					}
				})
			}
		})

		t.Run("PaginationInScope", func(t *testing.T) {
			// A technician assigned to scattered organisations pages through
			// exactly those, each with its own two parties.
			w.assign(t, w.Tech, all[1].ID, all[4].ID, all[6].ID)
			got := walkOrganizations(t, w.Orgs, w.Tech, 1)
			w.assign(t, w.Tech, w.OrgA.ID)
			want := []int64{all[1].ID, all[4].ID, all[6].ID}
			if !slices.Equal(orgIDs(got), want) {
				t.Fatalf("technician walked %v, want %v", orgIDs(got), want)
			}
			for _, o := range got {
				if len(o.Parties) != 2 || o.Parties[0].OrganizationID != o.ID || o.Parties[1].OrganizationID != o.ID {
					t.Fatalf("organisation %d has parties %+v", o.ID, o.Parties)
				}
			}
		})

		t.Run("CursorPastEnd", func(t *testing.T) {
			list, next, err := w.Orgs.FindOrganizations(as(t, w.Admin), tandem.OrganizationFilter{Cursor: "999999"})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 || next != "" {
				t.Fatalf("past the end: %d organisations, next %q; want none", len(list), next)
			}
		})

		t.Run("ErrBadRequest", func(t *testing.T) {
			tests := []struct {
				name   string
				filter tandem.OrganizationFilter
			}{
				{"CursorNotANumber", tandem.OrganizationFilter{Cursor: "abc"}},
				{"CursorNegative", tandem.OrganizationFilter{Cursor: "-1"}},
				{"CursorFraction", tandem.OrganizationFilter{Cursor: "1.5"}},
				{"LimitNegative", tandem.OrganizationFilter{Limit: -1}},
				{"LimitTooLarge", tandem.OrganizationFilter{Limit: 501}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, _, err := w.Orgs.FindOrganizations(as(t, w.Admin), tt.filter)
					wantCode(t, err, tandem.EBADREQUEST)
				})
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := w.Orgs.FindOrganizationByID(as(t, w.Admin), 999999)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = w.Orgs.FindOrganizationBySlug(as(t, w.Admin), "no-such-org")
			wantCode(t, err, tandem.ENOTFOUND)
		})
	})
}

// walkOrganizations follows next cursors from the first page to the last as
// u, failing on a repeated organisation or a runaway walk.
func walkOrganizations(tb testing.TB, svc *sqlstore.OrganizationService, u *tandem.User, limit int) []*tandem.Organization {
	tb.Helper()
	var all []*tandem.Organization
	seen := map[int64]bool{}
	cursor := ""
	for range 100 {
		page, next, err := svc.FindOrganizations(as(tb, u), tandem.OrganizationFilter{Limit: limit, Cursor: cursor})
		if err != nil {
			tb.Fatal(err)
		}
		if len(page) > limit {
			tb.Fatalf("page of %d organisations exceeds limit %d", len(page), limit)
		}
		for _, o := range page {
			if seen[o.ID] {
				tb.Fatalf("organisation %d returned twice", o.ID)
			}
			seen[o.ID] = true
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
	tb.Fatal("pagination did not end after 100 pages")
	return nil
}
