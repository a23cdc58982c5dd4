package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerTokenRoutes() {
	s.handle("GET /api/v1/tokens", s.api(s.handleTokenList))
	s.handle("POST /api/v1/tokens", s.api(s.handleTokenCreate))
	s.handle("DELETE /api/v1/tokens/{id}", s.api(s.handleTokenRevoke))
}

// handleTokenList lists the caller's tokens, or a user_id's for provider admins.
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	userID, err := queryID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if userID == nil {
		userID = &tandem.ActorFromContext(r.Context()).UserID
	}
	list, err := s.TokenService.ListTokens(r.Context(), *userID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// tokenCreateRequest is the body of POST /api/v1/tokens; without user_id the
// token acts as the caller.
type tokenCreateRequest struct {
	UserID         *int64     `json:"user_id"`
	Name           string     `json:"name"`
	ExpiresAt      *time.Time `json:"expires_at"`
	ReadOnly       bool       `json:"read_only"`
	OrganizationID *int64     `json:"organization_id"`
}

// tokenCreated answers POST /api/v1/tokens: the token and, this once, its secret.
type tokenCreated struct {
	*tandem.Token
	Secret string `json:"secret"`
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	var req tokenCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	userID := tandem.ActorFromContext(r.Context()).UserID
	if req.UserID != nil {
		userID = *req.UserID
	}
	t, secret, err := s.TokenService.CreateToken(r.Context(), userID, tandem.TokenOptions{
		Name: req.Name, ExpiresAt: req.ExpiresAt, ReadOnly: req.ReadOnly, OrganizationID: req.OrganizationID,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "token")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.TokenService.RevokeToken(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
