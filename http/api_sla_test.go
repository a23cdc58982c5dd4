package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The document's validator reads an iCalendar upload as an opaque string.
func init() { openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.FileBodyDecoder) }

// calendarDefinition is the stored form of a calendar, decoded.
type calendarDefinition struct {
	Timezone string                `json:"timezone"`
	Hours    map[string][][]string `json:"hours"`
	Holidays []string              `json:"holidays"`
}

func definitionOf(t *testing.T, c tandem.BusinessCalendar) calendarDefinition {
	t.Helper()
	var def calendarDefinition
	if err := json.Unmarshal(c.Definition, &def); err != nil {
		t.Fatalf("definition %s: %v", c.Definition, err)
	}
	return def
}

// holidayFeed is an iCalendar file as public holiday feeds publish them:
// two all-day holidays, one of them two days long, and a timed event that is
// not a holiday.
const holidayFeed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tandem tests//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:xmas@test\r\nDTSTAMP:20300101T000000Z\r\nDTSTART;VALUE=DATE:20301225\r\nDTEND;VALUE=DATE:20301227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:ny@test\r\nDTSTAMP:20300101T000000Z\r\nDTSTART;VALUE=DATE:20310101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:party@test\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20301220T160000Z\r\nDTEND:20301220T180000Z\r\nSUMMARY:Office party\r\nEND:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

