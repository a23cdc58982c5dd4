package http

import (
	"os"
	"testing"
)

// TestStylesheetBlocksClosed checks that every block of tandem.css is
// closed where it should be: an @media block left open swallows every rule
// after it, which then applies only at that width (until this test, the
// outbox's phone layout held the webhook pages' styles, and those the
// on-call pages').
func TestStylesheetBlocksClosed(t *testing.T) {
	css, err := os.ReadFile("assets/tandem.css")
	if err != nil {
		t.Fatal(err)
	}
	depth, line := 0, 1
	inComment := false
	for i := 0; i < len(css); i++ {
		c := css[i]
		switch {
		case c == '\n':
			line++
		case inComment:
			if c == '*' && i+1 < len(css) && css[i+1] == '/' {
				inComment, i = false, i+1
			}
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			inComment, i = true, i+1
			// A section comment opens a new part of the sheet: it is never
			// inside a block.
			if depth > 0 && i >= 2 && css[i-2] == '\n' {
				t.Errorf("line %d: a comment at the start of a line inside a block still open: a closing } is missing above it", line)
			}
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth < 0 {
				t.Fatalf("line %d: a } closes nothing", line)
			}
		}
	}
	if depth != 0 {
		t.Errorf("tandem.css ends with %d block(s) open", depth)
	}
}
