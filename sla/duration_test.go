package sla_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/sla"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"4h", 240},
		{"1h 30m", 90},
		{"1h30m", 90},
		{"90m", 90},
		{"2h30", 150},
		{"2h 30", 150},
		{"1 h 30 min", 90},
		{"40 h", 2400},
		{"45 min", 45},
		{"1.5h", 90},
		{"1,25 h", 75},
		{".5h", 30},
		{"0", 0},
		{"0h", 0},
		{"  3 Hours 5 Minutes ", 185},
		{"2 hrs", 120},
		{"30m 1h", 90},
		{"1h 0", 60},
	}
	for _, tt := range tests {
		got, err := sla.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"4x", `"4x" is not a duration; write it like 4h or 1h 30m`},
		{"", "empty"},
		{"soon", `"soon" is not a duration`},
		{"-1h", `"-1h" is not a duration`},
		{"240", `"240" has no unit; write 240m for minutes or 240h for hours`},
		{"1.5", `write 1.5m for minutes or 1.5h for hours`},
		{"3d", "a business day is only as long as the calendar's open hours"},
		{"1 week", "counts days"},
		{"1h 2h", "gives the hours twice"},
		{"1.5m", "not a whole number of minutes"},
		{"0.01h", "not a whole number of minutes"},
		{"1h30m15", `"1h30m15" has no unit`},
		{"1.h", "not a duration"},
		{"1234567890h", "not a duration"},
		{"h", "not a duration"},
	}
	for _, tt := range tests {
		got, err := sla.ParseDuration(tt.in)
		var e *sla.Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, tt.want) {
			t.Errorf("ParseDuration(%q) = %d, %v; want an *sla.Error containing %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{
		{0, "0 min"},
		{30, "30 min"},
		{60, "1 h"},
		{90, "1 h 30 min"},
		{2400, "40 h"},
		{1000000, "16666 h 40 min"},
	}
	for _, tt := range tests {
		if got := sla.FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseDuration checks that the parser never panics, reads only what a
// user can mean (a result is never negative), refuses with an *Error, and
// reads back whatever FormatDuration writes of what it read.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"4h", "1h 30m", "90m", "2h30", "1.5h", "0", "4x", "3d", "1 h 30 min", ",5h", "999999999h 999999999m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := sla.ParseDuration(s)
		if err != nil {
			var e *sla.Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("ParseDuration(%q) error %v is not an *sla.Error with a message", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseDuration(%q) = %d, negative", s, n)
		}
		back, err := sla.ParseDuration(sla.FormatDuration(n))
		if err != nil || back != n {
			t.Fatalf("ParseDuration(FormatDuration(%d) = %q) = %d, %v", n, sla.FormatDuration(n), back, err)
		}
	})
}
