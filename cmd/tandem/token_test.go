package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestParseExpiry(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * day, true},
		{"1d", day, true},
		{"3650d", 3650 * day, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1m", time.Minute, true},
		{"87600h", 3650 * day, true},
		{" 7d ", 7 * day, true},
		{"never", 0, true},
		{" never\n", 0, true},
		{"", 0, false},
		{"d", 0, false},
		{"0d", 0, false},
		{"-3d", 0, false},
		{"3651d", 0, false},
		{"87601h", 0, false},
		{"59s", 0, false},
		{"-1h", 0, false},
		{"0", 0, false},
		{"30", 0, false},
		{"1w", 0, false},
		{"1.5d", 0, false},
		{"Never", 0, false},
		{"9223372036854775807d", 0, false},
		{"99999999999999999999h", 0, false},
	}
	for _, tt := range tests {
		got, err := parseExpiry(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if !tt.ok && err == nil {
			t.Errorf("parseExpiry(%q) = %v, want an error", tt.in, got)
		}
	}
}

// FuzzParseExpiry checks that parseExpiry never panics and accepts only a
// lifetime between one minute and ten years, or "never" as zero; anything else
// is a configuration error on one line naming --expires.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"30d", "12h", "90m", "never", " never ", "0d", "-3d", "3650d", "3651d",
		"1m", "59s", "87600h", "1h30m", "+5d", "1e3h", "9223372036854775807d", "\x00d", "never\nnever", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseExpiry(s)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Fatalf("parseExpiry(%q): error code %q, want %q", s, tandem.ErrorCode(err), tandem.ECONFIG)
			}
			if msg := tandem.ErrorMessage(err); strings.Contains(msg, "\n") || !strings.Contains(msg, "--expires") {
				t.Fatalf("parseExpiry(%q): message %q is not one line naming --expires", s, msg)
			}
			return
		}
		if strings.TrimSpace(s) == "never" {
			if d != 0 {
				t.Fatalf("parseExpiry(%q) = %v, want 0 for never", s, d)
			}
			return
		}
		if d < time.Minute || d > 3650*24*time.Hour {
			t.Fatalf("parseExpiry(%q) = %v, want between 1m and 3650 days", s, d)
		}
	})
}
