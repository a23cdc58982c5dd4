package sla

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxICalBytes bounds an iCalendar file read by ParseICalHolidays. Holiday
// feeds are a few kilobytes; anything larger is not one.
const MaxICalBytes = 1 << 20

// MaxICalEvents bounds the events of a file read by ParseICalHolidays: a
// country's holidays for decades are a few hundred.
const MaxICalEvents = 5000

// maxEventDays bounds one all-day event, maxHolidays the dates a file may
// yield, and maxEventDates the days its events add up to, repeats
// included, so a hostile file can make neither an endless list nor
// endless work.
const (
	maxEventDays  = 366
	maxHolidays   = 5000
	maxEventDates = 100_000
)

// RepeatYears is how far yearly repeating events are expanded: the year of
// the import and this many years after it.
const RepeatYears = 3

// ICalHolidays is what an iCalendar file yields as holidays.
type ICalHolidays struct {
	// Dates are the local days of the all-day events, YYYY-MM-DD, sorted
	// and without repeats.
	Dates []string
	// TimedEvents counts the events with a time of day, which are not
	// holidays and were ignored.
	TimedEvents int
	// RepeatingEvents counts the all-day events with a yearly repeat rule,
	// expanded over the year of the import and the RepeatYears after it.
	RepeatingEvents int
	// CancelledEvents counts events marked STATUS:CANCELLED, ignored.
	CancelledEvents int
}

// icalLine is one unfolded content line and the physical line it starts on.
type icalLine struct {
	no     int
	name   string
	params map[string]string
	value  string
}

// ParseICalHolidays reads an iCalendar file (RFC 5545), such as a public
// holiday feed, and returns the dates of its all-day events: an event whose
// DTSTART is a date (DTSTART;VALUE=DATE:20261225) covers every day from its
// start up to its exclusive DTEND (or its DURATION, or one day). Events with
// a time of day are counted and ignored: they are not whole-day holidays. A
// yearly repeat (RRULE:FREQ=YEARLY, with INTERVAL, COUNT, UNTIL and EXDATE)
// is expanded over the year of now and the RepeatYears after it; other
// repeat rules are refused, since guessing them would put holidays on the
// wrong days. Errors are *Error and name the line.
func ParseICalHolidays(r io.Reader, now time.Time) (*ICalHolidays, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxICalBytes+1))
	if err != nil {
		return nil, errorf("the iCalendar file cannot be read: %v", err)
	}
	if len(data) > MaxICalBytes {
		return nil, errorf("the iCalendar file is larger than 1 MiB; a holiday feed is a few kilobytes, so export only the holidays")
	}
	lines, err := unfoldICal(data)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 || lines[0].name != "BEGIN" || !strings.EqualFold(lines[0].value, "VCALENDAR") {
		return nil, errorf("the file is not an iCalendar file: it must start with BEGIN:VCALENDAR")
	}
	out := &ICalHolidays{}
	dates := map[string]bool{}
	from := now.Year()
	var stack []string // open components, outermost first
	var ev []icalLine  // properties of the VEVENT being read
	evStart, events, work := 0, 0, 0
	for _, l := range lines {
		switch l.name {
		case "BEGIN":
			comp := strings.ToUpper(l.value)
			if len(stack) == 0 && comp != "VCALENDAR" {
				return nil, errorf("line %d: BEGIN:%s outside the VCALENDAR; the file must hold one VCALENDAR", l.no, l.value)
			}
			if len(stack) >= 8 {
				return nil, errorf("line %d: components are nested more than 8 deep", l.no)
			}
			if comp == "VEVENT" && len(stack) == 1 {
				if events++; events > MaxICalEvents {
					return nil, errorf("line %d: the file has more than %d events; import a holiday feed, not a full calendar", l.no, MaxICalEvents)
				}
				ev, evStart = ev[:0], l.no
			}
			stack = append(stack, comp)
		case "END":
			comp := strings.ToUpper(l.value)
			if len(stack) == 0 {
				return nil, errorf("line %d: END:%s without a matching BEGIN", l.no, l.value)
			}
			if top := stack[len(stack)-1]; top != comp {
				return nil, errorf("line %d: END:%s closes BEGIN:%s; the file is damaged", l.no, l.value, top)
			}
			stack = stack[:len(stack)-1]
			if comp == "VEVENT" && len(stack) == 1 {
				if err := addEvent(out, dates, &work, ev, evStart, from); err != nil {
					return nil, err
				}
				if len(dates) > maxHolidays {
					return nil, errorf("line %d: the file yields more than %d holidays; import a holiday feed, not a full calendar", l.no, maxHolidays)
				}
			}
			if len(stack) == 0 {
				return finish(out, dates), nil
			}
		default:
			if len(stack) == 2 && stack[1] == "VEVENT" {
				ev = append(ev, l)
			}
		}
	}
	if len(stack) > 0 {
		return nil, errorf("the file ends inside BEGIN:%s; it is truncated (END:%s is missing)", stack[len(stack)-1], stack[len(stack)-1])
	}
	return finish(out, dates), nil
}

