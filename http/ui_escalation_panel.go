package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// incidentView is one incident as the ticket page's Escalation panel shows it.
type incidentView struct {
	*tandem.Incident
	Levels       int    // of the snapshot
	Rounds       int    // passes of the policy in all
	State        string // label
	Acknowledger string
	Steps        []incidentStepView
	Open         bool // still escalating: the buttons apply
}

// incidentStepView is one step: "Level 2 · round 1: Ana Lopez, Ben Ito".
type incidentStepView struct {
	*tandem.IncidentStep
	Who string
}

// escalationPanel reads a ticket's incidents for the panel.
func (s *Server) escalationPanel(ctx context.Context, data pageData, t *tandem.Ticket) ([]*incidentView, error) {
	if s.EscalationService == nil {
		return nil, nil
	}
	list, err := s.EscalationService.FindIncidents(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var out []*incidentView
	for _, in := range list {
		v := &incidentView{Incident: in, Levels: len(in.PolicySnapshot.Levels), Rounds: in.PolicySnapshot.Repeats + 1,
			State: string(in.State), Open: in.State == "triggered"}
		if in.AcknowledgedBy != nil {
			v.Acknowledger = in.People[*in.AcknowledgedBy]
		}
		for _, st := range in.Steps {
			who := strings.Join(st.Recipients, ", ")
			if st.Skipped {
				who = "skipped: nobody to notify"
			}
			v.Steps = append(v.Steps, incidentStepView{st, who})
		}
		out = append(out, v)
	}
	return out, nil
}

// ticketIncident reads {incident} of /tickets/{id}/incidents/{incident}/…:
// an incident of that ticket, else not found.
func (s *Server) ticketIncident(r *http.Request, ticketID int64) (int64, error) {
	id, err := pathInt(r, "incident", "incident")
	if err != nil {
		return 0, err
	}
	in, err := s.EscalationService.FindIncident(r.Context(), id)
	if err != nil {
		return 0, err
	}
	if in.TicketID != ticketID {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "Ticket %d has no incident %d.", ticketID, id)
	}
	return id, nil
}

// ticketIncidentAck, ticketIncidentEscalate and ticketIncidentReassign are
// the panel's buttons.
func (s *Server) ticketIncidentAck(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	inc, err := s.ticketIncident(r, id)
	if err == nil {
		_, err = s.EscalationService.Acknowledge(r.Context(), inc)
	}
	return "", err
}

func (s *Server) ticketIncidentEscalate(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	inc, err := s.ticketIncident(r, id)
	if err == nil {
		_, err = s.EscalationService.Escalate(r.Context(), inc)
	}
	return "", err
}

func (s *Server) ticketIncidentReassign(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	inc, err := s.ticketIncident(r, id)
	if err != nil {
		return "", err
	}
	who, err := strconv.ParseInt(r.PostFormValue("assignee"), 10, 64)
	if err != nil || who <= 0 {
		return "", tandem.Errorf(tandem.EINVALID, "Choose whom to reassign the ticket to.")
	}
	_, err = s.EscalationService.Reassign(r.Context(), inc, who)
	return "", err
}
