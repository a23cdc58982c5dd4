package http

import (
	"context"
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

func (s *Server) registerDeviceRoutes() {
	s.handle("GET /api/v1/devices", s.api(s.handleDeviceList))
	s.handle("GET /api/v1/devices/{id}", s.api(s.handleDeviceGet))
	s.handle("GET /api/v1/devices/{id}/software", s.api(s.handleDeviceSoftware))
	s.handle("GET /api/v1/devices/{id}/inventory", s.api(s.handleDeviceInventory))
	s.handle("GET /api/v1/devices/{id}/events", s.api(s.handleDeviceEvents))
	s.handle("GET /api/v1/devices/{id}/checks", s.api(s.handleDeviceChecks))
	s.handle("GET /api/v1/devices/{id}/metrics", s.api(s.handleDeviceMetrics))
	s.handle("POST /api/v1/devices/{id}/revoke", s.api(s.handleDeviceRevoke))
	s.handle("POST /api/v1/devices/{id}/rotate-credential", s.api(s.handleDeviceRotate))
	s.handle("GET /api/v1/orgs/{id}/enrollment-tokens", s.api(s.handleEnrollmentList))
	s.handle("POST /api/v1/orgs/{id}/enrollment-tokens", s.api(s.handleEnrollmentCreate))
	s.handle("DELETE /api/v1/enrollment-tokens/{id}", s.api(s.handleEnrollmentRevoke))
	s.handle("GET /api/v1/orgs/{id}/agent-checks", s.api(s.handleAgentCheckList))
	s.handle("POST /api/v1/orgs/{id}/agent-checks", s.api(s.handleAgentCheckCreate))
	s.handle("DELETE /api/v1/agent-checks/{id}", s.api(s.handleAgentCheckDelete))
	s.registerDeviceUIRoutes()
}

// deviceFilter reads a device list's query: organization_id, status, os,
// q (search), limit and cursor.
func deviceFilter(r *http.Request) (tandem.DeviceFilter, error) {
	var f tandem.DeviceFilter
	var err error
	if f.OrganizationID, err = queryID(r, "organization_id"); err != nil {
		return f, err
	}
	q := r.URL.Query()
	f.Status, f.OS, f.Search = tandem.DeviceStatus(q.Get("status")), q.Get("os"), q.Get("q")
	f.Limit, f.Cursor, err = page(r)
	return f, err
}

func (s *Server) handleDeviceList(w http.ResponseWriter, r *http.Request) {
	f, err := deviceFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, next, err := s.DeviceService.FindDevices(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, next)
}

func (s *Server) handleDeviceGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.DeviceService.FindDevice(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeviceSoftware(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	inv, err := s.DeviceService.DeviceInventory(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, inv.Software, "")
}

func (s *Server) handleDeviceInventory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	inv, err := s.DeviceService.DeviceInventory(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

func (s *Server) handleDeviceEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, _, err := page(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.DeviceService.DeviceEvents(r.Context(), id, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleDeviceChecks(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.DeviceService.DeviceChecks(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// handleDeviceMetrics answers the metric history since ?since= (RFC 3339;
// default the last 24 hours).
func (s *Server) handleDeviceMetrics(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	since := s.now().Add(-24 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "since %q is not an RFC 3339 time such as 2026-12-01T00:00:00Z.", v))
			return
		}
	}
	list, err := s.DeviceService.DeviceMetrics(r.Context(), id, since)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleDeviceRevoke(w http.ResponseWriter, r *http.Request) {
	s.deviceAction(w, r, s.DeviceService.RevokeDevice)
}

func (s *Server) handleDeviceRotate(w http.ResponseWriter, r *http.Request) {
	s.deviceAction(w, r, s.DeviceService.RotateDeviceCredential)
}

// deviceAction runs a change on the device of the path and answers the
// device as it stands after it.
func (s *Server) deviceAction(w http.ResponseWriter, r *http.Request, change func(context.Context, int64) error) {
	id, err := pathID(r, "device")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := change(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.DeviceService.FindDevice(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// enrollmentRequest is the body of POST /orgs/{id}/enrollment-tokens.
type enrollmentRequest struct {
	Description string `json:"description"`
	Site        string `json:"site"`
	Group       string `json:"group"`
	// ExpiresIn is how long the token is valid: "7d", "12h"; default 7d.
	ExpiresIn string `json:"expires_in"`
	MaxUses   *int   `json:"max_uses"`
}

func (s *Server) handleEnrollmentCreate(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req enrollmentRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ExpiresIn == "" {
		req.ExpiresIn = "7d"
	}
	validFor, err := tandem.ParseValidity(req.ExpiresIn)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t := &tandem.EnrollmentToken{OrganizationID: orgID, Description: req.Description, Site: req.Site, Group: req.Group, MaxUses: req.MaxUses}
	if err := s.DeviceService.CreateEnrollmentToken(r.Context(), t, validFor); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleEnrollmentList(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.DeviceService.FindEnrollmentTokens(r.Context(), orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleEnrollmentRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "enrolment token")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.DeviceService.RevokeEnrollmentToken(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// agentCheckRequest is the body of POST /orgs/{id}/agent-checks.
type agentCheckRequest struct {
	Group     string               `json:"group"`
	Kind      agentproto.CheckKind `json:"kind"`
	Name      string               `json:"name"`
	Threshold float64              `json:"threshold"`
	Minutes   int                  `json:"minutes"`
	Target    string               `json:"target"`
	Hours     float64              `json:"hours"`
}

func (s *Server) handleAgentCheckCreate(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req agentCheckRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &tandem.AgentCheck{OrganizationID: orgID, Group: req.Group, Check: agentproto.Check{
		Kind: req.Kind, Name: req.Name, Threshold: req.Threshold, Minutes: req.Minutes, Target: req.Target, Hours: req.Hours}}
	if err := s.DeviceService.CreateAgentCheck(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleAgentCheckList(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.DeviceService.FindAgentChecks(r.Context(), orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleAgentCheckDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "local check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.DeviceService.DeleteAgentCheck(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
