package http

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/tandemhq/tandem"
)

// registerInboxRoutes serves the in-app channel (the bell, its live
// stream, the notifications page) and the outbox, in the API and the UI.
func (s *Server) registerInboxRoutes() {
	s.handle("GET /api/v1/notifications", s.api(s.handleNotificationList))
	s.handle("GET /api/v1/notifications/unread-count", s.api(s.handleUnreadCount))
	s.handle("POST /api/v1/notifications/read", s.api(s.handleNotificationsRead))
	s.handle("GET /api/v1/outbox", s.api(s.handleOutboxList))
	s.handle("GET /notifications", s.page(s.handleNotificationsPage))           // ui_notification.go
	s.handle("GET /notifications/stream", s.page(s.handleNotificationStream))   // ui_notification_stream.go
	s.handle("POST /notifications/read", s.page(s.handleNotificationsReadAll))  // ui_notification.go
	s.handle("POST /notifications/{id}/read", s.page(s.handleNotificationOpen)) // ui_notification.go
	s.handle("GET /outbox", s.page(s.handleOutboxPage))                         // ui_outbox.go
}

// defaultNotificationPage is the page size when none is asked for, as the
// store applies it; a full page has a next one.
const defaultNotificationPage = 50

// parseNotificationFilter reads a notification filter from the query:
// unread, channel, state, organization_id, ticket_id, webhook_id, limit,
// and cursor (the id the page starts below, the previous page's
// next_cursor).
func parseNotificationFilter(r *http.Request) (tandem.NotificationFilter, error) {
	var f tandem.NotificationFilter
	var err error
	q := r.URL.Query()
	f.Unread = q.Get("unread") == "true" || q.Get("unread") == "1"
	if v := q.Get("channel"); v != "" {
		ch := tandem.Channel(v)
		if !slices.Contains(tandem.Channels, ch) {
			return f, tandem.Errorf(tandem.EINVALID, "channel %q is not a channel: use inapp, email or webhook.", v)
		}
		f.Channel = &ch
	}
	if v := q.Get("state"); v != "" {
		st := tandem.DeliveryState(v)
		if !slices.Contains(deliveryStates, st) {
			return f, tandem.Errorf(tandem.EINVALID, "state %q is not a delivery state: use pending, sent, held or failed.", v)
		}
		f.State = &st
	}
	if f.OrganizationID, err = queryID(r, "organization_id"); err != nil {
		return f, err
	}
	if f.TicketID, err = queryID(r, "ticket_id"); err != nil {
		return f, err
	}
	if f.WebhookID, err = queryID(r, "webhook_id"); err != nil {
		return f, err
	}
	var cursor string
	if f.Limit, cursor, err = page(r); err != nil {
		return f, err
	}
	if cursor != "" {
		if f.BeforeID, err = strconv.ParseInt(cursor, 10, 64); err != nil || f.BeforeID <= 0 {
			return f, tandem.Errorf(tandem.EBADREQUEST, "cursor %q is invalid: pass the next_cursor of the previous page, or none for the first page.", cursor)
		}
	}
	return f, nil
}

// deliveryStates lists the delivery states in the order filters offer them.
var deliveryStates = []tandem.DeliveryState{tandem.DeliveryPending, tandem.DeliverySent, tandem.DeliveryHeld, tandem.DeliveryFailed}

// nextNotificationCursor is the cursor of the page after list: its last
// id when the page is full, else none.
func nextNotificationCursor(list []*tandem.Notification, limit int) string {
	if limit == 0 {
		limit = defaultNotificationPage
	}
	if len(list) < limit || len(list) == 0 {
		return ""
	}
	return strconv.FormatInt(list[len(list)-1].ID, 10)
}

// handleNotificationList answers GET /api/v1/notifications: the caller's
// own in-app notifications, newest first.
func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) {
	f, err := parseNotificationFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.NotificationService.FindNotifications(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, nextNotificationCursor(list, f.Limit))
}

// handleUnreadCount answers GET /api/v1/notifications/unread-count: the
// number on the caller's bell.
func (s *Server) handleUnreadCount(w http.ResponseWriter, r *http.Request) {
	n, err := s.NotificationService.UnreadCount(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"unread": n})
}

// handleNotificationsRead answers POST /api/v1/notifications/read: marks
// the listed notifications of the caller read, or all of them when ids is
// empty or missing, and answers the count left unread.
func (s *Server) handleNotificationsRead(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.NotificationService.MarkRead(r.Context(), body.IDs); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.handleUnreadCount(w, r)
}

// handleOutboxList answers GET /api/v1/outbox: notifications on every
// channel as the caller may oversee them, newest first.
func (s *Server) handleOutboxList(w http.ResponseWriter, r *http.Request) {
	f, err := parseNotificationFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.NotificationService.FindOutbox(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, nextNotificationCursor(list, f.Limit))
}
