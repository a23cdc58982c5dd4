package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// FuzzSLAFlags feeds arbitrary --minutes and --pause values to their parsers:
// they never panic, refuse with one-line configuration errors, and accept only
// what the SLA maths can use (bounded, non-negative minutes; pauses that end
// after they start).
func FuzzSLAFlags(f *testing.F) {
	f.Add("90.5", "2026-03-02T10:00:00+01:00/2026-03-02T11:00:00+01:00")
	f.Add("-1", "2026-03-02T11:00:00Z/2026-03-02T10:00:00Z")
	f.Add("NaN", "/")
	f.Add("1e308", "2026-03-02T10:00:00Z")
	f.Fuzz(func(t *testing.T, minutes, pause string) {
		d, err := parseMinutes(minutes)
		if err != nil {
			checkConfigError(t, err)
		} else if d < 0 || d > time.Duration(maxMinutes)*time.Minute+time.Minute {
			t.Fatalf("parseMinutes(%q) = %v, outside 0..%d minutes", minutes, d, maxMinutes)
		}
		list, err := parsePauses([]string{pause})
		if err != nil {
			checkConfigError(t, err)
			return
		}
		if len(list) != 1 || !list[0].End.After(list[0].Start) {
			t.Fatalf("parsePauses(%q) = %v", pause, list)
		}
	})
}

func checkConfigError(t *testing.T, err error) {
	t.Helper()
	if tandem.ErrorCode(err) != tandem.ECONFIG {
		t.Fatalf("error %v is not a configuration error", err)
	}
	// The input is quoted with %q, so even one holding a newline leaves the
	// message on one line.
	if strings.ContainsAny(tandem.ErrorMessage(err), "\n\r") {
		t.Fatalf("message spans lines: %q", tandem.ErrorMessage(err))
	}
}