func finish(out *ICalHolidays, dates map[string]bool) *ICalHolidays {
	out.Dates = make([]string, 0, len(dates))
	for d := range dates {
		out.Dates = append(out.Dates, d)
	}
	slices.Sort(out.Dates)
	return out
}

// addEvent adds the days of one VEVENT; work counts the days added so far,
// repeats included.
func addEvent(out *ICalHolidays, dates map[string]bool, work *int, props []icalLine, start, fromYear int) error {
	var dtstart, dtend, duration, rrule *icalLine
	var exdates []icalLine
	for i := range props {
		p := &props[i]
		switch p.name {
		case "DTSTART":
			dtstart = p
		case "DTEND":
			dtend = p
		case "DURATION":
			duration = p
		case "RRULE":
			if rrule != nil {
				return errorf("line %d: the event has more than one RRULE; give one yearly rule per event", p.no)
			}
			rrule = p
		case "EXDATE":
			exdates = append(exdates, *p)
		case "STATUS":
			if strings.EqualFold(p.value, "CANCELLED") {
				out.CancelledEvents++
				return nil
			}
		}
	}
	if dtstart == nil {
		return errorf("line %d: the event has no DTSTART; every event needs its date", start)
	}
	first, allDay, err := icalDate(dtstart)
	if err != nil {
		return err
	}
	if !allDay {
		out.TimedEvents++
		return nil
	}
	days := 1
	switch {
	case dtend != nil:
		end, endAllDay, err := icalDate(dtend)
		if err != nil {
			return err
		}
		if !endAllDay {
			return errorf("line %d: DTEND has a time of day but DTSTART is a date; give DTEND as a date too (DTEND;VALUE=DATE:YYYYMMDD)", dtend.no)
		}
		days = int(end.Sub(first).Hours()/24 + 0.5)
		if days < 1 {
			return errorf("line %d: DTEND %s is not after DTSTART; an all-day event ends on the day after its last day", dtend.no, dtend.value)
		}
	case duration != nil:
		days, err = icalDays(duration)
		if err != nil {
			return err
		}
	}
	if days > maxEventDays {
		return errorf("line %d: the event lasts %d days; a holiday lasts at most %d", dtstart.no, days, maxEventDays)
	}
	starts := []time.Time{first}
	if rrule != nil {
		excluded := map[time.Time]bool{}
		for _, x := range exdates {
			for _, v := range strings.Split(x.value, ",") {
				d, allDay, err := icalDate(&icalLine{no: x.no, name: x.name, params: x.params, value: v})
				if err != nil {
					return err
				}
				if allDay {
					excluded[d] = true
				}
			}
		}
		starts, err = expandYearly(rrule, first, fromYear, excluded)
		if err != nil {
			return err
		}
		out.RepeatingEvents++
	}
	if *work += len(starts) * days; *work > maxEventDates {
		return errorf("line %d: the events add up to more than %d days in all; import a holiday feed, not a full calendar", start, maxEventDates)
	}
	for _, s := range starts {
		for i := range days {
			dates[s.AddDate(0, 0, i).Format(time.DateOnly)] = true
		}
	}
	return nil
}

