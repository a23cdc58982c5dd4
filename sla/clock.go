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
	eras []era // a clock with a history (WithHistory): its calendars in turn
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
	if c.eras != nil {
		e := c.eraAt(t)
		return e.base + e.clock.Pos(maxTime(t, e.from)) - e.rawFrom
	}
	return time.Duration(c.covering(t).pos(t))
}

// At is the earliest instant, in the calendar's zone, at which the clock
// reaches position p, which must be above zero; ok is false when that is
// beyond the clock's limit. At(Pos(t)+d) is the due instant of d from t.
func (c *Clock) At(p time.Duration) (time.Time, bool) {
	if c.eras != nil {
		for _, e := range c.eras {
			if e.until.IsZero() || p <= e.end {
				t, ok := e.clock.At(e.rawFrom + p - e.base)
				return t.In(c.cal.loc), ok
			}
		}
	}
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
	if c.eras != nil {
		if d > 0 {
			return c.dueAcrossEras(start, d, pauses)
		}
		// No time to count: the current calendar's first business
		// instant at or after start.
		return c.eras[len(c.eras)-1].clock.Due(start, d, pauses)
	}
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
	if c.eras != nil {
		if !end.After(start) {
			return 0, nil
		}
		return c.Pos(end) - c.Pos(start) - c.Paused(start, end, pauses), nil
	}
	return c.covering(end).Between(start, end, pauses)
}

// Paused is the business time of the pauses between start and end: the
// time a clock that ran from start stood still before end. A clock's origin
// is Pos(start) + Paused(start, end, pauses).
func (c *Clock) Paused(start, end time.Time, pauses []Interval) time.Duration {
	var total time.Duration
	for _, p := range mergePauses(pauses) {
		a, b := maxTime(p.Start, start), minTime(p.End, end)
		if a.Before(b) {
			total += c.Pos(b) - c.Pos(a)
		}
	}
	return total
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

// Era is a calendar a clock counted on until an instant, when another
// replaced it.
type Era struct {
	Until time.Time
	Clock *Clock
}

// era is one calendar of a clock with a history, and where it lies on the
// clock: from from to until (zero: still counting), at positions from
// base to end; rawFrom is its own calendar's position at from.
type era struct {
	clock       *Clock
	from, until time.Time
	base, end   time.Duration
	rawFrom     time.Duration
}

// WithHistory returns a clock that counted on each era's calendar until
// it was replaced, in turn (eras in order of Until), and on c's since the
// last: a change of calendar counts from the instant it was made, and the
// business time counted before it stays as it was. c and the eras' clocks
// are clocks without a history (NewClock, ClockFor).
func (c *Clock) WithHistory(eras []Era) *Clock {
	if len(eras) == 0 {
		return c
	}
	h := &Clock{cal: c.cal}
	from, base := Epoch, time.Duration(0)
	for _, e := range eras {
		if !e.Until.After(from) {
			continue
		}
		rawFrom := e.Clock.Pos(from)
		end := base + e.Clock.Pos(e.Until) - rawFrom
		h.eras = append(h.eras, era{clock: e.Clock, from: from, until: e.Until, base: base, end: end, rawFrom: rawFrom})
		from, base = e.Until, end
	}
	h.eras = append(h.eras, era{clock: c, from: from, base: base, rawFrom: c.Pos(from)})
	return h
}

// eraAt is the era of a clock with a history that counts at t.
func (c *Clock) eraAt(t time.Time) era {
	for _, e := range c.eras {
		if e.until.IsZero() || t.Before(e.until) {
			return e
		}
	}
	return c.eras[len(c.eras)-1]
}

// dueAcrossEras is Due on a clock with a history, for d above zero: the
// business time left after each pause is counted by positions, which run
// on across the changes of calendar.
func (c *Clock) dueAcrossEras(start time.Time, d time.Duration, pauses []Interval) (time.Time, error) {
	cur, remaining := start, d
	for _, p := range mergePauses(pauses) {
		if !p.End.After(cur) {
			continue
		}
		if p.Start.After(cur) {
			if avail := c.Pos(p.Start) - c.Pos(cur); remaining <= avail {
				break
			} else {
				remaining -= avail
			}
		}
		cur = p.End
	}
	due, ok := c.At(c.Pos(cur) + remaining)
	if !ok {
		return time.Time{}, errorf("the due instant is after %d; give a shorter duration", limit().Year())
	}
	return due, nil
}
