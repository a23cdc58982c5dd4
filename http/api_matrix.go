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

// A matrixReply writes the answer of a matrix operation that succeeded.
type matrixReply func(w http.ResponseWriter)

// jsonReply answers v as JSON with status.
func jsonReply(status int, v any) matrixReply {
	return func(w http.ResponseWriter) { writeJSON(w, status, v) }
}

// listReply answers items as a list body.
func listReply[T any](items []T) matrixReply {
	return func(w http.ResponseWriter) { writeList(w, items, "") }
}

// serveMatrix is every matrix operation of the API: it reads the
// organisation of /api/v1/orgs/{id}/…, runs do on it and writes do's reply,
// or the error of whichever step failed.
func (s *Server) serveMatrix(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, orgID int64) (matrixReply, error)) {
	id, err := pathID(r, "organisation")
	if err == nil {
		var reply matrixReply
		if reply, err = do(r.Context(), id); err == nil {
			reply(w)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) handleAreaList(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		areas, err := s.MatrixService.FindServiceAreas(ctx, id)
		return listReply(areas), err
	})
}

// areaCreateRequest is the body of POST /api/v1/orgs/{id}/areas.
type areaCreateRequest struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

func (s *Server) handleAreaCreate(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		var req areaCreateRequest
		if err := decodeJSON(w, r, &req); err != nil {
			return nil, err
		}
		area := &tandem.ServiceArea{OrganizationID: id, Key: req.Key, Name: req.Name, Position: req.Position}
		return jsonReply(http.StatusCreated, area), s.MatrixService.CreateServiceArea(ctx, area)
	})
}

func (s *Server) handleAreaUpdate(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		areaID, err := strconv.ParseInt(r.PathValue("area"), 10, 64)
		if err != nil || areaID <= 0 {
			return nil, tandem.Errorf(tandem.ENOTFOUND, "No service area with id %q.", r.PathValue("area"))
		}
		var upd tandem.ServiceAreaUpdate
		if err := decodeJSON(w, r, &upd); err != nil {
			return nil, err
		}
		area, err := s.MatrixService.UpdateServiceArea(ctx, id, areaID, upd)
		return jsonReply(http.StatusOK, area), err
	})
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

// versionPath reads the version number of …/matrix/versions/{n}.
func versionPath(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "No matrix version %q.", r.PathValue("n"))
	}
	return n, nil
}

// writeMatrixCSV sends a version as a CSV download named
// tandem-matrix-<org>-v<N>.csv.
func (s *Server) writeMatrixCSV(w http.ResponseWriter, org string, areas []*tandem.ServiceArea, v *tandem.MatrixVersion) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tandem-matrix-`+org+`-v`+strconv.Itoa(v.Number)+`.csv"`)
	if err := tandem.WriteMatrixCSV(w, areas, v); err != nil {
		s.Logger.Error("write matrix csv", "err", err)
	}
}

// handleMatrixGet answers the accepted matrix, or ?version=N, as JSON or,
// with ?format=csv, as a CSV download.
func (s *Server) handleMatrixGet(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		n, err := versionNumber(r)
		if err != nil {
			return nil, err
		}
		format := r.URL.Query().Get("format")
		if format != "" && format != "json" && format != "csv" {
			return nil, tandem.Errorf(tandem.EBADREQUEST, "format %q is not supported: use json or csv.", format)
		}
		v, err := s.MatrixService.FindMatrixVersion(ctx, id, n)
		if err != nil || format != "csv" {
			return jsonReply(http.StatusOK, v), err
		}
		areas, err := s.MatrixService.FindServiceAreas(ctx, id)
		return func(w http.ResponseWriter) { s.writeMatrixCSV(w, itoa64(id), areas, v) }, err
	})
}

func (s *Server) handleMatrixVersions(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		list, err := s.MatrixService.MatrixHistory(ctx, id)
		return listReply(list), err
	})
}

// matrixProposeRequest is the body of POST /api/v1/orgs/{id}/matrix/versions.
type matrixProposeRequest struct {
	Assignments []tandem.Assignment `json:"assignments"`
}

func (s *Server) handleMatrixPropose(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		var req matrixProposeRequest
		if err := decodeJSON(w, r, &req); err != nil {
			return nil, err
		}
		v, err := s.MatrixService.ProposeMatrix(ctx, id, req.Assignments)
		return jsonReply(http.StatusCreated, v), err
	})
}

func (s *Server) handleMatrixSign(w http.ResponseWriter, r *http.Request) {
	s.handleMatrixVersionAction(w, r, s.MatrixService.SignMatrix)
}

func (s *Server) handleMatrixWithdraw(w http.ResponseWriter, r *http.Request) {
	s.handleMatrixVersionAction(w, r, s.MatrixService.WithdrawMatrix)
}

// handleMatrixVersionAction applies an action to the version /{id}/matrix/versions/{n}.
func (s *Server) handleMatrixVersionAction(w http.ResponseWriter, r *http.Request, act func(context.Context, int64, int) (*tandem.MatrixVersion, error)) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		n, err := versionPath(r)
		if err != nil {
			return nil, err
		}
		v, err := act(ctx, id, n)
		return jsonReply(http.StatusOK, v), err
	})
}

func (s *Server) handleMatrixGaps(w http.ResponseWriter, r *http.Request) {
	s.serveMatrix(w, r, func(ctx context.Context, id int64) (matrixReply, error) {
		n, err := versionNumber(r)
		if err != nil {
			return nil, err
		}
		report, err := s.MatrixService.MatrixGaps(ctx, id, n)
		return jsonReply(http.StatusOK, report), err
	})
}
