package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerUserRoutes() {
	s.handle("GET /api/v1/users", s.api(s.handleUserList))
	s.handle("POST /api/v1/users", s.api(s.handleUserCreate))
	s.handle("GET /api/v1/users/{id}", s.api(s.handleUserGet))
	s.handle("PATCH /api/v1/users/{id}", s.api(s.handleUserUpdate))
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	q, err := parseMemberQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	filter := tandem.UserFilter{Limit: q.limit, Cursor: q.cursor, OrganizationID: q.organizationID, Party: q.party}
	if email := r.URL.Query().Get("email"); email != "" {
		filter.Email = &email
	}
	users, next, err := s.UserService.FindUsers(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, users, next)
}

// memberQuery holds the query parameters users and invitations are both
// listed by.
type memberQuery struct {
	limit          int
	cursor         string
	organizationID *int64
	party          *tandem.PartyKind
}

// parseMemberQuery reads the page, organization_id and party of a list of
// users or invitations.
func parseMemberQuery(r *http.Request) (memberQuery, error) {
	var q memberQuery
	var err error
	if q.limit, q.cursor, err = page(r); err != nil {
		return q, err
	}
	if q.organizationID, err = queryID(r, "organization_id"); err != nil {
		return q, err
	}
	switch party := tandem.PartyKind(r.URL.Query().Get("party")); party {
	case "":
	case tandem.PartyInternal, tandem.PartyProvider:
		q.party = &party
	default:
		return q, tandem.Errorf(tandem.EBADREQUEST, "party %q is unknown; use internal or provider.", party)
	}
	return q, nil
}

func (s *Server) handleUserGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.UserService.FindUserByID(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// userCreateRequest is the body of POST /api/v1/users. The password is never
// logged or echoed.
type userCreateRequest struct {
	Email                 string      `json:"email"`
	Name                  string      `json:"name"`
	Role                  tandem.Role `json:"role"`
	OrganizationID        *int64      `json:"organization_id"`
	AssignedOrganizations []int64     `json:"assigned_organizations"`
	Password              string      `json:"password"`
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var req userCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u := &tandem.User{Email: req.Email, Name: req.Name, Role: req.Role, OrganizationID: req.OrganizationID, Organizations: req.AssignedOrganizations}
	if err := s.UserService.CreateUser(r.Context(), u, req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+itoa64(u.ID))
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var upd tandem.UserUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.UserService.UpdateUser(r.Context(), id, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
