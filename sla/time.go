package sla

import (
	"slices"
	"time"
)

// maxDays bounds the day-by-day walk: about ten years of local days. A due
// instant further away than that, or a span of Between longer than that, is
// an error rather than a long loop.
const maxDays = 3660

// Interval is a period between two instants, such as the time a ticket was
// pending on the customer. Intervals whose End is not after Start are empty.
type Interval struct {
	Start, End time.Time
}

// Due returns the instant at which d of business time has elapsed from
// start on cal, not counting the pauses. The result is in the calendar's
// time zone. When the time runs out exactly at a closing time, the due
// instant is that closing time, not the next opening; zero d gives the
// first business instant at or after start (outside the pauses). It returns
// an *Error for a negative d or a due instant more than about ten years
// after start.
func Due(cal *Calendar, start time.Time, d time.Duration, pauses []Interval) (time.Time, error) {
	if d < 0 {
		return time.Time{}, errorf("the duration %v is negative; give zero or more", d)
	}
	var due time.Time
	remaining := d
	done := cal.walk(start, mergePauses(pauses), func(a, b time.Time) bool {
		if n := b.Sub(a); remaining > n {
			remaining -= n
			return true
		}
		due = a.Add(remaining)
		return false
	})
	if !done {
		return time.Time{}, errorf("the due instant is more than %d days after the start; give a shorter duration", maxDays)
	}
	return due.In(cal.loc), nil
}

// Between returns the business time on cal from start to end, not counting
// the pauses; it is zero when end is not after start. It returns an *Error
// when end is more than about ten years after start.
func Between(cal *Calendar, start, end time.Time, pauses []Interval) (time.Duration, error) {
	if !end.After(start) {
		return 0, nil
	}
	if end.Sub(start) > (maxDays-2)*24*time.Hour {
		return 0, errorf("the end is more than %d days after the start; give a shorter span", maxDays-2)
	}
	// The walk covers more days than the span, so it ends at end.
	var total time.Duration
	cal.walk(start, mergePauses(pauses), func(a, b time.Time) bool {
		if !a.Before(end) {
			return false
		}
		total += minTime(b, end).Sub(a)
		return b.Before(end)
	})
	return total, nil
}

// walk calls fn with the open periods at or after from, in order, each
// non-empty and with the pauses cut out, until fn returns false. It reports
// whether fn stopped the walk before maxDays local days were exhausted.
func (c *Calendar) walk(from time.Time, pauses []Interval, fn func(a, b time.Time) bool) bool {
	// Start a day early: it costs little and keeps the walk right whatever
	// a zone does around midnight.
	local := from.In(c.loc)
	first := time.Date(local.Year(), local.Month(), local.Day()-1, 0, 0, 0, 0, time.UTC)
	prevEnd := from
	pi := 0
	for i := 0; i <= maxDays; i++ {
		day := first.AddDate(0, 0, i)
		date := civil{day.Year(), day.Month(), day.Day()}
		if c.holidays[date] {
			continue
		}
		for _, s := range c.hours[day.Weekday()] {
			// Clamping to the previous end keeps periods ordered and
			// disjoint where a DST gap pushes an opening past the next one.
			a := maxTime(instant(c.loc, date, s.start), prevEnd)
			b := instant(c.loc, date, s.end)
			if !a.Before(b) {
				continue
			}
			prevEnd = b
			for pi < len(pauses) && !pauses[pi].End.After(a) {
				pi++
			}
			for j := pi; j < len(pauses) && pauses[j].Start.Before(b); j++ {
				if pauses[j].Start.After(a) && !fn(a, pauses[j].Start) {
					return true
				}
				a = maxTime(a, pauses[j].End)
			}
			if a.Before(b) && !fn(a, b) {
				return true
			}
		}
	}
	return false
}

// mergePauses returns the non-empty pauses sorted by start, with
// overlapping or touching ones merged.
func mergePauses(pauses []Interval) []Interval {
	if len(pauses) == 0 {
		return nil
	}
	out := make([]Interval, 0, len(pauses))
	for _, p := range pauses {
		if p.End.After(p.Start) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y Interval) int { return x.Start.Compare(y.Start) })
	merged := out[:0]
	for _, p := range out {
		if n := len(merged); n > 0 && !p.Start.After(merged[n-1].End) {
			merged[n-1].End = maxTime(merged[n-1].End, p.End)
			continue
		}
		merged = append(merged, p)
	}
	return merged
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// IsOpen reports whether t falls inside the calendar's business hours (an
// open period, not a holiday): escalation policies that apply inside or
// outside an organisation's hours ask it.
func (c *Calendar) IsOpen(t time.Time) bool {
	open := false
	c.walk(t, nil, func(a, b time.Time) bool {
		open = !a.After(t)
		return false
	})
	return open
}
