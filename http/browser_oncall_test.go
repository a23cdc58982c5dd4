package http_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// A provider admin creates a schedule in the form: a mistake is shown
// beside the schedule with the input kept; the saved schedule's week view
// shows each shift with its local times across the spring DST change,
// highlights who is on call now, and gives a feed link once that a
// calendar client reads without logging in. The pages fit a phone and a
// desktop.
func TestBrowserOnCall(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	s.MustCreateUser(t, &tandem.User{Name: "Ada Admin", Email: "admin@msp.test", Role: tandem.RoleAdmin}, uiPassword)
	s.MustCreateUser(t, &tandem.User{Name: "Tim Tech", Email: "tech@msp.test", Role: tandem.RoleTechnician}, uiPassword)
	// The admin is always on call; the technician takes Monday evenings.
	const good = `{"timezone":"Europe/Berlin","layers":[` +
		`{"name":"days","start":"2026-01-05T09:00:00","turn":"1w","members":["admin@msp.test"]},` +
		`{"name":"evenings","start":"2026-01-05T00:00:00","turn":"1d","members":["tech@msp.test"],"restrict":{"mon":[["18:00","24:00"]]}}]}`
	bad := strings.Replace(good, `"1w"`, `"2x"`, 1)

	noProviderMFA(t, s)
	browserLogin(t, ctx, s, "admin@msp.test")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/oncall/new"))

	t.Run("ErrTurnKeepsInput", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#oncall-form [name=name]"), "Night desk"),
			chromedp.SetValue(chromedp.CSS("#oncall-form [name=definition]"), bad),
			chromedp.Click(chromedp.CSS("#oncall-form button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#oncall-form .form-error") !== null`, "the refusal")
		if msg := browsertest.Text(t, ctx, "#oncall-form .form-error"); !strings.HasPrefix(msg, `layers[0].turn: "2x" is not a turn; write Nh, Nd or Nw`) {
			t.Errorf("error beside the schedule = %q", msg)
		}
		if !browsertest.Eval[bool](t, ctx, `document.querySelector("#oncall-form [name=definition]").getAttribute("aria-invalid") === "true"`) {
			t.Error("the schedule field is not marked invalid")
		}
		if got := browsertest.Value(t, ctx, "#oncall-form [name=definition]"); got != bad {
			t.Errorf("the schedule as typed is lost: %q", got)
		}
		if got := browsertest.Value(t, ctx, "#oncall-form [name=name]"); got != "Night desk" {
			t.Errorf("the name as typed is lost: %q", got)
		}
	})

	t.Run("WeekView", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#oncall-form [name=definition]"), good),
			chromedp.Click(chromedp.CSS("#oncall-form button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#oncall-week") !== null`, "the week view")
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".shift.now").length`); n != 1 ||
			!browsertest.Eval[bool](t, ctx, `document.querySelector(".oncall-day.today .shift.now") !== null`) {
			t.Errorf("%d shifts marked on call now, want one, in today's column", n)
		}
		path := browsertest.Eval[string](t, ctx, `location.pathname`)
		// Monday 30 March 2026, the day after Berlin springs forward.
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+path+"?week=2026-04-01"))
		if got := browsertest.Text(t, ctx, "#week-label"); got != "30 Mar – 5 Apr 2026" {
			t.Errorf("week label %q", got)
		}
		monday := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll(".oncall-day:first-child .shift")].map(e => e.querySelector(".shift-time").textContent.trim() + " " + e.querySelector(".shift-member").title)`)
		if want := []string{"… 00:00–18:00 admin@msp.test", "18:00–24:00 tech@msp.test"}; fmt.Sprint(monday) != fmt.Sprint(want) {
			t.Errorf("Monday's shifts %q, want %q", monday, want)
		}
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#week-prev")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#week-label").textContent === "23 Mar – 29 Mar 2026"`, "the previous week")
		for _, width := range []int64{390, 1400} {
			browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(s.URL()+path))
			if wide := browsertest.Overflow(t, ctx, "main *"); len(wide) > 0 {
				t.Errorf("at %d px: %v", width, wide)
			}
		}
	})

	t.Run("Feed", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#schedule-feed-rotate")))
		browsertest.WaitFor(t, ctx, `document.querySelector("#schedule-feed-url") !== null`, "the feed link")
		link := browsertest.Value(t, ctx, "#schedule-feed-url")
		if !strings.HasSuffix(link, ".ics") {
			t.Fatalf("feed link %q", link)
		}
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "BEGIN:VCALENDAR\r\n") || !strings.Contains(string(body), "SUMMARY:On call: tech@msp.test (Night desk)") {
			t.Errorf("feed answered %d:\n%s", res.StatusCode, body)
		}
		browsertest.Do(t, ctx, chromedp.Reload())
		if browsertest.Eval[bool](t, ctx, `document.querySelector("#schedule-feed-url") !== null`) {
			t.Error("the feed link is shown again after the page is reloaded")
		}
	})
}
