package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCalendar writes a calendar file for the sla commands and returns its path.
func writeCalendar(t *testing.T, js string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calendar.json")
	if err := os.WriteFile(path, []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSLA(t *testing.T) {
	cal := writeCalendar(t, `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","12:00"],["13:00","17:00"]],"sat":[]},"holidays":["2026-12-25"]}`)

	tests := []struct {
		name string
		args []string
		want string
	}{
		// Given in UTC, printed in the calendar's zone.
		{"Due", []string{"due", "--start", "2026-03-02T07:00:00Z", "--minutes", "60"}, "2026-03-02T10:00:00+01:00"},
		{"DueAtClosing", []string{"due", "--start", "2026-03-02T09:00:00+01:00", "--minutes", "480"}, "2026-03-02T17:00:00+01:00"},
		// Monday 16:00–17:00, then Tuesday 09:00–09:30 (Wednesday to Sunday are closed).
		{"DueDecimal", []string{"due", "--start", "2026-03-02T16:00:00+01:00", "--minutes", "90.5"}, "2026-03-03T09:30:30+01:00"},
		{"DueZero", []string{"due", "--start", "2026-03-02T17:00:00+01:00", "--minutes", "0"}, "2026-03-03T09:00:00+01:00"},
		// Two overlapping pauses cover 10:00–11:30 on Monday.
		{"DuePauses", []string{"due", "--start", "2026-03-02T09:00:00+01:00", "--minutes", "120",
			"--pause", "2026-03-02T10:00:00+01:00/2026-03-02T11:00:00+01:00",
			"--pause", "2026-03-02T10:30:00+01:00/2026-03-02T11:30:00+01:00"}, "2026-03-02T12:30:00+01:00"},
		{"Between", []string{"between", "--start", "2026-03-02T09:00:00+01:00", "--end", "2026-03-03T18:00:00+01:00"}, "900"},
		{"BetweenFraction", []string{"between", "--start", "2026-03-02T09:00:00+01:00", "--end", "2026-03-02T10:30:30+01:00"}, "90.5"},
		{"BetweenThirds", []string{"between", "--start", "2026-03-02T09:00:00+01:00", "--end", "2026-03-02T09:00:20+01:00"}, "0.333"},
		{"BetweenBackwards", []string{"between", "--start", "2026-03-02T12:00:00+01:00", "--end", "2026-03-02T10:00:00+01:00"}, "0"},
		{"BetweenPause", []string{"between", "--start", "2026-03-02T09:00:00+01:00", "--end", "2026-03-02T17:00:00+01:00",
			"--pause", "2026-03-02T12:00:00+01:00/2026-03-02T13:00:00+01:00"}, "420"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"sla"}, tt.args...)
			args = append(args, "--calendar", cal)
			if got := strings.TrimSpace(mustRunCLI(t, "", args...)); got != tt.want {
				t.Errorf("tandem %s = %q, want %q", strings.Join(args, " "), got, tt.want)
			}
		})
	}

	bad := writeCalendar(t, `{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","25:00"]]}}`)
	errs := []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"ErrCalendarMissing", []string{"due", "--calendar", filepath.Join(t.TempDir(), "nope.json"), "--start", "2026-03-02T09:00:00Z", "--minutes", "1"}, "--calendar"},
		{"ErrCalendarInvalid", []string{"due", "--calendar", bad, "--start", "2026-03-02T09:00:00Z", "--minutes", "1"}, `hours.mon[0]: closing time "25:00"`},
		{"ErrStart", []string{"due", "--calendar", cal, "--start", "2026-03-02 09:00", "--minutes", "1"}, `--start "2026-03-02 09:00" is not an RFC 3339 instant`},
		{"ErrMinutes", []string{"due", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--minutes", "-5"}, `--minutes "-5"`},
		{"ErrMinutesText", []string{"due", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--minutes", "1h"}, `--minutes "1h"`},
		{"ErrPauseForm", []string{"due", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--minutes", "1", "--pause", "2026-03-02T09:00:00Z"}, "--pause"},
		{"ErrPauseBackwards", []string{"between", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--end", "2026-03-03T09:00:00Z",
			"--pause", "2026-03-02T11:00:00Z/2026-03-02T10:00:00Z"}, "ends before it starts"},
		{"ErrEnd", []string{"between", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--end", "tomorrow"}, `--end "tomorrow"`},
		{"ErrFlagMissing", []string{"between", "--calendar", cal, "--start", "2026-03-02T09:00:00Z"}, `"end" not set`},
		{"ErrUnknownFlag", []string{"due", "--calendar", cal, "--start", "2026-03-02T09:00:00Z", "--minutes", "1", "--hours", "2"}, "--hours"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"sla"}, tt.args...)...)
			if r.Code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", r.Code, r.Stderr)
			}
			if strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("stderr %q, want one line containing %q", r.Stderr, tt.want)
			}
		})
	}
}
