package sqlstore_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// providerRotation is a weekly rotation of the standard cast's provider
// staff, starting Monday 4 March 2030 09:00 in Berlin.
const providerRotation = `{"timezone":"Europe/Berlin","layers":[{"name":"noc","start":"2030-03-04T09:00:00","turn":"1w","members":["Admin@MSP.test","tech@msp.test"]}]}`

func TestOnCallSchedules(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		svc := sqlstore.NewOnCallService(db)

		provider := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "NOC", Definition: json.RawMessage(providerRotation)}
		t.Run("ProviderAdminCreates", func(t *testing.T) {
			wantCode(t, svc.CreateOnCallSchedule(as(t, w.Admin), provider), "")
			if !strings.Contains(string(provider.Definition), `"members":["admin@msp.test","tech@msp.test"]`) || provider.TimeZone != "Europe/Berlin" {
				t.Errorf("stored %s in %s, want canonical members", provider.Definition, provider.TimeZone)
			}
		})
		internal := &tandem.OnCallSchedule{Party: tandem.PartyInternal, OrganizationID: &w.OrgA.ID, Name: "Acme IT", TimeZone: "America/New_York",
			Definition: json.RawMessage(`{"timezone":"UTC","layers":[{"name":"p","start":"2030-03-04T09:00:00","turn":"1d","members":["admin@acme.test","tech@acme.test"]}]}`)}
		t.Run("ITAdminCreatesWithTheZoneField", func(t *testing.T) {
			wantCode(t, svc.CreateOnCallSchedule(as(t, w.AAdmin), internal), "")
			if internal.TimeZone != "America/New_York" || !strings.Contains(string(internal.Definition), `"timezone":"America/New_York"`) {
				t.Errorf("zone %s, definition %s; the zone field should win", internal.TimeZone, internal.Definition)
			}
		})

		t.Run("ErrMemberNotOfTheParty", func(t *testing.T) {
			s := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "Bad",
				Definition: json.RawMessage(strings.Replace(providerRotation, "tech@msp.test", "admin@acme.test", 1))}
			err := svc.CreateOnCallSchedule(as(t, w.Admin), s)
			wantCode(t, err, tandem.EINVALID)
			if !strings.Contains(tandem.ErrorMessage(err), "admin@acme.test is not an active provider user") {
				t.Errorf("message %q does not name the member", tandem.ErrorMessage(err))
			}
			s = &tandem.OnCallSchedule{Party: tandem.PartyInternal, OrganizationID: &w.OrgA.ID, Name: "Bad",
				Definition: json.RawMessage(strings.Replace(providerRotation, `"Admin@MSP.test","tech@msp.test"`, `"requester@acme.test"`, 1))}
			err = svc.CreateOnCallSchedule(as(t, w.AAdmin), s)
			wantCode(t, err, tandem.EINVALID)
			if !strings.Contains(tandem.ErrorMessage(err), "requester@acme.test is not an active IT admin or technician") {
				t.Errorf("message %q does not name the member", tandem.ErrorMessage(err))
			}
		})
		t.Run("ErrDefinition", func(t *testing.T) {
			s := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "Bad", Definition: json.RawMessage(strings.Replace(providerRotation, `"1w"`, `"2x"`, 1))}
			err := svc.CreateOnCallSchedule(as(t, w.Admin), s)
			wantCode(t, err, tandem.EINVALID)
			if !strings.HasPrefix(tandem.ErrorMessage(err), `layers[0].turn: "2x" is not a turn`) {
				t.Errorf("message %q", tandem.ErrorMessage(err))
			}
		})
		t.Run("ErrNameTaken", func(t *testing.T) {
			s := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "NOC", Definition: json.RawMessage(providerRotation)}
			wantCode(t, svc.CreateOnCallSchedule(as(t, w.Admin), s), tandem.ECONFLICT)
		})
		t.Run("ErrOthersManage", func(t *testing.T) {
			s := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "Mine", Definition: json.RawMessage(providerRotation)}
			wantCode(t, svc.CreateOnCallSchedule(as(t, w.Tech), s), tandem.EFORBIDDEN)
			wantCode(t, svc.CreateOnCallSchedule(as(t, w.AAdmin), s), tandem.EFORBIDDEN)
			// The provider admin does not run the internal team's rota.
			edit := *internal
			edit.Name = "Renamed"
			wantCode(t, svc.UpdateOnCallSchedule(as(t, w.Admin), &edit), tandem.EFORBIDDEN)
			wantCode(t, svc.UpdateOnCallSchedule(as(t, w.ATech), &edit), tandem.EFORBIDDEN)
		})

		t.Run("Scope", func(t *testing.T) {
			names := func(u *tandem.User) (out []string) {
				list, err := svc.FindOnCallSchedules(as(t, u), nil)
				wantCode(t, err, "")
				for _, s := range list {
					entry := s.Name
					if s.Definition == nil {
						entry += " (name only)"
					}
					out = append(out, entry)
				}
				return out
			}
			for _, tt := range []struct {
				u    *tandem.User
				want string
			}{
				{w.Admin, "NOC,Acme IT"},
				{w.Tech, "NOC,Acme IT"},
				{w.AAdmin, "NOC (name only),Acme IT"},
				{w.AViewer, "NOC (name only),Acme IT"},
				{w.ARequester, ""},
				{w.BAdmin, "NOC (name only)"},
			} {
				if got := strings.Join(names(tt.u), ","); got != tt.want {
					t.Errorf("%s sees %q, want %q", tt.u.Email, got, tt.want)
				}
			}
			_, err := svc.FindOnCallSchedule(as(t, w.BAdmin), internal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = svc.OnCallAt(as(t, w.BAdmin), internal.ID, w.Clock.Now())
			wantCode(t, err, tandem.ENOTFOUND)
			wantCode(t, svc.DeleteOnCallSchedule(as(t, w.BAdmin), internal.ID), tandem.ENOTFOUND)
			_, err = svc.RotateScheduleFeed(as(t, w.BAdmin), internal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = svc.FindOnCallSchedule(as(t, w.ARequester), provider.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			// Internal staff see the provider schedule's name, not who is on call.
			_, err = svc.OnCallAt(as(t, w.AAdmin), provider.ID, w.Clock.Now())
			wantCode(t, err, tandem.EFORBIDDEN)
		})

		t.Run("WhoAndShifts", func(t *testing.T) {
			// The clock stands at Thursday 14 March 2030 09:00 UTC: week 2
			// of the rotation, the technician's.
			who, err := svc.OnCallAt(as(t, w.Tech), provider.ID, w.Clock.Now())
			wantCode(t, err, "")
			if who != "tech@msp.test" {
				t.Errorf("on call now: %q", who)
			}
			from := time.Date(2030, 3, 11, 8, 0, 0, 0, time.UTC)
			shifts, err := svc.OnCallShifts(as(t, w.Admin), provider.ID, from, from.Add(22*24*time.Hour))
			wantCode(t, err, "")
			var got []string
			for _, sh := range shifts {
				got = append(got, sh.From.Format(time.RFC3339)+" "+sh.Member)
			}
			// Berlin springs forward on 31 March: the hand-over stays at 09:00.
			want := "2030-03-11T09:00:00+01:00 tech@msp.test,2030-03-18T09:00:00+01:00 admin@msp.test,2030-03-25T09:00:00+01:00 tech@msp.test,2030-04-01T09:00:00+02:00 admin@msp.test"
			if strings.Join(got, ",") != want {
				t.Errorf("shifts %v, want %s", got, want)
			}
			_, err = svc.OnCallShifts(as(t, w.Admin), provider.ID, from, from.Add(-time.Hour))
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("OnCallAtForEscalation", func(t *testing.T) {
			id, ok, err := sqlstore.OnCallAt(db, provider.ID, w.Clock.Now())
			if err != nil || !ok || id != w.Tech.ID {
				t.Errorf("onCallAt = %d, %v, %v; want the technician %d", id, ok, err, w.Tech.ID)
			}
			_, ok, err = sqlstore.OnCallAt(db, provider.ID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil || ok {
				t.Errorf("before the start: ok %v, %v; want nobody", ok, err)
			}
			// A member whose account is deactivated is nobody to call.
			off, on := false, true
			_, err = w.Users.UpdateUser(systemCtx(t), w.Tech.ID, tandem.UserUpdate{Active: &off})
			wantCode(t, err, "")
			_, ok, err = sqlstore.OnCallAt(db, provider.ID, w.Clock.Now())
			if err != nil || ok {
				t.Errorf("deactivated member: ok %v, %v; want nobody", ok, err)
			}
			_, err = w.Users.UpdateUser(systemCtx(t), w.Tech.ID, tandem.UserUpdate{Active: &on})
			wantCode(t, err, "")
		})

		t.Run("Feeds", func(t *testing.T) {
			token, err := svc.RotateScheduleFeed(as(t, w.Tech), provider.ID)
			wantCode(t, err, "")
			feed, err := svc.OnCallFeed(t.Context(), token)
			wantCode(t, err, "")
			if feed.Name != "On call: NOC" || len(feed.Shifts) < 8 {
				t.Errorf("schedule feed %q with %d shifts", feed.Name, len(feed.Shifts))
			}
			again, err := svc.RotateScheduleFeed(as(t, w.Admin), provider.ID)
			wantCode(t, err, "")
			_, err = svc.OnCallFeed(t.Context(), token)
			wantCode(t, err, tandem.ENOTFOUND) // rotated away
			_, err = svc.OnCallFeed(t.Context(), again)
			wantCode(t, err, "")
			if n, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM oncall_feeds WHERE token_hash = ?`, again); n != 0 {
				t.Error("the token itself is stored")
			}

			mine, err := svc.RotateMyFeed(as(t, w.ATech))
			wantCode(t, err, "")
			feed, err = svc.OnCallFeed(t.Context(), mine)
			wantCode(t, err, "")
			for _, sh := range feed.Shifts {
				if sh.Member != "tech@acme.test" || sh.ScheduleID != internal.ID {
					t.Fatalf("personal feed holds %+v", sh)
				}
			}
			if len(feed.Shifts) == 0 {
				t.Error("the personal feed is empty")
			}
			_, err = svc.RotateMyFeed(as(t, w.ARequester))
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = svc.OnCallFeed(t.Context(), "tdmcal_nonsense")
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("UpdateAndDeleteAudited", func(t *testing.T) {
			edit := *provider
			edit.Name = "NOC rotation"
			wantCode(t, svc.UpdateOnCallSchedule(as(t, w.Admin), &edit), "")
			got, err := svc.FindOnCallSchedule(as(t, w.Tech), provider.ID)
			wantCode(t, err, "")
			if got.Name != "NOC rotation" {
				t.Errorf("name %q after update", got.Name)
			}
			wantCode(t, svc.DeleteOnCallSchedule(as(t, w.Admin), provider.ID), "")
			_, err = svc.FindOnCallSchedule(as(t, w.Admin), provider.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			for _, action := range []string{"oncall.create", "oncall.update", "oncall.delete", "oncall.feed_rotate", "oncall.my_feed_rotate"} {
				if n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action); err != nil || n == 0 {
					t.Errorf("no audit entry %s (%v)", action, err)
				}
			}
		})
	})
}
