package http

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// The notifications page: the viewer's in-app notifications, newest
// first, the unread marked; opening one marks it read and goes to its page.

// notificationsView is what notifications.html renders.
type notificationsView struct {
	Rows       []notificationRow
	UnreadOnly bool
	NextURL    string
}

// notificationRow is one notification as the list shows it.
type notificationRow struct {
	*tandem.Notification
	Unread  bool
	Excerpt string
	Kind    string
}

// handleNotificationsPage shows GET /notifications (?unread=1 for the
// unread only, ?cursor= for older pages).
func (s *Server) handleNotificationsPage(w http.ResponseWriter, r *http.Request, data pageData) {
	data.Title = "Notifications"
	f, err := parseNotificationFilter(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	list, err := s.NotificationService.FindNotifications(r.Context(), f)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	view := notificationsView{UnreadOnly: f.Unread}
	for _, n := range list {
		view.Rows = append(view.Rows, notificationRow{Notification: n, Unread: n.ReadAt == nil, Excerpt: excerpt(n.Body, 240), Kind: kindLabel(n.Kind)})
	}
	if next := nextNotificationCursor(list, f.Limit); next != "" {
		q := r.URL.Query()
		q.Set("cursor", next)
		view.NextURL = withQuery("/notifications", q)
	}
	data.Data = view
	s.render(w, r, http.StatusOK, "notifications", data)
}

// handleNotificationsReadAll answers POST /notifications/read: every
// notification of the viewer read.
func (s *Server) handleNotificationsReadAll(w http.ResponseWriter, r *http.Request, data pageData) {
	if err := s.NotificationService.MarkRead(r.Context(), nil); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// handleNotificationOpen answers POST /notifications/{id}/read: the
// viewer's notification marked read, then its page (the notifications
// page when it links nowhere). Another user's id is not found.
func (s *Server) handleNotificationOpen(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "notification")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	// The page of one: the viewer's newest notification up to id.
	list, err := s.NotificationService.FindNotifications(r.Context(), tandem.NotificationFilter{BeforeID: id + 1, Limit: 1})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if len(list) == 0 || list[0].ID != id {
		s.renderError(w, r, tandem.Errorf(tandem.ENOTFOUND, "No notification with id %d.", id), data)
		return
	}
	if err := s.NotificationService.MarkRead(r.Context(), []int64{id}); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, localLink(list[0].Link, "/notifications"), http.StatusSeeOther)
}

// localLink is link when it is a path on this server, else fallback: a
// notification's link is written by Tandem, but a redirect goes nowhere
// else whatever it holds.
func localLink(link, fallback string) string {
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, "/\\") {
		return fallback
	}
	return link
}

// excerpt is the start of a text, at most max characters, cut at a word.
func excerpt(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := string([]rune(s)[:max])
	if i := strings.LastIndexByte(cut, ' '); i > max/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// kindLabel names what a notification tells, as lists show it.
func kindLabel(k tandem.NotificationKind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

var kindLabels = map[tandem.NotificationKind]string{
	tandem.NotifyReply: "reply", tandem.NotifyResolved: "resolved", tandem.NotifyPendingCustomer: "waiting on you",
	tandem.NotifyNewTicket: "new ticket", tandem.NotifyHandoff: "handoff", tandem.NotifyAssigned: "assigned",
	tandem.NotifyWatchedComment: "comment", tandem.NotifyMajorTicket: "major ticket", tandem.NotifySLAWarning: "SLA warning",
	tandem.NotifySLABreach: "SLA breach", tandem.NotifyOLABreach: "OLA breach", tandem.NotifyDeliveryFailed: "delivery failed",
	tandem.NotifyEscalation: "escalation", tandem.NotifyPasswordReset: "password reset",
}

// unreadCount is the number on the bell of the page's frame; zero when it
// cannot be read, as a bell is not worth failing a page for.
func (s *Server) unreadCount(r *http.Request) int {
	if s.NotificationService == nil {
		return 0
	}
	n, err := s.NotificationService.UnreadCount(r.Context())
	if err != nil {
		s.Logger.Warn("unread count", "err", err)
		return 0
	}
	return n
}
