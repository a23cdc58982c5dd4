package sla_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// FuzzSpan checks that a Span answers exactly as Due and Between do, inside
// it and across its edges, with up to two pauses, on the fuzz calendars
// (office hours, nights, both DST changes in two zones, 24×7).
func FuzzSpan(f *testing.F) {
	f.Add(uint8(0), uint8(0), int64(3600*34), int64(3600*24), int64(600), int64(3600*35), int64(1800), int64(3600*50), int64(7200))
	f.Add(uint8(2), uint8(1), int64(3600*24*7-3600*2), int64(3600*3), int64(3600), int64(0), int64(0), int64(10), int64(0))
	f.Add(uint8(8), uint8(1), int64(3600*24*7), int64(5400), int64(60), int64(3600*24*7+1800), int64(1200), int64(3600*24*7+1200), int64(4000))
	f.Add(uint8(9), uint8(4), int64(0), int64(3600*24*20), int64(3600*24*18), int64(3600), int64(3600*24*2), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, tmpl, base uint8, startOff, span, dueSecs, pauseOff, pauseLen, pause2Off, pause2Len int64) {
		const weeks = 3 * 7 * 24 * 3600
		cal := mustCalendar(t, fuzzCalendars[int(tmpl)%len(fuzzCalendars)])
		b := ts(t, fuzzBases[int(base)%len(fuzzBases)])
		at := func(sec int64) time.Time { return b.Add(time.Duration(mod(sec, weeks)) * time.Second) }
		// The span covers the middle of the three weeks, so queries fall
		// inside it, across its edges and outside it.
		sp := sla.NewSpan(cal, b.Add(4*24*time.Hour), b.Add(15*24*time.Hour))
		start := at(startOff)
		end := start.Add(time.Duration(mod(span, weeks)) * time.Second)
		var pauses []sla.Interval
		if pauseLen != 0 {
			p := at(pauseOff)
			pauses = append(pauses, sla.Interval{Start: p, End: p.Add(time.Duration(mod(pauseLen, 3*24*3600)) * time.Second)})
		}
		if pause2Len != 0 {
			p := at(pause2Off)
			pauses = append(pauses, sla.Interval{Start: p, End: p.Add(time.Duration(mod(pause2Len, 3*24*3600)) * time.Second)})
		}

		want, err := sla.Between(cal, start, end, pauses)
		got, err2 := sp.Between(start, end, pauses)
		if err != nil || err2 != nil || got != want {
			t.Fatalf("Between(%v, %v, %v): span %v (%v), walk %v (%v)", start, end, pauses, got, err2, want, err)
		}
		d := time.Duration(mod(dueSecs, 2*weeks/3)) * time.Second
		wantDue, err := sla.Due(cal, start, d, pauses)
		gotDue, err2 := sp.Due(start, d, pauses)
		if (err == nil) != (err2 == nil) || !gotDue.Equal(wantDue) || gotDue.Location() != wantDue.Location() {
			t.Fatalf("Due(%v, %v, %v): span %v (%v), walk %v (%v)", start, d, pauses, gotDue, err2, wantDue, err)
		}
	})
}