// icalDate reads a DTSTART, DTEND or EXDATE value: a date (allDay) or a
// date-time, whose day is returned but not used.
func icalDate(p *icalLine) (time.Time, bool, error) {
	v := p.value
	valueType := strings.ToUpper(p.params["VALUE"])
	switch {
	case len(v) == 8 && (valueType == "" || valueType == "DATE"):
		d, err := time.Parse("20060102", v)
		if err != nil || !allDigits(v) {
			return time.Time{}, false, errorf("line %d: %s %q is not a date; write YYYYMMDD such as 20261225", p.no, p.name, v)
		}
		return d, true, nil
	case valueType == "DATE":
		return time.Time{}, false, errorf("line %d: %s is marked VALUE=DATE but %q is not a date; write YYYYMMDD such as 20261225", p.no, p.name, v)
	case valueType != "" && valueType != "DATE-TIME":
		return time.Time{}, false, errorf("line %d: %s has VALUE=%s; use VALUE=DATE for a whole day", p.no, p.name, p.params["VALUE"])
	}
	t := strings.TrimSuffix(v, "Z")
	if len(t) != 15 || t[8] != 'T' || !allDigits(t[:8]) || !allDigits(t[9:]) {
		return time.Time{}, false, errorf("line %d: %s %q is neither a date (YYYYMMDD) nor a date-time (YYYYMMDDTHHMMSS)", p.no, p.name, v)
	}
	d, err := time.Parse("20060102T150405", t)
	if err != nil {
		return time.Time{}, false, errorf("line %d: %s %q is not a valid date-time", p.no, p.name, v)
	}
	return d, false, nil
}

// icalDays reads a DURATION of whole days or weeks (P1D, P2W).
func icalDays(p *icalLine) (int, error) {
	v := strings.TrimPrefix(strings.ToUpper(p.value), "+")
	bad := errorf("line %d: DURATION %q is not a number of whole days (P1D) or weeks (P1W), which an all-day event needs", p.no, p.value)
	if len(v) < 3 || v[0] != 'P' {
		return 0, bad
	}
	n, err := strconv.Atoi(v[1 : len(v)-1])
	if err != nil || n < 1 || !allDigits(v[1:len(v)-1]) || n > maxEventDays {
		return 0, bad
	}
	switch v[len(v)-1] {
	case 'D':
		return n, nil
	case 'W':
		return 7 * n, nil
	}
	return 0, bad
}

// expandYearly returns the starts of a yearly repeating event that fall in
// fromYear or the RepeatYears after it.
func expandYearly(p *icalLine, first time.Time, fromYear int, excluded map[time.Time]bool) ([]time.Time, error) {
	interval, count := 1, 0
	var until time.Time
	freq := ""
	for part := range strings.SplitSeq(p.value, ";") {
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errorf("line %d: RRULE part %q is not NAME=VALUE", p.no, part)
		}
		switch strings.ToUpper(key) {
		case "FREQ":
			freq = strings.ToUpper(val)
		case "INTERVAL":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 100 {
				return nil, errorf("line %d: RRULE INTERVAL %q must be a whole number from 1 to 100", p.no, val)
			}
			interval = n
		case "COUNT":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return nil, errorf("line %d: RRULE COUNT %q must be a whole number of 1 or more", p.no, val)
			}
			count = n
		case "UNTIL":
			d, _, err := icalDate(&icalLine{no: p.no, name: "RRULE UNTIL", value: val})
			if err != nil {
				return nil, err
			}
			until = d
		case "BYMONTH":
			if val != strconv.Itoa(int(first.Month())) {
				return nil, errorf("line %d: RRULE BYMONTH=%s differs from the month of DTSTART; only yearly repeats on the same date are supported", p.no, val)
			}
		case "BYMONTHDAY":
			if val != strconv.Itoa(first.Day()) {
				return nil, errorf("line %d: RRULE BYMONTHDAY=%s differs from the day of DTSTART; only yearly repeats on the same date are supported", p.no, val)
			}
		case "WKST":
		default:
			return nil, errorf("line %d: RRULE %s is not supported; only yearly repeats on the same date (FREQ=YEARLY with INTERVAL, COUNT or UNTIL) are, so list such holidays one event per year", p.no, strings.ToUpper(key))
		}
	}
	if freq != "YEARLY" {
		if freq == "" {
			return nil, errorf("line %d: RRULE has no FREQ; write RRULE:FREQ=YEARLY", p.no)
		}
		return nil, errorf("line %d: RRULE FREQ=%s is not supported; only yearly repeats (FREQ=YEARLY) are, so list such holidays one event per date", p.no, freq)
	}
	if count > 0 && !until.IsZero() {
		return nil, errorf("line %d: RRULE has both COUNT and UNTIL; RFC 5545 allows one of them", p.no)
	}
	// The repeats before the window are counted, not walked: an event may
	// begin in year 1, and a file holds thousands of them.
	skip := 0
	if fromYear > first.Year() {
		skip = (fromYear - first.Year() + interval - 1) / interval
	}
	n := occurrences(first, interval, skip)
	if count > 0 && n >= count {
		return nil, nil
	}
	var out []time.Time
	for y := first.Year() + skip*interval; y <= fromYear+RepeatYears; y += interval {
		d := time.Date(y, first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
		if d.Day() != first.Day() {
			continue // 29 February in a common year: RFC 5545 skips it
		}
		if !until.IsZero() && d.After(until) {
			break
		}
		n++
		if count > 0 && n > count {
			break
		}
		if !excluded[d] {
			out = append(out, d)
		}
	}
	return out, nil
}

