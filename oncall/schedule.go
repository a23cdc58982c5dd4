// Package oncall holds the pure rules of on-call schedules: layers of
// members taking turns (hours of elapsed time, or local days and weeks that
// hand over at the same wall-clock time across DST changes), restricted to
// weekday hours, stacked with the later layer on top, and overrides above
// every layer. It does no I/O.
package oncall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// Limits on one schedule, so that evaluating a window stays cheap whatever
// a definition holds.
const (
	MaxLayers    = 20
	MaxMembers   = 200 // per layer
	MaxOverrides = 500
	// MaxWindow is the longest window Shifts evaluates; a longer one is cut.
	MaxWindow = 400 * 24 * time.Hour
)

// startLayout is the form of a layer's start: local wall-clock time in the
// schedule's zone, whole minutes.
const startLayout = "2006-01-02T15:04:05"

// firstYear and lastYear bound a layer's start to years a rotation can mean.
const firstYear, lastYear = 2000, 2200

// Example is a working schedule, for forms and documentation.
const Example = `{"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example","ben@msp.example"],"restrict":{"mon":[["18:00","24:00"]],"tue":[["00:00","08:00"]]}}],"overrides":[{"from":"2026-03-03T18:00:00+01:00","to":"2026-03-04T08:00:00+01:00","member":"cara@msp.example"}]}`

// Schedule is a parsed on-call schedule. It is immutable and safe for
// concurrent use.
type Schedule struct {
	loc       *time.Location
	layers    []layer
	overrides []override
}

// Shift is a maximal interval in which one member is on call, or nobody
// (Member "").
type Shift struct {
	From, To time.Time
	Member   string
}

// layer is one rotation.
type layer struct {
	name string
	// date and minute are the start's local wall clock; start its instant.
	date    time.Time // midnight UTC of the local start date
	minute  int
	start   time.Time
	unit    byte // 'h', 'd' or 'w'
	n       int64
	turn    string
	members []string
	// restrict limits when the layer has anyone on call; nil: always.
	restrict *sla.Calendar
}

// override puts one member on call over every layer.
type override struct {
	from, to time.Time
	member   string
}

// definition is the JSON form as decoded.
type definition struct {
	Timezone  string         `json:"timezone"`
	Layers    []layerForm    `json:"layers"`
	Overrides []overrideForm `json:"overrides"`
}

type layerForm struct {
	Name     string                `json:"name"`
	Start    string                `json:"start"`
	Turn     string                `json:"turn"`
	Members  []string              `json:"members"`
	Restrict map[string][][]string `json:"restrict,omitempty"`
}

type overrideForm struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Member string `json:"member"`
}

// invalid is a mistake in a definition; the message names the field.
func invalid(format string, args ...any) error {
	return tandem.Errorf(tandem.EINVALID, format, args...)
}

// Parse reads a schedule in its JSON form (see Example). It is strict:
// unknown fields, repeated keys, a bad zone, start, turn or address, an
// override that ends before it starts are errors (EINVALID) whose message
// begins with the field at fault, such as `layers[0].turn: "2x" is not a
// turn; write Nh, Nd or Nw`. Members are canonical email addresses.
func Parse(data []byte) (*Schedule, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in definition
	if err := dec.Decode(&in); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return nil, invalid("%s: holds %s where a schedule has %s; see the example schedule", typ.Field, typ.Value, jsonKind(typ.Type.String()))
		}
		return nil, invalid("schedule is not valid JSON of its form: %s; write it like %s", strings.TrimPrefix(err.Error(), "json: "), Example)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("schedule has data after its JSON object; remove it")
	}
	if path, ok := repeatedKey(data); ok {
		return nil, invalid("%s: is given more than once; give each key once", path)
	}
	return build(in)
}

// jsonKind names a Go type as JSON writes it, for error messages.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// build checks a decoded definition and turns it into a Schedule.
func build(in definition) (*Schedule, error) {
	loc, err := zone(in.Timezone)
	if err != nil {
		return nil, err
	}
	s := &Schedule{loc: loc}
	if len(in.Layers) == 0 {
		return nil, invalid(`layers: give at least one layer, such as {"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example"]}`)
	}
	if len(in.Layers) > MaxLayers {
		return nil, invalid("layers: %d layers; a schedule has at most %d", len(in.Layers), MaxLayers)
	}
	names := map[string]bool{}
	for i, lf := range in.Layers {
		l, err := buildLayer(loc, i, lf)
		if err != nil {
			return nil, err
		}
		if names[l.name] {
			return nil, invalid("layers[%d].name: %q is the name of an earlier layer; give each layer its own name", i, l.name)
		}
		names[l.name] = true
		s.layers = append(s.layers, l)
	}
	if len(in.Overrides) > MaxOverrides {
		return nil, invalid("overrides: %d overrides; a schedule has at most %d (remove past ones)", len(in.Overrides), MaxOverrides)
	}
	for i, of := range in.Overrides {
		path := fmt.Sprintf("overrides[%d]", i)
		from, err := instantField(path+".from", of.From)
		if err != nil {
			return nil, err
		}
		to, err := instantField(path+".to", of.To)
		if err != nil {
			return nil, err
		}
		if !to.After(from) {
			return nil, invalid("%s.to: %s is not after from %s; an override must last a while", path, of.To, of.From)
		}
		member, err := email(path+".member", of.Member)
		if err != nil {
			return nil, err
		}
		s.overrides = append(s.overrides, override{from: from.In(loc), to: to.In(loc), member: member})
	}
	return s, nil
}

