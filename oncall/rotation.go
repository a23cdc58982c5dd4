package oncall

import (
	"math"
	"slices"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// handover is the instant turn k of the layer begins (turn 0 at start):
// hour turns count elapsed time; day and week turns hand over at the
// start's local wall-clock time, by sla.WallClock's DST rule.
func (l *layer) handover(loc *time.Location, k int64) time.Time {
	if l.unit == 'h' {
		return time.Unix(l.start.Unix()+k*l.n*3600, 0).In(loc)
	}
	days := k * l.n
	if l.unit == 'w' {
		days *= 7
	}
	d := l.date.AddDate(0, 0, int(days))
	return sla.WallClock(loc, d.Year(), d.Month(), d.Day(), l.minute)
}

// turnAt is the turn in progress at t, -1 before the layer's start.
func (l *layer) turnAt(loc *time.Location, t time.Time) int64 {
	if t.Before(l.start) {
		return -1
	}
	hours := l.n * map[byte]int64{'h': 1, 'd': 24, 'w': 7 * 24}[l.unit]
	// Elapsed time gives the turn within one of the truth (a DST change
	// makes a local day 23 or 25 hours); the hand-overs decide.
	k := int64(math.Floor(float64(t.Unix()-l.start.Unix()) / float64(hours*3600)))
	for k > 0 && l.handover(loc, k).After(t) {
		k--
	}
	for !l.handover(loc, k+1).After(t) {
		k++
	}
	return k
}

// memberOf is the member whose turn k is.
func (l *layer) memberOf(k int64) string {
	return l.members[k%int64(len(l.members))]
}

// evaluation answers who is on call at instants of one window, with each
// layer's restricted hours in that window computed once.
type evaluation struct {
	s    *Schedule
	open [][]sla.Interval // by layer; nil for an unrestricted layer
}

func (s *Schedule) evaluate(from, to time.Time) *evaluation {
	e := &evaluation{s: s, open: make([][]sla.Interval, len(s.layers))}
	for i, l := range s.layers {
		if l.restrict != nil {
			e.open[i] = l.restrict.Open(from, to)
		}
	}
	return e
}

// inside reports whether t lies in one of the sorted, disjoint periods.
func inside(periods []sla.Interval, t time.Time) bool {
	i, _ := slices.BinarySearchFunc(periods, t, func(p sla.Interval, t time.Time) int {
		if !p.End.After(t) {
			return -1
		}
		if p.Start.After(t) {
			return 1
		}
		return 0
	})
	return i < len(periods) && !periods[i].Start.After(t) && periods[i].End.After(t)
}

// who is the member on call at t, which must lie in the window.
func (e *evaluation) who(t time.Time) string {
	for i := len(e.s.overrides) - 1; i >= 0; i-- {
		if o := e.s.overrides[i]; !t.Before(o.from) && t.Before(o.to) {
			return o.member
		}
	}
	for i := len(e.s.layers) - 1; i >= 0; i-- {
		l := &e.s.layers[i]
		if l.restrict != nil && !inside(e.open[i], t) {
			continue
		}
		if k := l.turnAt(e.s.loc, t); k >= 0 {
			return l.memberOf(k)
		}
	}
	return ""
}

// Who is the member on call at an instant, or "" for nobody.
func (s *Schedule) Who(at time.Time) string {
	return s.evaluate(at, at.Add(time.Nanosecond)).who(at)
}

// Shifts are the maximal intervals from one instant to another, in order
// and contiguous, each with the member on call or "" for nobody; adjacent
// turns of one member are one shift. Times are in the schedule's zone. A
// window longer than MaxWindow is cut at that length.
func (s *Schedule) Shifts(from, to time.Time) []Shift {
	if !to.After(from) {
		return nil
	}
	if to.Sub(from) > MaxWindow {
		to = from.Add(MaxWindow)
	}
	e := s.evaluate(from, to)
	// Who can change only at a cut: a hand-over, a layer's start, the edge
	// of a restricted period or of an override.
	cuts := []time.Time{from}
	within := func(t time.Time) bool { return t.After(from) && t.Before(to) }
	for i := range s.layers {
		l := &s.layers[i]
		k := l.turnAt(s.loc, from) + 1
		for t := l.handover(s.loc, k); t.Before(to); t = l.handover(s.loc, k) {
			if within(t) {
				cuts = append(cuts, t)
			}
			k++
		}
		for _, p := range e.open[i] {
			for _, t := range [2]time.Time{p.Start, p.End} {
				if within(t) {
					cuts = append(cuts, t)
				}
			}
		}
	}
	for _, o := range s.overrides {
		for _, t := range [2]time.Time{o.from, o.to} {
			if within(t) {
				cuts = append(cuts, t)
			}
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })

	var out []Shift
	for i, t := range cuts {
		end := to
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		member := e.who(t)
		if n := len(out); n > 0 && out[n-1].Member == member {
			out[n-1].To = end.In(s.loc)
			continue
		}
		out = append(out, Shift{From: t.In(s.loc), To: end.In(s.loc), Member: member})
	}
	return out
}
