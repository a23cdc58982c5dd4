package sla

import "time"

// WallClock is the instant of a local wall-clock time — minute minutes after
// midnight of a date in loc, 1440 being the next midnight — by the
// calendars' rule for the two DST cases: a time that does not exist moves
// forward by the gap, a time that occurs twice means its first occurrence.
// On-call hand-overs keep the same rule, so a rotation and a calendar agree.
func WallClock(loc *time.Location, year int, month time.Month, day, minute int) time.Time {
	return instant(loc, civil{year, month, day}, minute)
}

// Open returns the calendar's open periods that overlap [from, to), cut to
// it, in order and disjoint; periods that touch (a day open until 24:00 and
// the next from 00:00) are returned separately. Windows longer than about
// ten years are cut at that.
func (c *Calendar) Open(from, to time.Time) []Interval {
	var out []Interval
	if !to.After(from) {
		return nil
	}
	c.walk(from, nil, func(a, b time.Time) bool {
		if !a.Before(to) {
			return false
		}
		out = append(out, Interval{Start: a, End: minTime(b, to)})
		return b.Before(to)
	})
	return out
}
