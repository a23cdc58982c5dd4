package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// nightDesk is a provider rotation: the technician and the admin take
// weekly turns from Monday 5 January 2026, 09:00 in Berlin, the admin
// second.
const nightDesk = `{"timezone":"Europe/Berlin","layers":[{"name":"weekly","start":"2026-01-05T09:00:00","turn":"1w","members":["tech@msp.test","admin@msp.test"]}]}`

func TestOnCallAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		const list = "/api/v1/oncall-schedules"

		var sc tandem.OnCallSchedule
		res := d.call(t, d.admin, "POST", list, map[string]any{"party": "provider", "name": "Night desk", "definition": json.RawMessage(nightDesk)})
		res.want(t, http.StatusCreated, &sc)
		one := fmt.Sprintf("%s/%d", list, sc.ID)
		if loc := res.Header.Get("Location"); loc != one {
			t.Errorf("Location = %q, want %q", loc, one)
		}
		if sc.Party != tandem.PartyProvider || sc.OrganizationID != nil || sc.TimeZone != "Europe/Berlin" || len(sc.Definition) == 0 {
			t.Errorf("created %+v", sc)
		}

		// The first week is the technician's, the second the admin's; the
		// hand-over is at 09:00 Berlin time (08:00 UTC in January).
		who := func(at string) *string {
			t.Helper()
			var w struct{ Member *string }
			d.call(t, d.tech, "GET", one+"/who?at="+at, nil).want(t, http.StatusOK, &w)
			return w.Member
		}
		if m := who("2026-01-12T07:59:00Z"); m == nil || *m != "tech@msp.test" {
			t.Errorf("who before the hand-over = %v, want tech@msp.test", m)
		}
		if m := who("2026-01-12T08:00:00Z"); m == nil || *m != "admin@msp.test" {
			t.Errorf("who at the hand-over = %v, want admin@msp.test", m)
		}
		if m := who("2025-12-01T00:00:00Z"); m != nil {
			t.Errorf("who before the schedule starts = %q, want nobody", *m)
		}
		var shifts page[tandem.OnCallShift]
		d.call(t, d.tech, "GET", one+"/shifts?from=2026-01-10T00:00:00Z&to=2026-01-18T00:00:00Z", nil).want(t, http.StatusOK, &shifts)
		if len(shifts.Items) != 2 || shifts.Items[0].Member != "tech@msp.test" || shifts.Items[1].Member != "admin@msp.test" ||
			!shifts.Items[0].To.Equal(shifts.Items[1].From) || shifts.Items[1].From.UTC().Format("2006-01-02T15:04") != "2026-01-12T08:00" {
			t.Errorf("shifts = %+v", shifts.Items)
		}
		msg := d.call(t, d.tech, "GET", one+"/who?at=yesterday", nil).wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		if !strings.Contains(msg, "at:") {
			t.Errorf("bad instant: message %q does not name the parameter", msg)
		}

		// Bad input is refused with the field named, and nothing is stored.
		before := listAll[tandem.OnCallSchedule](t, d.admin.client, list)
		msg = d.call(t, d.admin, "POST", list, map[string]any{"party": "provider", "name": "Broken",
			"definition": json.RawMessage(`{"timezone":"Europe/Berlin","layers":[{"name":"x","start":"2026-01-05T09:00:00","turn":"fortnightly","members":["tech@msp.test"]}]}`)}).
			wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		if !strings.Contains(msg, "turn") {
			t.Errorf("bad turn: message %q does not name the field", msg)
		}
		msg = d.call(t, d.admin, "POST", list, map[string]any{"party": "provider", "name": "Outsiders",
			"definition": json.RawMessage(strings.ReplaceAll(nightDesk, "admin@msp.test", "it-admin@beta.test"))}).
			wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		if !strings.Contains(msg, "it-admin@beta.test") {
			t.Errorf("internal member on a provider schedule: message %q does not name them", msg)
		}
		d.call(t, d.itAdminB, "POST", list, map[string]any{"party": "provider", "name": "Usurped", "definition": json.RawMessage(nightDesk)}).
			wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		if after := listAll[tandem.OnCallSchedule](t, d.admin.client, list); len(after) != len(before) {
			t.Errorf("refused requests stored schedules: %d before, %d after", len(before), len(after))
		}

		// Internal staff see the provider's schedule by name, not who is on
		// it; requesters see none.
		var internal page[tandem.OnCallSchedule]
		d.call(t, d.itAdminB, "GET", list, nil).want(t, http.StatusOK, &internal)
		if len(internal.Items) != 1 || internal.Items[0].Name != "Night desk" || internal.Items[0].Definition != nil {
			t.Errorf("internal staff list %+v, want the name only", internal.Items)
		}
		d.call(t, d.itAdminB, "GET", one+"/who", nil).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		var none page[tandem.OnCallSchedule]
		d.call(t, d.requesterB, "GET", list, nil).want(t, http.StatusOK, &none)
		if len(none.Items) != 0 {
			t.Errorf("a requester sees %+v", none.Items)
		}

		// An internal team's own rotation, by its it-admin.
		var team tandem.OnCallSchedule
		d.call(t, d.itAdminA, "POST", list, map[string]any{"party": "internal", "organization_id": d.orgA.ID, "name": "Acme IT",
			"definition": json.RawMessage(`{"timezone":"America/New_York","layers":[{"name":"all","start":"2026-01-05T08:00:00","turn":"1d","members":["it-tech@acme.test"]}]}`)}).
			want(t, http.StatusCreated, &team)
		if team.OrganizationID == nil || *team.OrganizationID != d.orgA.ID {
			t.Errorf("internal schedule %+v", team)
		}
		d.call(t, d.itAdminB, "GET", fmt.Sprintf("%s/%d", list, team.ID), nil).wantError(t, http.StatusNotFound, tandem.ENOTFOUND)

		// Rename with a new zone: the definition follows the zone field.
		var renamed tandem.OnCallSchedule
		d.call(t, d.admin, "PUT", one, map[string]any{"name": "Night desk EU", "time_zone": "Europe/Lisbon", "definition": json.RawMessage(nightDesk)}).
			want(t, http.StatusOK, &renamed)
		if renamed.Name != "Night desk EU" || renamed.TimeZone != "Europe/Lisbon" || !strings.Contains(string(renamed.Definition), `"Europe/Lisbon"`) || renamed.Party != tandem.PartyProvider {
			t.Errorf("renamed %+v", renamed)
		}
		d.call(t, d.tech, "PUT", one, map[string]any{"name": "Mine", "definition": json.RawMessage(nightDesk)}).wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)

		d.call(t, d.admin, "DELETE", one, nil).want(t, http.StatusNoContent, nil)
		d.call(t, d.admin, "GET", one, nil).wantError(t, http.StatusNotFound, tandem.ENOTFOUND)
	})
}

