package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// EMETHOD is the error code of a request for a path that exists, but not
// for its method (405). Only the router raises it, so it lives here rather
// than among the service codes of package tandem.
const EMETHOD = "method_not_allowed"

// statusCodes maps each error code to its HTTP status, in one place.
var statusCodes = map[string]int{
	tandem.EBADREQUEST:   http.StatusBadRequest,
	tandem.EUNAUTHORIZED: http.StatusUnauthorized,
	tandem.EFORBIDDEN:    http.StatusForbidden,
	tandem.ENOTFOUND:     http.StatusNotFound,
	tandem.ECONFLICT:     http.StatusConflict,
	tandem.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	tandem.EINVALID:      http.StatusUnprocessableEntity,
	tandem.EINTERNAL:     http.StatusInternalServerError,
	tandem.EUNAVAILABLE:  http.StatusServiceUnavailable,
	tandem.ECONFIG:       http.StatusInternalServerError,
	tandem.ETOOMANY:      http.StatusTooManyRequests,
	EMETHOD:              http.StatusMethodNotAllowed,
}

// ErrorStatus returns the HTTP status for an error code.
func ErrorStatus(code string) int {
	if s, ok := statusCodes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// setRetryAfter tells the client of a throttled attempt, in whole seconds,
// when to try again (RFC 9110, section 10.2.3).
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := tandem.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusClientClosedRequest is what a request's metrics and access log
// show when its client went away before the answer (nginx's 499): not a
// server error.
const statusClientClosedRequest = 499

// answeredGone answers a request that failed because its own context
// ended (the client closed the connection or gave up waiting) with 499,
// logged at debug, and says whether it was one.
func (s *Server) answeredGone(w http.ResponseWriter, r *http.Request, err error) bool {
	if r.Context().Err() == nil || !(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return false
	}
	s.Logger.Debug("client went away", "method", r.Method, "route", r.Pattern, "err", err)
	w.WriteHeader(statusClientClosedRequest)
	return true
}

// writeError answers an API request with err as {"error":{"code","message"}}.
// Internal errors are logged with their detail and shown without it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if s.answeredGone(w, r, err) {
		return
	}
	code, msg := tandem.ErrorCode(err), tandem.ErrorMessage(err)
	if code == tandem.EINTERNAL || code == tandem.ECONFIG {
		s.Logger.Error("internal error", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if code == tandem.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tandem"`)
	}
	setRetryAfter(w, err)
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, ErrorStatus(code), body)
}

// noRoute answers a request that nothing serves (no route, a route without
// its method, a static file that does not exist) with err: as the API's JSON
// error under /api/, otherwise as the error page, in the signed-in viewer's
// frame when there is one.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, err error) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			err = tandem.Errorf(tandem.ENOTFOUND, "No API operation is at %s %s; the operations are listed at /api/v1/openapi.json.", r.Method, r.URL.Path)
		}
		s.writeError(w, r, err)
		return
	}
	data, r := s.viewerPageData(r)
	s.renderError(w, r, err, data)
}

// orList joins an Allow header's methods for a sentence: "GET, HEAD or POST".
func orList(allow string) string {
	methods := strings.Split(allow, ",")
	for i := range methods {
		methods[i] = strings.TrimSpace(methods[i])
	}
	if len(methods) == 1 {
		return methods[0]
	}
	return strings.Join(methods[:len(methods)-1], ", ") + " or " + methods[len(methods)-1]
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
