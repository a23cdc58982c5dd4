package main

import (
	"strconv"
	"testing"

	"github.com/tandemhq/tandem"
)

func TestParseByteSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"26214400", 25 << 20},
		{"25MiB", 25 << 20},
		{"512KiB", 512 << 10},
		{"1GiB", 1 << 30},
		{"1", 1},
		{"1073741824", 1 << 30},
		{"1073741825", 0},
		{"2GiB", 0},
		{"0", 0},
		{"-5MiB", 0},
		{"25MB", 0},
		{"25 MiB", 0},
		{"MiB", 0},
		{"", 0},
		{"9223372036854775807KiB", 0},
	} {
		got, err := parseByteSize("--attachment-max-bytes", "TANDEM_ATTACHMENT_MAX_BYTES", tt.in)
		if tt.want == 0 {
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Errorf("parseByteSize(%q) = %d, %v; want ECONFIG", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseByteSize checks that every accepted size lies within 1 byte and
// 1 GiB, and that plain numbers mean bytes.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"25MiB", "1", "0", "-1", "1GiB", "1025MiB", "9223372036854775807", "+3KiB", "1e6", " 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := parseByteSize("--attachment-max-bytes", "TANDEM_ATTACHMENT_MAX_BYTES", v)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Fatalf("%q refused with %v, want ECONFIG", v, err)
			}
			return
		}
		if n < 1 || n > 1<<30 {
			t.Fatalf("%q accepted as %d bytes", v, n)
		}
		if plain, perr := strconv.ParseInt(v, 10, 64); perr == nil && plain != n {
			t.Fatalf("%q accepted as %d bytes, want %d", v, n, plain)
		}
	})
}
