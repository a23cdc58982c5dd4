package oncall_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

// FuzzParse holds Parse to its promise: a clear error, or a schedule whose
// shifts over a window are contiguous, non-overlapping, maximal and agree
// with Who at each shift's start, and whose canonical form parses to the
// same schedule.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{oncall.Example, berlinHours, nyHours, nyDaily("2026-03-07T02:30:00"), layered, overridden,
		`{"timezone":"UTC","layers":[{"name":"a","start":"2026-02-28T23:59:00","turn":"1h","members":["a@x.example","b@x.example"],"restrict":{"sun":[["00:00","00:01"]]}}]}`,
		`{"timezone":"Australia/Lord_Howe","layers":[{"name":"a","start":"2026-04-04T01:45:00","turn":"1d","members":["a@x.example"]}]}`,
	} {
		f.Add([]byte(seed), int64(0), uint16(24*28))
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, data []byte, offsetMinutes int64, hours uint16) {
		s, err := oncall.Parse(data)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorMessage(err) == "" {
				t.Fatalf("Parse error is not a clear EINVALID: %v", err)
			}
			return
		}
		from := time.Unix(base+(offsetMinutes%(2*366*24*60))*60, 0)
		to := from.Add(time.Duration(hours%(24*60)+1) * time.Hour)
		shifts := s.Shifts(from, to)
		if len(shifts) == 0 || !shifts[0].From.Equal(from) || !shifts[len(shifts)-1].To.Equal(to) {
			t.Fatalf("shifts %v do not cover %v to %v", shifts, from, to)
		}
		for i, sh := range shifts {
			if !sh.To.After(sh.From) {
				t.Fatalf("shift %d is empty: %v", i, sh)
			}
			if i > 0 && !shifts[i-1].To.Equal(sh.From) {
				t.Fatalf("shift %d does not follow shift %d: %v, %v", i, i-1, shifts[i-1], sh)
			}
			if i > 0 && shifts[i-1].Member == sh.Member {
				t.Fatalf("shifts %d and %d of %q are not merged", i-1, i, sh.Member)
			}
			if who := s.Who(sh.From); who != sh.Member {
				t.Fatalf("Who(%v) = %q, shift says %q", sh.From, who, sh.Member)
			}
		}
		canonical, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := oncall.Parse(canonical)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", canonical, err)
		}
		if again2, _ := again.MarshalJSON(); string(again2) != string(canonical) {
			t.Fatalf("canonical form changes: %s then %s", canonical, again2)
		}
	})
}
