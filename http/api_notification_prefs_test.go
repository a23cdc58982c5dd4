package http_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

func TestNotificationPreferencesAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		const path = "/api/v1/me/notification-preferences"

		var p tandem.NotificationPreferences
		w.itTechA.get(t, path).want(t, http.StatusOK, &p)
		if p.UserID != w.itTechA.ID || len(p.Off) != 0 || p.QuietFrom != "" {
			t.Fatalf("defaults %+v", p)
		}

		w.itTechA.do(t, http.MethodPut, path, map[string]any{"user_id": w.itAdminB.ID, "off": map[string]any{"email": []string{"new_ticket"}},
			"quiet_from": "22:00", "quiet_to": "07:00", "time_zone": "Europe/Berlin"}).want(t, http.StatusOK, &p)
		if p.UserID != w.itTechA.ID || !slices.Equal(p.Off[tandem.ChannelEmail], []tandem.NotificationKind{tandem.NotifyNewTicket}) || p.TimeZone != "Europe/Berlin" {
			t.Fatalf("saved %+v", p)
		}
		// Another user's id in the body changed nothing of theirs.
		var other tandem.NotificationPreferences
		w.itAdminB.get(t, path).want(t, http.StatusOK, &other)
		if len(other.Off) != 0 {
			t.Fatalf("the other user's preferences: %+v", other)
		}

		res := w.itTechA.do(t, http.MethodPut, path, map[string]any{"quiet_from": "22:00", "quiet_to": "07:00", "time_zone": "Mars/Olympus"})
		res.wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		if !strings.Contains(string(res.Body), "Time zone") {
			t.Fatalf("refusal %s does not name the field", res.Body)
		}
		w.itTechA.do(t, http.MethodPut, path, `{"off":{"sms":["reply"]}}`).wantError(t, http.StatusUnprocessableEntity, tandem.EINVALID)
		w.itTechA.get(t, path).want(t, http.StatusOK, &p)
		if p.QuietFrom != "22:00" || p.TimeZone != "Europe/Berlin" {
			t.Fatalf("after refusals %+v", p)
		}
	})
}
