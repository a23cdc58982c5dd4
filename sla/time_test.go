package sla_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// office is a Berlin office: Monday to Friday 09:00–17:00 with lunch closed
// on Tuesdays, the Christmas and New Year holidays.
const office = `{"timezone":"Europe/Berlin","hours":{` +
	`"mon":[["09:00","17:00"]],"tue":[["09:00","12:00"],["13:00","17:00"]],"wed":[["09:00","17:00"]],` +
	`"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]},` +
	`"holidays":["2026-12-24","2026-12-25","2026-12-31","2027-01-01"]}`

// Calendars whose hours include the DST Sundays (Berlin 2026-03-29 and
// 2026-10-25, New York 2026-03-08 and 2026-11-01).
const (
	berlinAllDay  = `{"timezone":"Europe/Berlin","hours":{"sun":[["00:00","24:00"]],"mon":[["00:00","24:00"]],"sat":[["00:00","24:00"]]}}`
	berlinNight   = `{"timezone":"Europe/Berlin","hours":{"sun":[["01:30","03:30"]]}}`
	berlinLate    = `{"timezone":"Europe/Berlin","hours":{"sun":[["02:30","04:00"]]}}`
	newYorkAllDay = `{"timezone":"America/New_York","hours":{"sun":[["00:00","24:00"]],"mon":[["00:00","24:00"]],"sat":[["00:00","24:00"]]}}`
	newYorkLate   = `{"timezone":"America/New_York","hours":{"sun":[["02:30","04:00"]]}}`
	newYorkNight  = `{"timezone":"America/New_York","hours":{"sun":[["01:30","03:00"]]}}`
	newYorkOffice = `{"timezone":"America/New_York","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],` +
		`"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}}`
)

func mustCalendar(tb testing.TB, js string) *sla.Calendar {
	tb.Helper()
	c, err := sla.ParseCalendar([]byte(js))
	if err != nil {
		tb.Fatalf("ParseCalendar(%s): %v", js, err)
	}
	return c
}

