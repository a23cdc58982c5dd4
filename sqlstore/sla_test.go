package sqlstore_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// officeHours is Monday to Friday, 09:00 to 17:00 in Berlin, as an admin
// might type it: spaced out, with a closed Saturday listed.
const officeHours = `{ "timezone": "Europe/Berlin",
	"hours": { "mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
	           "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [] },
	"holidays": ["2030-12-25"] }`

// officeHoursCanonical is officeHours as sla writes it, which is how it is stored.
const officeHoursCanonical = `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]],"sat":[]},"holidays":["2030-12-25"]}`

func TestSLACalendars(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewSLAService(db)
		org := w.OrgA.ID

		cal := &tandem.BusinessCalendar{OrganizationID: org, Name: " Office ", Definition: json.RawMessage(officeHours)}
		t.Run("Create", func(t *testing.T) {
			mark := auditMark(t, db)
			if err := s.CreateCalendar(as(t, w.AAdmin), cal); err != nil {
				t.Fatal(err)
			}
			if cal.ID == 0 || cal.Name != "Office" || string(cal.Definition) != officeHoursCanonical {
				t.Fatalf("created %+v (definition %s)", cal, cal.Definition)
			}
			got, err := s.FindCalendar(as(t, w.ATech), org, cal.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Office" || string(got.Definition) != officeHoursCanonical || !got.CreatedAt.Equal(cal.CreatedAt) {
				t.Fatalf("read back %+v (definition %s)", got, got.Definition)
			}
			wantAudit(t, db, mark, "calendar.create")
		})

		t.Run("ErrInvalidDefinitionChangesNothing", func(t *testing.T) {
			mark := auditMark(t, db)
			tests := []struct{ name, def, want string }{
				{"UnknownZone", `{"timezone":"Europe/Atlantis","hours":{"mon":[["09:00","17:00"]]}}`, `timezone "Europe/Atlantis" is not a known time zone`},
				{"Overlap", `{"timezone":"UTC","hours":{"mon":[["09:00","13:00"],["12:00","17:00"]]}}`, "hours.mon[1]: 12:00 starts before the previous interval ends"},
				{"BadHoliday", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["25.12.2030"]}`, `holidays[0]: "25.12.2030" is not a date`},
				{"Empty", ``, "calendar is not valid"},
			}
			for _, tt := range tests {
				err := s.CreateCalendar(as(t, w.AAdmin), &tandem.BusinessCalendar{OrganizationID: org, Name: tt.name, Definition: json.RawMessage(tt.def)})
				wantCode(t, err, tandem.EINVALID)
				if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.want) {
					t.Errorf("%s: message %q does not say %q", tt.name, msg, tt.want)
				}
				upd := *cal
				upd.Definition = json.RawMessage(tt.def)
				wantCode(t, s.UpdateCalendar(as(t, w.AAdmin), &upd), tandem.EINVALID)
			}
			wantCode(t, s.CreateCalendar(as(t, w.AAdmin), &tandem.BusinessCalendar{OrganizationID: org, Name: " ", Definition: json.RawMessage(officeHours)}), tandem.EINVALID)
			wantCode(t, s.CreateCalendar(as(t, w.AAdmin), &tandem.BusinessCalendar{OrganizationID: org, Name: "Office", Definition: json.RawMessage(officeHours)}), tandem.ECONFLICT)
			list, err := s.FindCalendars(as(t, w.AAdmin), org)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || string(list[0].Definition) != officeHoursCanonical {
				t.Fatalf("calendars after refused changes: %d, first %s", len(list), list[0].Definition)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ScopeThenPermission", func(t *testing.T) {
			mark := auditMark(t, db)
			// Another organisation's it-admin: not found, whatever the call.
			other := &tandem.BusinessCalendar{OrganizationID: org, Name: "Mine now", Definition: json.RawMessage(officeHours)}
			wantCode(t, s.CreateCalendar(as(t, w.BAdmin), other), tandem.ENOTFOUND)
			_, err := s.FindCalendar(as(t, w.BAdmin), org, cal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = s.FindCalendars(as(t, w.BAdmin), org)
			wantCode(t, err, tandem.ENOTFOUND)
			upd := *cal
			upd.Name = "Hijacked"
			wantCode(t, s.UpdateCalendar(as(t, w.BAdmin), &upd), tandem.ENOTFOUND)
			wantCode(t, s.DeleteCalendar(as(t, w.BAdmin), org, cal.ID), tandem.ENOTFOUND)
			_, _, err = s.ImportHolidays(as(t, w.BAdmin), org, cal.ID, strings.NewReader("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
			wantCode(t, err, tandem.ENOTFOUND)
			// Through their own organisation, the calendar does not exist.
			_, err = s.FindCalendar(as(t, w.BAdmin), w.OrgB.ID, cal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			upd.OrganizationID = w.OrgB.ID
			wantCode(t, s.UpdateCalendar(as(t, w.BAdmin), &upd), tandem.ENOTFOUND)
			wantCode(t, s.DeleteCalendar(as(t, w.BAdmin), w.OrgB.ID, cal.ID), tandem.ENOTFOUND)

			// Technicians of either party read calendars but do not change them.
			for _, u := range []*tandem.User{w.ATech, w.Tech, w.AViewer} {
				if _, err := s.FindCalendars(as(t, u), org); err != nil {
					t.Fatalf("%s reads calendars: %v", u.Email, err)
				}
				wantCode(t, s.CreateCalendar(as(t, u), &tandem.BusinessCalendar{OrganizationID: org, Name: "Tech", Definition: json.RawMessage(officeHours)}), tandem.EFORBIDDEN)
				upd := *cal
				upd.Name = "Renamed by " + u.Email
				wantCode(t, s.UpdateCalendar(as(t, u), &upd), tandem.EFORBIDDEN)
				wantCode(t, s.DeleteCalendar(as(t, u), org, cal.ID), tandem.EFORBIDDEN)
			}
			got, err := s.FindCalendar(as(t, w.AAdmin), org, cal.ID)
			if err != nil || got.Name != "Office" {
				t.Fatalf("calendar after refused changes: %+v, %v", got, err)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ErrRequesterReads", func(t *testing.T) {
			// The settings are for the IT teams, as on the page; another
			// organisation's stay unknown.
			_, err := s.FindCalendars(as(t, w.ARequester), org)
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = s.FindCalendar(as(t, w.ARequester), org, cal.ID)
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = s.FindSLAPolicy(as(t, w.ARequester), org)
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = s.FindCalendars(as(t, w.ARequester), w.OrgB.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = s.FindSLAPolicy(as(t, w.ARequester), w.OrgB.ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("Update", func(t *testing.T) {
			mark := auditMark(t, db)
			upd := *cal
			upd.Name = "Office hours"
			upd.Definition = json.RawMessage(`{"timezone":"Europe/Berlin","hours":{"mon":[["08:00","16:00"]]}}`)
			w.Clock.Advance(1000)
			if err := s.UpdateCalendar(as(t, w.Admin), &upd); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindCalendar(as(t, w.AAdmin), org, cal.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Office hours" || string(got.Definition) != `{"timezone":"Europe/Berlin","hours":{"mon":[["08:00","16:00"]]},"holidays":[]}` || !got.UpdatedAt.After(got.CreatedAt) {
				t.Fatalf("updated %+v (definition %s)", got, got.Definition)
			}
			// The same again changes nothing and audits nothing.
			if err := s.UpdateCalendar(as(t, w.Admin), &upd); err != nil {
				t.Fatal(err)
			}
			entries := wantAudit(t, db, mark, "calendar.update")
			if !strings.Contains(string(entries[0].Summary), `"name":"Office hours"`) {
				t.Errorf("audit summary %s does not name the change", entries[0].Summary)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			used := &tandem.BusinessCalendar{OrganizationID: org, Name: "Used", Definition: json.RawMessage(officeHours)}
			if err := s.CreateCalendar(as(t, w.AAdmin), used); err != nil {
				t.Fatal(err)
			}
			p := tandem.DefaultSLAPolicy(org)
			p.CalendarID = &used.ID
			if err := s.UpdateSLAPolicy(as(t, w.AAdmin), p); err != nil {
				t.Fatal(err)
			}
			mark := auditMark(t, db)
			err := s.DeleteCalendar(as(t, w.AAdmin), org, used.ID)
			wantCode(t, err, tandem.ECONFLICT)
			if !strings.Contains(tandem.ErrorMessage(err), "SLA policy") {
				t.Errorf("message %q does not say the policy uses it", tandem.ErrorMessage(err))
			}
			if err := s.DeleteCalendar(as(t, w.AAdmin), org, cal.ID); err != nil {
				t.Fatal(err)
			}
			_, err = s.FindCalendar(as(t, w.AAdmin), org, cal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			wantCode(t, s.DeleteCalendar(as(t, w.AAdmin), org, cal.ID), tandem.ENOTFOUND)
			wantAudit(t, db, mark, "calendar.delete")
		})
	})
}

func TestSLAImportHolidays(t *testing.T) {
	t.Parallel()
	feed, err := os.ReadFile("../sla/testdata/feiertage-de.ics")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewSLAService(db)
		org := w.OrgA.ID
		cal := &tandem.BusinessCalendar{OrganizationID: org, Name: "Berlin office", Definition: json.RawMessage(officeHours)}
		if err := s.CreateCalendar(as(t, w.AAdmin), cal); err != nil {
			t.Fatal(err)
		}

		t.Run("ErrBadFileChangesNothing", func(t *testing.T) {
			mark := auditMark(t, db)
			bad := strings.Replace(string(feed), "DTSTART;VALUE=DATE:20260514", "DTSTART;VALUE=DATE:2026-05-14", 1)
			_, _, err := s.ImportHolidays(as(t, w.AAdmin), org, cal.ID, strings.NewReader(bad))
			wantCode(t, err, tandem.EINVALID)
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, `line 63: DTSTART is marked VALUE=DATE but "2026-05-14" is not a date`) {
				t.Errorf("message %q does not name the line", msg)
			}
			_, _, err = s.ImportHolidays(as(t, w.ATech), org, cal.ID, strings.NewReader(string(feed)))
			wantCode(t, err, tandem.EFORBIDDEN)
			got, _ := s.FindCalendar(as(t, w.AAdmin), org, cal.ID)
			if string(got.Definition) != officeHoursCanonical {
				t.Fatalf("calendar changed: %s", got.Definition)
			}
			wantAudit(t, db, mark)
		})

		t.Run("ParsesOutsideTheWriteTransaction", func(t *testing.T) {
			// The file is read while another change is written: the import
			// holds no write transaction while it reads and parses (SQLite
			// has a single writer).
			other := &tandem.BusinessCalendar{OrganizationID: org, Name: "Written meanwhile", Definition: json.RawMessage(officeHours)}
			r := &onFirstRead{r: strings.NewReader("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), fn: func() error {
				ctx, cancel := context.WithTimeout(as(t, w.AAdmin), 3*time.Second)
				defer cancel()
				return s.CreateCalendar(ctx, other)
			}}
			if _, added, err := s.ImportHolidays(as(t, w.AAdmin), org, cal.ID, r); err != nil || len(added) != 0 {
				t.Fatalf("import: %q, %v", added, err)
			}
			if r.err != nil {
				t.Fatalf("a change written while the file was read: %v", r.err)
			}
			if err := s.DeleteCalendar(as(t, w.AAdmin), org, other.ID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("German feed", func(t *testing.T) {
			mark := auditMark(t, db)
			got, added, err := s.ImportHolidays(as(t, w.AAdmin), org, cal.ID, strings.NewReader(string(feed)))
			if err != nil {
				t.Fatal(err)
			}
			// The test clock is in March 2030: yearly holidays come for
			// 2030 to 2033; 2030-12-25 was a holiday already.
			wantAdded := []string{"2017-10-31",
				"2026-04-03", "2026-04-06", "2026-05-14", "2026-05-25", "2027-03-26", "2027-03-29", "2027-05-06", "2027-05-17",
				"2030-01-01", "2030-05-01", "2030-12-26",
				"2031-01-01", "2031-05-01", "2031-12-25", "2031-12-26",
				"2032-01-01", "2032-05-01", "2032-12-25", "2032-12-26",
				"2033-01-01", "2033-05-01", "2033-12-25", "2033-12-26"}
			if !slices.Equal(added, wantAdded) {
				t.Fatalf("added\n %q\nwant\n %q", added, wantAdded)
			}
			var def struct{ Holidays []string }
			if err := json.Unmarshal(got.Definition, &def); err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(append(slices.Clone(wantAdded), "2030-12-25")))
			if !slices.Equal(def.Holidays, want) {
				t.Fatalf("holidays %q, want sorted %q", def.Holidays, want)
			}
			stored, _ := s.FindCalendar(as(t, w.ATech), org, cal.ID)
			if string(stored.Definition) != string(got.Definition) {
				t.Fatalf("stored %s, returned %s", stored.Definition, got.Definition)
			}
			entries := wantAudit(t, db, mark, "calendar.import_holidays")
			if !strings.Contains(string(entries[0].Summary), `"timed_events_ignored":1`) {
				t.Errorf("audit summary %s does not count the ignored timed event", entries[0].Summary)
			}

			// A second import adds nothing and audits nothing.
			mark = auditMark(t, db)
			_, added, err = s.ImportHolidays(as(t, w.AAdmin), org, cal.ID, strings.NewReader(string(feed)))
			if err != nil || len(added) != 0 {
				t.Fatalf("second import added %q, %v", added, err)
			}
			wantAudit(t, db, mark)
		})
	})
}

func TestSLAPolicy(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		s := sqlstore.NewSLAService(db)
		org := w.OrgA.ID

		t.Run("Default", func(t *testing.T) {
			p, err := s.FindSLAPolicy(as(t, w.AViewer), org)
			if err != nil {
				t.Fatal(err)
			}
			want := tandem.DefaultSLAPolicy(org)
			if p.CalendarID != nil || p.WarnPercent != 75 || !slices.Equal(p.Targets, want.Targets) || !slices.Equal(p.OLAs, want.OLAs) {
				t.Fatalf("policy %+v, want the default", p)
			}
			_, err = s.FindSLAPolicy(as(t, w.BAdmin), org)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		bCal := &tandem.BusinessCalendar{OrganizationID: w.OrgB.ID, Name: "Globex", Definition: json.RawMessage(officeHours)}
		if err := s.CreateCalendar(as(t, w.BAdmin), bCal); err != nil {
			t.Fatal(err)
		}
		aCal := &tandem.BusinessCalendar{OrganizationID: org, Name: "Acme", Definition: json.RawMessage(officeHours)}
		if err := s.CreateCalendar(as(t, w.AAdmin), aCal); err != nil {
			t.Fatal(err)
		}

		t.Run("ErrRefusedChangesNothing", func(t *testing.T) {
			mark := auditMark(t, db)
			bad := func(edit func(p *tandem.SLAPolicy)) *tandem.SLAPolicy {
				p := tandem.DefaultSLAPolicy(org)
				edit(p)
				return p
			}
			tests := []struct {
				name string
				u    *tandem.User
				p    *tandem.SLAPolicy
				code string
				want string
			}{
				{"OtherOrganization", w.BAdmin, bad(func(*tandem.SLAPolicy) {}), tandem.ENOTFOUND, "not found"},
				{"Technician", w.ATech, bad(func(*tandem.SLAPolicy) {}), tandem.EFORBIDDEN, "sla.manage"},
				{"ProviderTechnician", w.Tech, bad(func(*tandem.SLAPolicy) {}), tandem.EFORBIDDEN, "sla.manage"},
				{"WarnPercent", w.AAdmin, bad(func(p *tandem.SLAPolicy) { p.WarnPercent = 100 }), tandem.EINVALID, "warn_percent must be 1 to 99"},
				{"RepeatedPriority", w.AAdmin, bad(func(p *tandem.SLAPolicy) { p.Targets = append(p.Targets, p.Targets[0]) }), tandem.EINVALID, "Priority 1 has more than one target"},
				{"NegativeOLA", w.AAdmin, bad(func(p *tandem.SLAPolicy) { p.OLAs[0].AcceptMinutes = -1 }), tandem.EINVALID, "OLA of the internal party"},
				{"OtherOrganizationsCalendar", w.AAdmin, bad(func(p *tandem.SLAPolicy) { p.CalendarID = &bCal.ID }), tandem.EINVALID, "not one of this organisation's calendars"},
			}
			for _, tt := range tests {
				err := s.UpdateSLAPolicy(as(t, tt.u), tt.p)
				wantCode(t, err, tt.code)
				if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.want) {
					t.Errorf("%s: message %q does not say %q", tt.name, msg, tt.want)
				}
			}
			p, _ := s.FindSLAPolicy(as(t, w.AAdmin), org)
			if !p.UpdatedAt.IsZero() {
				t.Fatalf("a refused update was stored: %+v", p)
			}
			wantAudit(t, db, mark)
		})

		t.Run("Update", func(t *testing.T) {
			mark := auditMark(t, db)
			p := &tandem.SLAPolicy{OrganizationID: org, CalendarID: &aCal.ID, WarnPercent: 80,
				Targets: []tandem.SLATarget{{Priority: 1, ResponseMinutes: 15, ResolutionMinutes: 120}},
				OLAs:    []tandem.OLATarget{{Party: tandem.PartyProvider, AcceptMinutes: 20}}}
			if err := s.UpdateSLAPolicy(as(t, w.AAdmin), p); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindSLAPolicy(as(t, w.ATech), org)
			if err != nil {
				t.Fatal(err)
			}
			if got.CalendarID == nil || *got.CalendarID != aCal.ID || got.WarnPercent != 80 || !slices.Equal(got.Targets, p.Targets) ||
				!slices.Equal(got.OLAs, p.OLAs) || got.PriorityMatrix.Priority(tandem.LevelHigh, tandem.LevelHigh) != 1 || got.UpdatedAt.IsZero() {
				t.Fatalf("stored %+v, want %+v with the ITIL matrix", got, p)
			}
			// Back to 24×7 by the provider admin.
			got.CalendarID = nil
			if err := s.UpdateSLAPolicy(as(t, w.Admin), got); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.FindSLAPolicy(as(t, w.ATech), org); got.CalendarID != nil {
				t.Fatalf("calendar %v, want none", *got.CalendarID)
			}
			wantAudit(t, db, mark, "sla_policy.update", "sla_policy.update")
		})
	})
}

// onFirstRead runs fn before its first read of r and keeps fn's error.
type onFirstRead struct {
	r    io.Reader
	fn   func() error
	done bool
	err  error
}

func (o *onFirstRead) Read(p []byte) (int, error) {
	if !o.done {
		o.done = true
		if o.err = o.fn(); o.err != nil {
			return 0, o.err
		}
	}
	return o.r.Read(p)
}

// Everyone who sees a ticket sees its due instants in the calendar's zone,
// requesters too, though the SLA settings themselves are for the teams.
func TestSLATimeZone(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		s := sqlstore.NewSLAService(db)
		if loc, err := s.SLATimeZone(d.as(d.Requester), d.Org.ID); err != nil || loc != time.UTC {
			t.Fatalf("24×7 organisation: zone %v, %v; want UTC", loc, err)
		}
		cal := &tandem.BusinessCalendar{OrganizationID: d.Org.ID, Name: "Office", Definition: []byte(`{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]]}}`)}
		if err := s.CreateCalendar(d.as(d.ITAdmin), cal); err != nil {
			t.Fatal(err)
		}
		p := tandem.DefaultSLAPolicy(d.Org.ID)
		p.CalendarID = &cal.ID
		if err := s.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*tandem.User{d.Requester, d.Viewer, d.ProviderTech} {
			if loc, err := s.SLATimeZone(d.as(u), d.Org.ID); err != nil || loc.String() != "Europe/Berlin" {
				t.Errorf("%s: zone %v, %v; want Europe/Berlin", u.Email, loc, err)
			}
		}
		_, err := s.SLATimeZone(d.as(d.OutsiderAdmin), d.Org.ID)
		wantCode(t, err, tandem.ENOTFOUND)
	})
}
