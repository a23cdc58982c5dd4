package http

import (
	"net/http"
	"slices"

	"github.com/tandemhq/tandem"
)

// The notification settings page, /account/notifications: a grid of the
// kinds that reach the viewer's role, on or off per channel, and the
// viewer's quiet hours. Kinds the page does not show keep what they were.

// preferencesView is what account_notifications.html shows.
type preferencesView struct {
	Rows                         []preferenceRow
	QuietFrom, QuietTo, TimeZone string
	Zones                        []string
	// Escalations says the viewer may be escalated to (P1 escalations
	// always reach them).
	Escalations bool
	// Invalid names the field at fault after a refused save, Message what
	// is wrong with it (shown beside it).
	Invalid, Message string
}

// preferenceRow is one kind with whether each channel delivers it.
type preferenceRow struct {
	Kind         tandem.NotificationKind
	Label        string
	InApp, Email bool
}

// preferenceKindsFor returns the kinds that reach a role: requesters and
// viewers hear of their own tickets; technicians of their queue, their
// tickets and escalations too; admins also of SLA and OLA breaches.
func preferenceKindsFor(role tandem.Role) []tandem.NotificationKind {
	switch role {
	case tandem.RoleAdmin, tandem.RoleITAdmin:
		return tandem.PreferenceKinds
	case tandem.RoleTechnician, tandem.RoleITTechnician:
		return slices.DeleteFunc(slices.Clone(tandem.PreferenceKinds), func(k tandem.NotificationKind) bool {
			return k == tandem.NotifySLAWarning || k == tandem.NotifySLABreach || k == tandem.NotifyOLABreach
		})
	default:
		return tandem.RequesterKinds
	}
}

func preferencesPage(p *tandem.NotificationPreferences, role tandem.Role, viewerZone string) preferencesView {
	v := preferencesView{QuietFrom: p.QuietFrom, QuietTo: p.QuietTo, TimeZone: p.TimeZone}
	if v.TimeZone == "" {
		v.TimeZone = viewerZone
	}
	v.Zones = zoneOptions(v.TimeZone)
	for _, k := range preferenceKindsFor(role) {
		v.Escalations = v.Escalations || k == tandem.NotifyEscalation
		v.Rows = append(v.Rows, preferenceRow{Kind: k, Label: tandem.KindLabels[k],
			InApp: p.Wants(tandem.ChannelInApp, k, 0), Email: p.Wants(tandem.ChannelEmail, k, 0)})
	}
	return v
}

func (s *Server) handlePreferencesPage(w http.ResponseWriter, r *http.Request, data pageData) {
	p, err := s.NotificationService.FindPreferences(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title, data.Data = "Notifications", preferencesPage(p, data.Actor.Role, data.Loc.String())
	s.render(w, r, http.StatusOK, "account_notifications", data)
}

// handlePreferencesSave reads the grid (a checkbox per kind and channel,
// named "inapp:reply", checked when on) and the quiet hours.
func (s *Server) handlePreferencesSave(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	data.Title = "Notifications"
	p, err := s.NotificationService.FindPreferences(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB."), data)
		return
	}
	shown := preferenceKindsFor(data.Actor.Role)
	for _, ch := range tandem.PreferenceChannels {
		off := slices.DeleteFunc(p.Off[ch], func(k tandem.NotificationKind) bool { return slices.Contains(shown, k) })
		for _, k := range shown {
			if r.PostForm.Get(string(ch)+":"+string(k)) == "" {
				off = append(off, k)
			}
		}
		p.Off[ch] = off
	}
	p.QuietFrom, p.QuietTo, p.TimeZone = r.PostForm.Get("quiet_from"), r.PostForm.Get("quiet_to"), r.PostForm.Get("time_zone")
	if p.QuietFrom == "" && p.QuietTo == "" {
		p.TimeZone = "" // no quiet hours: the zone field only offered a default
	}
	// Checked first to know the field at fault; the service checks again.
	field, err := p.Check()
	if err == nil {
		err = s.NotificationService.UpdatePreferences(r.Context(), p)
	}
	view := preferencesPage(p, data.Actor.Role, data.Loc.String())
	data.Data = view
	if err != nil {
		if code := tandem.ErrorCode(err); code != tandem.EINVALID {
			s.renderFormError(w, r, "account_notifications", err, data)
			return
		}
		// What was typed is shown again, as typed.
		view.QuietFrom, view.QuietTo, view.TimeZone = r.PostForm.Get("quiet_from"), r.PostForm.Get("quiet_to"), r.PostForm.Get("time_zone")
		view.Invalid, view.Message = field, tandem.ErrorMessage(err)
		if field == "" || field == "off" {
			data.Error = view.Message
		}
		data.Data = view
		s.render(w, r, http.StatusUnprocessableEntity, "account_notifications", data)
		return
	}
	data.Data, data.Notice = view, "Your notification preferences are saved."
	s.render(w, r, http.StatusOK, "account_notifications", data)
}
