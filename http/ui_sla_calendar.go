package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// A business calendar on the settings page is a week grid, not JSON: a time
// zone, a row per weekday (open or closed, with from–to periods) and a list
// of holidays. The grid is read into an sla.Definition and judged by
// sla.NewCalendar, the rules the API's JSON is judged by, whose errors say
// which field is wrong; this file words them in the grid's terms.

// gridSlots is how many from–to periods a day offers at least, so a second
// period (a lunch break) needs no script; a calendar from the API with more
// periods on a day shows them all.
const gridSlots = 2

// gridNewHolidays is how many empty holiday rows the grid offers.
const gridNewHolidays = 2

// maxGridRows bounds the numbered rows read from a form.
const maxGridRows = 500

// weekdays are the grid's rows, Monday first, with the keys of sla.Definition.
var weekdays = []struct{ Key, Name string }{
	{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"},
	{"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"},
}

// commonZones are the time zones the zone field suggests; any IANA name may
// be typed, and sla.NewCalendar decides.
var commonZones = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"Europe/Istanbul", "Europe/Kyiv",
	"America/New_York", "America/Toronto", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Anchorage", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires", "Pacific/Honolulu",
	"Africa/Johannesburg", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Tokyo",
	"Asia/Seoul", "Asia/Jakarta", "Australia/Perth", "Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
}

// calendarGrid is a calendar as the grid shows it: the strings stored, or
// those typed when a save was refused.
type calendarGrid struct {
	// Refused is set on the grid of a refused save, shown again as typed,
	// and Invalid names its field at fault, if one is.
	Refused bool
	Invalid string
	// ReadOnly grids, for those who may not change them, leave out the
	// empty rows and the Remove boxes.
	ReadOnly bool
	Name     string
	Timezone string
	Days     []gridDay
	Holidays []gridHoliday
}

// gridDay is one weekday's row.
type gridDay struct {
	Key, Name string
	Open      bool
	Periods   []gridPeriod
}

// gridPeriod is one from–to slot of a day; N counts from 1.
type gridPeriod struct {
	N        int
	From, To string
}

// gridHoliday is one holiday row; N counts from 1. A row without a date is
// a place to add one.
type gridHoliday struct {
	N      int
	Date   string
	Remove bool
}

// periodField, openField and holidayField name the grid's inputs.
func periodField(day, side string, n int) string { return day + "_" + side + "_" + strconv.Itoa(n) }
func openField(day string) string                { return day + "_open" }
func holidayField(n int) string                  { return "holiday_" + strconv.Itoa(n) }

// gridFromDefinition shows a stored calendar.
func gridFromDefinition(name string, def json.RawMessage) calendarGrid {
	g := calendarGrid{Name: name}
	cal, err := sla.ParseCalendar(def)
	if err != nil {
		// Stored definitions were accepted by ParseCalendar; one that no
		// longer parses shows as a closed week to be set again.
		return g.padded()
	}
	d := cal.Definition()
	g.Timezone = d.Timezone
	for _, wd := range weekdays {
		day := gridDay{Key: wd.Key, Name: wd.Name, Open: len(d.Hours[wd.Key]) > 0}
		for i, p := range d.Hours[wd.Key] {
			day.Periods = append(day.Periods, gridPeriod{N: i + 1, From: p[0], To: p[1]})
		}
		g.Days = append(g.Days, day)
	}
	for i, h := range d.Holidays {
		g.Holidays = append(g.Holidays, gridHoliday{N: i + 1, Date: h})
	}
	return g.padded()
}

// defaultGrid starts a new calendar: Monday to Friday, 09:00–17:00, in zone.
func defaultGrid(zone string) calendarGrid {
	g := calendarGrid{Timezone: zone}
	for i, wd := range weekdays {
		day := gridDay{Key: wd.Key, Name: wd.Name, Open: i < 5}
		if day.Open {
			day.Periods = []gridPeriod{{N: 1, From: "09:00", To: "17:00"}}
		}
		g.Days = append(g.Days, day)
	}
	return g.padded()
}

