package sla

import (
	"strconv"
	"strings"
)

// Targets are stored as business minutes, but people think of them in hours
// and minutes: ParseDuration reads what they type, FormatDuration shows a
// stored target back the same way. Days are left out on purpose: a business
// day is as long as a calendar's open hours (8 h, 9 h, 24 h…), not 24 h, so
// "2d" would mean a different time on every calendar.

// durationExample is how every message says a duration is written.
const durationExample = "write it like 4h or 1h 30m"

// maxDurationDigits bounds a number in a duration so no sum can overflow,
// and maxDurationMinutes the sum, so that what FormatDuration writes of it
// reads back; both are far beyond any target the policy accepts.
const (
	maxDurationDigits  = 9
	maxDurationMinutes = 999_999_999
)

// durationUnits maps the units ParseDuration reads to minutes.
var durationUnits = map[string]int{
	"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
	"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
}

// dayUnits are refused with a message of their own, see above.
var dayUnits = map[string]bool{"d": true, "day": true, "days": true, "w": true, "wk": true, "week": true, "weeks": true}

// ParseDuration reads a duration of business time as whole minutes: "4h",
// "1h 30m", "90m", "2h30" (minutes after hours need no unit), "1.5h",
// "1 h 30 min" (what FormatDuration writes) and "0". Units are h, hr, hour(s),
// m, min, minute(s), in any case, with or without spaces; each may be given
// once. A number without a unit other than 0 is refused rather than guessed
// at (240 what?). Errors are *Error, with a message that quotes the input and
// says how to write it.
func ParseDuration(s string) (int, error) {
	in := strings.TrimSpace(s)
	bad := errorf("%q is not a duration; %s", in, durationExample)
	if in == "" {
		return 0, errorf("the duration is empty; %s", durationExample)
	}
	text := strings.ToLower(in)
	total, i := 0, 0
	seen := map[int]bool{}
	lastUnit := 0
	for i < len(text) {
		i = skipSpaces(text, i)
		num, frac, next, ok := durationNumber(text, i)
		if !ok {
			return 0, bad
		}
		i = skipSpaces(text, next)
		j := i
		for j < len(text) && text[j] >= 'a' && text[j] <= 'z' {
			j++
		}
		word := text[i:j]
		i = j
		unit, known := durationUnits[word]
		switch {
		case word == "" && lastUnit == 60 && frac == "" && i == len(text):
			unit = 1 // "2h30": the minutes of the hours
		case word == "" && lastUnit == 0 && i == len(text) && strings.Trim(num+frac, "0") == "":
			return 0, nil // "0": no time at all
		case word == "":
			return 0, errorf("%q has no unit; write %sm for minutes or %sh for hours", in, num+dotted(frac), num+dotted(frac))
		case dayUnits[word]:
			return 0, errorf("%q counts days, but a business day is only as long as the calendar's open hours; write the hours instead, such as 8h", in)
		case !known:
			return 0, bad
		}
		if seen[unit] {
			return 0, errorf("%q gives the %s twice; %s", in, unitName(unit), durationExample)
		}
		seen[unit], lastUnit = true, unit
		minutes, whole := scaled(num, frac, unit)
		if !whole {
			return 0, errorf("%q is not a whole number of minutes; %s", in, durationExample)
		}
		if total += minutes; total > maxDurationMinutes {
			return 0, errorf("%q is longer than %d minutes; %s", in, maxDurationMinutes, durationExample)
		}
	}
	return total, nil
}

// FormatDuration writes minutes as people read them: "40 h", "1 h 30 min",
// "45 min". ParseDuration reads it back.
func FormatDuration(minutes int) string {
	h, m := minutes/60, minutes%60
	switch {
	case h == 0:
		return strconv.Itoa(m) + " min"
	case m == 0:
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// durationNumber reads digits with an optional fraction ("1.5", "1,5") at i:
// the whole part, the fraction's digits and the index after them.
func durationNumber(s string, i int) (whole, frac string, next int, ok bool) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	whole = s[i:j]
	if j < len(s) && (s[j] == '.' || s[j] == ',') {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		frac, j = s[j+1:k], k
		if frac == "" {
			return "", "", 0, false
		}
	}
	if whole == "" && frac == "" || len(whole) > maxDurationDigits || len(frac) > maxDurationDigits {
		return "", "", 0, false
	}
	if whole == "" {
		whole = "0"
	}
	return whole, frac, j, true
}

// scaled returns whole.frac × unit and whether that is a whole number.
func scaled(whole, frac string, unit int) (int, bool) {
	w, _ := strconv.Atoi(whole)
	if frac == "" {
		return w * unit, true
	}
	f, _ := strconv.Atoi(frac)
	den := 1
	for range frac {
		den *= 10
	}
	if f*unit%den != 0 {
		return 0, false
	}
	return w*unit + f*unit/den, true
}

func dotted(frac string) string {
	if frac == "" {
		return ""
	}
	return "." + frac
}

func unitName(unit int) string {
	if unit == 60 {
		return "hours"
	}
	return "minutes"
}
