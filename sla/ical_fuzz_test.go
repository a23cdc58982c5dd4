package sla_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// FuzzParseICalHolidays feeds the parser arbitrary files: it must never
// panic, fail only with an *sla.Error, and return valid dates, sorted and
// without repeats, which a calendar then accepts as holidays.
func FuzzParseICalHolidays(f *testing.F) {
	feed, err := os.ReadFile("testdata/feiertage-de.ics")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(feed))
	f.Add("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=YEARLY;COUNT=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	f.Add("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20240229\nDURATION:P2W\nRRULE:FREQ=YEARLY;UNTIL=20300101;INTERVAL=3\nEXDATE:20280229\nEND:VEVENT\nEND:VCALENDAR\n")
	f.Add("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:00040229\r\nRRULE:FREQ=YEARLY;INTERVAL=4;COUNT=492\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:00010101\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := sla.ParseICalHolidays(strings.NewReader(in), importDay)
		if err != nil {
			var e *sla.Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("error %v (%T) is not an *sla.Error with a message", err, err)
			}
			return
		}
		if !slices.IsSorted(got.Dates) || len(slices.Compact(slices.Clone(got.Dates))) != len(got.Dates) {
			t.Fatalf("dates are not sorted and unique: %q", got.Dates)
		}
		for _, d := range got.Dates {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				t.Fatalf("date %q is not YYYY-MM-DD", d)
			}
		}
		if len(got.Dates) > 0 {
			js := `{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]},"holidays":["` + strings.Join(got.Dates, `","`) + `"]}`
			if _, err := sla.ParseCalendar([]byte(js)); err != nil {
				t.Fatalf("a calendar refuses the imported holidays: %v", err)
			}
		}
	})
}
