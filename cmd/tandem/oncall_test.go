package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/oncall"
)

func writeSchedule(t *testing.T, js string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schedule.json")
	if err := os.WriteFile(path, []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOnCall(t *testing.T) {
	file := writeSchedule(t, oncall.Example)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"WhoRestricted", []string{"who", "--at", "2026-01-05T19:00:00+01:00"}, "ana@msp.example"},
		{"WhoInUTC", []string{"who", "--at", "2026-01-12T17:30:00Z"}, "ben@msp.example"},
		{"WhoOverride", []string{"who", "--at", "2026-03-03T20:00:00+01:00"}, "cara@msp.example"},
		{"WhoNobody", []string{"who", "--at", "2026-01-05T12:00:00+01:00"}, "nobody"},
		// Given in UTC, printed in the schedule's zone; the Monday evening
		// and Tuesday morning are one shift.
		{"Shifts", []string{"shifts", "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-07T00:00:00+01:00"},
			"2026-01-05T01:00:00+01:00 2026-01-05T18:00:00+01:00 nobody\n" +
				"2026-01-05T18:00:00+01:00 2026-01-06T08:00:00+01:00 ana@msp.example\n" +
				"2026-01-06T08:00:00+01:00 2026-01-07T00:00:00+01:00 nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"oncall"}, tt.args...)
			args = append(args, "--schedule", file)
			if got := strings.TrimSpace(mustRunCLI(t, "", args...)); got != tt.want {
				t.Errorf("tandem %s =\n%s\nwant\n%s", strings.Join(args, " "), got, tt.want)
			}
		})
	}

	bad := writeSchedule(t, strings.Replace(oncall.Example, `"1w"`, `"2x"`, 1))
	errs := []struct {
		name string
		args []string
		want string
	}{
		{"ErrScheduleMissing", []string{"who", "--schedule", filepath.Join(t.TempDir(), "nope.json"), "--at", "2026-03-02T09:00:00Z"}, "--schedule"},
		{"ErrScheduleInvalid", []string{"who", "--schedule", bad, "--at", "2026-03-02T09:00:00Z"}, `layers[0].turn: "2x" is not a turn; write Nh, Nd or Nw`},
		{"ErrAt", []string{"who", "--schedule", file, "--at", "tonight"}, `--at "tonight" is not an RFC 3339 instant`},
		{"ErrAtMissing", []string{"who", "--schedule", file}, `"at" not set`},
		{"ErrFrom", []string{"shifts", "--schedule", file, "--from", "2026-03-02", "--to", "2026-03-03T00:00:00Z"}, `--from "2026-03-02"`},
		{"ErrBackwards", []string{"shifts", "--schedule", file, "--from", "2026-03-03T00:00:00Z", "--to", "2026-03-02T00:00:00Z"}, "is not after --from"},
		{"ErrTooLong", []string{"shifts", "--schedule", file, "--from", "2026-01-01T00:00:00Z", "--to", "2028-01-01T00:00:00Z"}, "more than 400 days"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"oncall"}, tt.args...)...)
			if r.Code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", r.Code, r.Stderr)
			}
			if strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("stderr %q, want one line containing %q", r.Stderr, tt.want)
			}
		})
	}
}
