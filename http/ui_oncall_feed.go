package http

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

// handleOnCallFeed serves GET /feeds/oncall/{token}.ics to calendar
// clients, which cannot log in: the secret token in the address is the
// credential. An unknown token is a plain 404, as for any address.
func (s *Server) handleOnCallFeed(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || token == "" {
		s.noRoute(w, r, tandem.Errorf(tandem.ENOTFOUND, "There is no page at %s.", r.URL.Path))
		return
	}
	feed, err := s.OnCallService.OnCallFeed(r.Context(), token)
	if err != nil {
		s.noRoute(w, r, err)
		return
	}
	events := make([]oncall.Event, 0, len(feed.Shifts))
	for _, sh := range feed.Shifts {
		events = append(events, oncall.Event{
			UID:     fmt.Sprintf("oncall-%d-%d-%s@tandem", sh.ScheduleID, sh.From.Unix(), sh.Member),
			Start:   sh.From,
			End:     sh.To,
			Summary: "On call: " + sh.Member + " (" + feed.ScheduleNames[sh.ScheduleID] + ")",
		})
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The address is a secret: no page may send it onwards as a referrer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Write(oncall.ICalendar(feed.Name, events, s.now()))
}
