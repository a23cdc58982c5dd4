package collect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"Plain", "nginx", 512, "nginx"},
		{"ControlsBecomeSpaces", "a\tb\nc\x00d\x7fe", 512, "a b c d e"},
		{"Trimmed", "  x \r\n", 512, "x"},
		{"InvalidUTF8", "caf\xe9", 512, "caf\uFFFD"},
		{"CutAtCharacter", "aé", 2, "a"},
		{"CutExact", "abcdef", 3, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in, tt.max); got != tt.want {
				t.Errorf("cleanText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("héllo\x00", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<12 {
			return
		}
		got := cleanText(s, max)
		if len(got) > max || !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("cleanText(%q, %d) = %q", s, max, got)
		}
	})
}

func TestFirstLine(t *testing.T) {
	if got := firstLine("\n  \n E: Could not open lock file \nmore"); got != "E: Could not open lock file" {
		t.Errorf("firstLine = %q", got)
	}
}
