package oncall_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/oncall"
)

func TestICalendar(t *testing.T) {
	start := time.Date(2026, 3, 3, 18, 0, 0, 0, time.FixedZone("CET", 3600))
	long := strings.Repeat("Nachtbereitschaft für Störungen, ", 5)
	doc := string(oncall.ICalendar("NOC; rotation", []oncall.Event{
		{UID: "oncall-1-1772557200@tandem", Start: start, End: start.Add(14 * time.Hour), Summary: long},
	}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))

	if !strings.HasPrefix(doc, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(doc, "END:VCALENDAR\r\n") {
		t.Fatalf("not a calendar:\n%s", doc)
	}
	if strings.Contains(strings.ReplaceAll(doc, "\r\n", ""), "\n") {
		t.Error("a line ends without CR")
	}
	var unfolded []string
	for _, l := range strings.Split(strings.TrimSuffix(doc, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if strings.HasPrefix(l, " ") {
			unfolded[len(unfolded)-1] += l[1:]
			continue
		}
		unfolded = append(unfolded, l)
	}
	for _, want := range []string{
		`X-WR-CALNAME:NOC\; rotation`,
		"UID:oncall-1-1772557200@tandem",
		"DTSTAMP:20260301T000000Z",
		"DTSTART:20260303T170000Z",
		"DTEND:20260304T070000Z",
		"SUMMARY:" + strings.ReplaceAll(long, ",", `\,`),
	} {
		found := false
		for _, l := range unfolded {
			found = found || l == want
		}
		if !found {
			t.Errorf("no line %q in\n%s", want, strings.Join(unfolded, "\n"))
		}
	}
}
