package sla_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// fuzzCalendars are the templates FuzzDueBetween picks from: office hours,
// nights and all-day calendars in two zones with DST, a calendar whose second
// interval a DST gap overtakes, and 24×7.
var fuzzCalendars = []string{
	office, berlinAllDay, berlinNight, berlinLate, newYorkAllDay, newYorkLate, newYorkNight, newYorkOffice,
	`{"timezone":"Europe/Berlin","hours":{"sun":[["02:30","03:00"],["03:10","04:00"]],"mon":[["09:00","09:01"]]}}`,
	`{"timezone":"UTC","hours":{"mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],"thu":[["00:00","24:00"]],"fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],"sun":[["00:00","24:00"]]}}`,
}

// fuzzBases are the days the fuzzed instants start from: weeks around both
// DST changes in Berlin and New York, and the Christmas holidays.
var fuzzBases = []string{"2026-03-01T00:00:00Z", "2026-03-22T00:00:00Z", "2026-10-18T00:00:00Z", "2026-10-27T00:00:00Z", "2026-12-20T00:00:00Z"}

// FuzzDueBetween checks that Due inverts Between: whenever end lies strictly
// inside an open period (outside the pauses) and not before start,
// Due(start, Between(start, end)) is end. Between is never negative, Due
// never before start, and Between adds up over a split of the span.
func FuzzDueBetween(f *testing.F) {
	f.Add(uint8(0), uint8(0), int64(3600*34), int64(3600*24), int64(3600*35), int64(1800), int64(0))
	f.Add(uint8(2), uint8(1), int64(3600*24*7-3600*2), int64(3600*3), int64(0), int64(0), int64(60))
	f.Add(uint8(8), uint8(1), int64(3600*24*7), int64(5400), int64(3600*24*7+1800), int64(1200), int64(7))
	f.Fuzz(func(t *testing.T, tmpl, base uint8, startOff, span, pauseOff, pauseLen, mid int64) {
		fc := newFuzzCase(t, tmpl, base, startOff, span, pauseOff, pauseLen)
		cal, start, end, pauses := fc.cal, fc.start, fc.end, fc.pauses

		between, err := sla.Between(cal, start, end, pauses)
		if err != nil {
			t.Fatal(err)
		}
		if between < 0 || between > end.Sub(start) {
			t.Fatalf("Between(%v, %v) = %v, outside [0, %v]", start, end, between, end.Sub(start))
		}
		split := start.Add(time.Duration(mod(mid, int64(end.Sub(start))+1)))
		first, _ := sla.Between(cal, start, split, pauses)
		second, _ := sla.Between(cal, split, end, pauses)
		if first+second != between {
			t.Fatalf("Between over [%v, %v] = %v, but split at %v it is %v + %v", start, end, between, split, first, second)
		}
		due, err := sla.Due(cal, start, between, pauses)
		if err != nil {
			t.Fatal(err)
		}
		if due.Before(start) {
			t.Fatalf("Due(%v, %v) = %v, before the start", start, between, due)
		}
		// end lies strictly inside an open period when the nanosecond on
		// either side of it is business time.
		if around, _ := sla.Between(cal, end.Add(-1), end.Add(1), pauses); around == 2 && !due.Equal(end) {
			t.Fatalf("Due(%v, Between(…, %v) = %v) = %v, want the end", start, end, between, due)
		}
	})
}

// fuzzCase is what the fuzz tests draw from their numbers: a calendar of
// fuzzCalendars, instants within three weeks of a day of fuzzBases (at), a
// start and an end up to three weeks later, and up to one pause of up to
// three days.
type fuzzCase struct {
	cal          *sla.Calendar
	at           func(sec int64) time.Time
	start, end   time.Time
	pauses       []sla.Interval
	weeks, pause int64 // the ranges of offsets and pause lengths, in seconds
}

func newFuzzCase(t *testing.T, tmpl, base uint8, startOff, span, pauseOff, pauseLen int64) *fuzzCase {
	const weeks = 3 * 7 * 24 * 3600
	b := ts(t, fuzzBases[int(base)%len(fuzzBases)])
	fc := &fuzzCase{cal: mustCalendar(t, fuzzCalendars[int(tmpl)%len(fuzzCalendars)]), weeks: weeks, pause: 3 * 24 * 3600,
		at: func(sec int64) time.Time { return b.Add(time.Duration(mod(sec, weeks)) * time.Second) }}
	fc.start = fc.at(startOff)
	fc.end = fc.start.Add(time.Duration(mod(span, weeks)) * time.Second)
	fc.addPause(pauseOff, pauseLen)
	return fc
}

// addPause adds a pause at an offset, unless its length is zero.
func (fc *fuzzCase) addPause(off, length int64) {
	if length != 0 {
		p := fc.at(off)
		fc.pauses = append(fc.pauses, sla.Interval{Start: p, End: p.Add(time.Duration(mod(length, fc.pause)) * time.Second)})
	}
}

// mod is the non-negative remainder of x by n (n > 0).
func mod(x, n int64) int64 {
	if n <= 0 {
		return 0
	}
	r := x % n
	if r < 0 {
		r += n
	}
	return r
}

// BenchmarkDue measures due-instant computations on a Berlin calendar of
// five 8-hour days: 480 minutes (one business day) and 4800 (two weeks).
func BenchmarkDue(b *testing.B) {
	cal := mustCalendar(b, `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],`+
		`"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]},"holidays":["2026-12-25"]}`)
	start := ts(b, "2026-03-04T14:30:00+01:00")
	for _, minutes := range []int{480, 4800} {
		b.Run(fmt.Sprintf("%dmin", minutes), func(b *testing.B) {
			d := time.Duration(minutes) * time.Minute
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sla.Due(cal, start, d, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "due/s")
		})
	}
}
