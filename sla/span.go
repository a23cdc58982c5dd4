package sla

import (
	"slices"
	"time"
)

// Span is a calendar's open periods between two instants, computed once so
// that many due instants and business times within them cost a binary
// search each rather than a day-by-day walk: recomputing the timers of a
// hundred thousand tickets after a policy change does that. Its answers are
// those of Due and Between; outside the span it asks them. A Span is
// immutable and safe for concurrent use.
type Span struct {
	cal      *Calendar
	from, to time.Time
	start    []int64 // open periods, Unix nanoseconds, sorted and disjoint
	end      []int64
	cum      []int64 // business nanoseconds before each period
}

// NewSpan computes the open periods of cal from one instant to another.
func NewSpan(cal *Calendar, from, to time.Time) *Span {
	return (&Span{cal: cal, from: from, to: from}).grow(to)
}

// covers reports whether t lies within the span.
func (s *Span) covers(t time.Time) bool { return !t.Before(s.from) && !t.After(s.to) }

// pos is the business time from the span's start to t.
func (s *Span) pos(t time.Time) int64 {
	n := t.UnixNano()
	i, _ := slices.BinarySearch(s.end, n+1) // the first period ending after t
	switch {
	case i == len(s.end):
		if i == 0 {
			return 0
		}
		return s.cum[i-1] + s.end[i-1] - s.start[i-1]
	case n <= s.start[i]:
		return s.cum[i]
	}
	return s.cum[i] + n - s.start[i]
}

// at is the earliest instant at which pos reaches p, which must be above
// zero; ok is false beyond the span.
func (s *Span) at(p int64) (time.Time, bool) {
	// The first period whose end position reaches p.
	i, _ := slices.BinarySearchFunc(s.cum, p, func(c, p int64) int {
		return cmpInt(c, p)
	})
	// cum[i] >= p: the period before i ends at or after p, unless i is 0.
	if i > 0 && s.cum[i-1]+s.end[i-1]-s.start[i-1] >= p {
		i--
	}
	if i >= len(s.start) || s.cum[i]+s.end[i]-s.start[i] < p {
		return time.Time{}, false
	}
	return time.Unix(0, s.start[i]+p-s.cum[i]), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Due is Due on the span's calendar.
func (s *Span) Due(start time.Time, d time.Duration, pauses []Interval) (time.Time, error) {
	if d <= 0 || !s.covers(start) {
		return Due(s.cal, start, d, pauses)
	}
	cur, remaining := start, d.Nanoseconds()
	for _, p := range mergePauses(pauses) {
		if !p.End.After(cur) {
			continue
		}
		if p.Start.After(cur) {
			if !s.covers(p.Start) {
				break
			}
			if avail := s.pos(p.Start) - s.pos(cur); remaining <= avail {
				break
			} else {
				remaining -= avail
			}
		}
		cur = p.End
		if !s.covers(cur) {
			return Due(s.cal, start, d, pauses)
		}
	}
	due, ok := s.at(s.pos(cur) + remaining)
	if !ok {
		return Due(s.cal, start, d, pauses)
	}
	return due.In(s.cal.loc), nil
}

// Between is Between on the span's calendar.
func (s *Span) Between(start, end time.Time, pauses []Interval) (time.Duration, error) {
	if !end.After(start) {
		return 0, nil
	}
	if !s.covers(start) || !s.covers(end) || end.Sub(start) > (maxDays-2)*24*time.Hour {
		return Between(s.cal, start, end, pauses)
	}
	total := s.pos(end) - s.pos(start)
	for _, p := range mergePauses(pauses) {
		a, b := maxTime(p.Start, start), minTime(p.End, end)
		if a.Before(b) {
			total -= s.pos(b) - s.pos(a)
		}
	}
	return time.Duration(total), nil
}
