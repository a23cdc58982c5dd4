package markdown_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/markdown"
)

// The work one uncached render may do, counted rather than timed, so the
// bounds hold however busy the machine is. The costliest accepted shape
// below (64 KiB of emphasis) takes about 410,000 allocations and 18 MB; the
// costly shapes took up to 3 GB before Render measured shapes.
const (
	maxAllocs     = 1_000_000
	maxAllocBytes = 48 << 20
)

// maxFallback is the size of src escaped in the fallback: no byte escapes to
// more than five.
func maxFallback(src string) int { return 5*len(src) + 64 }

// renderCost returns the HTML of one uncached render of src and what that
// render allocated: objects (testing.AllocsPerRun) and bytes.
func renderCost(r *markdown.Renderer, src string) (out string, allocs float64, bytes uint64) {
	allocs, bytes = renderCostOf(func() { out = string(r.RenderUncached(src)) })
	return out, allocs, bytes
}

// renderCostOf returns the objects and bytes one call of f allocates. The
// bytes come from the heap's running total, which no collection lowers.
func renderCostOf(f func()) (allocs float64, bytes uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return testing.AllocsPerRun(1, f), after.TotalAlloc - before.TotalAlloc
}

// fill repeats unit until the text is just under 64 KiB, what a requester
// may post.
func fill(unit string) string { return strings.Repeat(unit, (64<<10)/len(unit)) }

func table(cols, rows int) string {
	return "|" + strings.Repeat("a|", cols) + "\n|" + strings.Repeat("-|", cols) + "\n" + strings.Repeat("b\n", rows)
}

// Each of these took between a second and half a minute, and up to 3 GB,
// before Render measured shapes; now each is shown as escaped text at once.
func TestRenderCostlyShapes(t *testing.T) {
	r := markdown.New()
	tests := []struct {
		name string
		src  string
	}{
		{"Table1000x1000", table(1000, 1000)},
		{"Table3000x3000", table(3000, 3000)},
		{"TableFull64KiB", table(10000, 13000)[:64<<10]},
		{"TableNarrowLong", table(32, 33000)[:64<<10]},
		{"TablesRepeated", fill(table(64, 300) + "\n")},
		{"NestedQuotes", strings.Repeat(">", 64<<10)},
		{"NestedQuotesLines", fill(strings.Repeat(">", 1000) + "\n")},
		{"NestedListsOneLine", fill("- * ")[:64<<10-1] + "a"},
		{"NestedListsLines", fill(strings.Repeat("- * ", 9) + "a\n")},
		{"NestedOrdered", fill("1. ") + "a"},
		{"LinkOpeners", fill("[a](")},
		{"ImageOpeners", fill("![a](")},
		{"LinkOpenersLines", fill("[a](\n")},
		{"LinkOpenersParagraphs", fill(strings.Repeat("[a](", 1000) + "\n\n")},
		{"EmphasisMixed", fill("*a_")},
		{"EmphasisMixedLines", fill("*a_\n")},
		{"StrongMixed", fill("**a__")},
		{"StrikeMixed", fill("*a~")},
		{"Brackets", fill("[")},
		{"EmphasisSameMarker", fill("*a")}, // cheap in fact, but so is showing it escaped
		{"EmphasisParagraphs", fill(strings.Repeat("*a_", 2000) + "\n\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > 64<<10 {
				t.Fatalf("%d bytes, more than a requester may post", len(tt.src))
			}
			if why := markdown.ShapeTooCostly(tt.src); why == "" {
				t.Errorf("ShapeTooCostly accepts it")
			}
			out, allocs, bytes := renderCost(r, tt.src)
			// The fallback is one escape of the text: a few dozen
			// allocations and a few times the size of its escaped form, never a parse.
			if allocs > 64 || bytes > uint64(8*maxFallback(tt.src)) {
				t.Errorf("the fallback took %.0f allocations and %d bytes for %d bytes of text, want at most 64 and %d", allocs, bytes, len(tt.src), 8*maxFallback(tt.src))
			}
			if !strings.HasPrefix(out, `<pre class="markdown-fallback">`) {
				t.Errorf("Render = %.100q…, want the escaped fallback", out)
			}
			if len(out) > maxFallback(tt.src) {
				t.Errorf("%d bytes of HTML for %d of text", len(out), len(tt.src))
			}
		})
	}
}