// gridFromForm reads the grid's fields, named with prefix in form (the
// page keeps a refused form's fields under "cal<id>." or "new.").
func gridFromForm(form map[string]string, prefix string) calendarGrid {
	get := func(name string) (string, bool) { v, ok := form[prefix+name]; return v, ok }
	g := calendarGrid{Refused: true}
	g.Name, _ = get("name")
	g.Timezone, _ = get("timezone")
	for _, wd := range weekdays {
		open, _ := get(openField(wd.Key))
		day := gridDay{Key: wd.Key, Name: wd.Name, Open: open != ""}
		for n := 1; n <= maxGridRows; n++ {
			from, ok1 := get(periodField(wd.Key, "from", n))
			to, ok2 := get(periodField(wd.Key, "to", n))
			if !ok1 && !ok2 {
				break
			}
			day.Periods = append(day.Periods, gridPeriod{N: n, From: from, To: to})
		}
		g.Days = append(g.Days, day)
	}
	for n := 1; n <= maxGridRows; n++ {
		date, ok := get(holidayField(n))
		if !ok {
			break
		}
		remove, _ := get(holidayField(n) + "_remove")
		g.Holidays = append(g.Holidays, gridHoliday{N: n, Date: date, Remove: remove != ""})
	}
	return g.padded()
}

// padded gives every day gridSlots periods and the holidays empty rows to
// add to, dropping the empty rows a refused form brought back.
func (g calendarGrid) padded() calendarGrid {
	if len(g.Days) == 0 {
		for _, wd := range weekdays {
			g.Days = append(g.Days, gridDay{Key: wd.Key, Name: wd.Name})
		}
	}
	for i := range g.Days {
		for n := len(g.Days[i].Periods) + 1; n <= gridSlots; n++ {
			g.Days[i].Periods = append(g.Days[i].Periods, gridPeriod{N: n})
		}
	}
	holidays := make([]gridHoliday, 0, len(g.Holidays)+gridNewHolidays)
	for _, h := range g.Holidays {
		if strings.TrimSpace(h.Date) != "" {
			h.N = len(holidays) + 1
			holidays = append(holidays, h)
		}
	}
	for range gridNewHolidays {
		holidays = append(holidays, gridHoliday{N: len(holidays) + 1})
	}
	g.Holidays = holidays
	return g
}

// gridClock matches the times the grid accepts besides HH:MM: "9", "9:00",
// "9.30", "0930".
var gridClock = regexp.MustCompile(`^(\d{1,2})(?:[:.h]?(\d{2}))?$`)

// normalClock writes a typed time as HH:MM where it can; anything else goes
// to sla.NewCalendar as typed, which says what is wrong with it.
func normalClock(s string) string {
	s = strings.TrimSpace(s)
	m := gridClock.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2]) // "" reads as 0
	return fmt.Sprintf("%02d:%02d", h, mm)
}

// gridPlace is where in the grid a definition's interval came from.
type gridPlace struct {
	day    gridDay
	period gridPeriod
}

// definition turns the grid into the calendar's JSON, judged by
// sla.NewCalendar. Errors (EINVALID) name the day and period or the
// holiday at fault, in the grid's words, and say how to fix it.
func (g calendarGrid) definition() (json.RawMessage, error) {
	def := sla.Definition{Timezone: strings.TrimSpace(g.Timezone), Hours: map[string][][]string{}}
	if def.Timezone == "" {
		return nil, atField("timezone", tandem.Errorf(tandem.EINVALID, "Choose the calendar's time zone, such as Europe/Berlin or America/New_York."))
	}
	places := map[string][]gridPlace{}
	for _, day := range g.Days {
		if !day.Open {
			continue
		}
		var filled []gridPeriod
		for _, p := range day.Periods {
			p.From, p.To = normalClock(p.From), normalClock(p.To)
			switch {
			case p.From == "" && p.To == "":
				continue
			case p.From == "" || p.To == "":
				empty := periodField(day.Key, "from", p.N)
				if p.To == "" {
					empty = periodField(day.Key, "to", p.N)
				}
				return nil, atField(empty, tandem.Errorf(tandem.EINVALID, "%s, period %d: give both the opening and the closing time (such as 13:00 to 17:00), or clear both.", day.Name, p.N))
			}
			filled = append(filled, p)
		}
		if len(filled) == 0 {
			return nil, atField(periodField(day.Key, "from", 1), tandem.Errorf(tandem.EINVALID, "%s is marked open but has no hours; give them (such as 09:00 to 17:00) or untick Open.", day.Name))
		}
		// Periods may be typed in any order; the calendar wants them sorted.
		slices.SortStableFunc(filled, func(a, b gridPeriod) int { return strings.Compare(a.From, b.From) })
		for _, p := range filled {
			def.Hours[day.Key] = append(def.Hours[day.Key], []string{p.From, p.To})
			places[day.Key] = append(places[day.Key], gridPlace{day, p})
		}
	}
	var holidays []gridHoliday
	for _, h := range g.Holidays {
		if h.Date = strings.TrimSpace(h.Date); h.Date != "" && !h.Remove {
			def.Holidays = append(def.Holidays, h.Date)
			holidays = append(holidays, h)
		}
	}
	cal, err := sla.NewCalendar(def)
	var e *sla.Error
	switch {
	case errors.As(err, &e):
		return nil, gridError(e, def, places, holidays)
	case err != nil:
		return nil, err
	}
	return cal.MarshalJSON()
}

