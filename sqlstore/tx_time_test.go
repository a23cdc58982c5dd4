package sqlstore

import (
	"testing"
	"time"
)

// The fast reader of stored times must answer as time.Parse does for every
// string it accepts, and accept every time Tandem writes.
func FuzzParseTimeLayout(f *testing.F) {
	for _, s := range []string{"2026-11-26T23:14:33.123456Z", "2024-02-29T00:00:00.000000Z", "2026-02-29T00:00:00.000000Z",
		"2026-04-31T12:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z", "2026-01-01T00:00:60.000000Z",
		"2026-01-01T00:00:00.00000+Z", "2026-01-01 00:00:00.000000Z", "0000-01-01T00:00:00.000000Z"} {
		f.Add(s, int64(0))
	}
	f.Add("", int64(1764199000123456))
	f.Fuzz(func(t *testing.T, s string, micros int64) {
		if got, ok := parseTimeLayout(s); ok {
			want, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("parseTimeLayout(%q) = %v, time.Parse refuses it: %v", s, got, err)
			}
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("parseTimeLayout(%q) = %v, time.Parse = %v", s, got, want)
			}
		}
		// Every instant Tandem stores (years 1 to 9999) reads back exactly.
		tm := time.UnixMicro(micros % 253402300799999999).UTC()
		if tm.Year() < 1 {
			return
		}
		stored := tm.Format(timeLayout)
		got, ok := parseTimeLayout(stored)
		if !ok || !got.Equal(tm) {
			t.Fatalf("%q (stored %v) reads back as %v, %v", stored, tm, got, ok)
		}
	})
}
