package http

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A handler that panics answers with Tandem's own 500, never Go's bare
// text and never the panic's detail: the styled error page for a browser,
// the JSON error under /api/.
func TestPanicAnswersStyledError(t *testing.T) {
	s := NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	s.mux.HandleFunc("GET /api/v1/boom", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	h := s.Handler()

	for _, tt := range []struct{ path, contentType, want string }{
		{"/boom", "text/html", `id="error-page"`},
		{"/api/v1/boom", "application/json", `"code":"internal"`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		body := rec.Body.String()
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s answered %d, want 500", tt.path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
			t.Errorf("%s answered %s, want %s", tt.path, ct, tt.contentType)
		}
		if !strings.Contains(body, tt.want) || !strings.Contains(body, "Something went wrong on our side") {
			t.Errorf("%s answered %q, want Tandem's error with %s", tt.path, body, tt.want)
		}
		if strings.Contains(body, "secret detail") {
			t.Errorf("%s shows the panic's detail: %q", tt.path, body)
		}
	}
}
