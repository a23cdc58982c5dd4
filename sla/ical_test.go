package sla_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// importDay is the day of the imports below: yearly repeats are expanded
// over 2026 and the three years after it.
var importDay = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestParseICalHolidays(t *testing.T) {
	t.Run("GermanFeed", func(t *testing.T) {
		f, err := os.Open("testdata/feiertage-de.ics")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, err := sla.ParseICalHolidays(f, importDay)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"2017-10-31", // a one-off event in the past is kept as listed
			"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25",
			"2026-10-03", "2026-12-25", "2026-12-26",
			"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-17",
			"2027-10-03", "2027-12-25", "2027-12-26",
			// Tag der Deutschen Einheit repeats only UNTIL 2027; the others
			// through 2029.
			"2028-01-01", "2028-05-01", "2028-12-25", "2028-12-26",
			"2029-01-01", "2029-05-01", "2029-12-25", "2029-12-26",
		}
		if !slices.Equal(got.Dates, want) {
			t.Errorf("dates:\n got %q\nwant %q", got.Dates, want)
		}
		// The VTIMEZONE's and the VALARM's lines are not events; the
		// works meeting has a time of day; the bridge day is cancelled.
		if got.TimedEvents != 1 || got.RepeatingEvents != 4 || got.CancelledEvents != 1 {
			t.Errorf("timed %d, repeating %d, cancelled %d; want 1, 4, 1", got.TimedEvents, got.RepeatingEvents, got.CancelledEvents)
		}
	})

	// ics wraps event lines in a calendar, with CRLF line ends.
	ics := func(lines ...string) string {
		return strings.Join(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0"}, lines...), "END:VCALENDAR"), "\r\n") + "\r\n"
	}
	event := func(lines ...string) []string {
		return append(append([]string{"BEGIN:VEVENT", "UID:x"}, lines...), "END:VEVENT")
	}
	ok := []struct {
		name string
		in   string
		want []string
	}{
		{"DateWithoutValueParameter", ics(event("DTSTART:20261224")...), []string{"2026-12-24"}},
		{"MultiDayEndExclusive", ics(event("DTSTART;VALUE=DATE:20261230", "DTEND;VALUE=DATE:20270102")...), []string{"2026-12-30", "2026-12-31", "2027-01-01"}},
		{"DurationWeeks", ics(event("DTSTART;VALUE=DATE:20260803", "DURATION:P1W")...), []string{"2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06", "2026-08-07", "2026-08-08", "2026-08-09"}},
		{"LFLineEndsAndLowerCase", "begin:vcalendar\nbegin:vevent\ndtstart;value=date:20261124\nend:vevent\nend:vcalendar\n", []string{"2026-11-24"}},
		{"YearlyCount", ics(event("DTSTART;VALUE=DATE:20250101", "RRULE:FREQ=YEARLY;COUNT=3")...), []string{"2026-01-01", "2027-01-01"}},
		{"YearlyInterval", ics(event("DTSTART;VALUE=DATE:20240704", "RRULE:FREQ=YEARLY;INTERVAL=2")...), []string{"2026-07-04", "2028-07-04"}},
		{"YearlyExdate", ics(event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20270101,20290101")...), []string{"2026-01-01", "2028-01-01"}},
		{"YearlyLeapDay", ics(event("DTSTART;VALUE=DATE:20240229", "RRULE:FREQ=YEARLY")...), []string{"2028-02-29"}},
		{"QuotedParameterWithColon", ics(event(`DTSTART;X-NOTE="a:b;c";VALUE=DATE:20260501`)...), []string{"2026-05-01"}},
		{"OnlyTimedEvents", ics(event("DTSTART:20260501T090000Z", "DTEND:20260501T100000Z")...), []string{}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sla.ParseICalHolidays(strings.NewReader(tt.in), importDay)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Dates, tt.want) {
				t.Errorf("got %q, want %q", got.Dates, tt.want)
			}
		})
	}

	bad := []struct {
		name, in, wantText string
	}{
		{"ErrEmpty", "", "must start with BEGIN:VCALENDAR"},
		{"ErrNotICal", "Date,Holiday\r\n2026-12-25,Christmas\r\n", "line 1: \"Date,Holiday\" is not an iCalendar content line"},
		{"ErrOtherComponent", "BEGIN:VCARD\r\nEND:VCARD\r\n", "must start with BEGIN:VCALENDAR"},
		{"ErrMalformedDate", ics(event("DTSTART;VALUE=DATE:20261332")...), "line 5: DTSTART \"20261332\" is not a date"},
		{"ErrLettersInDate", ics(event("DTSTART;VALUE=DATE:2026-1-1")...), "line 5: DTSTART \"2026-1-1\" is not a date"},
		{"ErrDateTimeMarkedDate", ics(event("DTSTART;VALUE=DATE:20261224T100000")...), "line 5: DTSTART is marked VALUE=DATE but \"20261224T100000\" is not a date"},
		{"ErrMalformedDateTime", ics(event("DTSTART:20261224T25")...), "line 5: DTSTART \"20261224T25\" is neither a date"},
		{"ErrNoDTSTART", ics(event("SUMMARY:x")...), "line 3: the event has no DTSTART"},
		{"ErrEndBeforeStart", ics(event("DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261224")...), "line 6: DTEND 20261224 is not after DTSTART"},
		{"ErrTimedEnd", ics(event("DTSTART;VALUE=DATE:20261224", "DTEND:20261224T120000")...), "line 6: DTEND has a time of day"},
		{"ErrTooLong", ics(event("DTSTART;VALUE=DATE:20260101", "DTEND;VALUE=DATE:20280101")...), "lasts 730 days"},
		{"ErrMonthly", ics(event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=MONTHLY")...), "line 6: RRULE FREQ=MONTHLY is not supported"},
		{"ErrByDay", ics(event("DTSTART;VALUE=DATE:20261126", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH")...), "line 6: RRULE BYDAY is not supported"},
		{"ErrTruncated", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\n", "ends inside BEGIN:VEVENT"},
		{"ErrMismatchedEnd", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n", "line 3: END:VCALENDAR closes BEGIN:VEVENT"},
		{"ErrFoldWithoutLine", " folded\r\nBEGIN:VCALENDAR\r\n", "line 1: a folded continuation line"},
		{"ErrTooLarge", "BEGIN:VCALENDAR\r\nX-PAD:" + strings.Repeat("x", sla.MaxICalBytes) + "\r\nEND:VCALENDAR\r\n", "larger than 1 MiB"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sla.ParseICalHolidays(strings.NewReader(tt.in), importDay)
			var e *sla.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %+v, %v; want an *sla.Error", got, err)
			}
			if !strings.Contains(e.Message, tt.wantText) {
				t.Errorf("error %q does not say %q", e.Message, tt.wantText)
			}
		})
	}
}

// yearlyEvents is an iCalendar file of n all-day events on 1 January of
// year, each repeating every year.
func yearlyEvents(n int, year string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for range n {
		b.WriteString("BEGIN:VEVENT\r\nDTSTART:" + year + "0101\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// A repeating event that began in year 1 costs what one that began this
// year does: the expansion starts at the import's window, not at the
// event's first year. The cost is counted in bytes allocated, against the
// same file of recent events, so a busy machine cannot make it fail.
func TestParseICalHolidaysAncientRepeatsAreCheap(t *testing.T) {
	const events = 4000
	ancient, recent := yearlyEvents(events, "0001"), yearlyEvents(events, "2025")
	cost := func(in string) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := sla.ParseICalHolidays(strings.NewReader(in), importDay)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"2026-01-01", "2027-01-01", "2028-01-01", "2029-01-01"}; !slices.Equal(got.Dates, want) {
			t.Fatalf("dates %q, want %q", got.Dates, want)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	a, r := cost(ancient), cost(recent)
	t.Logf("%d events from year 1: %d bytes allocated; from 2025: %d", events, a, r)
	if a > 2*r {
		t.Errorf("events from year 1 allocated %d bytes, from 2025 %d: the expansion walks the years before the import", a, r)
	}
}

// A file of more events than any holiday feed holds is refused, whatever
// the events are.
func TestParseICalHolidaysTooManyEvents(t *testing.T) {
	_, err := sla.ParseICalHolidays(strings.NewReader(yearlyEvents(sla.MaxICalEvents+1, "2026")), importDay)
	var e *sla.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "more than 5000 events") {
		t.Fatalf("error %v, want more than 5000 events refused", err)
	}
	if _, err := sla.ParseICalHolidays(strings.NewReader(yearlyEvents(sla.MaxICalEvents, "2026")), importDay); err != nil {
		t.Fatalf("%d events: %v", sla.MaxICalEvents, err)
	}
}

// Long multi-day repeating events, each adding the same days again, are
// refused once they add more days than a holiday feed could.
func TestParseICalHolidaysTooManyDays(t *testing.T) {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for range 200 {
		b.WriteString("BEGIN:VEVENT\r\nDTSTART:20260101\r\nDURATION:P366D\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	_, err := sla.ParseICalHolidays(strings.NewReader(b.String()), importDay)
	var e *sla.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "days in all") {
		t.Fatalf("error %v, want too many days in all refused", err)
	}
}

// The yearly expansion agrees with walking every year from the first, for
// starts long before the window, leap days, intervals, COUNT and UNTIL.
func TestParseICalHolidaysYearlyLikeWalking(t *testing.T) {
	from := importDay.Year()
	// walk is the obvious expansion: every year from the first.
	walk := func(first time.Time, interval, count int, until time.Time) []string {
		out := []string{}
		n := 0
		for y := first.Year(); y <= from+sla.RepeatYears; y += interval {
			d := time.Date(y, first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
			if d.Day() != first.Day() {
				continue
			}
			if !until.IsZero() && d.After(until) {
				break
			}
			n++
			if count > 0 && n > count {
				break
			}
			if y >= from {
				out = append(out, d.Format(time.DateOnly))
			}
		}
		return out
	}
	starts := []string{"00040229", "00010101", "16000229", "17000301", "19000228", "19960229", "20240229", "20250704", "20280229", "20310101"}
	for _, start := range starts {
		first, err := time.Parse("20060102", start)
		if err != nil {
			t.Fatal(err)
		}
		for _, interval := range []int{1, 2, 3, 4, 7, 8, 25, 100} {
			for _, count := range []int{0, 1, 2, 5, 100, 491, 492, 493, 506, 2000} {
				for _, until := range []string{"", "20270101", "20280229", "20290301"} {
					if count > 0 && until != "" {
						continue
					}
					rule := fmt.Sprintf("RRULE:FREQ=YEARLY;INTERVAL=%d", interval)
					var u time.Time
					if count > 0 {
						rule += fmt.Sprintf(";COUNT=%d", count)
					}
					if until != "" {
						rule += ";UNTIL=" + until
						u, _ = time.Parse("20060102", until)
					}
					in := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:" + start + "\r\n" + rule + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
					got, err := sla.ParseICalHolidays(strings.NewReader(in), importDay)
					if err != nil {
						t.Fatalf("%s %s: %v", start, rule, err)
					}
					if want := walk(first, interval, count, u); !slices.Equal(got.Dates, want) {
						t.Fatalf("%s %s: got %q, want %q", start, rule, got.Dates, want)
					}
				}
			}
		}
	}
}
