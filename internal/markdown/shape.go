package markdown

import "strings"

// The limits of the Markdown Render converts. goldmark's parser does work
// that grows with the square of some shapes (a table's columns times its
// rows, once each short row is padded; the depth of nested containers times
// the lines under them; every "](" rescanning the rest of its line; every
// emphasis closer searching the openers of its paragraph), so 64 KiB posted
// by a requester could keep a core busy for seconds on every page view.
// Each limit sits far above what a ticket holds — a pasted table of a few
// hundred rows, a list nested a few levels, a long log — and far below what
// costs more than a few tens of milliseconds; shapeTooCostly measures them
// in one linear pass before goldmark sees the text.
const (
	// maxNesting is the depth of blockquotes and list items one line may
	// open, counting two columns of indentation before its first marker as
	// one level.
	maxNesting = 16
	// maxContainers is the number of blockquote and list markers in the
	// text: a flat list of 8,192 items.
	maxContainers = 8 << 10
	// maxColumns is the width of a table's delimiter row.
	maxColumns = 64
	// maxCells is the number of cells of all tables together, counting each
	// body row as a full row because goldmark pads short rows.
	maxCells = 20_000
	// maxBrackets is the number of "[" in the text: goldmark spends about a
	// microsecond on each, even unmatched.
	maxBrackets = 16 << 10
	// maxLinkWork bounds the rescanning after "](" (link and image
	// destinations): per line, openers times line length, plus per run of
	// non-blank lines, openers times lines.
	maxLinkWork = 4 << 20
	// maxEmphasisWork bounds the sum, over runs of non-blank lines, of the
	// square of the number of emphasis delimiter runs (*, _, ~) that could
	// open or close.
	maxEmphasisWork = 16 << 20
)

// shapeTooCostly reports why src is too costly to convert as Markdown, or ""
// when it is within the limits. It reads src once and never allocates; it
// overestimates rather than parse Markdown (a code fence does not hide a
// table from it), so an attacker cannot slip a shape past it that goldmark
// would then build.
func shapeTooCostly(src string) string {
	var (
		containers, cells, brackets, linkWork, emphasisWork int
		tableCols                                           int // of the table being read, 0 outside one
		paraLines, paraLinks, paraDelims                    int // of the run of non-blank lines being read
	)
	endParagraph := func() {
		linkWork += paraLinks * paraLines
		emphasisWork += paraDelims * paraDelims
		paraLines, paraLinks, paraDelims, tableCols = 0, 0, 0, 0
	}
	for len(src) > 0 {
		line := src
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = ""
		}
		if isBlank(line) {
			endParagraph()
			if linkWork > maxLinkWork {
				return "too many link destinations"
			}
			if emphasisWork > maxEmphasisWork {
				return "too many emphasis markers"
			}
			continue
		}
		markers, indent, rest := containerPrefix(line)
		if markers > 0 && markers+indent/2 > maxNesting {
			return "containers nested too deep"
		}
		if containers += markers; containers > maxContainers {
			return "too many list items or quotes"
		}
		switch {
		case tableCols > 0:
			cells += tableCols
		case isDelimiterRow(rest):
			tableCols = columns(rest)
			if tableCols > maxColumns {
				return "table too wide"
			}
			cells += 2 * tableCols
		}
		if cells > maxCells {
			return "tables too large"
		}
		if brackets += strings.Count(line, "["); brackets > maxBrackets {
			return "too many brackets"
		}
		links := strings.Count(line, "](")
		linkWork += links * len(line)
		paraLinks += links
		paraDelims += delimiterRuns(line)
		paraLines++
	}
	endParagraph()
	switch {
	case linkWork > maxLinkWork:
		return "too many link destinations"
	case emphasisWork > maxEmphasisWork:
		return "too many emphasis markers"
	}
	return ""
}

// isBlank reports whether line holds only white space.
func isBlank(line string) bool {
	for i := range len(line) {
		if !isSpace(line[i]) {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// containerPrefix counts the blockquote and list markers at the start of
// line and the columns of indentation before the first, and returns what
// follows them. A thematic break ("- - -", "* * *") is no list, so its
// markers do not count.
func containerPrefix(line string) (markers, indent int, rest string) {
	i, quotes := 0, 0
	for {
		for i < len(line) && isSpace(line[i]) {
			if markers == 0 {
				if line[i] == '\t' {
					indent += 4 - indent%4
				} else {
					indent++
				}
			}
			i++
		}
		if i == len(line) {
			break
		}
		if line[i] == '>' {
			markers++
			quotes++
			i++
			continue
		}
		if isThematicBreak(line[i:]) {
			return quotes, indent, line[i:]
		}
		n := 0
		if c := line[i]; c == '-' || c == '*' || c == '+' {
			n = 1
		} else {
			for n < 9 && i+n < len(line) && '0' <= line[i+n] && line[i+n] <= '9' {
				n++
			}
			if n == 0 || i+n == len(line) || (line[i+n] != '.' && line[i+n] != ')') {
				break
			}
			n++
		}
		if i+n < len(line) && !isSpace(line[i+n]) {
			break
		}
		markers++
		i += n
	}
	return markers, indent, line[i:]
}

// isThematicBreak reports whether s is three or more of one of - * _ with
// nothing but white space between.
func isThematicBreak(s string) bool {
	var mark byte
	n := 0
	for i := range len(s) {
		c := s[i]
		switch {
		case isSpace(c):
		case mark == 0 && (c == '-' || c == '*' || c == '_'):
			mark, n = c, 1
		case c == mark:
			n++
		default:
			return false
		}
	}
	return n >= 3
}

// isDelimiterRow reports whether s could be the delimiter row of a GFM
// table: pipes, dashes, colons and white space, with at least one pipe and
// one dash.
func isDelimiterRow(s string) bool {
	pipe, dash := false, false
	for i := range len(s) {
		switch c := s[i]; {
		case c == '|':
			pipe = true
		case c == '-':
			dash = true
		case c == ':' || isSpace(c):
		default:
			return false
		}
	}
	return pipe && dash
}

// columns counts the cells of the delimiter row s.
func columns(s string) int {
	s = strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
	n := strings.Count(s, "|") + 1
	if strings.HasPrefix(s, "|") {
		n--
	}
	if len(s) > 1 && strings.HasSuffix(s, "|") {
		n--
	}
	return max(n, 1)
}

// delimiterRuns counts the runs of *, _ and ~ in line that could open or
// close emphasis or strikethrough: not those between two spaces, nor an
// underscore inside a word (snake_case in a log).
func delimiterRuns(line string) int {
	n := 0
	for i := 0; i < len(line); {
		c := line[i]
		if c != '*' && c != '_' && c != '~' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == c {
			j++
		}
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = line[i-1]
		}
		if j < len(line) {
			after = line[j]
		}
		switch {
		case isSpace(before) && isSpace(after):
		case c == '_' && isAlnum(before) && isAlnum(after):
		default:
			n++
		}
		i = j
	}
	return n
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
