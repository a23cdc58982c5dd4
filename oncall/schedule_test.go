package oncall_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

func mustParse(t *testing.T, def string) *oncall.Schedule {
	t.Helper()
	s, err := oncall.Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v", def, err)
	}
	return s
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWho asks who is on call at fixed instants: turns of hours, days and
// weeks across both DST changes in two zones, restrictions, layers,
// overrides and the time before a layer starts.
func TestWho(t *testing.T) {
	const berlinWeekly = `{"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example","ben@msp.example"]}]}`
	tests := []struct {
		name, schedule string
		at             string
		want           string
	}{
		{"before start", berlinWeekly, "2026-01-05T08:59:59+01:00", ""},
		{"at start the first member", berlinWeekly, "2026-01-05T09:00:00+01:00", "ana@msp.example"},
		{"second week", berlinWeekly, "2026-01-12T09:00:00+01:00", "ben@msp.example"},
		{"members cycle", berlinWeekly, "2026-01-19T12:00:00+01:00", "ana@msp.example"},
		// Week 12 begins Monday 30 March 09:00 summer time (07:00Z), an hour
		// of elapsed time earlier than in winter.
		{"weeks after spring DST: before the local hand-over", berlinWeekly, "2026-03-30T08:59:00+02:00", "ben@msp.example"},
		{"weeks after spring DST: at the local hand-over", berlinWeekly, "2026-03-30T09:00:00+02:00", "ana@msp.example"},
		{"weeks after autumn DST: before", berlinWeekly, "2026-10-26T08:59:00+01:00", "ben@msp.example"},
		{"weeks after autumn DST: at", berlinWeekly, "2026-10-26T09:00:00+01:00", "ana@msp.example"},

		// New York springs forward on 8 March 2026 at 02:00: the 02:30
		// hand-over does not exist that day and moves forward to 03:30.
		{"days over a DST gap: still turn 0", nyDaily("2026-03-07T02:30:00"), "2026-03-08T03:29:00-04:00", "a@x.example"},
		{"days over a DST gap: hand-over moved forward", nyDaily("2026-03-07T02:30:00"), "2026-03-08T03:30:00-04:00", "b@x.example"},
		{"days after the gap: back at 02:30", nyDaily("2026-03-07T02:30:00"), "2026-03-09T02:30:00-04:00", "c@x.example"},
		// New York falls back on 1 November 2026: 01:30 happens twice; the
		// hand-over is the first.
		{"days over a repeated hour: before the first 01:30", nyDaily("2026-10-31T01:30:00"), "2026-11-01T01:29:00-04:00", "a@x.example"},
		{"days over a repeated hour: the first 01:30", nyDaily("2026-10-31T01:30:00"), "2026-11-01T01:30:00-04:00", "b@x.example"},
		{"days over a repeated hour: the second 01:30", nyDaily("2026-10-31T01:30:00"), "2026-11-01T01:30:00-05:00", "b@x.example"},
		{"days in Berlin over spring DST", `{"timezone":"Europe/Berlin","layers":[{"name":"d","start":"2026-03-28T02:30:00","turn":"1d","members":["a@x.example","b@x.example"]}]}`, "2026-03-29T03:29:00+02:00", "a@x.example"},
		{"days in Berlin: the missing 02:30 is 03:30", `{"timezone":"Europe/Berlin","layers":[{"name":"d","start":"2026-03-28T02:30:00","turn":"1d","members":["a@x.example","b@x.example"]}]}`, "2026-03-29T03:30:00+02:00", "b@x.example"},

		// Hour turns count elapsed time: 12 hours after midnight on the day
		// Berlin springs forward is 13:00 on the wall clock.
		{"hours over spring DST: 12:59", berlinHours, "2026-03-29T12:59:00+02:00", "a@x.example"},
		{"hours over spring DST: 13:00", berlinHours, "2026-03-29T13:00:00+02:00", "b@x.example"},
		// 8 hours after 20:00 EDT on 31 October is 03:00 EST.
		{"hours over autumn DST in New York: 02:59 EST", nyHours, "2026-11-01T02:59:00-05:00", "a@x.example"},
		{"hours over autumn DST in New York: 03:00 EST", nyHours, "2026-11-01T03:00:00-05:00", "b@x.example"},
		{"hours in Berlin over autumn DST", `{"timezone":"Europe/Berlin","layers":[{"name":"h","start":"2026-10-24T12:00:00","turn":"24h","members":["a@x.example","b@x.example"]}]}`, "2026-10-25T11:59:00+01:00", "b@x.example"},
		{"hours in New York over spring DST", `{"timezone":"America/New_York","layers":[{"name":"h","start":"2026-03-07T12:00:00","turn":"24h","members":["a@x.example","b@x.example"]}]}`, "2026-03-08T12:59:00-04:00", "a@x.example"},
		{"hours in New York over spring DST: 13:00", `{"timezone":"America/New_York","layers":[{"name":"h","start":"2026-03-07T12:00:00","turn":"24h","members":["a@x.example","b@x.example"]}]}`, "2026-03-08T13:00:00-04:00", "b@x.example"},

		{"restricted: inside the evening", oncall.Example, "2026-01-05T19:00:00+01:00", "ana@msp.example"},
		{"restricted: outside", oncall.Example, "2026-01-05T17:59:00+01:00", ""},
		{"restricted: past midnight into tuesday", oncall.Example, "2026-01-06T07:59:00+01:00", "ana@msp.example"},
		{"restricted: tuesday after 08:00", oncall.Example, "2026-01-06T08:00:00+01:00", ""},
		{"restricted: the turn moved on regardless", oncall.Example, "2026-01-12T18:00:00+01:00", "ben@msp.example"},
		{"restricted: not on wednesday", oncall.Example, "2026-01-07T20:00:00+01:00", ""},

		{"later layer over earlier where it has someone", layered, "2026-01-06T19:00:00+01:00", "night@x.example"},
		{"earlier layer where the later has nobody", layered, "2026-01-06T12:00:00+01:00", "ana@msp.example"},
		{"later layer not yet started", layered, "2026-01-05T19:00:00+01:00", "ana@msp.example"},

		{"override over the layer", overridden, "2026-03-03T19:00:00+01:00", "cara@msp.example"},
		{"later override over an earlier one", overridden, "2026-03-03T21:00:00+01:00", "dan@msp.example"},
		{"earlier override again after the later ends", overridden, "2026-03-03T22:00:00+01:00", "cara@msp.example"},
		{"override ended: the layer again", overridden, "2026-03-04T08:00:00+01:00", "ana@msp.example"},
		{"a third override, alone", overridden, "2026-03-10T12:00:00+01:00", "dan@msp.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.schedule)
			if got := s.Who(at(t, tt.at)); got != tt.want {
				t.Errorf("Who(%s) = %q, want %q", tt.at, got, tt.want)
			}
		})
	}
}