func TestSLAAPI_Calendars(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		calendars := fmt.Sprintf("/api/v1/orgs/%d/calendars", d.orgA.ID)
		office := map[string]any{"name": "Berlin office", "definition": json.RawMessage(
			`{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","12:00"],["13:00","17:00"]],"sat":[]},"holidays":["2030-12-24"]}`)}

		var cal tandem.BusinessCalendar
		res := d.call(t, d.itAdminA, "POST", calendars, office)
		res.want(t, http.StatusCreated, &cal)
		if cal.ID == 0 || cal.OrganizationID != d.orgA.ID || cal.Name != "Berlin office" {
			t.Fatalf("created %+v", cal)
		}
		if loc := res.Header.Get("Location"); loc != fmt.Sprintf("%s/%d", calendars, cal.ID) {
			t.Errorf("Location = %q", loc)
		}
		def := definitionOf(t, cal)
		if def.Timezone != "Europe/Berlin" || len(def.Hours["tue"]) != 2 || !slices.Equal(def.Holidays, []string{"2030-12-24"}) {
			t.Errorf("stored definition %s", cal.Definition)
		}
		path := fmt.Sprintf("%s/%d", calendars, cal.ID)

		t.Run("Read", func(t *testing.T) {
			var got tandem.BusinessCalendar
			d.call(t, d.tech, "GET", path, nil).want(t, http.StatusOK, &got)
			if got.ID != cal.ID || string(got.Definition) != string(cal.Definition) {
				t.Errorf("read %+v, created %+v", got, cal)
			}
			var list page[tandem.BusinessCalendar]
			d.call(t, d.itTechA, "GET", calendars, nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 1 || list.Items[0].ID != cal.ID {
				t.Errorf("list %+v", list.Items)
			}
			d.call(t, d.itAdminB, "GET", path, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.itAdminB, "GET", calendars, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.tech, "GET", fmt.Sprintf("%s/%d", calendars, cal.ID+1000), nil).wantError(t, 404, tandem.ENOTFOUND)
		})

		t.Run("BadDefinitionRefused", func(t *testing.T) {
			for _, tt := range []struct{ name, def, mention string }{
				{"UnknownZone", `{"timezone":"Europe/Atlantis","hours":{"mon":[["09:00","17:00"]]}}`, "Europe/Atlantis"},
				{"Overlap", `{"timezone":"UTC","hours":{"mon":[["09:00","13:00"],["12:00","17:00"]]}}`, "mon"},
				{"UnknownDay", `{"timezone":"UTC","hours":{"monday":[["09:00","17:00"]]}}`, "monday"},
				{"BadHoliday", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["25.12.2030"]}`, "25.12.2030"},
				{"NeverOpen", `{"timezone":"UTC","hours":{}}`, "open"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					body := map[string]any{"name": "Bad " + tt.name, "definition": json.RawMessage(tt.def)}
					msg := d.call(t, d.itAdminA, "POST", calendars, body).wantError(t, 422, tandem.EINVALID)
					if !strings.Contains(msg, tt.mention) {
						t.Errorf("message %q does not name %q", msg, tt.mention)
					}
					msg = d.call(t, d.itAdminA, "PUT", path, body).wantError(t, 422, tandem.EINVALID)
					if !strings.Contains(msg, tt.mention) {
						t.Errorf("update: message %q does not name %q", msg, tt.mention)
					}
				})
			}
			var list page[tandem.BusinessCalendar]
			d.call(t, d.itAdminA, "GET", calendars, nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 1 || string(list.Items[0].Definition) != string(cal.Definition) {
				t.Errorf("refused definitions changed the calendars: %+v", list.Items)
			}
		})

		t.Run("Permissions", func(t *testing.T) {
			d.call(t, d.itTechA, "POST", calendars, office).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.tech, "PUT", path, office).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.requesterA, "DELETE", path, nil).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itAdminB, "PUT", path, office).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.itAdminA, "POST", calendars, office).wantError(t, 409, tandem.ECONFLICT)
		})

		t.Run("Update", func(t *testing.T) {
			var got tandem.BusinessCalendar
			d.call(t, d.admin, "PUT", path, map[string]any{"name": "Berlin office (summer)", "definition": json.RawMessage(
				`{"timezone":"Europe/Berlin","hours":{"mon":[["08:00","16:00"]]},"holidays":[]}`)}).want(t, http.StatusOK, &got)
			if got.ID != cal.ID || got.Name != "Berlin office (summer)" || definitionOf(t, got).Hours["mon"][0][0] != "08:00" {
				t.Errorf("updated %+v", got)
			}
			d.call(t, d.admin, "PUT", path, map[string]any{"name": "x"}).wantError(t, 422, tandem.EINVALID)
		})

		t.Run("ImportHolidays", func(t *testing.T) {
			import_ := func(m member, body, contentType string) *response {
				req := m.newRequest(t, "POST", path+"/holidays", strings.NewReader(body))
				req.Header.Set("Content-Type", contentType)
				res := send(t, req)
				d.conforms(t, "POST", path+"/holidays", contentType, []byte(body), res)
				return res
			}
			var got struct {
				Calendar tandem.BusinessCalendar `json:"calendar"`
				Added    []string                `json:"added"`
			}
			import_(d.itAdminA, holidayFeed, "text/calendar; charset=utf-8").want(t, http.StatusOK, &got)
			want := []string{"2030-12-25", "2030-12-26", "2031-01-01"}
			if !slices.Equal(got.Added, want) {
				t.Errorf("added %v, want %v (the timed event is no holiday)", got.Added, want)
			}
			if h := definitionOf(t, got.Calendar).Holidays; !slices.Equal(h, want) {
				t.Errorf("holidays after the import: %v", h)
			}
			// The same file again adds nothing.
			import_(d.itAdminA, holidayFeed, "text/calendar").want(t, http.StatusOK, &got)
			if len(got.Added) != 0 || len(definitionOf(t, got.Calendar).Holidays) != 3 {
				t.Errorf("second import added %v", got.Added)
			}
			import_(d.itAdminA, "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n", "text/calendar").wantError(t, 422, tandem.EINVALID)
			import_(d.itAdminA, holidayFeed, "application/json").wantError(t, 400, tandem.EBADREQUEST)
			import_(d.itAdminA, "", "text/calendar").wantError(t, 400, tandem.EBADREQUEST)
			import_(d.itAdminA, strings.Repeat("X", 1<<20+1), "text/calendar").wantError(t, 413, tandem.ETOOLARGE)
			import_(d.itTechA, holidayFeed, "text/calendar").wantError(t, 403, tandem.EFORBIDDEN)
			import_(d.itAdminB, holidayFeed, "text/calendar").wantError(t, 404, tandem.ENOTFOUND)
		})

		t.Run("DeleteRefusedWhileTheSLAPolicyUsesIt", func(t *testing.T) {
			policy := fmt.Sprintf("/api/v1/orgs/%d/sla-policy", d.orgA.ID)
			d.call(t, d.itAdminA, "PUT", policy, map[string]any{"calendar_id": cal.ID}).want(t, http.StatusOK, nil)
			d.call(t, d.itAdminA, "DELETE", path, nil).wantError(t, 409, tandem.ECONFLICT)
			d.call(t, d.itAdminA, "PUT", policy, map[string]any{"calendar_id": nil}).want(t, http.StatusOK, nil)
			d.call(t, d.itAdminA, "DELETE", path, nil).want(t, http.StatusNoContent, nil)
			d.call(t, d.itAdminA, "GET", path, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.itAdminA, "DELETE", path, nil).wantError(t, 404, tandem.ENOTFOUND)
		})
	})
}

func TestSLAAPI_Policy(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		policy := fmt.Sprintf("/api/v1/orgs/%d/sla-policy", d.orgA.ID)

		var got tandem.SLAPolicy
		d.call(t, d.itTechA, "GET", policy, nil).want(t, http.StatusOK, &got)
		def := tandem.DefaultSLAPolicy(d.orgA.ID)
		if got.OrganizationID != d.orgA.ID || got.WarnPercent != 75 || !slices.Equal(got.Targets, def.Targets) || got.CalendarID != nil ||
			got.ResponseActions == nil || len(got.ResponseActions) != 0 {
			t.Errorf("default policy %+v, want response_actions [] among the defaults", got)
		}
		d.call(t, d.itAdminB, "GET", policy, nil).wantError(t, 404, tandem.ENOTFOUND)

		// A ticket opened under the default policy: P3 resolves in 24 hours.
		tk := d.create(t, d.itTechA, map[string]any{"title": "VPN slow", "area_id": d.internalArea})
		resolution := func(tk *tandem.Ticket) *tandem.Timer {
			for _, x := range tk.Timers {
				if x.Kind == tandem.TimerResolution {
					return x
				}
			}
			t.Fatalf("ticket %d has no resolution timer: %+v", tk.ID, tk.Timers)
			return nil
		}
		if m := resolution(tk).Minutes; m != def.Target(3).ResolutionMinutes {
			t.Fatalf("resolution target under the default policy: %d minutes", m)
		}

		var cal tandem.BusinessCalendar
		d.call(t, d.itAdminA, "POST", fmt.Sprintf("/api/v1/orgs/%d/calendars", d.orgA.ID), map[string]any{"name": "Office",
			"definition": json.RawMessage(`{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]]}}`)}).want(t, http.StatusCreated, &cal)
		matrix := tandem.DefaultPriorityMatrix()
		matrix[tandem.LevelMedium][tandem.LevelMedium] = 2
		put := map[string]any{
			"calendar_id":  cal.ID,
			"warn_percent": 60,
			"targets": []tandem.SLATarget{
				{Priority: 1, ResponseMinutes: 15, ResolutionMinutes: 120},
				{Priority: 2, ResponseMinutes: 45, ResolutionMinutes: 600},
			},
			"olas":             []tandem.OLATarget{{Party: tandem.PartyProvider, AcceptMinutes: 20}},
			"priority_matrix":  matrix,
			"response_actions": []string{"time", "assign", "time"},
		}
		d.call(t, d.itTechA, "PUT", policy, put).wantError(t, 403, tandem.EFORBIDDEN)
		d.call(t, d.itAdminB, "PUT", policy, put).wantError(t, 404, tandem.ENOTFOUND)
		d.call(t, d.itAdminA, "PUT", policy, put).want(t, http.StatusOK, &got)
		var again tandem.SLAPolicy
		d.call(t, d.tech, "GET", policy, nil).want(t, http.StatusOK, &again)
		for _, p := range []tandem.SLAPolicy{got, again} {
			if p.CalendarID == nil || *p.CalendarID != cal.ID || p.WarnPercent != 60 || len(p.Targets) != 2 || p.Targets[1].ResolutionMinutes != 600 ||
				p.OLA(tandem.PartyProvider) != 20 || p.PriorityMatrix.Priority(tandem.LevelMedium, tandem.LevelMedium) != 2 ||
				!slices.Equal(p.ResponseActions, []tandem.StaffAction{tandem.StaffAssign, tandem.StaffTime}) {
				t.Errorf("policy after the update %+v", p)
			}
		}

		// The new priority matrix applies to new tickets; the targets to them
		// and, recomputed, to open ones of the same priority.
		fresh := d.create(t, d.itTechA, map[string]any{"title": "Laptop dead", "area_id": d.internalArea})
		if fresh.Priority != 2 || resolution(fresh).Minutes != 600 {
			t.Errorf("new medium × medium ticket: P%d with %d resolution minutes, want P2 with 600", fresh.Priority, resolution(fresh).Minutes)
		}
		// The policy marks time: a logged phone call by the provider is the
		// fresh ticket's response, and takes it out of new.
		d.call(t, d.tech, "POST", fmt.Sprintf("/api/v1/tickets/%d/time-entries", fresh.ID), map[string]any{"minutes": 5, "note": "Phoned the requester"}).want(t, http.StatusCreated, nil)
		if got := d.ticket(t, d.itTechA, fresh.ID); got.FirstResponseAt == nil || got.Status != tandem.StatusOpen {
			t.Errorf("after the logged call: %s, first response %v; want open and responded", got.Status, got.FirstResponseAt)
		}

		bad := []struct {
			name    string
			body    string
			status  int
			mention string
		}{
			{"WarnPercent", `{"warn_percent": 100}`, 422, "warn_percent"},
			{"DuplicatePriority", `{"targets": [{"priority": 1, "response_minutes": 1, "resolution_minutes": 2}, {"priority": 1, "response_minutes": 1, "resolution_minutes": 2}]}`, 422, "more than one"},
			{"NegativeTarget", `{"targets": [{"priority": 2, "response_minutes": -1, "resolution_minutes": 2}]}`, 422, "priority 2"},
			{"OLAParty", `{"olas": [{"party": "vendor", "accept_minutes": 5}]}`, 422, "vendor"},
			{"MatrixCell", `{"priority_matrix": {"high": {"high": 9}}}`, 422, "impact=high"},
			{"UnknownCalendar", fmt.Sprintf(`{"calendar_id": %d}`, cal.ID+1000), 422, fmt.Sprint(cal.ID + 1000)},
			{"ResponseActionReply", `{"response_actions": ["reply"]}`, 422, `"reply"`},
			{"ResponseActionUnknown", `{"response_actions": ["assign", "call"]}`, 422, "assign (assigning the ticket), status (a status change by staff), time (logging time"},
			{"ResponseActionsNotAList", `{"response_actions": "assign"}`, 400, `"response_actions"`},
			{"UnknownField", `{"targets": [], "olas": [], "sla": "gold"}`, 400, `"sla"`},
			{"WrongType", `{"warn_percent": "75%"}`, 400, `"warn_percent"`},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				code := tandem.EINVALID
				if tt.status == 400 {
					code = tandem.EBADREQUEST
				}
				msg := d.call(t, d.itAdminA, "PUT", policy, tt.body).wantError(t, tt.status, code)
				if !strings.Contains(msg, tt.mention) {
					t.Errorf("message %q does not name %q", msg, tt.mention)
				}
			})
		}
		var after tandem.SLAPolicy
		d.call(t, d.itAdminA, "GET", policy, nil).want(t, http.StatusOK, &after)
		if after.WarnPercent != 60 || len(after.Targets) != 2 || len(after.ResponseActions) != 2 {
			t.Errorf("refused updates changed the policy: %+v", after)
		}
	})
}
