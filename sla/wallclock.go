package sla

import "time"

// instant maps the local wall clock date+minutes (minutes may be 1440, the
// next day's midnight) in loc to an instant, deciding the two DST cases
// explicitly because time.Date leaves them unspecified (and in practice it
// moves a time in a spring-forward gap forward in Europe/Berlin but back in
// America/New_York, and picks the later of a repeated time in Berlin but the
// earlier in New York):
//
//   - a wall clock that does not exist (in a gap) moves forward by the gap:
//     02:30 on a day that jumps from 02:00 to 03:00 is 03:30;
//   - a wall clock that occurs twice means its first occurrence.
func instant(loc *time.Location, date civil, minutes int) time.Time {
	// naive is the wall clock read as if it were UTC, in Unix seconds.
	naive := time.Date(date.y, date.m, date.d, 0, minutes, 0, 0, time.UTC).Unix()
	if loc == time.UTC {
		return time.Unix(naive, 0).UTC()
	}
	// The offsets in effect around the wall clock: zone offsets are below a
	// day, so a day on either side brackets any transition at that time.
	_, before := time.Unix(naive-86400, 0).In(loc).Zone()
	_, at := time.Unix(naive, 0).In(loc).Zone()
	_, after := time.Unix(naive+86400, 0).In(loc).Zone()
	best, found := int64(0), false
	latest := int64(0)
	for i, off := range [3]int{before, at, after} {
		u := naive - int64(off)
		if i == 0 || u > latest {
			latest = u
		}
		if _, o := time.Unix(u, 0).In(loc).Zone(); o == off && (!found || u < best) {
			best, found = u, true
		}
	}
	if !found {
		// In a gap: read with the offset from before the transition (the
		// smaller one, which gives the latest instant), the wall clock lands
		// the length of the gap later.
		best = latest
	}
	return time.Unix(best, 0).In(loc)
}
