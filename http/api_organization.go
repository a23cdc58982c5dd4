package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerOrganizationRoutes() {
	s.handle("GET /api/v1/orgs", s.api(s.handleOrganizationList))
	s.handle("POST /api/v1/orgs", s.api(s.handleOrganizationCreate))
	s.handle("GET /api/v1/orgs/{id}", s.api(s.handleOrganizationGet))
	s.handle("PATCH /api/v1/orgs/{id}", s.api(s.handleOrganizationUpdate))
}

func (s *Server) handleOrganizationList(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := page(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	filter := tandem.OrganizationFilter{Limit: limit, Cursor: cursor}
	if slug := r.URL.Query().Get("slug"); slug != "" {
		filter.Slug = &slug
	}
	orgs, next, err := s.OrganizationService.FindOrganizations(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, orgs, next)
}

func (s *Server) handleOrganizationGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	org, err := s.OrganizationService.FindOrganizationByID(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}

// organizationCreateRequest is the body of POST /api/v1/orgs.
type organizationCreateRequest struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func (s *Server) handleOrganizationCreate(w http.ResponseWriter, r *http.Request) {
	var req organizationCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	org := &tandem.Organization{Name: req.Name, Slug: req.Slug}
	if err := s.OrganizationService.CreateOrganization(r.Context(), org); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orgs/"+itoa64(org.ID))
	writeJSON(w, http.StatusCreated, org)
}

func (s *Server) handleOrganizationUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var upd tandem.OrganizationUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	org, err := s.OrganizationService.UpdateOrganization(r.Context(), id, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}