func nyDaily(start string) string {
	return `{"timezone":"America/New_York","layers":[{"name":"daily","start":"` + start + `","turn":"1d","members":["a@x.example","b@x.example","c@x.example"]}]}`
}

const berlinHours = `{"timezone":"Europe/Berlin","layers":[{"name":"h","start":"2026-03-29T00:00:00","turn":"12h","members":["a@x.example","b@x.example"]}]}`

const nyHours = `{"timezone":"America/New_York","layers":[{"name":"h","start":"2026-10-31T20:00:00","turn":"8h","members":["a@x.example","b@x.example"]}]}`

// layered is a weekly day rotation under a nightly layer that starts a day
// later.
const layered = `{"timezone":"Europe/Berlin","layers":[
	{"name":"day","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example","ben@msp.example"]},
	{"name":"night","start":"2026-01-06T00:00:00","turn":"1d","members":["night@x.example"],"restrict":{"mon":[["18:00","24:00"]],"tue":[["18:00","24:00"]]}}]}`

// overridden has two overlapping overrides, the later inside the earlier,
// and one where the restricted layer has nobody.
const overridden = `{"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example","ben@msp.example"]}],
	"overrides":[{"from":"2026-03-03T18:00:00+01:00","to":"2026-03-04T08:00:00+01:00","member":"cara@msp.example"},
	{"from":"2026-03-03T20:00:00+01:00","to":"2026-03-03T22:00:00+01:00","member":"Dan@MSP.example"},
	{"from":"2026-03-10T11:00:00Z","to":"2026-03-10T12:00:00Z","member":"dan@msp.example"}]}`