// A feed is a calendar clients fetch without logging in: the secret in the
// address is the credential, and a new one stops the old.
func TestOnCallFeed(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		ctx := tandem.NewContextWithActor(context.Background(), actorFor(w.admin.User))
		sc := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "Night desk", Definition: json.RawMessage(nightDesk)}
		if err := s.Services.OnCall.CreateOnCallSchedule(ctx, sc); err != nil {
			t.Fatal(err)
		}
		token, err := s.Services.OnCall.RotateScheduleFeed(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		feed := func(token string) *response {
			return anonymous(s).get(t, "/feeds/oncall/"+token+".ics")
		}
		res := feed(token)
		res.want(t, http.StatusOK, nil)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Errorf("Content-Type = %q", ct)
		}
		body := strings.ReplaceAll(string(res.Body), "\r\n ", "") // unfold lines
		for _, want := range []string{"BEGIN:VCALENDAR", "X-WR-CALNAME:On call: Night desk", "SUMMARY:On call: tech@msp.test (Night desk)", "SUMMARY:On call: admin@msp.test (Night desk)", "END:VCALENDAR"} {
			if !strings.Contains(body, want) {
				t.Errorf("feed lacks %q:\n%s", want, body)
			}
		}

		// The person's own feed lists their shifts only.
		techCtx := tandem.NewContextWithActor(context.Background(), actorFor(w.tech.User))
		mine, err := s.Services.OnCall.RotateMyFeed(techCtx)
		if err != nil {
			t.Fatal(err)
		}
		res = feed(mine)
		res.want(t, http.StatusOK, nil)
		if body := string(res.Body); !strings.Contains(body, "tech@msp.test") || strings.Contains(body, "admin@msp.test") {
			t.Errorf("the technician's feed:\n%s", body)
		}

		again, err := s.Services.OnCall.RotateScheduleFeed(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if feed(token).Status != http.StatusNotFound {
			t.Error("the old feed link still works after a new one was made")
		}
		feed(again).want(t, http.StatusOK, nil)
		if st := feed("not-a-token").Status; st != http.StatusNotFound {
			t.Errorf("unknown token: status %d, want 404", st)
		}
	})
}
