package http

import (
	"context"
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

// registerEscalationRoutes registers escalation policies and incidents:
// the JSON API (this file), the policy pages (ui_escalation.go) and the
// acknowledgement links (ui_ack.go).
func (s *Server) registerEscalationRoutes() {
	s.handle("GET /api/v1/escalation-policies", s.api(s.handlePolicyList))
	s.handle("POST /api/v1/escalation-policies", s.api(s.handlePolicyCreate))
	s.handle("GET /api/v1/escalation-policies/{id}", s.api(s.handlePolicyGet))
	s.handle("PUT /api/v1/escalation-policies/{id}", s.api(s.handlePolicyUpdate))
	s.handle("DELETE /api/v1/escalation-policies/{id}", s.api(s.handlePolicyDelete))
	s.handle("GET /api/v1/tickets/{id}/incidents", s.api(s.handleIncidentList))
	s.handle("GET /api/v1/incidents/{id}", s.api(s.handleIncidentGet))
	s.handle("POST /api/v1/incidents/{id}/acknowledge", s.api(s.incidentAction(s.acknowledgeIncident)))
	s.handle("POST /api/v1/incidents/{id}/escalate", s.api(s.incidentAction(s.escalateIncident)))
	s.handle("POST /api/v1/incidents/{id}/reassign", s.api(s.incidentAction(s.reassignIncident)))
	s.registerEscalationUIRoutes()
}

// policyWrite is the body of POST and PUT /escalation-policies: a
// policy's own fields.
type policyWrite struct {
	OrganizationID *int64                   `json:"organization_id"`
	Party          tandem.PartyKind         `json:"party"`
	Name           string                   `json:"name"`
	Position       int                      `json:"position"`
	OwningParty    tandem.PartyKind         `json:"owning_party"`
	Priorities     []tandem.Priority        `json:"priorities"`
	AreaIDs        []int64                  `json:"area_ids"`
	Hours          escalation.Hours         `json:"hours"`
	Triggers       []escalation.Trigger     `json:"triggers"`
	Levels         []tandem.EscalationLevel `json:"levels"`
	Repeats        int                      `json:"repeats"`
}

func (p policyWrite) policy() *tandem.EscalationPolicy {
	return &tandem.EscalationPolicy{OrganizationID: p.OrganizationID, Party: p.Party, Name: p.Name, Position: p.Position, OwningParty: p.OwningParty,
		Priorities: p.Priorities, AreaIDs: p.AreaIDs, Hours: p.Hours, Triggers: p.Triggers, Levels: p.Levels, Repeats: p.Repeats}
}

func (s *Server) handlePolicyList(w http.ResponseWriter, r *http.Request) {
	orgID, err := queryID(r, "organization_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.EscalationService.FindEscalationPolicies(r.Context(), tandem.EscalationPolicyFilter{OrganizationID: orgID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handlePolicyGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "escalation policy")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.EscalationService.FindEscalationPolicy(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePolicyCreate(w http.ResponseWriter, r *http.Request) {
	var req policyWrite
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := req.policy()
	if err := s.EscalationService.CreateEscalationPolicy(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handlePolicyUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "escalation policy")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req policyWrite
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := req.policy()
	p.ID = id
	if err := s.EscalationService.UpdateEscalationPolicy(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePolicyDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "escalation policy")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.EscalationService.DeleteEscalationPolicy(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleIncidentList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.EscalationService.FindIncidents(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleIncidentGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "incident")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := s.EscalationService.FindIncident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// incidentActionFunc changes incident id as the request's actor.
type incidentActionFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, id int64) (*tandem.Incident, error)

// incidentAction serves POST /incidents/{id}/…: the incident changed, or the error.
func (s *Server) incidentAction(act incidentActionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "incident")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		in, err := act(r.Context(), w, r, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, in)
	}
}

func (s *Server) acknowledgeIncident(ctx context.Context, _ http.ResponseWriter, _ *http.Request, id int64) (*tandem.Incident, error) {
	return s.EscalationService.Acknowledge(ctx, id)
}

func (s *Server) escalateIncident(ctx context.Context, _ http.ResponseWriter, _ *http.Request, id int64) (*tandem.Incident, error) {
	return s.EscalationService.Escalate(ctx, id)
}

// reassignRequest is the body of POST /incidents/{id}/reassign.
type reassignRequest struct {
	UserID int64 `json:"user_id"`
}

func (s *Server) reassignIncident(ctx context.Context, w http.ResponseWriter, r *http.Request, id int64) (*tandem.Incident, error) {
	var req reassignRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	if req.UserID <= 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "user_id is missing: name the technician or admin to assign the ticket to.")
	}
	return s.EscalationService.Reassign(ctx, id, req.UserID)
}