// TestShifts lists the maximal intervals of windows: gaps as "", one
// member's adjacent turns and periods merged, times in the schedule's zone.
func TestShifts(t *testing.T) {
	type shift struct{ from, to, member string }
	tests := []struct {
		name, schedule, from, to string
		want                     []shift
	}{
		{"before start, then the first turn", `{"timezone":"Europe/Berlin","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example"]}]}`,
			"2026-01-05T00:00:00+01:00", "2026-01-20T00:00:00+01:00", []shift{
				{"2026-01-05T00:00:00+01:00", "2026-01-05T09:00:00+01:00", ""},
				// One member's turns follow each other: one shift.
				{"2026-01-05T09:00:00+01:00", "2026-01-20T00:00:00+01:00", "ana@msp.example"},
			}},
		{"restricted periods across midnight merge", oncall.Example, "2026-01-05T00:00:00+01:00", "2026-01-13T00:00:00+01:00", []shift{
			{"2026-01-05T00:00:00+01:00", "2026-01-05T18:00:00+01:00", ""},
			{"2026-01-05T18:00:00+01:00", "2026-01-06T08:00:00+01:00", "ana@msp.example"},
			{"2026-01-06T08:00:00+01:00", "2026-01-12T18:00:00+01:00", ""},
			{"2026-01-12T18:00:00+01:00", "2026-01-13T00:00:00+01:00", "ben@msp.example"},
		}},
		{"hours over spring DST", berlinHours, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", []shift{
			{"2026-03-29T00:00:00+01:00", "2026-03-29T13:00:00+02:00", "a@x.example"},
			{"2026-03-29T13:00:00+02:00", "2026-03-30T00:00:00+02:00", "b@x.example"},
		}},
		{"days over autumn DST in New York", nyDaily("2026-10-31T01:30:00"), "2026-10-31T00:00:00-04:00", "2026-11-02T12:00:00-05:00", []shift{
			{"2026-10-31T00:00:00-04:00", "2026-10-31T01:30:00-04:00", ""},
			{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "a@x.example"},
			// 25 hours: the first 01:30 to the next day's 01:30.
			{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "b@x.example"},
			{"2026-11-02T01:30:00-05:00", "2026-11-02T12:00:00-05:00", "c@x.example"},
		}},
		{"overrides cut into the layer", overridden, "2026-03-03T12:00:00+01:00", "2026-03-04T12:00:00+01:00", []shift{
			{"2026-03-03T12:00:00+01:00", "2026-03-03T18:00:00+01:00", "ana@msp.example"},
			{"2026-03-03T18:00:00+01:00", "2026-03-03T20:00:00+01:00", "cara@msp.example"},
			{"2026-03-03T20:00:00+01:00", "2026-03-03T22:00:00+01:00", "dan@msp.example"},
			{"2026-03-03T22:00:00+01:00", "2026-03-04T08:00:00+01:00", "cara@msp.example"},
			{"2026-03-04T08:00:00+01:00", "2026-03-04T12:00:00+01:00", "ana@msp.example"},
		}},
		{"layers stacked", layered, "2026-01-06T12:00:00+01:00", "2026-01-07T12:00:00+01:00", []shift{
			{"2026-01-06T12:00:00+01:00", "2026-01-06T18:00:00+01:00", "ana@msp.example"},
			{"2026-01-06T18:00:00+01:00", "2026-01-07T00:00:00+01:00", "night@x.example"},
			{"2026-01-07T00:00:00+01:00", "2026-01-07T12:00:00+01:00", "ana@msp.example"},
		}},
		{"an empty window has no shifts", oncall.Example, "2026-01-05T00:00:00+01:00", "2026-01-05T00:00:00+01:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.schedule)
			got := s.Shifts(at(t, tt.from), at(t, tt.to))
			var gotRows []shift
			for _, sh := range got {
				gotRows = append(gotRows, shift{sh.From.Format(time.RFC3339), sh.To.Format(time.RFC3339), sh.Member})
			}
			if len(gotRows) != len(tt.want) {
				t.Fatalf("Shifts = %v, want %v", gotRows, tt.want)
			}
			for i := range gotRows {
				if gotRows[i] != tt.want[i] {
					t.Errorf("shift %d = %v, want %v", i, gotRows[i], tt.want[i])
				}
			}
		})
	}
}

