package sla_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// example is the calendar of the issue, in the exact form it is exchanged.
const example = `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","12:00"],["13:00","17:00"]],"sat":[]},"holidays":["2026-12-25"]}`

func TestParseCalendar(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := mustCalendar(t, example)
		if got := c.Location().String(); got != "Europe/Berlin" {
			t.Errorf("Location = %s", got)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		for _, js := range []string{
			example,
			`{"timezone":"UTC","hours":{"sun":[["00:00","24:00"]]},"holidays":[]}`,
			`{"timezone":"America/New_York","hours":{"mon":[["00:00","08:30"],["08:30","24:00"]],"fri":[["23:59","24:00"]]},"holidays":["2027-01-01","2026-12-31"]}`,
		} {
			b, err := mustCalendar(t, js).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != js {
				t.Errorf("round trip:\n got %s\nwant %s", b, js)
			}
		}
	})
	t.Run("HolidaysOptional", func(t *testing.T) {
		b, _ := mustCalendar(t, `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]}}`).MarshalJSON()
		if want := `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":[]}`; string(b) != want {
			t.Errorf("got %s, want %s", b, want)
		}
	})
	t.Run("TwentyFourSeven", func(t *testing.T) {
		b, _ := sla.TwentyFourSeven().MarshalJSON()
		want := `{"timezone":"UTC","hours":{` +
			`"mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],"thu":[["00:00","24:00"]],` +
			`"fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],"sun":[["00:00","24:00"]]},"holidays":[]}`
		if string(b) != want {
			t.Errorf("got %s, want %s", b, want)
		}
		mustCalendar(t, string(b))
	})

	// Each bad calendar must fail with an *sla.Error whose message names the
	// field (the wantText fragment).
	tests := []struct {
		name, js, wantText string
	}{
		{"ErrNotJSON", `{"timezone":`, "calendar is not valid"},
		{"ErrUnknownField", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"zone":"x"}`, `"zone"`},
		{"ErrTrailingData", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]}} {}`, "after its JSON object"},
		{"ErrWrongType", `{"timezone":"UTC","hours":{"mon":[[9,17]]}}`, `calendar field "hours" holds number where the form expects a string`},
		{"ErrTimezoneNotString", `{"timezone":1,"hours":{"mon":[["09:00","17:00"]]}}`, `calendar field "timezone" holds number`},
		{"ErrRepeatedDay", `{"timezone":"UTC","hours":{"mon":[["09:00","12:00"]],"mon":[["13:00","17:00"]]}}`, `hours: "mon" is given more than once`},
		{"ErrTimezoneMissing", `{"hours":{"mon":[["09:00","17:00"]]}}`, "timezone is missing"},
		{"ErrTimezoneUnknown", `{"timezone":"Europe/Atlantis","hours":{"mon":[["09:00","17:00"]]}}`, `timezone "Europe/Atlantis"`},
		{"ErrTimezoneLocal", `{"timezone":"Local","hours":{"mon":[["09:00","17:00"]]}}`, `timezone "Local"`},
		{"ErrUnknownWeekday", `{"timezone":"UTC","hours":{"monday":[["09:00","17:00"]]}}`, `"monday" is not a weekday`},
		{"ErrNotAPair", `{"timezone":"UTC","hours":{"mon":[["09:00"]]}}`, "hours.mon[0] must be a pair"},
		{"ErrBadClock", `{"timezone":"UTC","hours":{"mon":[["9:00","17:00"]]}}`, `hours.mon[0]: opening time "9:00"`},
		{"ErrBadMinutes", `{"timezone":"UTC","hours":{"mon":[["09:60","17:00"]]}}`, `hours.mon[0]: opening time "09:60"`},
		{"ErrBadHour", `{"timezone":"UTC","hours":{"mon":[["09:00","25:00"]]}}`, `hours.mon[0]: closing time "25:00"`},
		{"ErrSign", `{"timezone":"UTC","hours":{"mon":[["+9:00","17:00"]]}}`, `opening time "+9:00"`},
		{"ErrAfterMidnight", `{"timezone":"UTC","hours":{"mon":[["09:00","24:30"]]}}`, `closing time "24:30"`},
		{"ErrOpenAt24", `{"timezone":"UTC","hours":{"mon":[["24:00","24:00"]]}}`, `"24:00" may only close`},
		{"ErrEmptyInterval", `{"timezone":"UTC","hours":{"tue":[["09:00","09:00"]]}}`, "hours.tue[0]: opening 09:00 is not before closing 09:00"},
		{"ErrBackwards", `{"timezone":"UTC","hours":{"wed":[["17:00","09:00"]]}}`, "hours.wed[0]: opening 17:00 is not before"},
		{"ErrOverlap", `{"timezone":"UTC","hours":{"thu":[["09:00","13:00"],["12:00","17:00"]]}}`, "hours.thu[1]: 12:00 starts before the previous interval ends"},
		{"ErrUnsorted", `{"timezone":"UTC","hours":{"fri":[["13:00","17:00"],["09:00","12:00"]]}}`, "hours.fri[1]: 09:00 starts before"},
		{"ErrNoHours", `{"timezone":"UTC","hours":{"sat":[],"sun":[]}}`, "every weekday is closed"},
		{"ErrHoursMissing", `{"timezone":"UTC"}`, "every weekday is closed"},
		{"ErrBadHoliday", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-02-30"]}`, `holidays[0]: "2026-02-30" is not a date`},
		{"ErrHolidayFormat", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["25.12.2026"]}`, `holidays[0]: "25.12.2026"`},
		{"ErrDuplicateHoliday", `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-25","2026-12-26","2026-12-25"]}`, "holidays[2]: 2026-12-25 is listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sla.ParseCalendar([]byte(tt.js))
			var e *sla.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *sla.Error", err)
			}
			if !strings.Contains(e.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", e.Message, tt.wantText)
			}
		})
	}
}

