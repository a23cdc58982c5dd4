package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

// The outbox page: every notification on every channel as the viewer may
// oversee it (provider admins all; an organisation's IT admins their
// organisation's), filtered by channel, state and organisation, with what
// each delivery came to.

// outboxView is what outbox.html renders.
type outboxView struct {
	Rows          []outboxRow
	Channels      []auditOption
	States        []auditOption
	Organizations []auditOption
	// Held explains held emails: why the newest held one was not sent
	// (no SMTP server), when there is one.
	Held    string
	NextURL string
}

// outboxRow is one notification as the outbox table shows it.
type outboxRow struct {
	*tandem.Notification
	Kind         string
	Organization string
	TicketURL    string
	Focus        bool // the row a link (a failed delivery's note) points at
}

// handleOutboxPage shows GET /outbox. ?id= starts the list at one
// notification and marks it: the link of a failed delivery's note.
func (s *Server) handleOutboxPage(w http.ResponseWriter, r *http.Request, data pageData) {
	data.Title = "Outbox"
	f, err := parseNotificationFilter(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	focus, err := queryID(r, "id")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if focus != nil && f.BeforeID == 0 {
		f.BeforeID = *focus + 1
	}
	if f.OrganizationID != nil {
		// An organisation outside scope is not found, as its page would be.
		if data.Current, err = s.OrganizationService.FindOrganizationByID(r.Context(), *f.OrganizationID); err != nil {
			s.renderError(w, r, err, data)
			return
		}
	}
	list, err := s.NotificationService.FindOutbox(r.Context(), f)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	view := outboxView{}
	held := tandem.DeliveryHeld
	if heldRows, err := s.NotificationService.FindOutbox(r.Context(), tandem.NotificationFilter{State: &held, Limit: 1}); err == nil && len(heldRows) > 0 {
		view.Held = heldRows[0].LastError
		if view.Held == "" {
			view.Held = "No SMTP server is configured."
		}
	}
	orgNames := map[int64]string{}
	for _, o := range data.Organizations {
		orgNames[o.ID] = o.Name
	}
	for _, n := range list {
		row := outboxRow{Notification: n, Kind: kindLabel(n.Kind), Organization: "provider"}
		if n.OrganizationID != nil {
			row.Organization = orgNames[*n.OrganizationID]
		}
		if n.TicketID != nil {
			row.TicketURL = "/tickets/" + strconv.FormatInt(*n.TicketID, 10)
		}
		row.Focus = focus != nil && *focus == n.ID
		view.Rows = append(view.Rows, row)
	}
	q := r.URL.Query()
	view.Channels = filterOptions(q.Get("channel"), "Every channel", tandem.Channels, func(c tandem.Channel) string { return channelLabel(c) })
	view.States = filterOptions(q.Get("state"), "Every state", deliveryStates, func(st tandem.DeliveryState) string { return string(st) })
	view.Organizations = []auditOption{{Value: "", Label: "Every organisation", Selected: f.OrganizationID == nil}}
	for _, o := range data.Organizations {
		view.Organizations = append(view.Organizations, auditOption{Value: strconv.FormatInt(o.ID, 10), Label: o.Name,
			Selected: f.OrganizationID != nil && *f.OrganizationID == o.ID})
	}
	if next := nextNotificationCursor(list, f.Limit); next != "" {
		q.Del("id")
		q.Set("cursor", next)
		view.NextURL = withQuery("/outbox", q)
	}
	data.Data = view
	s.render(w, r, http.StatusOK, "outbox", data)
}

// filterOptions are the options of a filter's select: "every" first, then
// each value, the current one selected.
func filterOptions[T ~string](current, every string, values []T, label func(T) string) []auditOption {
	out := []auditOption{{Value: "", Label: every, Selected: current == ""}}
	for _, v := range values {
		out = append(out, auditOption{Value: string(v), Label: label(v), Selected: current == string(v)})
	}
	return out
}

// channelLabel names a channel as pages show it.
func channelLabel(c tandem.Channel) string {
	switch c {
	case tandem.ChannelInApp:
		return "in-app"
	case tandem.ChannelEmail:
		return "email"
	case tandem.ChannelWebhook:
		return "webhook"
	}
	return string(c)
}

// ticketNotifications is who was notified about a ticket, newest first,
// as the ticket page lists them for the teams.
func (s *Server) ticketNotifications(ctx context.Context, ticketID int64) ([]outboxRow, error) {
	list, err := s.NotificationService.FindOutbox(ctx, tandem.NotificationFilter{TicketID: &ticketID, Limit: 100})
	if err != nil {
		return nil, err
	}
	rows := make([]outboxRow, len(list))
	for i, n := range list {
		rows[i] = outboxRow{Notification: n, Kind: kindLabel(n.Kind)}
	}
	return rows, nil
}