// TestParseErrors checks that each mistake is refused with a message
// naming the field.
func TestParseErrors(t *testing.T) {
	layer := func(fields string) string {
		return `{"timezone":"Europe/Berlin","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example"]` + fields + `}]}`
	}
	tests := []struct{ name, def, want string }{
		{"bad turn", strings.Replace(layer(""), `"1w"`, `"2x"`, 1), `layers[0].turn: "2x" is not a turn; write Nh, Nd or Nw`},
		{"zero turn", strings.Replace(layer(""), `"1w"`, `"0d"`, 1), `layers[0].turn: "0d" is not a turn`},
		{"too long a turn", strings.Replace(layer(""), `"1w"`, `"600w"`, 1), `layers[0].turn: "600w" is longer than ten years`},
		{"unknown field", layer(`,"colour":"red"`), `unknown field "colour"`},
		{"missing zone", `{"layers":[]}`, `timezone: is missing`},
		{"unknown zone", `{"timezone":"Mars/Olympus","layers":[]}`, `timezone: "Mars/Olympus" is not a known time zone`},
		{"no layers", `{"timezone":"UTC","layers":[]}`, `layers: give at least one layer`},
		{"start with an offset", strings.Replace(layer(""), `2026-01-05T09:00:00`, `2026-01-05T09:00:00+01:00`, 1), `layers[0].start: "2026-01-05T09:00:00+01:00" is not a local start time`},
		{"start with seconds", strings.Replace(layer(""), `09:00:00`, `09:00:30`, 1), `layers[0].start: "2026-01-05T09:00:30" is not a local start time`},
		{"start in year 1", strings.Replace(layer(""), `2026-01-05`, `0001-01-05`, 1), `layers[0].start: "0001-01-05T09:00:00" is outside the years`},
		{"no name", strings.Replace(layer(""), `"name":"p"`, `"name":" "`, 1), `layers[0].name: is missing`},
		{"two layers of one name", `{"timezone":"UTC","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["a@x.example"]},{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["a@x.example"]}]}`, `layers[1].name: "p" is the name of an earlier layer`},
		{"no members", strings.Replace(layer(""), `["ana@msp.example"]`, `[]`, 1), `layers[0].members: is empty`},
		{"bad member", strings.Replace(layer(""), `ana@msp.example`, `ana at msp`, 1), `layers[0].members[0]: Email "ana at msp" is not a valid address`},
		{"restrict bad time", layer(`,"restrict":{"mon":[["18:00","25:00"]]}`), `layers[0].restrict.mon[0]: closing time "25:00" is not a time of day`},
		{"restrict not a pair", layer(`,"restrict":{"mon":[["18:00"]]}`), `layers[0].restrict.mon[0] must be a pair`},
		{"restrict unknown day", layer(`,"restrict":{"monday":[["18:00","24:00"]]}`), `layers[0].restrict: "monday" is not a weekday`},
		{"restrict all closed", layer(`,"restrict":{}`), `layers[0].restrict: every weekday is closed`},
		{"restrict day twice", layer(`,"restrict":{"mon":[["18:00","24:00"]],"mon":[["00:00","01:00"]]}`), `layers[0].restrict.mon: is given more than once`},
		{"restrict of wrong type", layer(`,"restrict":{"mon":"evenings"}`), `layers.restrict: holds string where a schedule has an array`},
		{"override ends before it starts", `{"timezone":"UTC","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["a@x.example"]}],"overrides":[{"from":"2026-03-04T08:00:00+01:00","to":"2026-03-03T18:00:00+01:00","member":"c@x.example"}]}`,
			`overrides[0].to: 2026-03-03T18:00:00+01:00 is not after from`},
		{"override without offset", `{"timezone":"UTC","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["a@x.example"]}],"overrides":[{"from":"2026-03-04T08:00:00","to":"2026-03-05T08:00:00Z","member":"c@x.example"}]}`,
			`overrides[0].from: "2026-03-04T08:00:00" is not an RFC 3339 instant`},
		{"override without member", `{"timezone":"UTC","layers":[{"name":"p","start":"2026-01-05T09:00:00","turn":"1w","members":["a@x.example"]}],"overrides":[{"from":"2026-03-04T08:00:00Z","to":"2026-03-05T08:00:00Z"}]}`,
			`overrides[0].member: Email is required`},
		{"trailing data", layer("") + `{}`, `schedule has data after its JSON object`},
		{"key twice", `{"timezone":"UTC","timezone":"Europe/Berlin","layers":[]}`, `timezone: is given more than once`},
		{"not JSON", `timezone: UTC`, `schedule is not valid JSON of its form`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oncall.Parse([]byte(tt.def))
			if err == nil {
				t.Fatalf("Parse accepted %s", tt.def)
			}
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("code = %s, want invalid", tandem.ErrorCode(err))
			}
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

// TestMarshalJSON writes the canonical form, which parses to itself.
func TestMarshalJSON(t *testing.T) {
	s := mustParse(t, `{"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["Ana@MSP.example","ben@msp.example"],
		"restrict":{"tue":[["00:00","08:00"]],"mon":[["18:00","24:00"]]}}],"overrides":[{"from":"2026-03-03T17:00:00Z","to":"2026-03-04T08:00:00+01:00","member":"cara@msp.example"}]}`)
	got, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example","ben@msp.example"],"restrict":{"mon":[["18:00","24:00"]],"tue":[["00:00","08:00"]]}}],"overrides":[{"from":"2026-03-03T18:00:00+01:00","to":"2026-03-04T08:00:00+01:00","member":"cara@msp.example"}]}`
	if string(got) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", got, want)
	}
	again, err := mustParse(t, string(got)).MarshalJSON()
	if err != nil || string(again) != want {
		t.Errorf("the canonical form does not parse to itself: %s (%v)", again, err)
	}
	if got := s.Members(); strings.Join(got, ",") != "ana@msp.example,ben@msp.example,cara@msp.example" {
		t.Errorf("Members = %v", got)
	}
	if s.Location().String() != "Europe/Berlin" {
		t.Errorf("Location = %v", s.Location())
	}
}
