package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

func (s *Server) registerAPIRoutes() {
	s.handle("GET /api/v1/openapi.json", s.handleOpenAPI)
	s.handle("GET /api/v1/me", s.api(s.handleMe))
	s.registerOrganizationRoutes()
	s.registerUserRoutes()
	// Anything else under /api/ is a JSON 404 or 405: see Server.route.
}

// api wraps an API handler: it requires a bearer token and puts its actor in
// the request context.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 9110, section 11.1).
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.writeError(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "Send an API token as Authorization: Bearer <token>; create one with tandem token create."))
			return
		}
		actor, err := s.TokenService.ActorForToken(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		actor.SourceAddr = sourceAddr(r)
		h(w, r.WithContext(tandem.NewContextWithActor(r.Context(), actor)))
	}
}

// decodeJSON reads a JSON request body into v strictly: at most MaxBodyBytes,
// no unknown fields, no trailing data. Its errors name what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// Media types are case-insensitive and may carry parameters such as
		// charset (RFC 9110, section 8.3.1); a prefix match would also let
		// application/jsonp through.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return tandem.Errorf(tandem.EBADREQUEST, "Content-Type %q is not supported; send application/json.", ct)
		}
	}
	var body bytes.Buffer
	dec := json.NewDecoder(io.TeeReader(http.MaxBytesReader(w, r.Body, MaxBodyBytes), &body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return tandem.Errorf(tandem.EBADREQUEST, "Request body holds more than one JSON value; send a single object.")
	}
	return exactKeys(body.Bytes(), v)
}

// exactKeys refuses what encoding/json lets through: a key that matches a
// field only when case is ignored ({"ROLE": …} for "role") and a key given
// twice, of which json keeps the last. Either would let a proxy checking
// "role" and this server read different requests. v is a flat struct.
func exactKeys(data []byte, v any) error {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	known := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		known[name] = name != "-"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: Decode has judged it
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key, _ := tok.(string)
		if !known[key] {
			return tandem.Errorf(tandem.EBADREQUEST, "Unknown field %q (field names are case-sensitive); see /api/v1/openapi.json for the fields this route takes.", key)
		}
		if seen[key] {
			return tandem.Errorf(tandem.EBADREQUEST, "Field %q is given more than once; send it once.", key)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return jsonError(err)
		}
	}
	return nil
}

// jsonError turns a decoding error into a message naming the problem.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return tandem.Errorf(tandem.ETOOLARGE, "Request body is larger than %d bytes.", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return tandem.Errorf(tandem.EBADREQUEST, "Request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return tandem.Errorf(tandem.EBADREQUEST, "Request body is cut short: the JSON is incomplete.")
	case errors.As(err, &syntax):
		return tandem.Errorf(tandem.EBADREQUEST, "Request body is not valid JSON at byte %d: %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return tandem.Errorf(tandem.EBADREQUEST, "Request body must be a JSON object, not %s.", typ.Value)
		}
		return tandem.Errorf(tandem.EBADREQUEST, "Field %q must be %s, not %s.", field, jsonTypeName(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return tandem.Errorf(tandem.EBADREQUEST, "Unknown field %s; see /api/v1/openapi.json for the fields this route takes.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return tandem.Errorf(tandem.EBADREQUEST, "Request body cannot be read: %v.", err)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string" // also the domain's named strings (roles, levels, statuses)
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// pathID reads the numeric {id} path parameter; anything else is a noun not found.
func pathID(r *http.Request, noun string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "No %s with id %q.", noun, r.PathValue("id"))
	}
	return id, nil
}

// page reads the limit and cursor query parameters.
func page(r *http.Request) (limit int, cursor string, err error) {
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 {
			return 0, "", tandem.Errorf(tandem.EBADREQUEST, "limit %q is not a positive integer.", v)
		}
	}
	return limit, q.Get("cursor"), nil
}

// queryID reads an optional numeric query parameter.
func queryID(r *http.Request, name string) (*int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, tandem.Errorf(tandem.EBADREQUEST, "%s %q is not an integer id.", name, v)
	}
	return &id, nil
}

// listBody is the JSON shape of every list answer.
type listBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func writeList[T any](w http.ResponseWriter, items []T, next string) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, listBody[T]{Items: items, NextCursor: next})
}

// handleMe returns the caller's own user.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a := tandem.ActorFromContext(r.Context())
	u, err := s.UserService.FindUserByID(r.Context(), a.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
