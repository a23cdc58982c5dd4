package sla_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// FuzzClock checks a business clock against the walk: the business time
// between two instants is the difference of their positions, less the
// pauses' (Paused), and At(Pos(start)+d) is Due(start, d) for any d above
// zero. The fuzz calendars' days are years after Epoch, so the clock grows
// over several ten-year walks first.
func FuzzClock(f *testing.F) {
	f.Add(uint8(0), uint8(0), int64(3600*34), int64(3600*24), int64(600), int64(3600*35), int64(1800))
	f.Add(uint8(2), uint8(1), int64(3600*24*7-3600*2), int64(3600*3), int64(3600), int64(0), int64(0))
	f.Add(uint8(8), uint8(1), int64(3600*24*7), int64(5400), int64(60), int64(3600*24*7+1800), int64(1200))
	f.Add(uint8(9), uint8(4), int64(0), int64(3600*24*20), int64(3600*24*18), int64(3600), int64(3600*24*2))
	f.Fuzz(func(t *testing.T, tmpl, base uint8, startOff, span, dueSecs, pauseOff, pauseLen int64) {
		fc := newFuzzCase(t, tmpl, base, startOff, span, pauseOff, pauseLen)
		cal, start, end, pauses := fc.cal, fc.start, fc.end, fc.pauses
		clock := sla.NewClock(cal)

		want, err := sla.Between(cal, start, end, pauses)
		if err != nil {
			t.Fatal(err)
		}
		if got := clock.Pos(end) - clock.Pos(start) - clock.Paused(start, end, pauses); got != want {
			t.Fatalf("Pos(%v) - Pos(%v) - Paused = %v, Between %v", end, start, got, want)
		}
		d := time.Duration(1+mod(dueSecs, 2*fc.weeks/3)) * time.Second
		wantDue, err := sla.Due(cal, start, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		gotDue, ok := clock.At(clock.Pos(start) + d)
		if !ok || !gotDue.Equal(wantDue) || gotDue.Location() != wantDue.Location() {
			t.Fatalf("At(Pos(%v) + %v) = %v (%v), Due %v", start, d, gotDue, ok, wantDue)
		}
		if viaClock, err := clock.Due(start, d, pauses); err != nil {
			t.Fatal(err)
		} else if walked, _ := sla.Due(cal, start, d, pauses); !viaClock.Equal(walked) {
			t.Fatalf("Clock.Due(%v, %v, %v) = %v, Due %v", start, d, pauses, viaClock, walked)
		}
	})
}

// TestClockLimits: before Epoch a clock stands at zero; past its limit
// (2100) At reports false rather than walking on; the 24×7 clock counts
// real time.
func TestClockLimits(t *testing.T) {
	clock := sla.NewClock(mustCalendar(t, office))
	if p := clock.Pos(sla.Epoch.AddDate(-1, 0, 0)); p != 0 {
		t.Errorf("Pos before Epoch = %v, want 0", p)
	}
	if _, ok := clock.At(200 * 365 * 24 * time.Hour); ok {
		t.Error("At far beyond 2100 reported a time")
	}
	always, err := sla.ClockFor("")
	if err != nil {
		t.Fatal(err)
	}
	now := ts(t, "2026-11-27T10:00:00Z")
	if got := always.Pos(now); got != now.Sub(sla.Epoch) {
		t.Errorf("24×7 Pos = %v, want %v", got, now.Sub(sla.Epoch))
	}
	if again, _ := sla.ClockFor(""); again != always {
		t.Error("ClockFor built a second clock for the same definition")
	}
	// A clock with a history answers a due instant of zero minutes with
	// its current calendar: the first business instant at or after start.
	history := sla.NewClock(mustCalendar(t, office)).WithHistory([]sla.Era{{Until: now, Clock: always}})
	saturday := ts(t, "2026-11-28T10:00:00Z")
	if due, err := history.Due(saturday, 0, nil); err != nil || !due.Equal(ts(t, "2026-11-30T08:00:00Z")) {
		t.Errorf("Due(Saturday, 0) on a clock with a history = %v, %v; want Monday 09:00 in Berlin", due, err)
	}
	if _, err := sla.ClockFor(`{"timezone":"Mars/Olympus"}`); err == nil {
		t.Error("ClockFor accepted a broken definition")
	}
}

// BenchmarkClockFirstUse is what the first use of a calendar costs a
// process: walking every day from Epoch to a year past now.
func BenchmarkClockFirstUse(b *testing.B) {
	cal := mustCalendar(b, office)
	now := time.Now()
	for b.Loop() {
		sla.NewClock(cal).Pos(now)
	}
}

// FuzzClockHistory checks a clock whose calendar changed at an instant:
// the business time between two instants is the old calendar's before the
// change plus the new one's after it, and a due instant is the first at
// which that time reaches the duration.
func FuzzClockHistory(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint8(0), int64(3600*34), int64(3600*24*5), int64(600), int64(3600*35), int64(1800), int64(3600*50))
	f.Add(uint8(9), uint8(0), uint8(2), int64(0), int64(3600*24*20), int64(3600*24*3), int64(3600), int64(3600*24*2), int64(3600*24*7))
	f.Add(uint8(3), uint8(7), uint8(1), int64(3600*24*7), int64(5400), int64(60), int64(0), int64(0), int64(3600*24*7+600))
	f.Fuzz(func(t *testing.T, tmpl, tmpl2, base uint8, startOff, span, dueSecs, pauseOff, pauseLen, changeOff int64) {
		fc := newFuzzCase(t, tmpl, base, startOff, span, pauseOff, pauseLen)
		old, cal := fc.cal, mustCalendar(t, fuzzCalendars[int(tmpl2)%len(fuzzCalendars)])
		change := fc.at(changeOff)
		clock := sla.NewClock(cal).WithHistory([]sla.Era{{Until: change, Clock: sla.NewClock(old)}})
		start, end, pauses := fc.start, fc.end, fc.pauses

		// Between is zero when its end is not after its start.
		before, _ := sla.Between(old, start, end, pauses)
		if change.Before(end) {
			before, _ = sla.Between(old, start, change, pauses)
		}
		after, _ := sla.Between(cal, change, end, pauses)
		if start.After(change) {
			after, _ = sla.Between(cal, start, end, pauses)
		}
		if got, err := clock.Between(start, end, pauses); err != nil || got != before+after {
			t.Fatalf("Between(%v, %v) across a change at %v = %v (%v), want %v + %v", start, end, change, got, err, before, after)
		}
		d := time.Duration(1+mod(dueSecs, 2*fc.weeks/3)) * time.Second
		due, err := clock.Due(start, d, pauses)
		if err != nil {
			t.Fatal(err)
		}
		if used, _ := clock.Between(start, due, pauses); used != d {
			t.Fatalf("Due(%v, %v) = %v, but the business time to it is %v", start, d, due, used)
		}
		if used, _ := clock.Between(start, due.Add(-1), pauses); used >= d {
			t.Fatalf("Due(%v, %v) = %v is not the first instant the time is used: a nanosecond earlier %v", start, d, due, used)
		}
	})
}
