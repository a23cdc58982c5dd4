package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

// registerNotificationPreferenceRoutes registers the actor's notification
// preferences: the API here, the settings page in ui_notification_prefs.go.
func (s *Server) registerNotificationPreferenceRoutes() {
	s.handle("GET /api/v1/me/notification-preferences", s.api(s.handlePreferencesGet))
	s.handle("PUT /api/v1/me/notification-preferences", s.api(s.handlePreferencesPut))
	s.handle("GET /account/notifications", s.page(s.handlePreferencesPage))
	s.handle("POST /account/notifications", s.page(s.handlePreferencesSave))
}

func (s *Server) handlePreferencesGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.NotificationService.FindPreferences(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handlePreferencesPut replaces the preferences with the body's; a user_id
// in it is ignored (one changes one's own).
func (s *Server) handlePreferencesPut(w http.ResponseWriter, r *http.Request) {
	var p tandem.NotificationPreferences
	if err := decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.NotificationService.UpdatePreferences(r.Context(), &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.handlePreferencesGet(w, r)
}
