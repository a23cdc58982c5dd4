package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
)

// The acknowledgement link of an escalation, /ack/{token}: the token in
// the path is the credential, so it needs no session. GET only shows what
// the link would do (mail scanners fetch links before people click them);
// the button POSTs and acknowledges.

// ackPage is what ack.html shows.
type ackPage struct {
	Link *tandem.AckLink
	// Done is the incident just acknowledged by this link.
	Done *tandem.Incident
	// Problem explains why the link cannot acknowledge (used, expired,
	// the incident no longer escalating).
	Problem string
}

func (s *Server) handleAckForm(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Acknowledge escalation", Loc: time.UTC}
	link, err := s.EscalationService.PeekAckLink(r.Context(), r.PathValue("token"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	p := &ackPage{Link: link}
	switch {
	case link.Used:
		p.Problem = "This link was used already; each link works once."
	case link.Expired:
		p.Problem = "This link expired. Open the ticket in Tandem to acknowledge it."
	case link.Incident.State != "triggered":
		p.Problem = "This escalation is " + string(link.Incident.State) + ": there is nothing left to acknowledge."
	}
	data.Data = p
	s.render(w, r, http.StatusOK, "ack", data)
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Acknowledge escalation", Loc: time.UTC}
	ctx := tandem.NewContextWithClient(r.Context(), clientOf(r))
	token := r.PathValue("token")
	in, err := s.EscalationService.AcknowledgeWithToken(ctx, token)
	if err != nil && tandem.ErrorCode(err) != tandem.ECONFLICT {
		s.renderError(w, r, err, data)
		return
	}
	link, perr := s.EscalationService.PeekAckLink(r.Context(), token)
	if perr != nil {
		s.renderError(w, r, perr, data)
		return
	}
	p := &ackPage{Link: link, Done: in}
	status := http.StatusOK
	if err != nil {
		p.Problem, status = tandem.ErrorMessage(err), http.StatusConflict
	}
	data.Data = p
	s.render(w, r, status, "ack", data)
}
