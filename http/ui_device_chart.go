package http

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The device page's metric charts, drawn as SVG on the server: a line per
// figure (percentages, 0 to 100) over the period shown, broken where the
// device sent nothing, so an outage reads as a gap and not as a ramp. Each
// chart is drawn twice, wide and narrow, and the stylesheet shows the one
// that fits, so that its labels are never squeezed.

// chartFrame is the geometry of a drawing, in SVG user units; the SVG
// scales to its box.
type chartFrame struct {
	W, H                     float64
	Left, Right, Top, Bottom float64 // the plot's edges
	// TickSpacing is the fewest units between two time labels.
	TickSpacing float64
}

var (
	wideChart   = chartFrame{W: 720, H: 170, Left: 34, Right: 712, Top: 8, Bottom: 148, TickSpacing: 60}
	narrowChart = chartFrame{W: 360, H: 200, Left: 34, Right: 352, Top: 8, Bottom: 176, TickSpacing: 60}
)

const (
	chartGapSteps               = 3 // a silence of 3 steps breaks the line
	chartMinGap   time.Duration = 3 * time.Minute
)

// metricChart is one chart ready for device.html: its legend, and its
// drawings.
type metricChart struct {
	Title  string
	Legend []chartLegend
	Empty  bool
	Points int // samples drawn
	// Summary says the chart in words, for its aria-label.
	Summary      string
	Wide, Narrow chartDrawing
}

// chartLegend names a figure's line, with its last value.
type chartLegend struct{ Name, Class, Last string }

// chartDrawing is a chart drawn in one frame.
type chartDrawing struct {
	chartFrame
	Series []chartSeries
	XTicks []chartTick
	YTicks []chartTick
}

// chartSeries is one figure's line: polyline point lists, one per stretch
// without a gap.
type chartSeries struct {
	Class string
	Lines []string
}

// chartTick is an axis label at a position along its axis.
type chartTick struct {
	Pos   float64
	Label string
}

// chartFigure picks a figure out of a point.
type chartFigure struct {
	Name, Class string
	Value       func(tandem.MetricPoint) float64
}

// newMetricChart draws figures of points (oldest first) over [from, to],
// with the time labels in loc.
func newMetricChart(title string, points []tandem.MetricPoint, from, to time.Time, loc *time.Location, figures ...chartFigure) metricChart {
	c := metricChart{Title: title}
	points = inWindow(points, from, to)
	c.Points = len(points)
	c.Empty = len(points) == 0 || !to.After(from)
	var said []string
	for _, f := range figures {
		l := chartLegend{Name: f.Name, Class: f.Class}
		if !c.Empty {
			l.Last = strconv.FormatFloat(f.Value(points[len(points)-1]), 'f', 0, 64) + "%"
			said = append(said, f.Name+" last "+l.Last)
		}
		c.Legend = append(c.Legend, l)
	}
	if c.Empty {
		c.Summary = title + ": no figures in this period"
		return c
	}
	c.Summary = title + ": " + strings.Join(said, ", ")
	c.Wide = drawChart(wideChart, points, from, to, loc, figures)
	c.Narrow = drawChart(narrowChart, points, from, to, loc, figures)
	return c
}

// drawChart draws the figures of points in frame fr.
func drawChart(fr chartFrame, points []tandem.MetricPoint, from, to time.Time, loc *time.Location, figures []chartFigure) chartDrawing {
	d := chartDrawing{chartFrame: fr}
	for _, pct := range []float64{0, 50, 100} {
		d.YTicks = append(d.YTicks, chartTick{Pos: fr.y(pct), Label: strconv.Itoa(int(pct)) + "%"})
	}
	d.XTicks = timeTicks(fr, from, to, loc)
	points = downsample(points, int(fr.Right-fr.Left))
	gap := max(chartMinGap, chartGapSteps*medianStep(points))
	for _, f := range figures {
		s := chartSeries{Class: f.Class}
		var b strings.Builder
		for i, p := range points {
			if i > 0 && p.At.Sub(points[i-1].At) > gap && b.Len() > 0 {
				s.Lines = append(s.Lines, b.String())
				b.Reset()
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(fr.x(p.At, from, to), 'f', 1, 64) + "," + strconv.FormatFloat(fr.y(f.Value(p)), 'f', 1, 64))
		}
		if b.Len() > 0 {
			s.Lines = append(s.Lines, b.String())
		}
		d.Series = append(d.Series, s)
	}
	return d
}

