package sla

import (
	"sync"
	"sync/atomic"
	"time"
)

// Epoch is where every business clock starts: a Clock's positions are the
// business time since then. It is fixed, so positions stored in one
// process mean the same in every other.
var Epoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// clockYears bounds a Clock: positions count up to this many years after
// Epoch (until 2100). Later instants are beyond it (At reports false, Pos
// stops counting).
const clockYears = 100

// Clock is a calendar's business time as one running count from Epoch: the
// position of an instant is the business time from Epoch to it. A timer
// that stores the position at which it would have started had it never
// been paused (its origin) has its due instant at At(origin + target) for
// any target, so a change of targets moves no stored value. The open
// periods are computed once per calendar, from Epoch up to a year past the
// latest instant asked about, and answered by binary search. A Clock is
// safe for concurrent use.
type Clock struct {
	cal  *Calendar
	mu   sync.Mutex // held while the span grows
	span atomic.Pointer[Span]
}

// NewClock returns the business clock of cal.
func NewClock(cal *Calendar) *Clock {
	c := &Clock{cal: cal}
	c.span.Store(&Span{cal: cal, from: Epoch, to: Epoch})
	return c
}

// Calendar returns the clock's calendar.
func (c *Clock) Calendar() *Calendar { return c.cal }

// limit is the last instant a Clock counts to.
func limit() time.Time { return Epoch.AddDate(clockYears, 0, 0) }

// covering returns a span from Epoch that reaches t, growing the clock's
// span when it does not; beyond the clock's limit it reaches the limit.
func (c *Clock) covering(t time.Time) *Span {
	s := c.span.Load()
	if !t.After(s.to) {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s = c.span.Load(); !t.After(s.to) || !s.to.Before(limit()) {
		return s
	}
	to := t.AddDate(1, 0, 0)
	if to.After(limit()) {
		to = limit()
	}
	s = s.grow(to)
	c.span.Store(s)
	return s
}

// Pos is the business time from Epoch to t: zero before Epoch, and counted
// up to the clock's limit (2100) for later instants.
func (c *Clock) Pos(t time.Time) time.Duration {
	return time.Duration(c.covering(t).pos(t))
}

// At is the earliest instant, in the calendar's zone, at which the clock
// reaches position p, which must be above zero; ok is false when that is
// beyond the clock's limit. At(Pos(t)+d) is the due instant of d from t.
func (c *Clock) At(p time.Duration) (time.Time, bool) {
	s := c.span.Load()
	for {
		if t, ok := s.at(int64(p)); ok {
			return t.In(c.cal.loc), true
		}
		if !s.to.Before(limit()) {
			return time.Time{}, false
		}
		// Grow by the time still missing, and a year: business time runs
		// at most as fast as real time.
		missing := time.Duration(int64(p) - s.pos(s.to))
		s = c.covering(s.to.Add(missing).AddDate(1, 0, 0))
	}
}

// Due is Due on the clock's calendar, answered by binary search within
// the clock's span.
func (c *Clock) Due(start time.Time, d time.Duration, pauses []Interval) (time.Time, error) {
	// Office hours hold about a quarter of real time: reach five times d
	// ahead, and a month for holidays; a due instant past that is walked.
	horizon := start.AddDate(0, 1, 0)
	if d < 20*365*24*time.Hour {
		horizon = horizon.Add(5 * d)
	}
	return c.covering(horizon).Due(start, d, pauses)
}

// Between is Between on the clock's calendar.
func (c *Clock) Between(start, end time.Time, pauses []Interval) (time.Duration, error) {
	return c.covering(end).Between(start, end, pauses)
}

// Paused is the business time of the pauses between start and end: the
// time a clock that ran from start stood still before end. A clock's origin
// is Pos(start) + Paused(start, end, pauses).
func (c *Clock) Paused(start, end time.Time, pauses []Interval) time.Duration {
	s := c.covering(end)
	var total int64
	for _, p := range mergePauses(pauses) {
		a, b := maxTime(p.Start, start), minTime(p.End, end)
		if a.Before(b) {
			total += s.pos(b) - s.pos(a)
		}
	}
	return time.Duration(total)
}

// grow returns a span with s's periods and the periods after them up to
// to (the last may reach past it), walking the calendar ten years at a
// time.
func (s *Span) grow(to time.Time) *Span {
	g := &Span{cal: s.cal, from: s.from, to: s.to}
	n := len(s.start)
	g.start = append(make([]int64, 0, n+n/4+64), s.start...)
	g.end = append(make([]int64, 0, n+n/4+64), s.end...)
	g.cum = append(make([]int64, 0, n+n/4+64), s.cum...)
	var total int64
	if n > 0 {
		total = s.cum[n-1] + s.end[n-1] - s.start[n-1]
	}
	cur := s.to
	for cur.Before(to) {
		next := cur
		reached := s.cal.walk(cur, nil, func(a, b time.Time) bool {
			if !a.Before(to) {
				return false
			}
			g.start = append(g.start, a.UnixNano())
			g.end = append(g.end, b.UnixNano())
			g.cum = append(g.cum, total)
			total += b.Sub(a).Nanoseconds()
			next = b
			return true
		})
		if !reached {
			// Ten years walked without reaching to: go on from there.
			next = maxTime(next, cur.AddDate(0, 0, maxDays-2))
		}
		cur = next
		if reached {
			break
		}
	}
	g.to = maxTime(to, cur)
	return g
}

// clocks caches the business clock of each calendar definition: building
// one walks every day since Epoch, so it is done once per process.
var clocks struct {
	sync.Mutex
	byDef map[string]*Clock
}

// maxCachedClocks bounds the cache; past it, it starts afresh.
const maxCachedClocks = 1024

// ClockFor returns the business clock of the calendar of definition def,
// as stored (the JSON form), parsing it only the first time it is asked
// for; the empty definition means 24×7.
func ClockFor(def string) (*Clock, error) {
	clocks.Lock()
	c := clocks.byDef[def]
	clocks.Unlock()
	if c != nil {
		return c, nil
	}
	cal := TwentyFourSeven()
	if def != "" {
		var err error
		if cal, err = ParseCalendar([]byte(def)); err != nil {
			return nil, err
		}
	}
	clocks.Lock()
	defer clocks.Unlock()
	if c = clocks.byDef[def]; c != nil {
		return c, nil
	}
	if clocks.byDef == nil || len(clocks.byDef) >= maxCachedClocks {
		clocks.byDef = map[string]*Clock{}
	}
	c = NewClock(cal)
	clocks.byDef[def] = c
	return c, nil
}

// SameUntil reports whether c and o count business time alike up to t:
// whether every instant before t has the same position on both. A change
// of calendar that only touches later days (a holiday added next month)
// moves no origin of a clock started before t.
func (c *Clock) SameUntil(o *Clock, t time.Time) bool {
	if c == o {
		return true
	}
	a, b := c.covering(t), o.covering(t)
	n := t.UnixNano()
	for i := 0; ; i++ {
		doneA := i >= len(a.start) || a.start[i] >= n
		doneB := i >= len(b.start) || b.start[i] >= n
		if doneA || doneB {
			return doneA && doneB
		}
		if a.start[i] != b.start[i] || min(a.end[i], n) != min(b.end[i], n) {
			return false
		}
	}
}
