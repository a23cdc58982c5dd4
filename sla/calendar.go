// Package sla holds the pure business-time maths of service-level targets:
// business calendars (a time zone, open hours per weekday, holidays) and the
// due instant or elapsed business time over them, with pending periods
// paused. It does no I/O and depends on the standard library only.
package sla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	// The tz database is embedded so calendars load on machines without
	// zoneinfo files (minimal containers).
	_ "time/tzdata"
)

// Error is a mistake in a calendar or a request. Its message names the field
// and says how to fix it; the command line maps it to exit status 2.
type Error struct {
	Message string
	// Field and Reason locate a mistake in a calendar's definition, for a
	// form that shows a calendar otherwise than as JSON: Reason is Message
	// without the JSON path it starts with ("hours.fri[1]: ").
	Field  Field
	Reason string
}

// Field is where in a calendar's definition a mistake is.
type Field struct {
	// Name is "timezone", "hours" or "holidays"; "" when the definition as
	// a whole cannot be read.
	Name string
	// Day is the weekday key ("fri") of a mistake in a day's hours, ""
	// when the mistake is about the week as a whole.
	Day string
	// Index counts from 0 the day's interval or the holiday at fault.
	Index int
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Message: msg, Reason: msg}
}

// fieldError is a mistake at path ("hours.fri[1]") in field f.
func fieldError(f Field, path, format string, args ...any) *Error {
	reason := fmt.Sprintf(format, args...)
	return &Error{Message: path + ": " + reason, Field: f, Reason: reason}
}

// dayKeys are the weekday keys of the JSON form, indexed by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// jsonOrder is the order in which MarshalJSON writes the weekdays.
var jsonOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// span is an open interval of a local day in minutes since midnight;
// end may be 1440 ("24:00", the next day's midnight).
type span struct{ start, end int }

// civil is a local calendar date.
type civil struct {
	y int
	m time.Month
	d int
}

// Calendar is a business calendar: the time zone, the open intervals of
// each weekday in local wall-clock time, and holidays (whole local days).
// A weekday without intervals is closed. A Calendar is immutable and safe
// for concurrent use.
type Calendar struct {
	loc      *time.Location
	hours    [7][]span // by time.Weekday
	listed   [7]bool   // the day was present in the JSON form (maybe as [])
	holidays map[civil]bool
	holiList []string // as given, for MarshalJSON
}

// Definition is a calendar as plain values, in the shape of its stored and
// exchanged JSON form, so that a calendar built from a form (a week grid) is
// judged by the very rules that judge the JSON.
type Definition struct {
	Timezone string `json:"timezone"`
	// Hours are the open intervals of each weekday (keys mon, tue, wed,
	// thu, fri, sat, sun) as ["HH:MM","HH:MM"] pairs; a missing or empty
	// day is closed.
	Hours    map[string][][]string `json:"hours"`
	Holidays []string              `json:"holidays"`
}

// ParseCalendar reads a calendar in its JSON form, for example
//
//	{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"sat":[]},"holidays":["2026-12-25"]}
//
// It is strict: unknown fields or weekday keys, malformed or overlapping
// intervals, an unknown time zone and bad or repeated holidays are errors
// (*Error). A calendar without any open interval is rejected too, so that
// every calendar has business time to count.
func ParseCalendar(data []byte) (*Calendar, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in Definition
	if err := dec.Decode(&in); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return nil, errorf("calendar field %q holds %s where the form expects %s; write it as {\"timezone\":\"Europe/Berlin\",\"hours\":{\"mon\":[[\"09:00\",\"17:00\"]]},\"holidays\":[\"2026-12-25\"]}", typ.Field, typ.Value, jsonKind(typ.Type.Kind()))
		}
		return nil, errorf("calendar is not valid: %v; write it as {\"timezone\":\"Europe/Berlin\",\"hours\":{\"mon\":[[\"09:00\",\"17:00\"]]},\"holidays\":[\"2026-12-25\"]}", strings.TrimPrefix(err.Error(), "json: "))
	}
	if day, ok := repeatedDay(data); ok {
		return nil, errorf("hours: %q is given more than once; list all of a day's intervals under one key", day)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("calendar has data after its JSON object; remove it")
	}
	return NewCalendar(in)
}

