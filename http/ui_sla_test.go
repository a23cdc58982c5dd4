package http_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// weekHours are a grid's open periods by weekday key; a day not given is
// closed.
type weekHours map[string][][2]string

// gridValues is a calendar's week grid as a browser sends it: the open days
// ticked, their periods numbered from 1, the holidays as date rows.
func gridValues(name, zone string, hours weekHours, holidays ...string) url.Values {
	form := url.Values{"name": {name}, "timezone": {zone}}
	for day, periods := range hours {
		form.Set(day+"_open", "on")
		for i, p := range periods {
			n := strconv.Itoa(i + 1)
			form.Set(day+"_from_"+n, p[0])
			form.Set(day+"_to_"+n, p[1])
		}
	}
	for i, h := range holidays {
		form.Set("holiday_"+strconv.Itoa(i+1), h)
	}
	return form
}

// slaAdmin starts a world with an it-admin of organisation A signed in, and
// returns the path of A's SLA settings.
func slaAdmin(t *testing.T, s *testserver.Server) (*world, browserless, string) {
	t.Helper()
	w := newWorld(t, s)
	itAdminA := w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
	return w, sessionOf(t, s, itAdminA.User), "/orgs/" + w.orgA.Slug + "/sla"
}

// slaPolicy and slaCalendars read what the service stores for an
// organisation, as the system.
func slaPolicy(t *testing.T, s *testserver.Server, orgID int64) *tandem.SLAPolicy {
	t.Helper()
	p, err := s.Services.SLA.FindSLAPolicy(testserver.SystemContext(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func slaCalendars(t *testing.T, s *testserver.Server, orgID int64) []*tandem.BusinessCalendar {
	t.Helper()
	list, err := s.Services.SLA.FindCalendars(testserver.SystemContext(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// mustMarkInvalid checks that the page marks the input named field, and
// only it, as the one at fault.
func mustMarkInvalid(t *testing.T, body, field string) {
	t.Helper()
	at := strings.Index(body, `name="`+field+`"`)
	if at < 0 {
		t.Fatalf("the page has no input %s", field)
	}
	start, end := strings.LastIndex(body[:at], "<input"), at+strings.Index(body[at:], ">")
	if tag := body[start : end+1]; !strings.Contains(tag, `aria-invalid="true"`) || strings.Count(body, `aria-invalid="true"`) != 1 {
		t.Errorf("the page does not mark %s, and only it, as invalid: %s", field, tag)
	}
}

// The week grid is read into the calendar the API stores, by the domain's
// rules, and shown back; a refusal names the day, period or holiday at
// fault, says how to fix it, stores nothing and shows what was typed.
func TestSLACalendarGrid(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w, admin, base := slaAdmin(t, s)
		calendars := func(t *testing.T) []*tandem.BusinessCalendar { return slaCalendars(t, s, w.orgA.ID) }

		t.Run("NewCalendarDefault", func(t *testing.T) {
			body := admin.page(t, base, http.StatusOK)
			mustContain(t, "the new calendar's grid", body, `name="mon_open" checked`, `name="fri_from_1" value="09:00"`, `name="fri_to_1" value="17:00"`, `name="fri_from_2" value=""`)
			mustLack(t, "the new calendar's grid", body, `name="sat_open" checked`, `name="sun_open" checked`)
		})

		t.Run("Errors", func(t *testing.T) {
			office := weekHours{"mon": {{"09:00", "17:00"}}}
			withForm := func(f url.Values, kv ...string) url.Values {
				for i := 0; i < len(kv); i += 2 {
					f.Set(kv[i], kv[i+1])
				}
				return f
			}
			tests := []struct {
				name    string
				form    url.Values
				want    []string
				invalid string // the input marked, if one is
			}{
				{"NoZone", gridValues("Office", " ", office), []string{"Choose the calendar&#39;s time zone"}, "timezone"},
				{"UnknownZone", gridValues("Office", "Mars/Olympus", office), []string{"Time zone &#34;Mars/Olympus&#34; is not one we know"}, "timezone"},
				{"OpenWithoutHours", withForm(gridValues("Office", "UTC", office), "wed_open", "on"), []string{"Wednesday is marked open but has no hours; give them (such as 09:00 to 17:00) or untick Open.", `name="wed_open" checked`}, "wed_from_1"},
				{"HalfPeriod", gridValues("Office", "UTC", weekHours{"mon": {{"09:00", "12:00"}, {"13:00", ""}}}), []string{"Monday, period 2: give both the opening and the closing time", `name="mon_from_2" value="13:00"`}, "mon_to_2"},
				{"Backwards", gridValues("Office", "UTC", weekHours{"tue": {{"17:00", "09:00"}}}), []string{"Tuesday, period 1 (17:00 to 09:00): it must open before it closes; a period cannot cross midnight, so end it at 24:00"}, "tue_to_1"},
				{"Overlap", gridValues("Office", "UTC", weekHours{"thu": {{"09:00", "13:00"}, {"12:00", "17:00"}}}), []string{"Thursday, period 2 (12:00 to 17:00): it overlaps the period before it"}, "thu_from_2"},
				{"OverlapTypedFirst", gridValues("Office", "UTC", weekHours{"thu": {{"12:00", "17:00"}, {"09:00", "13:00"}}}), []string{"Thursday, period 1 (12:00 to 17:00): it overlaps"}, "thu_from_1"},
				{"OpensAtMidnight", gridValues("Office", "UTC", weekHours{"sat": {{"24:00", "24:00"}}}), []string{"Saturday, period 1 (24:00 to 24:00): opening time &#34;24:00&#34; may only close an interval"}, "sat_from_1"},
				{"AllClosed", gridValues("Office", "UTC", weekHours{}), []string{"Every day is closed; tick Open on at least one day"}, ""},
				{"ClosedDayHoursDoNotCount", withForm(gridValues("Office", "UTC", office), "mon_open", ""), []string{"Every day is closed"}, ""},
				{"BadHoliday", gridValues("Office", "UTC", office, "2026-12-25", "Christmas"), []string{"Holiday 2: &#34;Christmas&#34; is not a date; write YYYY-MM-DD"}, "holiday_2"},
				{"RepeatedHoliday", gridValues("Office", "UTC", office, "2026-12-25", "2026-12-25"), []string{"Holiday 2: 2026-12-25 is listed twice; remove the repeat."}, "holiday_2"},
				{"NoName", gridValues(" ", "UTC", office), []string{"Calendar name is required."}, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					body := admin.post(t, base+"/calendars", tt.form, http.StatusUnprocessableEntity, "")
					mustContain(t, "the refused calendar", body, append(tt.want, `class="error form-error"`)...)
					if tt.invalid != "" {
						mustMarkInvalid(t, body, tt.invalid)
					}
					if n := len(calendars(t)); n != 0 {
						t.Errorf("%d calendars after a refusal, want 0", n)
					}
				})
			}
		})

		var cal *tandem.BusinessCalendar
		t.Run("Create", func(t *testing.T) {
			// Periods typed out of order, hours without minutes or a colon,
			// an hour that ends the day at midnight, a closed day's hours
			// (dropped) and a holiday ticked for removal.
			form := gridValues("Berlin office", "Europe/Berlin", weekHours{
				"mon": {{"13:00", "17:00"}, {"9", "12:00"}},
				"fri": {{"0800", "24:00"}},
				"sat": {{"10:00", "14:00"}},
			}, "2026-12-25", "2026-12-24")
			form.Del("sat_open")
			form.Set("holiday_2_remove", "on")
			body := admin.post(t, base+"/calendars", form, http.StatusOK, "")
			mustContain(t, "the page after creating", body, "Calendar Berlin office created")
			list := calendars(t)
			if len(list) != 1 {
				t.Fatalf("%d calendars, want 1", len(list))
			}
			cal = list[0]
			want := `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","12:00"],["13:00","17:00"]],"fri":[["08:00","24:00"]]},"holidays":["2026-12-25"]}`
			if string(cal.Definition) != want {
				t.Errorf("stored definition\n got %s\nwant %s", cal.Definition, want)
			}
		})
		if cal == nil {
			t.FailNow()
		}
		calPath := base + "/calendars/" + strconv.FormatInt(cal.ID, 10)

		t.Run("ShownBack", func(t *testing.T) {
			body := admin.page(t, base, http.StatusOK)
			mustContain(t, "the calendar's grid", body, `value="Europe/Berlin"`,
				`name="mon_from_1" value="09:00"`, `name="mon_to_2" value="17:00"`, `name="fri_to_1" value="24:00"`, `name="fri_from_2" value=""`,
				`name="holiday_1" value="2026-12-25"`, `name="holiday_1_remove"`, `name="holiday_2" value=""`,
				// The new calendar starts in the organisation's zone.
				`<option value="Europe/Berlin">`)
			// Who may only read sees the hours and holidays there are,
			// without empty rows or Remove boxes.
			body = sessionOf(t, s, w.itTechA.User).page(t, base, http.StatusOK)
			mustContain(t, "the technician's grid", body, `name="mon_to_2" value="17:00"`, `name="holiday_1" value="2026-12-25"`)
			mustLack(t, "the technician's grid", body, `name="fri_from_2"`, `name="holiday_1_remove"`, `name="holiday_2"`, `id="calendar-new-form"`)
		})

		t.Run("RefusedUpdateKeepsInput", func(t *testing.T) {
			before := calendars(t)[0]
			form := gridValues("Berlin HQ", "Europe/Berlin", weekHours{"mon": {{"09:00", "12:00"}, {"11:00", "17:00"}}}, "2026-12-25", "2027-01-01")
			body := admin.post(t, calPath, form, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused update", body, "Monday, period 2 (11:00 to 17:00): it overlaps", `value="Berlin HQ"`, `name="mon_from_2" value="11:00"`, `name="holiday_2" value="2027-01-01"`)
			if after := calendars(t)[0]; string(after.Definition) != string(before.Definition) || after.Name != before.Name {
				t.Errorf("a refused update changed the calendar: %s %s", after.Name, after.Definition)
			}
		})

		t.Run("RemoveHoliday", func(t *testing.T) {
			form := gridValues("Berlin office", "Europe/Berlin", weekHours{"mon": {{"09:00", "17:00"}}}, "2026-12-25")
			form.Set("holiday_1_remove", "on")
			admin.post(t, calPath, form, http.StatusOK, "")
			if got, want := string(calendars(t)[0].Definition), `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]]},"holidays":[]}`; got != want {
				t.Errorf("definition after removing the holiday\n got %s\nwant %s", got, want)
			}
		})
	})
}

// Targets and OLAs are typed and shown in hours and minutes and stored as
// business minutes; a value that is not a duration is refused with the
// field named and nothing stored.
func TestSLATargetDurations(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w, admin, base := slaAdmin(t, s)
		policy := func(t *testing.T) *tandem.SLAPolicy { return slaPolicy(t, s, w.orgA.ID) }

		t.Run("ShownInHours", func(t *testing.T) {
			// The default policy: P4 resolves in 40 business hours.
			body := admin.page(t, base, http.StatusOK)
			mustContain(t, "the policy", body, `name="resolution_4" value="40 h"`, `name="response_1" value="30 min"`, `name="ola_internal" value="1 h"`)
		})

		t.Run("Saved", func(t *testing.T) {
			form := policyValues(policy(t))
			form.Set("response_1", "1h 30m")
			form.Set("resolution_1", "2h30")
			form.Set("response_2", "90m")
			form.Set("resolution_2", "")
			form.Set("ola_provider", "1.5h")
			body := admin.post(t, base, form, http.StatusOK, "")
			mustContain(t, "the saved policy", body, `name="response_1" value="1 h 30 min"`, `name="resolution_1" value="2 h 30 min"`, `name="response_2" value="1 h 30 min"`, `name="resolution_2" value=""`, `name="ola_provider" value="1 h 30 min"`)
			p := policy(t)
			if p.Target(1).ResponseMinutes != 90 || p.Target(1).ResolutionMinutes != 150 || p.Target(2).ResponseMinutes != 90 || p.Target(2).ResolutionMinutes != 0 || p.OLA(tandem.PartyProvider) != 90 {
				t.Errorf("stored policy = %+v", p)
			}
		})

		t.Run("Errors", func(t *testing.T) {
			before := policy(t)
			tests := []struct{ field, value, want string }{
				{"response_1", "4x", "Response target for P1 Critical: &#34;4x&#34; is not a duration; write it like 4h or 1h 30m."},
				{"resolution_3", "240", "Resolution target for P3 Medium: &#34;240&#34; has no unit; write 240m for minutes or 240h for hours."},
				{"resolution_5", "2d", "Resolution target for P5 Planning: &#34;2d&#34; counts days, but a business day is only as long as the calendar&#39;s open hours"},
				{"ola_internal", "soon", "OLA of the internal IT party: &#34;soon&#34; is not a duration"},
			}
			for _, tt := range tests {
				form := policyValues(before)
				form.Set(tt.field, tt.value)
				body := admin.post(t, base, form, http.StatusUnprocessableEntity, "")
				mustContain(t, "the refused policy", body, tt.want, `name="`+tt.field+`" value="`+tt.value+`"`)
				mustMarkInvalid(t, body, tt.field)
			}
			if after := policy(t); after.Target(1) != before.Target(1) || after.Target(3) != before.Target(3) || after.OLA(tandem.PartyInternal) != before.OLA(tandem.PartyInternal) {
				t.Errorf("a refused policy changed the stored one: %+v", after)
			}
		})
	})
}