func ts(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// pause is a pending period written as two RFC 3339 instants.
type pause [2]string

func pauses(tb testing.TB, ps []pause) []sla.Interval {
	tb.Helper()
	var out []sla.Interval
	for _, p := range ps {
		out = append(out, sla.Interval{Start: ts(tb, p[0]), End: ts(tb, p[1])})
	}
	return out
}

func TestDue(t *testing.T) {
	tests := []struct {
		name     string
		calendar string
		start    string
		minutes  float64
		pauses   []pause
		want     string // RFC 3339 in the calendar's zone
	}{
		{"StartBeforeOpening", office, "2026-03-02T07:00:00+01:00", 60, nil, "2026-03-02T10:00:00+01:00"},
		{"StartAfterClosing", office, "2026-03-02T19:00:00+01:00", 60, nil, "2026-03-03T10:00:00+01:00"},
		{"StartGivenInUTC", office, "2026-03-02T08:00:00Z", 60, nil, "2026-03-02T10:00:00+01:00"},
		{"StartAtOpening", office, "2026-03-02T09:00:00+01:00", 60, nil, "2026-03-02T10:00:00+01:00"},
		// 480 minutes from Monday's opening end exactly at its closing:
		// the due instant is 17:00, not Tuesday 09:00.
		{"RunsOutAtClosing", office, "2026-03-02T09:00:00+01:00", 480, nil, "2026-03-02T17:00:00+01:00"},
		{"StartAtClosing", office, "2026-03-02T17:00:00+01:00", 60, nil, "2026-03-03T10:00:00+01:00"},
		{"RunsOutAtLunch", office, "2026-03-03T11:30:00+01:00", 30, nil, "2026-03-03T12:00:00+01:00"},
		// 30 minutes before lunch, 30 after it opens again at 13:00.
		{"AcrossLunch", office, "2026-03-03T11:30:00+01:00", 60, nil, "2026-03-03T13:30:00+01:00"},
		// Friday 16:00–17:00 is 60 minutes, the other 60 come on Monday.
		{"AcrossWeekend", office, "2026-03-06T16:00:00+01:00", 120, nil, "2026-03-09T10:00:00+01:00"},
		{"StartOnWeekend", office, "2026-03-07T12:00:00+01:00", 90, nil, "2026-03-09T10:30:00+01:00"},
		// Thursday 24 and Friday 25 December are holidays, then the weekend.
		{"StartOnHoliday", office, "2026-12-24T10:00:00+01:00", 60, nil, "2026-12-28T10:00:00+01:00"},
		// Wednesday 30 Dec 16–17 (60), Thursday 31 and Friday 1 Jan holidays,
		// Monday 4 Jan (480, 540 in all), Tuesday 09–12 and 13–17 (420):
		// 960 minutes run out at Tuesday's closing.
		{"AcrossHolidays", office, "2026-12-30T16:00:00+01:00", 960, nil, "2027-01-05T17:00:00+01:00"},
		{"Fractional", office, "2026-03-02T09:00:00+01:00", 90.5, nil, "2026-03-02T10:30:30+01:00"},

		{"ZeroInsideHours", office, "2026-03-02T10:15:00+01:00", 0, nil, "2026-03-02T10:15:00+01:00"},
		{"ZeroAtOpening", office, "2026-03-02T09:00:00+01:00", 0, nil, "2026-03-02T09:00:00+01:00"},
		{"ZeroAtClosing", office, "2026-03-02T17:00:00+01:00", 0, nil, "2026-03-03T09:00:00+01:00"},
		{"ZeroOnWeekend", office, "2026-03-07T12:00:00+01:00", 0, nil, "2026-03-09T09:00:00+01:00"},
		{"ZeroInsidePause", office, "2026-03-02T10:00:00+01:00", 0,
			[]pause{{"2026-03-02T09:30:00+01:00", "2026-03-02T11:00:00+01:00"}}, "2026-03-02T11:00:00+01:00"},

		// The clock starts when the pause ends at 11:00.
		{"StartInsidePause", office, "2026-03-02T10:00:00+01:00", 60,
			[]pause{{"2026-03-02T09:30:00+01:00", "2026-03-02T11:00:00+01:00"}}, "2026-03-02T12:00:00+01:00"},
		// Monday loses its lunch hour: 420 minutes on Monday, 60 on Tuesday.
		{"PausePartOfInterval", office, "2026-03-02T09:00:00+01:00", 480,
			[]pause{{"2026-03-02T12:00:00+01:00", "2026-03-02T13:00:00+01:00"}}, "2026-03-03T10:00:00+01:00"},
		// The pause swallows Tuesday's whole morning interval.
		{"PauseWholeInterval", office, "2026-03-03T08:00:00+01:00", 60,
			[]pause{{"2026-03-03T08:00:00+01:00", "2026-03-03T12:30:00+01:00"}}, "2026-03-03T14:00:00+01:00"},
		// Overlapping and unsorted pauses merge to 10:00–12:00.
		{"OverlappingPauses", office, "2026-03-02T09:00:00+01:00", 120,
			[]pause{{"2026-03-02T11:00:00+01:00", "2026-03-02T12:00:00+01:00"}, {"2026-03-02T10:00:00+01:00", "2026-03-02T11:30:00+01:00"}},
			"2026-03-02T13:00:00+01:00"},
		{"PauseBeforeStart", office, "2026-03-02T09:00:00+01:00", 60,
			[]pause{{"2026-02-27T09:00:00+01:00", "2026-02-27T12:00:00+01:00"}}, "2026-03-02T10:00:00+01:00"},

		// Berlin springs forward on Sunday 29 March at 02:00 CET to 03:00
		// CEST: the day has 23 hours, so 24 hours from Saturday noon end
		// on Sunday at 13:00 CEST.
		{"BerlinSpringForward", berlinAllDay, "2026-03-28T12:00:00+01:00", 24 * 60, nil, "2026-03-29T13:00:00+02:00"},
		// Berlin falls back on Sunday 25 October at 03:00 CEST to 02:00 CET:
		// 25 hours, so 24 hours from Saturday noon end at 11:00 CET.
		{"BerlinFallBack", berlinAllDay, "2026-10-24T12:00:00+02:00", 24 * 60, nil, "2026-10-25T11:00:00+01:00"},
		// 01:30 CET (00:30Z) + 30 minutes is 01:00Z, which the clocks call
		// 03:00 CEST.
		{"BerlinIntervalAcrossGap", berlinNight, "2026-03-29T00:00:00+01:00", 30, nil, "2026-03-29T03:00:00+02:00"},
		// 01:30 CEST (23:30Z) + 120 minutes is 01:30Z, the second 02:30 of
		// the night (CET).
		{"BerlinIntervalAcrossOverlap", berlinNight, "2026-10-25T00:00:00+02:00", 120, nil, "2026-10-25T02:30:00+01:00"},
		// 02:30 does not exist on 29 March: it moves forward by the hour's
		// gap to 03:30 CEST.
		{"BerlinOpeningInGap", berlinLate, "2026-03-29T00:00:00+01:00", 0, nil, "2026-03-29T03:30:00+02:00"},
		// 02:30 happens twice on 25 October: the first one (CEST) counts.
		{"BerlinOpeningInOverlap", berlinLate, "2026-10-25T00:00:00+02:00", 0, nil, "2026-10-25T02:30:00+02:00"},
		// New York springs forward on Sunday 8 March at 02:00 EST to 03:00
		// EDT: 12 + 23 + 12 hours from Saturday noon to Monday noon.
		{"NewYorkSpringForward", newYorkAllDay, "2026-03-07T12:00:00-05:00", 47 * 60, nil, "2026-03-09T12:00:00-04:00"},
		// Falls back on 1 November at 02:00 EDT to 01:00 EST: 12 + 25 + 12.
		{"NewYorkFallBack", newYorkAllDay, "2026-10-31T12:00:00-04:00", 49 * 60, nil, "2026-11-02T12:00:00-05:00"},
		{"NewYorkOpeningInGap", newYorkLate, "2026-03-08T00:00:00-05:00", 0, nil, "2026-03-08T03:30:00-04:00"},
		{"NewYorkOpeningInOverlap", newYorkNight, "2026-11-01T00:00:00-04:00", 0, nil, "2026-11-01T01:30:00-04:00"},
		// Due in the calendar's zone across the weekend of the change.
		{"NewYorkOfficeAcrossChange", newYorkOffice, "2026-03-06T16:00:00-05:00", 120, nil, "2026-03-09T10:00:00-04:00"},

		// 11:00Z plus 36 hours; a 24×7 calendar counts in UTC.
		{"TwentyFourSeven", "", "2026-03-28T12:00:00+01:00", 36 * 60, nil, "2026-03-29T23:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := sla.TwentyFourSeven()
			if tt.calendar != "" {
				cal = mustCalendar(t, tt.calendar)
			}
			d := time.Duration(tt.minutes * float64(time.Minute))
			got, err := sla.Due(cal, ts(t, tt.start), d, pauses(t, tt.pauses))
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("Due(%s, %v min) = %s, want %s", tt.start, tt.minutes, s, tt.want)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	tests := []struct {
		name       string
		calendar   string
		start, end string
		pauses     []pause
		want       float64 // minutes
	}{
		{"SameInterval", office, "2026-03-02T09:00:00+01:00", "2026-03-02T10:30:30+01:00", nil, 90.5},
		{"BothOutsideHours", office, "2026-03-02T07:00:00+01:00", "2026-03-02T20:00:00+01:00", nil, 480},
		{"TuesdayLunch", office, "2026-03-03T08:00:00+01:00", "2026-03-03T18:00:00+01:00", nil, 420},
		{"EndBeforeStart", office, "2026-03-02T12:00:00+01:00", "2026-03-02T10:00:00+01:00", nil, 0},
		{"EndEqualsStart", office, "2026-03-02T12:00:00+01:00", "2026-03-02T12:00:00+01:00", nil, 0},
		{"Weekend", office, "2026-03-06T16:00:00+01:00", "2026-03-09T10:00:00+01:00", nil, 120},
		{"OnlyHolidays", office, "2026-12-24T00:00:00+01:00", "2026-12-28T00:00:00+01:00", nil, 0},
		{"AcrossHolidays", office, "2026-12-30T16:00:00+01:00", "2027-01-05T17:00:00+01:00", nil, 960},
		{"PausePart", office, "2026-03-02T09:00:00+01:00", "2026-03-02T17:00:00+01:00",
			[]pause{{"2026-03-02T12:00:00+01:00", "2026-03-02T13:00:00+01:00"}}, 420},
		{"PauseAll", office, "2026-03-02T09:00:00+01:00", "2026-03-02T17:00:00+01:00",
			[]pause{{"2026-03-02T08:00:00+01:00", "2026-03-02T18:00:00+01:00"}}, 0},
		// Sunday 29 March has 23 hours in Berlin, 25 October 25.
		{"BerlinSpringDay", berlinAllDay, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", nil, 23 * 60},
		{"BerlinFallDay", berlinAllDay, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", nil, 25 * 60},
		// 01:30 CET (00:30Z) to 03:30 CEST (01:30Z): one real hour.
		{"BerlinNightSpring", berlinNight, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", nil, 60},
		// 01:30 CEST (23:30Z) to 03:30 CET (02:30Z): three real hours.
		{"BerlinNightFall", berlinNight, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", nil, 180},
		// 02:30 → 03:30 CEST (01:30Z) to 04:00 CEST (02:00Z).
		{"BerlinLateSpring", berlinLate, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", nil, 30},
		// First 02:30 (CEST, 00:30Z) to 04:00 CET (03:00Z).
		{"BerlinLateFall", berlinLate, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", nil, 150},
		{"NewYorkSpringDay", newYorkAllDay, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", nil, 23 * 60},
		{"NewYorkFallDay", newYorkAllDay, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", nil, 25 * 60},
		// 02:30 → 03:30 EDT (07:30Z) to 04:00 EDT (08:00Z). time.Date alone
		// would read 02:30 as 01:30 EST and count 90.
		{"NewYorkLateSpring", newYorkLate, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", nil, 30},
		// First 01:30 (EDT, 05:30Z) to 03:00 EST (08:00Z).
		{"NewYorkNightFall", newYorkNight, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", nil, 150},
		{"NewYorkOfficeWeekOfChange", newYorkOffice, "2026-03-06T00:00:00-05:00", "2026-03-10T00:00:00-04:00", nil, 960},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := mustCalendar(t, tt.calendar)
			got, err := sla.Between(cal, ts(t, tt.start), ts(t, tt.end), pauses(t, tt.pauses))
			if err != nil {
				t.Fatal(err)
			}
			if want := time.Duration(tt.want * float64(time.Minute)); got != want {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.start, tt.end, got, want)
			}
		})
	}
}

func TestDueErrors(t *testing.T) {
	cal := mustCalendar(t, office)
	start := ts(t, "2026-03-02T09:00:00+01:00")
	t.Run("Negative", func(t *testing.T) {
		if _, err := sla.Due(cal, start, -time.Minute, nil); err == nil {
			t.Fatal("no error for a negative duration")
		}
	})
	t.Run("TooFar", func(t *testing.T) {
		// Eleven years of 40-hour weeks is beyond the ten-year walk.
		if _, err := sla.Due(cal, start, 11*52*40*time.Hour, nil); err == nil {
			t.Fatal("no error for a due instant beyond ten years")
		}
	})
	t.Run("SpanTooLong", func(t *testing.T) {
		if _, err := sla.Between(cal, start, start.AddDate(11, 0, 0), nil); err == nil {
			t.Fatal("no error for a span beyond ten years")
		}
	})
}

func TestOpen(t *testing.T) {
	office := mustCalendar(t, newYorkOffice)
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-03-02T09:00:00-05:00", true},  // Monday, opening instant
		{"2026-03-02T16:59:59-05:00", true},  // a second before closing
		{"2026-03-02T17:00:00-05:00", false}, // closing instant
		{"2026-03-02T08:59:00-05:00", false},
		{"2026-03-07T12:00:00-05:00", false}, // Saturday
	}
	for _, tt := range tests {
		if got := office.IsOpen(ts(t, tt.at)); got != tt.want {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if !sla.TwentyFourSeven().IsOpen(ts(t, "2026-03-07T03:00:00Z")) {
		t.Error("a 24×7 calendar is closed")
	}
}