// zone checks the schedule's time zone by the business calendars' rules,
// whose messages name the field "timezone" too.
func zone(name string) (*time.Location, error) {
	cal, err := sla.NewCalendar(sla.Definition{Timezone: name, Hours: map[string][][]string{"mon": {{"00:00", "24:00"}}}})
	if err != nil {
		return nil, invalid("%s", ensureColon(err.Error(), "timezone"))
	}
	return cal.Location(), nil
}

// ensureColon writes "timezone is missing; …" as "timezone: is missing; …",
// the form every other message of a schedule takes.
func ensureColon(msg, field string) string {
	if rest, ok := strings.CutPrefix(msg, field+" "); ok {
		return field + ": " + rest
	}
	return msg
}

// turnPattern is N followed by h, d or w, N from 1 without leading zeros.
var turnPattern = regexp.MustCompile(`^([1-9][0-9]{0,5})([hdw])$`)

// maxTurnHours bounds a turn to ten years.
const maxTurnHours = 10 * 366 * 24

func buildLayer(loc *time.Location, i int, lf layerForm) (layer, error) {
	path := fmt.Sprintf("layers[%d]", i)
	l := layer{name: strings.TrimSpace(lf.Name)}
	switch {
	case l.name == "":
		return l, invalid("%s.name: is missing; name the layer, such as \"primary\"", path)
	case len(l.name) > 100:
		return l, invalid("%s.name: is %d bytes long; a layer's name has at most 100", path, len(l.name))
	}

	local, err := time.Parse(startLayout, lf.Start)
	if err != nil || local.Second() != 0 || local.Nanosecond() != 0 {
		return l, invalid("%s.start: %q is not a local start time; write the wall-clock time in the schedule's zone in whole minutes, such as \"2026-01-05T09:00:00\"", path, lf.Start)
	}
	if local.Year() < firstYear || local.Year() >= lastYear {
		return l, invalid("%s.start: %q is outside the years %d to %d; give a start a rotation can mean", path, lf.Start, firstYear, lastYear-1)
	}
	l.date = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	l.minute = local.Hour()*60 + local.Minute()
	l.start = sla.WallClock(loc, local.Year(), local.Month(), local.Day(), l.minute)

	m := turnPattern.FindStringSubmatch(lf.Turn)
	if m == nil {
		return l, invalid("%s.turn: %q is not a turn; write Nh, Nd or Nw, such as \"12h\", \"1d\" or \"1w\"", path, lf.Turn)
	}
	l.n, _ = strconv.ParseInt(m[1], 10, 64)
	l.unit, l.turn = m[2][0], lf.Turn
	if hours := l.n * map[byte]int64{'h': 1, 'd': 24, 'w': 7 * 24}[l.unit]; hours > maxTurnHours {
		return l, invalid("%s.turn: %q is longer than ten years; give a shorter turn", path, lf.Turn)
	}

	switch {
	case len(lf.Members) == 0:
		return l, invalid("%s.members: is empty; list the members' email addresses in the order they take turns", path)
	case len(lf.Members) > MaxMembers:
		return l, invalid("%s.members: %d members; a layer has at most %d", path, len(lf.Members), MaxMembers)
	}
	for j, addr := range lf.Members {
		member, err := email(fmt.Sprintf("%s.members[%d]", path, j), addr)
		if err != nil {
			return l, err
		}
		l.members = append(l.members, member)
	}

	if lf.Restrict != nil {
		// The business calendar's weekday hours, judged by its own rules;
		// its messages name "hours…", here the layer's restrict.
		cal, err := sla.NewCalendar(sla.Definition{Timezone: loc.String(), Hours: lf.Restrict})
		if err != nil {
			msg := err.Error()
			if rest, ok := strings.CutPrefix(msg, "hours"); ok {
				msg = path + ".restrict" + rest
			} else {
				msg = path + ".restrict: " + msg
			}
			return l, invalid("%s", msg)
		}
		l.restrict = cal
	}
	return l, nil
}

// instantField reads an RFC 3339 instant with its offset.
func instantField(path, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, invalid("%s: %q is not an RFC 3339 instant; write it with its offset, such as \"2026-03-03T18:00:00+01:00\"", path, s)
	}
	if t.Year() < firstYear || t.Year() >= lastYear {
		return t, invalid("%s: %q is outside the years %d to %d", path, s, firstYear, lastYear-1)
	}
	return t, nil
}

// email canonicalises a member's address the way accounts store theirs.
func email(path, s string) (string, error) {
	addr, err := tandem.CanonicalEmail(s)
	if err != nil {
		return "", invalid("%s: %s", path, tandem.ErrorMessage(err))
	}
	return addr, nil
}

// Location is the schedule's time zone, in which its turns hand over and
// its shifts are shown.
func (s *Schedule) Location() *time.Location { return s.loc }

// Members are the distinct members of every layer and override, sorted.
func (s *Schedule) Members() []string {
	seen := map[string]bool{}
	var out []string
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, l := range s.layers {
		for _, m := range l.members {
			add(m)
		}
	}
	for _, o := range s.overrides {
		add(o.member)
	}
	slices.Sort(out)
	return out
}
