package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerInvitationRoutes() {
	s.handle("GET /api/v1/invitations", s.api(s.handleInvitationList))
	s.handle("POST /api/v1/invitations", s.api(s.handleInvitationCreate))
	s.handle("DELETE /api/v1/invitations/{id}", s.api(s.handleInvitationRevoke))
}

func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request) {
	mq, err := parseMemberQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	filter := tandem.InvitationFilter{Limit: mq.limit, Cursor: mq.cursor, OrganizationID: mq.organizationID, Party: mq.party}
	if v := r.URL.Query().Get("pending"); v != "" {
		if filter.Pending, err = strconv.ParseBool(v); err != nil {
			s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "pending %q is not true or false.", v))
			return
		}
	}
	list, next, err := s.InvitationService.FindInvitations(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, next)
}

// invitationCreateRequest is the body of POST /api/v1/invitations.
type invitationCreateRequest struct {
	Email          string      `json:"email"`
	Name           string      `json:"name"`
	Role           tandem.Role `json:"role"`
	OrganizationID *int64      `json:"organization_id"`
	ExpiresAt      *time.Time  `json:"expires_at"`
}

// invitationCreated answers POST /api/v1/invitations: the invitation and,
// this once, its secret and the path of its link.
type invitationCreated struct {
	*tandem.Invitation
	Secret     string `json:"secret"`
	AcceptPath string `json:"accept_path"`
}

func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request) {
	var req invitationCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	inv := &tandem.Invitation{Email: req.Email, Name: req.Name, Role: req.Role, OrganizationID: req.OrganizationID}
	if req.ExpiresAt != nil {
		inv.ExpiresAt = *req.ExpiresAt
	}
	secret, err := s.InvitationService.CreateInvitation(r.Context(), inv)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, invitationCreated{Invitation: inv, Secret: secret, AcceptPath: invitationPath(secret)})
}

func (s *Server) handleInvitationRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "invitation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.InvitationService.RevokeInvitation(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invitationPath is the path of an invitation's acceptance page.
func invitationPath(secret string) string { return "/invite/" + secret }
