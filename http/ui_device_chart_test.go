package http

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func cpuFigure() chartFigure {
	return chartFigure{"CPU", "cpu", func(p tandem.MetricPoint) float64 { return p.CPU }}
}

// pointsEvery makes n points a step apart from start, CPU rising by one.
func pointsEvery(start time.Time, step time.Duration, n int) []tandem.MetricPoint {
	out := make([]tandem.MetricPoint, n)
	for i := range out {
		out[i] = tandem.MetricPoint{At: start.Add(time.Duration(i) * step), CPU: float64(i)}
	}
	return out
}

func TestMetricChartLines(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	before := pointsEvery(from, time.Minute, 60)                 // 00:00–00:59
	after := pointsEvery(from.Add(5*time.Hour), time.Minute, 60) // a five-hour silence, then 05:00–05:59
	for _, tc := range []struct {
		name   string
		points []tandem.MetricPoint
		lines  int
	}{
		{"one stretch", before, 1},
		{"an outage breaks the line", append(append([]tandem.MetricPoint{}, before...), after...), 2},
		{"a late check-in does not", append(append([]tandem.MetricPoint{}, before[:30]...), pointsEvery(before[29].At.Add(2*time.Minute), time.Minute, 30)...), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newMetricChart("CPU", tc.points, from, to, time.UTC, cpuFigure())
			for _, d := range []chartDrawing{c.Wide, c.Narrow} {
				if got := len(d.Series[0].Lines); got != tc.lines {
					t.Errorf("%.0f wide: %d lines, want %d", d.W, got, tc.lines)
				}
				for _, line := range d.Series[0].Lines {
					for _, pt := range strings.Fields(line) {
						var x, y float64
						if _, err := fmt.Sscanf(pt, "%f,%f", &x, &y); err != nil || x < d.Left || x > d.Right || y < d.Top || y > d.Bottom {
							t.Fatalf("%.0f wide: point %q outside the plot [%v, %v]×[%v, %v]", d.W, pt, d.Left, d.Right, d.Top, d.Bottom)
						}
					}
				}
			}
		})
	}
}

func TestMetricChartLegendAndEmpty(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	c := newMetricChart("CPU", pointsEvery(from, time.Minute, 43), from, to, time.UTC, cpuFigure())
	if c.Empty || c.Legend[0].Last != "42%" || !strings.Contains(c.Summary, "CPU last 42%") {
		t.Errorf("chart %+v: want the last value, 42%%, in the legend and the summary", c.Legend)
	}
	// Points outside the period are not drawn; none inside is an empty chart.
	c = newMetricChart("CPU", pointsEvery(from.Add(-3*time.Hour), time.Minute, 60), from, to, time.UTC, cpuFigure())
	if !c.Empty || c.Points != 0 {
		t.Errorf("a chart of points all before its period: Empty %v, %d points", c.Empty, c.Points)
	}
}

// Over thousands of samples the line keeps a short spike: downsampling
// keeps each run's maximum.
func TestDownsampleKeepsSpikes(t *testing.T) {
	points := pointsEvery(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Minute, 10080)
	for i := range points {
		points[i].CPU = 5
	}
	points[5000].CPU = 97
	out := downsample(points, 600)
	if len(out) > 600 {
		t.Fatalf("%d points, want at most 600", len(out))
	}
	top := 0.0
	for _, p := range out {
		top = max(top, p.CPUMax)
	}
	if top != 97 {
		t.Errorf("the highest maximum left is %v, want the spike's 97", top)
	}
}

// Day labels fall on local midnights, also across a DST change, and hour
// labels on round hours; the narrow drawing has fewer.
func TestTimeTicks(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	to := time.Date(2026, 10, 28, 12, 0, 0, 0, berlin) // the clocks went back on 25 October
	from := to.Add(-7 * 24 * time.Hour)
	wide := timeTicks(wideChart, from, to, berlin)
	if len(wide) != 7 {
		t.Fatalf("%d day labels over 7 days, want 7: %v", len(wide), wide)
	}
	for _, tk := range wide {
		if tk.Pos < wideChart.Left || tk.Pos > wideChart.Right {
			t.Errorf("label %q at %v, outside the plot", tk.Label, tk.Pos)
		}
	}
	if wide[0].Label != "22 Oct" || wide[6].Label != "28 Oct" {
		t.Errorf("labels %q … %q, want 22 Oct … 28 Oct", wide[0].Label, wide[6].Label)
	}
	if narrow := timeTicks(narrowChart, from, to, berlin); len(narrow) >= len(wide) || len(narrow) == 0 {
		t.Errorf("%d narrow labels for %d wide", len(narrow), len(wide))
	}
	day := timeTicks(wideChart, to.Add(-24*time.Hour), to, berlin)
	for _, tk := range day {
		if !strings.HasSuffix(tk.Label, ":00") {
			t.Errorf("hour label %q is not a round hour", tk.Label)
		}
	}
	if len(day) < 4 || len(day) > int((wideChart.Right-wideChart.Left)/wideChart.TickSpacing) {
		t.Errorf("%d hour labels over a day", len(day))
	}
}
