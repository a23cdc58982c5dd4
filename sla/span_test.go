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
		fc := newFuzzCase(t, tmpl, base, startOff, span, pauseOff, pauseLen)
		fc.addPause(pause2Off, pause2Len)
		cal, start, end, pauses := fc.cal, fc.start, fc.end, fc.pauses
		// The span covers the middle of the three weeks, so queries fall
		// inside it, across its edges and outside it.
		b := fc.at(0)
		sp := sla.NewSpan(cal, b.Add(4*24*time.Hour), b.Add(15*24*time.Hour))

		want, err := sla.Between(cal, start, end, pauses)
		got, err2 := sp.Between(start, end, pauses)
		if err != nil || err2 != nil || got != want {
			t.Fatalf("Between(%v, %v, %v): span %v (%v), walk %v (%v)", start, end, pauses, got, err2, want, err)
		}
		d := time.Duration(mod(dueSecs, 2*fc.weeks/3)) * time.Second
		wantDue, err := sla.Due(cal, start, d, pauses)
		gotDue, err2 := sp.Due(start, d, pauses)
		if (err == nil) != (err2 == nil) || !gotDue.Equal(wantDue) || gotDue.Location() != wantDue.Location() {
			t.Fatalf("Due(%v, %v, %v): span %v (%v), walk %v (%v)", start, d, pauses, gotDue, err2, wantDue, err)
		}
	})
}
