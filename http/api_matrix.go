package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerMatrixRoutes() {
	s.handle("GET /api/v1/orgs/{id}/areas", s.api(s.handleAreaList))
	s.handle("POST /api/v1/orgs/{id}/areas", s.api(s.handleAreaCreate))
	s.handle("PATCH /api/v1/orgs/{id}/areas/{area}", s.api(s.handleAreaUpdate))
	s.handle("GET /api/v1/orgs/{id}/matrix", s.api(s.handleMatrixGet))
	s.handle("GET /api/v1/orgs/{id}/matrix/versions", s.api(s.handleMatrixVersions))
	s.handle("POST /api/v1/orgs/{id}/matrix/versions", s.api(s.handleMatrixPropose))
	s.handle("POST /api/v1/orgs/{id}/matrix/versions/{n}/sign", s.api(s.handleMatrixSign))
	s.handle("POST /api/v1/orgs/{id}/matrix/versions/{n}/withdraw", s.api(s.handleMatrixWithdraw))
	s.handle("GET /api/v1/orgs/{id}/matrix/gaps", s.api(s.handleMatrixGaps))
	s.registerMatrixUIRoutes()
}

func (s *Server) handleAreaList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	areas, err := s.MatrixService.FindServiceAreas(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, areas, "")
}

// areaCreateRequest is the body of POST /api/v1/orgs/{id}/areas.
type areaCreateRequest struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

func (s *Server) handleAreaCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req areaCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	area := &tandem.ServiceArea{OrganizationID: id, Key: req.Key, Name: req.Name, Position: req.Position}
	if err := s.MatrixService.CreateServiceArea(r.Context(), area); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, area)
}

func (s *Server) handleAreaUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	areaID, err := strconv.ParseInt(r.PathValue("area"), 10, 64)
	if err != nil || areaID <= 0 {
		s.writeError(w, r, tandem.Errorf(tandem.ENOTFOUND, "No service area with id %q.", r.PathValue("area")))
		return
	}
	var upd tandem.ServiceAreaUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	area, err := s.MatrixService.UpdateServiceArea(r.Context(), id, areaID, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, area)
}

// versionNumber reads an optional ?version=N; 0 means the accepted version.
func versionNumber(r *http.Request) (int, error) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, tandem.Errorf(tandem.EBADREQUEST, "version %q is not a positive integer.", v)
	}
	return n, nil
}

// handleMatrixGet answers the accepted matrix, or ?version=N, as JSON or,
// with ?format=csv, as a CSV download.
func (s *Server) handleMatrixGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := versionNumber(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "format %q is not supported: use json or csv.", format))
		return
	}
	v, err := s.MatrixService.FindMatrixVersion(r.Context(), id, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, v)
		return
	}
	areas, err := s.MatrixService.FindServiceAreas(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tandem-matrix-`+itoa64(id)+`-v`+strconv.Itoa(v.Number)+`.csv"`)
	if err := tandem.WriteMatrixCSV(w, areas, v); err != nil {
		s.Logger.Error("write matrix csv", "err", err)
	}
}

func (s *Server) handleMatrixVersions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.MatrixService.MatrixHistory(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// matrixProposeRequest is the body of POST /api/v1/orgs/{id}/matrix/versions.
type matrixProposeRequest struct {
	Assignments []tandem.Assignment `json:"assignments"`
}

func (s *Server) handleMatrixPropose(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req matrixProposeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.MatrixService.ProposeMatrix(r.Context(), id, req.Assignments)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleMatrixSign(w http.ResponseWriter, r *http.Request) {
	s.handleMatrixVersionAction(w, r, s.MatrixService.SignMatrix)
}

func (s *Server) handleMatrixWithdraw(w http.ResponseWriter, r *http.Request) {
	s.handleMatrixVersionAction(w, r, s.MatrixService.WithdrawMatrix)
}

// handleMatrixVersionAction applies an action to the version /{id}/matrix/versions/{n}.
func (s *Server) handleMatrixVersionAction(w http.ResponseWriter, r *http.Request, act func(context.Context, int64, int) (*tandem.MatrixVersion, error)) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		s.writeError(w, r, tandem.Errorf(tandem.ENOTFOUND, "No matrix version %q.", r.PathValue("n")))
		return
	}
	v, err := act(r.Context(), id, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleMatrixGaps(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := versionNumber(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	report, err := s.MatrixService.MatrixGaps(r.Context(), id, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}
