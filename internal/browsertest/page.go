package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The helpers below drive a tab from New and fail the test when the page does
// not do what it should within WaitTimeout, naming the page's address.

// WaitTimeout bounds one step of a test, well below Timeout, so that a page
// that never shows what a test expects fails fast and says what was missing.
const WaitTimeout = 10 * time.Second

// Do runs browser actions.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%v (the page is at %s)", err, location(ctx))
	}
}

// Text waits for a visible element and returns its text, trimmed.
func Text(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %s: %v (the page is at %s)", selector, err, location(ctx))
	}
	return strings.TrimSpace(s)
}

// Value returns the value of a form field.
func Value(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("value of %s: %v (the page is at %s)", selector, err, location(ctx))
	}
	return s
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](t testing.TB, ctx context.Context, expression string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		t.Fatalf("evaluate %s: %v (the page is at %s)", expression, err, location(ctx))
	}
	return v
}

// Fill types into the fields of a form, given as name, value pairs, replacing
// what they held. Each value arrives as one text insertion, as from a paste:
// a user edit, which constraint validation (minlength, type=email) checks, at
// a fraction of the cost of a key event per character.
func Fill(t testing.TB, ctx context.Context, form string, fields ...string) {
	t.Helper()
	if len(fields)%2 != 0 {
		t.Fatalf("browsertest.Fill: fields %q are not name, value pairs", fields)
	}
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i < len(fields); i += 2 {
		sel := chromedp.CSS(fmt.Sprintf("%s [name=%q]", form, fields[i]))
		text := fields[i+1]
		actions = append(actions, chromedp.Clear(sel), chromedp.Focus(sel),
			chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
				_, err := cdp.Call(ctx, tab, input.InsertText, input.InsertTextParams{Text: text})
				return err
			}))
	}
	Do(t, ctx, actions...)
}

// WaitFor polls a JavaScript condition until it is true. An htmx-boosted link
// or form swaps the page without loading one, so tests poll instead of waiting
// for a load event; polling from Go also survives the loads that do happen.
// what describes the awaited state for the failure message.
func WaitFor(t testing.TB, ctx context.Context, condition, what string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](condition))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("%s stayed false", condition)
			}
			t.Fatalf("waited %v for %s: %v (the page is at %s)", WaitTimeout, what, err, location(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitPath waits until the tab's address has the path.
func WaitPath(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf("location.pathname === %q", path), "the page to be at "+path)
}

// location returns the tab's address for failure messages.
func location(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an unknown address"
	}
	return loc
}

// Overflow reports what makes the page wider than its window, the first
// thing that breaks on a phone. When document.documentElement.scrollWidth
// exceeds innerWidth it says so ("page 942 px > window 390 px") and names
// the elements that end past the window's right edge; it also names the
// elements matching selector (none when it is "") that end past it, for
// content that must fit even where the page would not scroll (at most
// eight of each, by tag, id and class). Nothing means the page fits.
func Overflow(t testing.TB, ctx context.Context, selector string) []string {
	t.Helper()
	return Eval[[]string](t, ctx, `(() => {
	const out = [];
	const past = sel => [...document.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 8)
		.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).trim().replace(/\s+/g, ".") : "") + (e.name ? "[name=" + e.name + "]" : "") + " ends at " + Math.round(e.getBoundingClientRect().right) + " px");
	const page = document.documentElement.scrollWidth;
	if (page > innerWidth) out.push("page " + page + " px > window " + innerWidth + " px", ...past("body *"));
	const sel = `+strconv.Quote(selector)+`;
	if (sel) out.push(...past(sel));
	return out;
})()`)
}