// gridError words a calendar's mistake for the grid.
func gridError(e *sla.Error, def sla.Definition, places map[string][]gridPlace, holidays []gridHoliday) error {
	f := e.Field
	switch {
	case f.Name == "timezone":
		return atField("timezone", tandem.Errorf(tandem.EINVALID, "Time zone %q is not one we know; choose one from the list or type an IANA name such as Europe/Berlin or America/New_York.", def.Timezone))
	case f.Name == "hours" && f.Day != "" && f.Index < len(places[f.Day]):
		p := places[f.Day][f.Index]
		side := "from"
		if strings.HasPrefix(e.Reason, "closing") || strings.Contains(e.Reason, "is not before closing") {
			side = "to"
		}
		return atField(periodField(p.day.Key, side, p.period.N), tandem.Errorf(tandem.EINVALID, "%s, period %d (%s to %s): %s.", p.day.Name, p.period.N, p.period.From, p.period.To, periodReason(e.Reason)))
	case f.Name == "hours" && f.Day == "":
		return tandem.Errorf(tandem.EINVALID, "Every day is closed; tick Open on at least one day and give its hours, such as 09:00 to 17:00.")
	case f.Name == "holidays" && f.Index < len(holidays):
		return atField(holidayField(holidays[f.Index].N), tandem.Errorf(tandem.EINVALID, "Holiday %d: %s.", holidays[f.Index].N, e.Reason))
	}
	return tandem.Errorf(tandem.EINVALID, "The calendar is not valid: %s.", e.Message)
}

// periodReason says a period's mistake in the grid's words where the
// calendar's speak of JSON intervals.
func periodReason(reason string) string {
	switch {
	case strings.Contains(reason, "is not before closing"):
		return "it must open before it closes; a period cannot cross midnight, so end it at 24:00 and open the next day at 00:00"
	case strings.Contains(reason, "starts before the previous interval ends"):
		return "it overlaps the period before it; make them follow each other, such as 09:00 to 12:00 and 13:00 to 17:00"
	}
	return reason
}

// likelyZone is the zone a new calendar starts in: the policy's calendar's,
// else the first calendar's of the organisation, else the viewer's.
func likelyZone(cals []*tandem.BusinessCalendar, policy *tandem.SLAPolicy, viewer string) string {
	zone := func(c *tandem.BusinessCalendar) string {
		if cal, err := sla.ParseCalendar(c.Definition); err == nil {
			return cal.Location().String()
		}
		return ""
	}
	for _, c := range cals {
		if policy.CalendarID != nil && *policy.CalendarID == c.ID && zone(c) != "" {
			return zone(c)
		}
	}
	for _, c := range cals {
		if z := zone(c); z != "" {
			return z
		}
	}
	if viewer == "" || viewer == "Local" {
		return "UTC"
	}
	return viewer
}

// zoneOptions are the zone field's suggestions with the zones in use first.
func zoneOptions(inUse ...string) []string {
	out := make([]string, 0, len(commonZones)+len(inUse))
	for _, z := range append(inUse, commonZones...) {
		if z != "" && !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	return out
}
