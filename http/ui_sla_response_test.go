package http_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The "Counts as a response" fieldset of the SLA settings page: an it-admin
// marks actions, the page shows them checked, unchecking clears them, and a
// refused policy keeps the boxes as they were sent.
func TestSLAPageResponseRule(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		itAdminA := w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
		admin, itTech := sessionOf(t, s, itAdminA.User), sessionOf(t, s, w.itTechA.User)
		base := "/orgs/" + w.orgA.Slug + "/sla"
		stored := func(t *testing.T) []tandem.StaffAction {
			t.Helper()
			p, err := s.Services.SLA.FindSLAPolicy(testserver.SystemContext(), w.orgA.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p.ResponseActions
		}
		box := func(act tandem.StaffAction, checked bool) string {
			b := `<input type="checkbox" name="response_action_` + string(act) + `" value="on"`
			if checked {
				b += " checked"
			}
			return b + ">"
		}
		fieldset := func(t *testing.T, body string) string {
			t.Helper()
			_, rest, ok := strings.Cut(body, `<fieldset id="response-rule">`)
			if !ok {
				t.Fatal(`the page has no <fieldset id="response-rule">`)
			}
			inner, _, _ := strings.Cut(rest, "</fieldset>")
			return inner
		}

		body := fieldset(t, admin.page(t, base, http.StatusOK))
		mustContain(t, "the default policy's fieldset", body, "Counts as a response", "accepting a handoff never does",
			box(tandem.StaffAssign, false)+" Assigning the ticket", box(tandem.StaffStatus, false)+" A status change by staff", box(tandem.StaffTime, false)+" Logging time, e.g. a phone call")

		form := policyValues(tandem.DefaultSLAPolicy(w.orgA.ID))
		form.Set("response_rule", "1")
		form.Set("response_action_time", "on")
		form.Set("response_action_assign", "on")
		body = admin.post(t, base, form, http.StatusOK, "")
		mustContain(t, "the page after saving", body, "SLA policy saved")
		mustContain(t, "the saved fieldset", fieldset(t, body), box(tandem.StaffAssign, true), box(tandem.StaffStatus, false), box(tandem.StaffTime, true))
		if got := stored(t); !slices.Equal(got, []tandem.StaffAction{tandem.StaffAssign, tandem.StaffTime}) {
			t.Fatalf("stored response actions %v, want assign and time", got)
		}
		// A technician reads them, the fieldset disabled with the form.
		mustContain(t, "the technician's fieldset", fieldset(t, itTech.page(t, base, http.StatusOK)), box(tandem.StaffAssign, true), box(tandem.StaffTime, true))

		// Refused for another field: the boxes as sent, time unchecked.
		form.Del("response_action_time")
		form.Set("warn_percent", "150")
		body = admin.post(t, base, form, http.StatusUnprocessableEntity, "")
		mustContain(t, "the refused policy's fieldset", fieldset(t, body), box(tandem.StaffAssign, true), box(tandem.StaffTime, false))
		if got := stored(t); len(got) != 2 {
			t.Fatalf("a refused policy changed the response actions to %v", got)
		}

		// Unchecking every box clears them.
		form.Set("warn_percent", "75")
		form.Del("response_action_assign")
		admin.post(t, base, form, http.StatusOK, "")
		if got := stored(t); len(got) != 0 {
			t.Fatalf("stored response actions %v after unchecking all, want none", got)
		}
	})
}
