package oncall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// repeatedKey finds a key given twice in one object of the document, which
// encoding/json would otherwise resolve silently by keeping the last, and
// returns its path ("layers[0].restrict.mon").
func repeatedKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	path, ok := repeatedIn(dec, "")
	return path, ok
}

// repeatedIn reads one value from dec, reporting the first repeated key
// within it; path is the value's own path.
func repeatedIn(dec *json.Decoder, path string) (string, bool) {
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := keyTok.(string)
			child := key
			if path != "" {
				child = path + "." + key
			}
			if seen[key] {
				return child, true
			}
			seen[key] = true
			if p, ok := repeatedIn(dec, child); ok {
				return p, true
			}
		}
		dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if p, ok := repeatedIn(dec, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
		dec.Token()
	}
	return "", false
}

// MarshalJSON writes the schedule in the form Parse reads, canonically:
// members as stored addresses, overrides in the schedule's zone, restricted
// weekdays from Monday to Sunday.
func (s *Schedule) MarshalJSON() ([]byte, error) {
	type layerOut struct {
		Name     string          `json:"name"`
		Start    string          `json:"start"`
		Turn     string          `json:"turn"`
		Members  []string        `json:"members"`
		Restrict json.RawMessage `json:"restrict,omitempty"`
	}
	out := struct {
		Timezone  string         `json:"timezone"`
		Layers    []layerOut     `json:"layers"`
		Overrides []overrideForm `json:"overrides"`
	}{Timezone: s.loc.String(), Layers: []layerOut{}, Overrides: []overrideForm{}}
	for _, l := range s.layers {
		lo := layerOut{
			Name:    l.name,
			Start:   time.Date(l.date.Year(), l.date.Month(), l.date.Day(), 0, l.minute, 0, 0, time.UTC).Format(startLayout),
			Turn:    l.turn,
			Members: l.members,
		}
		if l.restrict != nil {
			// The calendar writes its weekdays in order; its "hours" object
			// is the restrict.
			raw, err := l.restrict.MarshalJSON()
			if err != nil {
				return nil, err
			}
			var cal struct {
				Hours json.RawMessage `json:"hours"`
			}
			if err := json.Unmarshal(raw, &cal); err != nil {
				return nil, err
			}
			lo.Restrict = cal.Hours
		}
		out.Layers = append(out.Layers, lo)
	}
	for _, o := range s.overrides {
		out.Overrides = append(out.Overrides, overrideForm{From: o.from.Format(time.RFC3339), To: o.to.Format(time.RFC3339), Member: o.member})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
