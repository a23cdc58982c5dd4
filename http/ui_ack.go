package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
)

// The acknowledgement link of an escalation, /ack/{token}. An emailed
// link is its user's credential, so it needs no session. A link posted to
// a webhook's channel (Slack, Teams) may be opened by anyone in the
// channel: it acknowledges as whoever signs in to use it, and sends a
// visitor to sign in first, then back. GET only shows what the link would
// do (mail scanners fetch links before people click them); the button
// POSTs and acknowledges.

// ackPage is what ack.html shows.
type ackPage struct {
	Link *tandem.AckLink
	// As names who acknowledges: the link's user, or for a channel's
	// link the signed-in viewer ("" when nobody is signed in).
	As string
	// Done is the incident just acknowledged by this link.
	Done *tandem.Incident
	// Problem explains why the link cannot acknowledge (used, expired,
	// the incident no longer escalating).
	Problem string
	// SignIn asks the visitor to sign in first (a channel's link).
	SignIn bool
}

// ackPageFor is the page of link for the viewer in data.
func ackPageFor(link *tandem.AckLink, data pageData) *ackPage {
	p := &ackPage{Link: link, As: link.UserName}
	if link.WebhookName != "" {
		p.As = ""
		if data.User != nil {
			p.As = personName(data.User)
		}
	}
	return p
}

// ackPageData is the frame of the link's page: the signed-in viewer's
// when there is one (a channel's link acknowledges as them), else a
// visitor's, in UTC.
func (s *Server) ackPageData(r *http.Request) (pageData, *http.Request) {
	data, r := s.viewerPageData(r)
	data.Title = "Acknowledge escalation"
	if data.Loc == nil {
		data.Loc = time.UTC
	}
	return data, r
}

func (s *Server) handleAckForm(w http.ResponseWriter, r *http.Request) {
	data, r := s.ackPageData(r)
	token := r.PathValue("token")
	link, err := s.EscalationService.PeekAckLink(r.Context(), token)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	p := ackPageFor(link, data)
	switch {
	case link.Used:
		p.Problem = "This link was used already; each link works once."
	case link.Expired:
		p.Problem = "This link expired. Open the ticket in Tandem to acknowledge it."
	case link.Incident.State != "triggered":
		p.Problem = "This escalation is " + string(link.Incident.State) + ": there is nothing left to acknowledge."
	case p.As == "":
		p.SignIn = true
		s.rememberReturn(w, "/ack/"+token)
	}
	data.Data = p
	s.render(w, r, http.StatusOK, "ack", data)
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) {
	data, r := s.ackPageData(r)
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	token := r.PathValue("token")
	in, err := s.EscalationService.AcknowledgeWithToken(ctx, token)
	if code := tandem.ErrorCode(err); err != nil && code != tandem.ECONFLICT && code != tandem.EFORBIDDEN &&
		!(code == tandem.EUNAUTHORIZED && data.Actor == nil) {
		s.renderError(w, r, err, data)
		return
	}
	link, perr := s.EscalationService.PeekAckLink(r.Context(), token)
	if perr != nil {
		s.renderError(w, r, perr, data)
		return
	}
	p := ackPageFor(link, data)
	p.Done = in
	status := http.StatusOK
	if err != nil {
		p.Problem, status = tandem.ErrorMessage(err), ErrorStatus(tandem.ErrorCode(err))
		if p.SignIn = p.As == "" && tandem.ErrorCode(err) == tandem.EUNAUTHORIZED; p.SignIn {
			s.rememberReturn(w, "/ack/"+token)
		}
	}
	data.Data = p
	s.render(w, r, status, "ack", data)
}