// x is the horizontal position of an instant of [from, to].
func (fr chartFrame) x(t, from, to time.Time) float64 {
	return fr.Left + t.Sub(from).Seconds()/to.Sub(from).Seconds()*(fr.Right-fr.Left)
}

// y is the vertical position of a percentage, clamped to the plot.
func (fr chartFrame) y(pct float64) float64 {
	pct = min(100, max(0, pct))
	return fr.Top + (100-pct)/100*(fr.Bottom-fr.Top)
}

// inWindow keeps the points within [from, to].
func inWindow(points []tandem.MetricPoint, from, to time.Time) []tandem.MetricPoint {
	out := points[:0:0]
	for _, p := range points {
		if !p.At.Before(from) && !p.At.After(to) {
			out = append(out, p)
		}
	}
	return out
}

// downsample merges runs of points into at most n: each the runs' mean,
// with the runs' maxima kept, so a spike still shows in them.
func downsample(points []tandem.MetricPoint, n int) []tandem.MetricPoint {
	if n <= 0 || len(points) <= n {
		return points
	}
	out := make([]tandem.MetricPoint, 0, n)
	for i := range n {
		run := points[i*len(points)/n : (i+1)*len(points)/n]
		if len(run) == 0 {
			continue
		}
		m := tandem.MetricPoint{At: run[len(run)/2].At}
		for _, p := range run {
			m.CPU += p.CPU / float64(len(run))
			m.Memory += p.Memory / float64(len(run))
			m.Disk += p.Disk / float64(len(run))
			m.CPUMax, m.MemoryMax = max(m.CPUMax, p.CPUMax, p.CPU), max(m.MemoryMax, p.MemoryMax, p.Memory)
		}
		out = append(out, m)
	}
	return out
}

// medianStep is the median time between consecutive points.
func medianStep(points []tandem.MetricPoint) time.Duration {
	if len(points) < 2 {
		return 0
	}
	steps := make([]time.Duration, len(points)-1)
	for i := 1; i < len(points); i++ {
		steps[i-1] = points[i].At.Sub(points[i-1].At)
	}
	slices.Sort(steps)
	return steps[len(steps)/2]
}

// timeTicks labels the time axis at round instants of loc — hours for a
// day or less, midnights beyond — as many as fit fr's spacing.
func timeTicks(fr chartFrame, from, to time.Time, loc *time.Location) []chartTick {
	span := to.Sub(from)
	if span <= 0 {
		return nil
	}
	fit := int((fr.Right - fr.Left) / fr.TickSpacing)
	var ticks []chartTick
	if span <= 48*time.Hour {
		hours := 1
		for _, h := range []int{1, 2, 3, 6, 12, 24} {
			if hours = h; int(span.Hours())/h <= fit {
				break
			}
		}
		local := from.In(loc)
		t := time.Date(local.Year(), local.Month(), local.Day(), local.Hour()+1, 0, 0, 0, loc)
		for ; !t.After(to); t = t.Add(time.Hour) {
			if t.In(loc).Hour()%hours == 0 {
				ticks = append(ticks, chartTick{Pos: fr.x(t, from, to), Label: t.In(loc).Format("15:04")})
			}
		}
		return ticks
	}
	days := max(1, (int(span.Hours()/24)+fit-1)/max(1, fit))
	local := from.In(loc)
	for i := 1; ; i++ {
		t := time.Date(local.Year(), local.Month(), local.Day()+i, 0, 0, 0, 0, loc) // midnight, whatever the day's length
		if t.After(to) {
			break
		}
		if (t.YearDay()-1)%days == 0 || days == 1 {
			ticks = append(ticks, chartTick{Pos: fr.x(t, from, to), Label: t.Format("2 Jan")})
		}
	}
	return ticks
}
