package collect

import (
	"strings"
	"unicode/utf8"
)

// cleanText makes s fit a text field of the protocol, which the server
// refuses otherwise: valid UTF-8 (invalid bytes become U+FFFD), no control
// characters (each becomes a space), no surrounding space, at most max
// bytes (cut at a character boundary). Program output and registry values
// are not trusted to be any of that.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut])
}

// firstLine is the first non-blank line of s, trimmed: enough of a
// program's error output for a log line.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}