// NewCalendar builds a calendar from its definition with the rules of
// ParseCalendar, and errors (*Error) that also say which Field is wrong.
func NewCalendar(in Definition) (*Calendar, error) {
	c := &Calendar{holidays: make(map[civil]bool, len(in.Holidays))}
	tzField := Field{Name: "timezone"}
	switch in.Timezone {
	case "":
		return nil, located(tzField, errorf("timezone is missing; set it to an IANA zone such as \"Europe/Berlin\" or \"UTC\""))
	case "Local":
		return nil, located(tzField, errorf("timezone \"Local\" depends on the machine; set an IANA zone such as \"Europe/Berlin\""))
	}
	loc, err := time.LoadLocation(in.Timezone)
	if err != nil {
		return nil, located(tzField, errorf("timezone %q is not a known time zone; use an IANA name such as \"Europe/Berlin\" or \"America/New_York\"", in.Timezone))
	}
	c.loc = loc

	unknown := make([]string, 0)
	for key := range in.Hours {
		if !slices.Contains(dayKeys[:], key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fieldError(Field{Name: "hours"}, "hours", "%q is not a weekday; use mon, tue, wed, thu, fri, sat or sun", unknown[0])
	}
	open := false
	for _, day := range jsonOrder {
		key := dayKeys[day]
		intervals, ok := in.Hours[key]
		if !ok {
			continue
		}
		spans := make([]span, 0, len(intervals))
		for i, iv := range intervals {
			field, path := Field{Name: "hours", Day: key, Index: i}, fmt.Sprintf("hours.%s[%d]", key, i)
			if len(iv) != 2 {
				return nil, located(field, errorf("%s must be a pair [\"HH:MM\",\"HH:MM\"] of opening and closing time", path))
			}
			start, err := parseClock(iv[0], false)
			if err != nil {
				return nil, fieldError(field, path, "opening time %s", err)
			}
			end, err := parseClock(iv[1], true)
			if err != nil {
				return nil, fieldError(field, path, "closing time %s", err)
			}
			if start >= end {
				return nil, fieldError(field, path, "opening %s is not before closing %s; an interval must not be empty or cross midnight (split it at \"24:00\")", iv[0], iv[1])
			}
			if i > 0 && start < spans[i-1].end {
				return nil, fieldError(field, path, "%s starts before the previous interval ends; list a day's intervals in order without overlaps", iv[0])
			}
			spans = append(spans, span{start, end})
		}
		c.hours[day] = spans
		c.listed[day] = true
		open = open || len(spans) > 0
	}
	if !open {
		return nil, fieldError(Field{Name: "hours"}, "hours", "every weekday is closed; give at least one open interval such as \"mon\":[[\"09:00\",\"17:00\"]]")
	}

	for i, s := range in.Holidays {
		field, path := Field{Name: "holidays", Index: i}, fmt.Sprintf("holidays[%d]", i)
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fieldError(field, path, "%q is not a date; write YYYY-MM-DD such as \"2026-12-25\"", s)
		}
		key := civil{d.Year(), d.Month(), d.Day()}
		if c.holidays[key] {
			return nil, fieldError(field, path, "%s is listed twice; remove the repeat", s)
		}
		c.holidays[key] = true
		c.holiList = append(c.holiList, s)
	}
	return c, nil
}

// located marks where a mistake whose message names its field in its own
// words is.
func located(f Field, e *Error) *Error {
	e.Field = f
	return e
}

// parseClock reads "HH:MM" (00:00–23:59, and "24:00" when end is set) as
// minutes since midnight.
func parseClock(s string, end bool) (int, error) {
	bad := fmt.Errorf("%q is not a time of day; write HH:MM from 00:00 to 23:59 (or 24:00 to close at midnight)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[3] == '+' || s[3] == '-' || h < 0 || m < 0 || m > 59 || h > 24 {
		return 0, bad
	}
	if h == 24 {
		if m != 0 {
			return 0, bad
		}
		if !end {
			return 0, fmt.Errorf("%q may only close an interval; open at \"00:00\" instead", s)
		}
	}
	return h*60 + m, nil
}

// MarshalJSON writes the calendar in the form ParseCalendar reads, weekdays
// from Monday to Sunday and holidays as given.
func (c *Calendar) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	tz, _ := json.Marshal(c.loc.String())
	b.WriteString(`{"timezone":`)
	b.Write(tz)
	b.WriteString(`,"hours":{`)
	first := true
	for _, day := range jsonOrder {
		if !c.listed[day] {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:[", dayKeys[day])
		for i, s := range c.hours[day] {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `[%q,%q]`, clock(s.start), clock(s.end))
		}
		b.WriteByte(']')
	}
	b.WriteString(`},"holidays":[`)
	for i, h := range c.holiList {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", h)
	}
	b.WriteString(`]}`)
	return b.Bytes(), nil
}

// Definition returns the calendar's values as NewCalendar takes them: a
// closed weekday has no entry unless the calendar lists it (as []).
func (c *Calendar) Definition() Definition {
	d := Definition{Timezone: c.loc.String(), Hours: map[string][][]string{}, Holidays: slices.Clone(c.holiList)}
	for day, spans := range c.hours {
		if !c.listed[day] {
			continue
		}
		pairs := make([][]string, 0, len(spans))
		for _, s := range spans {
			pairs = append(pairs, []string{clock(s.start), clock(s.end)})
		}
		d.Hours[dayKeys[day]] = pairs
	}
	return d
}

// clock writes minutes since midnight as "HH:MM".
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Location returns the calendar's time zone, in which due instants are shown.
func (c *Calendar) Location() *time.Location { return c.loc }

// TwentyFourSeven returns the calendar of 24×7 targets: UTC, every day open
// from 00:00 to 24:00, no holidays.
func TwentyFourSeven() *Calendar {
	c := &Calendar{loc: time.UTC, holidays: map[civil]bool{}}
	for d := range c.hours {
		c.hours[d] = []span{{0, 24 * 60}}
		c.listed[d] = true
	}
	return c
}

// jsonKind names what a Go kind looks like in JSON, for error messages.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// repeatedDay reports a weekday key given twice inside "hours", which
// encoding/json would otherwise resolve silently by keeping the last.
func repeatedDay(data []byte) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || top["hours"] == nil {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(top["hours"]))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		if seen[key] {
			return key, true
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", false
		}
	}
	return "", false
}
