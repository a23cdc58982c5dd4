package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An it-admin edits a calendar through its week grid: closes Friday
// afternoon and adds a holiday, saves and sees it back; a bad time is
// refused with the day named and the form as typed; targets typed as
// "1h 30m" are stored as 90 minutes and shown as "1 h 30 min". The page
// fits a phone's width and a desktop's.
func TestBrowserSLASettings(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	acme := s.MustCreateOrganization(t, "Acme Corp")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword)
	sys := testserver.SystemContext()
	cal := &tandem.BusinessCalendar{OrganizationID: acme.ID, Name: "Berlin office", Definition: []byte(`{"timezone":"Europe/Berlin","hours":{` +
		`"mon":[["09:00","12:00"],["13:00","17:00"]],"tue":[["09:00","12:00"],["13:00","17:00"]],"wed":[["09:00","12:00"],["13:00","17:00"]],` +
		`"thu":[["09:00","12:00"],["13:00","17:00"]],"fri":[["09:00","12:00"],["13:00","17:00"]]},"holidays":[]}`)}
	if err := s.Services.SLA.CreateCalendar(sys, cal); err != nil {
		t.Fatal(err)
	}
	stored := func(t *testing.T) string {
		t.Helper()
		c, err := s.Services.SLA.FindCalendar(sys, acme.ID, cal.ID)
		if err != nil {
			t.Fatal(err)
		}
		return string(c.Definition)
	}
	page := "/orgs/" + acme.Slug + "/sla"
	form := fmt.Sprintf("#calendar-%d form.calendar-form", cal.ID)
	field := func(name string) string { return fmt.Sprintf("%s [name=%q]", form, name) }

	browserLogin(t, ctx, s, "ida@acme.example")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+page))
	if got := browsertest.Value(t, ctx, field("fri_to_2")); got != "17:00" {
		t.Fatalf("Friday's second period closes at %q, want the stored 17:00", got)
	}

	t.Run("CloseFridayAfternoonAddHoliday", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Clear(chromedp.CSS(field("fri_from_2"))), chromedp.Clear(chromedp.CSS(field("fri_to_2"))),
			chromedp.SetValue(chromedp.CSS(field("holiday_1")), "2026-12-24"),
			chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector(".notice")?.textContent.includes("Calendar Berlin office saved")`, "the calendar to be saved")
		if got := browsertest.Value(t, ctx, field("fri_to_1")); got != "12:00" {
			t.Errorf("Friday closes at %q after saving, want 12:00", got)
		}
		if got := browsertest.Value(t, ctx, field("fri_from_2")); got != "" {
			t.Errorf("Friday's afternoon opens at %q after saving, want it empty", got)
		}
		if got := browsertest.Value(t, ctx, field("holiday_1")); got != "2026-12-24" {
			t.Errorf("first holiday = %q, want 2026-12-24", got)
		}
		if !browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q) !== null`, field("holiday_1_remove"))) {
			t.Error("the new holiday has no Remove box")
		}
		if got := stored(t); !strings.Contains(got, `"fri":[["09:00","12:00"]]`) || !strings.Contains(got, `"holidays":["2026-12-24"]`) {
			t.Errorf("stored calendar = %s", got)
		}
	})

	t.Run("ErrBadTimeKeepsForm", func(t *testing.T) {
		before := stored(t)
		browsertest.Fill(t, ctx, form, "mon_to_1", "25:00", "tue_from_2", "14:00")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector("main .error") !== null`, "the refusal")
		msg := browsertest.Text(t, ctx, form+" .form-error")
		if want := `Monday, period 1 (09:00 to 25:00): closing time "25:00" is not a time of day; write HH:MM`; !strings.HasPrefix(msg, want) {
			t.Errorf("error at the form = %q, want it to start %q", msg, want)
		}
		if !browsertest.Eval[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-invalid") === "true"`, field("mon_to_1"))) {
			t.Error("Monday's closing time is not marked as the field at fault")
		}
		for name, want := range map[string]string{"mon_to_1": "25:00", "tue_from_2": "14:00", "holiday_1": "2026-12-24", "fri_from_2": ""} {
			if got := browsertest.Value(t, ctx, field(name)); got != want {
				t.Errorf("%s = %q after the refusal, want %q as typed", name, got, want)
			}
		}
		if after := stored(t); after != before {
			t.Errorf("the refusal changed the calendar: %s", after)
		}
	})

	t.Run("TargetsInHoursAndMinutes", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+page))
		if got := browsertest.Value(t, ctx, "#sla-policy-form [name=resolution_4]"); got != "40 h" {
			t.Errorf("P4 resolution shows %q, want 40 h", got)
		}
		browsertest.Fill(t, ctx, "#sla-policy-form", "response_1", "1h 30m")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#sla-policy-form button[type=submit]")))
		browsertest.WaitFor(t, ctx, `document.querySelector(".notice")?.textContent.includes("SLA policy saved")`, "the policy to be saved")
		p, err := s.Services.SLA.FindSLAPolicy(sys, acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Target(1).ResponseMinutes; got != 90 {
			t.Errorf("stored P1 response = %d minutes, want 90", got)
		}
		if got := browsertest.Value(t, ctx, "#sla-policy-form [name=response_1]"); got != "1 h 30 min" {
			t.Errorf("P1 response shows %q after saving, want 1 h 30 min", got)
		}
	})

	t.Run("Widths", func(t *testing.T) {
		for _, width := range []int64{390, 1400} {
			browsertest.Do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(s.URL()+page))
			browsertest.WaitFor(t, ctx, `document.querySelector("#calendar-new-form") !== null`, "the page")
			if wide := browsertest.Overflow(t, ctx, "main *"); len(wide) > 0 {
				t.Errorf("at %d px the page is wider than the window: %q", width, wide)
			}
		}
	})
}