// occurrences is how many of the first k repeats of a yearly event that
// starts on first, every interval years, fall on a real date: all of them,
// but for 29 February only those in leap years. Leap years recur every 400
// years, so one period of the repeats is walked, not all k.
func occurrences(first time.Time, interval, k int) int {
	if first.Month() != time.February || first.Day() != 29 || k == 0 {
		return k
	}
	period := 400 / gcd(interval, 400)
	leaps := func(n int) int {
		c := 0
		for i := range n {
			if isLeap(first.Year() + i*interval) {
				c++
			}
		}
		return c
	}
	// The repeats i and i+period are 400·m years apart: both leap or not.
	return k/period*leaps(period) + leaps(k%period)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// unfoldICal splits the file into content lines, joining folded ones (a
// line starting with a space or tab continues the previous one), and reads
// each as NAME;PARAM=VALUE:value.
func unfoldICal(data []byte) ([]icalLine, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var lines []icalLine
	var cur strings.Builder
	curNo := 0
	flush := func() error {
		if curNo == 0 {
			return nil
		}
		l, err := parseICalLine(curNo, cur.String())
		if err != nil {
			return err
		}
		lines = append(lines, l)
		cur.Reset()
		curNo = 0
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxICalBytes+1)
	no := 0
	for sc.Scan() {
		no++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text != "" && (text[0] == ' ' || text[0] == '\t') {
			if curNo == 0 {
				return nil, errorf("line %d: a folded continuation line with no line before it", no)
			}
			cur.WriteString(text[1:])
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		cur.WriteString(text)
		curNo = no
	}
	if err := sc.Err(); err != nil {
		return nil, errorf("the iCalendar file cannot be read: %v", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return lines, nil
}

// parseICalLine reads NAME;PARAM=VALUE;PARAM="quoted":value.
func parseICalLine(no int, s string) (icalLine, error) {
	l := icalLine{no: no}
	// The name and parameters end at the first colon outside quotes.
	colon, quoted := -1, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				colon = i
			}
		}
		if colon >= 0 {
			break
		}
	}
	if colon < 0 {
		return l, errorf("line %d: %q is not an iCalendar content line (NAME:value)", no, clip(s))
	}
	head, value := s[:colon], s[colon+1:]
	parts := splitParams(head)
	l.name = strings.ToUpper(parts[0])
	if l.name == "" {
		return l, errorf("line %d: %q has no property name before the colon", no, clip(s))
	}
	l.value = value
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return l, errorf("line %d: parameter %q of %s is not NAME=VALUE", no, clip(p), l.name)
		}
		if l.params == nil {
			l.params = map[string]string{}
		}
		l.params[strings.ToUpper(k)] = strings.Trim(v, `"`)
	}
	return l, nil
}

// splitParams splits at semicolons outside quotes.
func splitParams(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// clip shortens a line quoted in an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%s…", string(r[:60]))
	}
	return s
}
