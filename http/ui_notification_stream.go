package http

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// The bell's event stream: GET /notifications/stream answers
// text/event-stream, an "unread" event with the count at once and
// whenever it changes, a comment every streamHeartbeat so proxies keep the
// connection, and "end" when the session has ended or the server stops. A change is told by
// the store's in-process hub (SubscribeInbox) the moment its transaction
// commits; the count is also read again every streamRecheck, which is
// how notifications written by another replica reach the bell.

const (
	streamHeartbeat = 25 * time.Second
	streamRecheck   = 20 * time.Second
)

// sessionChecker is a session service that can tell whether a session is
// alive without counting as its use (sqlstore.SessionService): an open tab
// must not keep an idle session alive.
type sessionChecker interface {
	SessionAlive(ctx context.Context, secret string) error
}

func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request, data pageData) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	// The server's write timeout is for pages; a stream lives on.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		s.Logger.Debug("event stream write deadline", "err", err)
	}
	changes, cancel := s.inboxChanges(data.Actor.UserID)
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)

	last := -1
	// send writes the count when it changed; false ends the stream.
	send := func() bool {
		n, err := s.NotificationService.UnreadCount(ctx)
		if err != nil {
			return false
		}
		if n != last {
			if _, err := fmt.Fprintf(w, "event: unread\ndata: %d\n\n", n); err != nil {
				return false
			}
			last = n
		}
		return rc.Flush() == nil
	}
	if !send() {
		return
	}
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			// The client closes instead of retrying a server that is
			// going; its next page opens a stream again.
			fmt.Fprint(w, "event: end\ndata: server stopping\n\n")
			rc.Flush()
			return
		case <-changes:
			if !send() {
				return
			}
		case <-recheck.C:
			if !s.sessionAlive(r) {
				fmt.Fprint(w, "event: end\ndata: session ended\n\n")
				rc.Flush()
				return
			}
			if !send() {
				return
			}
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// inboxChanges subscribes to the changes of a user's notifications; a
// server without a hub (tests of other features) never signals.
func (s *Server) inboxChanges(userID int64) (<-chan struct{}, func()) {
	if s.SubscribeInbox == nil {
		return nil, func() {}
	}
	return s.SubscribeInbox(userID)
}

// sessionAlive reports whether the stream's session is still signed in.
func (s *Server) sessionAlive(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	if sc, ok := s.SessionService.(sessionChecker); ok {
		return sc.SessionAlive(r.Context(), c.Value) == nil
	}
	_, err = s.SessionService.ActorForSession(r.Context(), c.Value)
	return err == nil
}
