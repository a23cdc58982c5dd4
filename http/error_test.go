package http

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A client that hangs up before its answer (an agent stopping, a browser
// tab closed) is not a server error: no ERROR line for the operator, and
// the status says the client closed the request.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	for _, c := range []struct {
		name      string
		cancelled bool
		err       error
		status    int
		logged    bool
	}{
		{"Cancelled", true, fmt.Errorf("store check-in: %w", context.Canceled), statusClientClosedRequest, false},
		{"CancelledButAnotherError", true, fmt.Errorf("disk I/O error"), http.StatusInternalServerError, true},
		{"ContextErrorOfItsOwn", false, context.DeadlineExceeded, http.StatusInternalServerError, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			s := &Server{Logger: slog.New(slog.NewTextHandler(&log, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			if c.cancelled {
				cancel()
			} else {
				defer cancel()
			}
			r := httptest.NewRequestWithContext(ctx, "POST", "/agent/v1/checkin", nil)
			w := httptest.NewRecorder()
			s.writeError(w, r, c.err)
			if w.Code != c.status {
				t.Errorf("status %d; want %d", w.Code, c.status)
			}
			if got := strings.Contains(log.String(), "level=ERROR"); got != c.logged {
				t.Errorf("logged an error: %v; want %v (log: %s)", got, c.logged, log.String())
			}
		})
	}
}
