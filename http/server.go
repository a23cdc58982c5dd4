// Package http serves Tandem over HTTP: the JSON API under /api/v1, the
// server-rendered web UI, and the operations endpoints (/healthz, /readyz,
// /metrics). Handlers parse, call a service from the tandem package, and
// render; access decisions live in the services.
package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandemhq/tandem"
)

// ShutdownTimeout bounds how long Close waits for in-flight requests.
const ShutdownTimeout = 15 * time.Second

// Server is Tandem's HTTP server. Set the services and options, then call Open.
type Server struct {
	ln     net.Listener
	server *http.Server
	mux    *http.ServeMux
	routes []string

	// Addr is the address to listen on, such as 127.0.0.1:8080 or :0.
	Addr string
	// Logger receives one line per request and every internal error.
	Logger *slog.Logger
	// Registry collects the Prometheus metrics served at /metrics.
	Registry *prometheus.Registry
	// Ready reports whether the server can serve (database reachable, schema current).
	Ready func(ctx context.Context) error
	// SecureCookies marks cookies Secure; set it when Tandem is reached over TLS.
	SecureCookies bool
	// AgentDir holds the tandem-agent binaries the server offers for
	// download (tandem-agent-linux-amd64, …-windows-amd64.exe); empty
	// offers none.
	AgentDir string
	// PublicURL is the base URL users reach Tandem at, for links the server
	// shows (invitations). Empty means the request's own scheme and host.
	PublicURL string
	// MaxAttachmentBytes bounds an uploaded attachment's body (the file plus
	// a little multipart framing); zero means DefaultMaxAttachmentBytes. Set
	// it to the storage's limit.
	MaxAttachmentBytes int64

	OrganizationService tandem.OrganizationService
	UserService         tandem.UserService
	TokenService        tandem.TokenService
	SessionService      tandem.SessionService
	SetupService        tandem.SetupService
	AuditService        tandem.AuditService
	MFAService          tandem.MFAService
	InvitationService   tandem.InvitationService
	MatrixService       tandem.MatrixService
	TicketService       tandem.TicketService
	SLAService          tandem.SLAService
	// PasswordResetService sends and redeems password reset links.
	PasswordResetService tandem.PasswordResetService
	EscalationService    tandem.EscalationService
	NotificationService  tandem.NotificationService
	// SubscribeInbox signals when a user's in-app notifications change
	// (sqlstore.InboxHub.Subscribe), for the bell's event stream.
	SubscribeInbox func(userID int64) (<-chan struct{}, func())
	WebhookService tandem.WebhookService
	OnCallService  tandem.OnCallService
	DeviceService  tandem.DeviceService
	// AgentService answers the agents' own protocol, /agent/v1.
	AgentService tandem.AgentService

	// Now is the clock of pages that show "now" (who is on call, this
	// week); nil means time.Now. The application sets the database's.
	Now func() time.Time

	metrics *httpMetrics
	// closing is closed when the server shuts down, ending event streams
	// (which would otherwise hold Close for ShutdownTimeout).
	closing chan struct{}
	ui      *ui
	zones   sync.Map // IANA name → *time.Location, for viewerZone
}

// NewServer returns a server with its routes registered; the services must be
// set before it serves a request.
func NewServer() *Server {
	s := &Server{
		mux:      http.NewServeMux(),
		Logger:   slog.Default(),
		Registry: prometheus.NewRegistry(),
		Ready:    func(context.Context) error { return nil },
		closing:  make(chan struct{}),
	}
	s.metrics = newHTTPMetrics(s.Registry)
	s.registerOperationRoutes()
	s.registerAPIRoutes()
	s.registerUIRoutes()
	s.registerAuditRoutes()                  // api_audit.go, ui_audit.go
	s.registerAccountRoutes()                // ui_account.go: password, sessions, MFA
	s.registerPeopleRoutes()                 // ui_people.go, api_invitation.go, api_token.go: invitations, team management, tokens
	s.registerMatrixRoutes()                 // api_matrix.go: service areas, responsibility matrix
	s.registerTicketRoutes()                 // api_ticket.go, api_sla.go: tickets, calendars, SLA policy
	s.registerDeskUIRoutes()                 // ui_ticket.go, ui_sla.go: ticket pages, queues, SLA settings
	s.registerHomeRoutes()                   // ui_home.go: home pages, creating and renaming organisations
	s.registerNotificationPreferenceRoutes() // ui_notification_prefs.go, api_notification_prefs.go
	s.registerPasswordResetRoutes()          // ui_password_reset.go: forgot password, reset by link
	s.registerEscalationRoutes()             // api_escalation.go, ui_escalation.go, ui_ack.go: policies, incidents, acknowledgement links
	s.registerInboxRoutes()                  // api_notification.go, ui_notification.go, ui_outbox.go: the bell, notifications, the outbox
	s.registerWebhookRoutes()                // api_webhook.go, ui_webhook.go: webhooks and their delivery logs
	s.registerOnCallRoutes()                 // api_oncall.go, ui_oncall.go: on-call schedules, their week view and feeds
	s.registerAgentRoutes()                  // agent_api.go: the agents' protocol, /agent/v1
	s.registerDeviceRoutes()                 // api_device.go, ui_device.go: devices, enrolment tokens, local checks
	return s
}

// handle registers a handler for a Go 1.22 pattern ("GET /api/v1/orgs/{id}")
// and remembers the pattern so tests can compare routes with the API document
// and walk every route.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// Routes returns every registered route pattern.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// Handler returns the whole HTTP handler with middleware, for tests and for Open.
func (s *Server) Handler() http.Handler {
	csrf := http.NewCrossOriginProtection()
	return s.observe(csrf.Handler(http.HandlerFunc(s.route)))
}

// route serves a request with the mux, except when no route matches: the
// mux would answer a bare plain-text 404 or 405, so the answer is Tandem's
// own error instead, in the shape the client reads (noRoute). Asking the mux
// first costs one more pattern match, and keeps every route free of
// fallback code.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own handler decides between 404 and 405 (and lists the
	// allowed methods); keep its status and Allow header, drop its body.
	rec := &discardRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		s.noRoute(w, r, tandem.Errorf(EMETHOD, "%s is not allowed on %s; use %s.", r.Method, r.URL.Path, orList(rec.header.Get("Allow"))))
		return
	}
	s.noRoute(w, r, tandem.Errorf(tandem.ENOTFOUND, "There is no page at %s.", r.URL.Path))
}

// discardRecorder keeps the status and headers a handler writes, not its body.
type discardRecorder struct {
	header http.Header
	status int
}

func (d *discardRecorder) Header() http.Header { return d.header }

func (d *discardRecorder) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *discardRecorder) Write(b []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return tandem.Errorf(tandem.ECONFIG, "cannot listen on %s (%v): choose another address with --addr or TANDEM_ADDR", s.Addr, err)
	}
	s.ln = ln
	s.server = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	s.server.RegisterOnShutdown(func() { close(s.closing) })
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on, with 127.0.0.1 for an
// unspecified address.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, itoa(addr.Port))
}

// Close stops accepting connections and waits for in-flight requests.
func (s *Server) Close() error {
	if s.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	return s.server.Shutdown(ctx)
}

// sourceAddr is the address a request came from, as the audit trail records
// it: the peer's IP address. (Behind a reverse proxy this is the proxy; a
// trusted-proxy setting will read X-Forwarded-For when one is configured.)
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