// Shapes that are cheap however large still render as Markdown, and just
// inside each limit the render stays well within the work budget.
func TestRenderLargeButCheap(t *testing.T) {
	r := markdown.New()
	var nested strings.Builder
	for nested.Len() < 60<<10 {
		for d := range 6 {
			fmt.Fprintf(&nested, "%s- level %d\n", strings.Repeat("  ", d), d)
		}
	}
	tests := []struct {
		name string
		src  string
		want string // in the HTML, which is Markdown's, not the fallback
	}{
		{"Backticks", fill("`"), "<pre><code>"},
		{"BacktickRuns", func() string {
			var b strings.Builder
			for i := 1; b.Len() < 64<<10-400; i++ {
				b.WriteString(strings.Repeat("`", i%300+1) + "a")
			}
			return b.String()
		}(), "<p>"},
		{"Emphasis", fill("*a*\n\n"), "<em>a</em>"},
		{"Brackets", fill("job [INFO] [db] ok [x\n"), "[INFO] [db]"},
		{"ThematicBreakOfDashes", fill("- "), "<hr>"},
		{"FlatList", strings.Repeat("- a\n", 8<<10), "<li>a</li>"},
		{"ListSixDeep", nested.String(), "<li>level 5</li>"},
		{"QuotedReply", fill("> > On Monday, Kim wrote: the *printer* is [down](https://x.example).\n"), "<blockquote>"},
		{"PastedTable", "| host | state | since | owner | note |\n|---|---|---|---|---|\n" + strings.Repeat("| db1 | down | 09:00 | ops | _disk_ full |\n", 400), "<td>db1</td>"},
		{"LogWithBrackets", "```\n" + fill("2026-03-01T09:00:00Z [INFO] [worker_pool] job_id=42 took 3ms (retry 0) ~/var/log\n") + "```", "<pre><code>"},
		{"LogUnfenced", fill("2026-03-01T09:00:00Z [INFO] [worker_pool] job_id=42 *** masked *** done\n"), "[worker_pool]"},
		{"LinkList", fill("- [runbook](https://wiki.example/runbook) and [dashboard](https://grafana.example/d/1)\n"), "<a href"},
		// Just inside each limit.
		{"TableAtLimit", table(64, 20000/64-2), "<td>b</td>"},
		{"NestingAtLimit", strings.Repeat(strings.Repeat("- * ", 8)+"a\n", 8<<10/16), "<ul>"},
		{"LinksAtLimit", strings.Repeat("[a](", 700) + "\n\n" + strings.Repeat("[a](\n", 1400), "[a]("},
		{"EmphasisAtLimit", strings.Repeat("*a_", 2000) + "\n\n" + fill("*a*\n\n")[:40<<10], "<em>a</em>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why := markdown.ShapeTooCostly(tt.src); why != "" {
				t.Fatalf("ShapeTooCostly = %q, want it accepted", why)
			}
			out, allocs, bytes := renderCost(r, tt.src)
			t.Logf("%d bytes → %d bytes of HTML, %.0f allocations, %d bytes allocated", len(tt.src), len(out), allocs, bytes)
			if allocs > maxAllocs || bytes > maxAllocBytes {
				t.Errorf("took %.0f allocations and %d bytes, want at most %d and %d", allocs, bytes, maxAllocs, maxAllocBytes)
			}
			if strings.Contains(out, "markdown-fallback") || !strings.Contains(out, tt.want) {
				t.Errorf("Render = %.200q…, want Markdown holding %q", out, tt.want)
			}
			if len(out) > markdown.MaxHTML {
				t.Errorf("%d bytes of HTML, more than %d", len(out), markdown.MaxHTML)
			}
		})
	}
}

// Text whose HTML would pass the cap is shown escaped instead, though its
// shape is within every limit.
func TestRenderOutputCap(t *testing.T) {
	r := markdown.New()
	// Each "&#1;" (4 bytes) becomes a 3-byte replacement character, each
	// "<x>" four times its size; a URL becomes a link twice its size.
	src := fill("<https://x.example/" + strings.Repeat("a", 20) + ">\n<y>\n")
	for len(src) < 512<<10 {
		src += src
	}
	out := string(r.Render(src))
	if !strings.HasPrefix(out, `<pre class="markdown-fallback">`) {
		t.Fatalf("Render of %d bytes = %d bytes not in the fallback", len(src), len(out))
	}
	if strings.Contains(out, "<y>") || !strings.Contains(out, "&lt;y&gt;") {
		t.Errorf("Render = %.200q…: the fallback is not escaped", out)
	}
}

// The fallback shows the text, escaped: nothing in it becomes markup.
func TestRenderFallbackEscapes(t *testing.T) {
	r := markdown.New()
	src := "<script>alert(1)</script> \"'& <img src=x onerror=alert(1)>\n" + strings.Repeat(">", 100) + " </pre><b>x</b>"
	out := string(r.Render(src))
	want := `<pre class="markdown-fallback">&lt;script&gt;alert(1)&lt;/script&gt; &#34;&#39;&amp; &lt;img src=x onerror=alert(1)&gt;` + "\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("Render = %.200q…, want it to start %q", out, want)
	}
	if strings.Count(out, "<") != 2 || !strings.HasSuffix(out, " &lt;/pre&gt;&lt;b&gt;x&lt;/b&gt;</pre>") {
		t.Errorf("Render = %q: markup other than the <pre> got through", out)
	}
}

// A second view of the same text is served from the cache.
func TestRenderCached(t *testing.T) {
	r := markdown.New()
	src := strings.Repeat("| host | state |\n|---|---|\n"+strings.Repeat("| db1 | *down* |\n", 300)+"\n", 10)
	first := r.Render(src)
	cached, cachedBytes := renderCostOf(func() {
		if got := r.Render(src); got != first {
			t.Fatalf("Render changed between views")
		}
	})
	_, uncached, uncachedBytes := renderCost(r, src)
	if cached*10 > uncached || cachedBytes*10 > uncachedBytes {
		t.Errorf("a cached view allocated %.0f objects and %d bytes, an uncached one %.0f and %d: want a tenth at most", cached, cachedBytes, uncached, uncachedBytes)
	}
}
