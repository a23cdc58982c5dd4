package http

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every /api/v1 route; a test checks that it is
// valid OpenAPI 3.1 and lists exactly the routes the server registers.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the API description served at /api/v1/openapi.json.
func OpenAPIDocument() []byte { return openAPIDocument }

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDocument)
}