// NewCalendar judges a definition by the rules of ParseCalendar and says
// which field is wrong, so that a form can point at the day or holiday.
func TestNewCalendar(t *testing.T) {
	t.Run("Definition", func(t *testing.T) {
		d := mustCalendar(t, example).Definition()
		if d.Timezone != "Europe/Berlin" || len(d.Hours) != 3 || len(d.Hours["tue"]) != 2 || d.Hours["tue"][1][0] != "13:00" || d.Hours["sat"] == nil || len(d.Hours["sat"]) != 0 || len(d.Holidays) != 1 {
			t.Errorf("Definition = %+v", d)
		}
		c, err := sla.NewCalendar(d)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := c.MarshalJSON(); string(b) != example {
			t.Errorf("NewCalendar(Definition) = %s, want %s", b, example)
		}
	})
	week := func(day string, pairs ...[]string) map[string][][]string { return map[string][][]string{day: pairs} }
	tests := []struct {
		name       string
		def        sla.Definition
		want       sla.Field
		wantReason string
	}{
		{"ErrTimezone", sla.Definition{Timezone: "Mars/Olympus", Hours: week("mon", []string{"09:00", "17:00"})}, sla.Field{Name: "timezone"}, `timezone "Mars/Olympus" is not a known time zone`},
		{"ErrClosing", sla.Definition{Timezone: "UTC", Hours: week("fri", []string{"09:00", "12:00"}, []string{"13:00", "25:00"})}, sla.Field{Name: "hours", Day: "fri", Index: 1}, `closing time "25:00" is not a time of day`},
		{"ErrBackwards", sla.Definition{Timezone: "UTC", Hours: week("wed", []string{"17:00", "09:00"})}, sla.Field{Name: "hours", Day: "wed"}, "opening 17:00 is not before closing 09:00"},
		{"ErrClosed", sla.Definition{Timezone: "UTC", Hours: week("sat")}, sla.Field{Name: "hours"}, "every weekday is closed"},
		{"ErrHoliday", sla.Definition{Timezone: "UTC", Hours: week("mon", []string{"09:00", "17:00"}), Holidays: []string{"2026-12-25", "2026-12-25"}}, sla.Field{Name: "holidays", Index: 1}, "2026-12-25 is listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sla.NewCalendar(tt.def)
			var e *sla.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *sla.Error", err)
			}
			if e.Field != tt.want || !strings.HasPrefix(e.Reason, tt.wantReason) || !strings.HasSuffix(e.Message, e.Reason) {
				t.Errorf("error at %+v with reason %q (message %q), want at %+v with reason %q…", e.Field, e.Reason, e.Message, tt.want, tt.wantReason)
			}
		})
	}
}

// FuzzParseCalendar checks that no input panics and that every calendar
// accepted survives a round trip through MarshalJSON unchanged.
func FuzzParseCalendar(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(office))
	f.Add([]byte(`{"timezone":"UTC","hours":{"sun":[["00:00","24:00"]]},"holidays":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := sla.ParseCalendar(data)
		if err != nil {
			return
		}
		b, err := c.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := sla.ParseCalendar(b)
		if err != nil {
			t.Fatalf("MarshalJSON wrote %s, which does not parse: %v", b, err)
		}
		b2, _ := c2.MarshalJSON()
		if string(b) != string(b2) {
			t.Fatalf("second round trip changed %s to %s", b, b2)
		}
		// A form built from the calendar's definition builds it again.
		c3, err := sla.NewCalendar(c.Definition())
		if err != nil {
			t.Fatalf("NewCalendar(Definition of %s): %v", b, err)
		}
		if b3, _ := c3.MarshalJSON(); string(b3) != string(b) {
			t.Fatalf("NewCalendar(Definition of %s) = %s", b, b3)
		}
		// Every accepted calendar has business time to count.
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := sla.Due(c, start, time.Minute, nil); err != nil {
			t.Fatalf("Due on %s: %v", b, err)
		}
	})
}
