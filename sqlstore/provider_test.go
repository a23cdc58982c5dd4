package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestOrganizationService_ProviderZone(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		zone := func(s string) tandem.ProviderUpdate { return tandem.ProviderUpdate{TimeZone: &s} }

		t.Run("UTCByDefault", func(t *testing.T) {
			for _, u := range []*tandem.User{w.Admin, w.Tech, w.ARequester} {
				p, err := w.Orgs.FindProvider(as(t, u))
				if err != nil {
					t.Fatal(err)
				}
				if p.Name != "Northwind MSP" || p.TimeZone != "UTC" {
					t.Errorf("FindProvider as %s = %q in %q, want Northwind MSP in UTC", u.Email, p.Name, p.TimeZone)
				}
			}
			_, err := w.Orgs.FindProvider(t.Context())
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("OnlyProviderAdmins", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, u := range []*tandem.User{w.Tech, w.AAdmin} {
				_, err := w.Orgs.UpdateProvider(as(t, u), zone("Europe/Berlin"))
				wantCode(t, err, tandem.EFORBIDDEN)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrZoneInvalid", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, bad := range []string{"", "Local", "Mars/Olympus_Mons", "EST5EDT; DROP TABLE provider"} {
				_, err := w.Orgs.UpdateProvider(as(t, w.Admin), zone(bad))
				wantCode(t, err, tandem.EINVALID)
			}
			wantAudit(t, db, mark)
		})

		t.Run("OK", func(t *testing.T) {
			mark := auditMark(t, db)
			p, err := w.Orgs.UpdateProvider(as(t, w.Admin), zone(" America/New_York "))
			if err != nil {
				t.Fatal(err)
			}
			if p.TimeZone != "America/New_York" {
				t.Errorf("UpdateProvider returned zone %q", p.TimeZone)
			}
			entries := wantAudit(t, db, mark, "provider.update")
			if got := string(entries[0].Summary); !strings.Contains(got, `"time_zone":"America/New_York"`) {
				t.Errorf("audit summary = %s, want the new time_zone", got)
			}
			// Every provider user reads the new zone; the same zone again changes and audits nothing.
			if p, err := w.Orgs.FindProvider(as(t, w.Tech)); err != nil || p.TimeZone != "America/New_York" {
				t.Errorf("FindProvider after the update = %+v, %v", p, err)
			}
			mark = auditMark(t, db)
			if _, err := w.Orgs.UpdateProvider(as(t, w.Admin), zone("America/New_York")); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Orgs.UpdateProvider(as(t, w.Admin), tandem.ProviderUpdate{}); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark)
		})
	})
}
