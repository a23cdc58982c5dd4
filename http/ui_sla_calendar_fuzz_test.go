package http

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// FuzzCalendarGrid feeds the week grid whatever a form may send for a
// zone, one day's two periods and a holiday: the grid either refuses it
// with a message for the person (EINVALID) or yields a definition that the
// domain's calendar parser accepts as it is — never a panic, never a
// calendar the API would refuse.
func FuzzCalendarGrid(f *testing.F) {
	f.Add("Europe/Berlin", "on", "09:00", "12:00", "13:00", "17:00", "2026-12-25")
	f.Add("America/New_York", "on", "9", "0930", "24:00", "", "")
	f.Add("", "", "", "", "", "", "2026-02-30")
	f.Add("Local", "on", "25:00", "26:00", "x", "y", "yesterday")
	f.Fuzz(func(t *testing.T, zone, open, from1, to1, from2, to2, holiday string) {
		form := map[string]string{
			"name": "Office", "timezone": zone, "mon_open": open,
			"mon_from_1": from1, "mon_to_1": to1, "mon_from_2": from2, "mon_to_2": to2,
			"holiday_1": holiday,
		}
		def, err := gridFromForm(form, "").definition()
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorMessage(err) == "" {
				t.Fatalf("grid refused %v with %v, want a clear EINVALID", form, err)
			}
			return
		}
		if _, err := sla.ParseCalendar(def); err != nil {
			t.Fatalf("grid accepted %v as %s, which the calendar parser refuses: %v", form, def, err)
		}
	})
}
