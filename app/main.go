// Package app wires Tandem together: it opens the database, builds the
// services and the HTTP server, prepares a new installation and shuts all of it
// down in order. cmd/tandem gives it flags; tests run it on :0 with a
// temporary database.
package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/demo"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqlstore"
)

// SetupLinkTTL is how long the printed setup link works.
const SetupLinkTTL = time.Hour

// Version is the version printed at start; cmd/tandem sets it.
var Version = "0.1.0-dev"

// Main is the running server: configuration, database and HTTP server. Tests
// build one, call Run on :0 and Close it.
type Main struct {
	// DataDir holds the SQLite database when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…).
	DatabaseURL string
	Addr        string
	PublicURL   string
	LogFormat   string
	LogLevel    string
	// ProviderName names the MSP when the database is created; default
	// "Provider" (the demo's MSP with Demo).
	ProviderName  string
	Demo          bool
	SecureCookies bool
	// SessionIdleTimeout ends a browser session unused this long, and
	// SessionMaxAge any session this long after login; zero means the
	// default (30 minutes, 12 hours).
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	// TimerInterval is the longest the scheduler sleeps between looks for
	// work come due (SLA timers, escalation steps, deliveries; it also
	// wakes for the next one and when this process writes work due now);
	// zero means 15 seconds.
	TimerInterval time.Duration
	// AgentDir holds the tandem-agent binaries the server offers for
	// download; empty means DataDir/agents.
	AgentDir string
	// MetricsRetention is how long devices' metric history is kept; zero
	// means sqlstore.DefaultMetricsRetention.
	MetricsRetention sqlstore.MetricsRetention
	// AttachmentStore says where attachment bytes go: "files" under
	// DataDir/attachments, or "database" (the blobs table) for replicas that
	// share a database but no disk. Empty means files, or the database when
	// DatabaseURL is set and DataDir is empty.
	AttachmentStore string
	// AttachmentMaxBytes bounds one attachment; zero means 25 MiB.
	AttachmentMaxBytes int64
	// SMTPURL is the SMTP server emails go through
	// (smtps://user:pass@host:port, see notify.ParseSMTPURL); empty keeps
	// emails unsent in the outbox. SMTPPasswordFile, when set, holds the
	// password instead of the URL. SMTPFrom is the sender address.
	SMTPURL          string
	SMTPFrom         string
	SMTPPasswordFile string
	// SMTPTLSConfig, when set, replaces the TLS settings of the SMTP
	// connection (tests trust their own certificate with it).
	SMTPTLSConfig *tls.Config

	Stdout io.Writer
	Logger *slog.Logger

	Services   *Services
	HTTPServer *tandemhttp.Server

	scheduler *schedulerLoop
	mailer    *notify.Mailer
}

// validate checks settings that need no I/O.
func (m *Main) validate() error {
	if _, port, err := net.SplitHostPort(m.Addr); err != nil || port == "" {
		return tandem.Errorf(tandem.ECONFIG, "--addr (TANDEM_ADDR) %q is not host:port: write it as 127.0.0.1:8080 or :8080", m.Addr)
	}
	if m.PublicURL != "" && !strings.HasPrefix(m.PublicURL, "http://") && !strings.HasPrefix(m.PublicURL, "https://") {
		return tandem.Errorf(tandem.ECONFIG, "--public-url (TANDEM_PUBLIC_URL) %q must start with http:// or https://", m.PublicURL)
	}
	if m.SessionIdleTimeout == 0 {
		m.SessionIdleTimeout = tandem.DefaultSessionIdleTimeout
	}
	if m.SessionMaxAge == 0 {
		m.SessionMaxAge = tandem.DefaultSessionMaxAge
	}
	if m.MetricsRetention == (sqlstore.MetricsRetention{}) {
		m.MetricsRetention = sqlstore.DefaultMetricsRetention
	}
	if err := m.MetricsRetention.Validate(); err != nil {
		return err
	}
	if m.TimerInterval == 0 {
		m.TimerInterval = DefaultTimerInterval
	}
	if m.TimerInterval < 10*time.Millisecond || m.TimerInterval > time.Hour {
		return tandem.Errorf(tandem.ECONFIG, "--timer-interval (TANDEM_TIMER_INTERVAL) %v must be between 10ms and 1h; 15s suits most installations", m.TimerInterval)
	}
	if m.SessionIdleTimeout < time.Minute || m.SessionIdleTimeout > m.SessionMaxAge {
		return tandem.Errorf(tandem.ECONFIG, "--session-idle-timeout (TANDEM_SESSION_IDLE_TIMEOUT) %v must be at least 1m and at most --session-max-age (TANDEM_SESSION_MAX_AGE, %v)", m.SessionIdleTimeout, m.SessionMaxAge)
	}
	switch m.AttachmentStore {
	case "", AttachmentsInDatabase:
	case AttachmentsInFiles:
		if m.DataDir == "" {
			return tandem.Errorf(tandem.ECONFIG, "--attachment-store (TANDEM_ATTACHMENT_STORE) files needs a data directory: set --data (TANDEM_DATA), or use --attachment-store database")
		}
	default:
		return tandem.Errorf(tandem.ECONFIG, "--attachment-store (TANDEM_ATTACHMENT_STORE) %q is unknown: use files or database", m.AttachmentStore)
	}
	if m.AttachmentMaxBytes < 0 {
		return tandem.Errorf(tandem.ECONFIG, "--attachment-max-bytes (TANDEM_ATTACHMENT_MAX_BYTES) %d must be positive", m.AttachmentMaxBytes)
	}
	return nil
}

// openMailer reads the SMTP settings, when there are any, into the
// mailer: a bad URL, sender or password file stops the start with ECONFIG.
// It dials nothing; a server that cannot be reached leaves the emails
// pending, retried.
func (m *Main) openMailer() error {
	if m.SMTPURL == "" {
		if m.SMTPFrom != "" || m.SMTPPasswordFile != "" {
			return tandem.Errorf(tandem.ECONFIG, "--smtp-from (TANDEM_SMTP_FROM) or TANDEM_SMTP_PASSWORD_FILE is set but --smtp-url (TANDEM_SMTP_URL) is not: set the SMTP server's URL, such as smtps://user@mail.example.com:465")
		}
		return nil
	}
	cfg, err := notify.LoadSMTPConfig(m.SMTPURL, m.SMTPPasswordFile)
	if err != nil {
		return err
	}
	if m.SMTPFrom == "" {
		return tandem.Errorf(tandem.ECONFIG, "--smtp-from (TANDEM_SMTP_FROM) is needed with --smtp-url: the address emails come from, such as \"Tandem <tandem@msp.example>\"")
	}
	cfg.TLSConfig = m.SMTPTLSConfig
	m.mailer, err = notify.NewMailer(cfg, m.SMTPFrom, 0)
	return err
}

// The attachment stores AttachmentStore names.
const (
	AttachmentsInFiles    = "files"
	AttachmentsInDatabase = "database"
)

// Run opens the database, prepares the installation and starts serving. It
// returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	if err := m.validate(); err != nil {
		return err
	}
	if err := m.openMailer(); err != nil {
		return err
	}
	db, err := OpenDB(ctx, sqlstore.Config{DataDir: m.DataDir, DatabaseURL: m.DatabaseURL})
	if err != nil {
		return err
	}
	m.Services = NewServices(db, m.DataDir)
	m.Services.Sessions.IdleTimeout, m.Services.Sessions.AbsoluteTimeout = m.SessionIdleTimeout, m.SessionMaxAge
	m.Services.Tickets.Blobs = newBlobStore(db, m.DataDir, m.AttachmentStore)
	m.Services.Tickets.MaxAttachmentBytes = m.AttachmentMaxBytes
	provider := m.ProviderName
	switch {
	case provider != "":
	case m.Demo:
		provider = demo.ProviderName
	default:
		provider = "Provider"
	}
	if _, err := m.Services.Setup.EnsureProvider(ctx, provider); err != nil {
		return err
	}
	if m.Demo {
		if err := m.loadDemo(ctx); err != nil {
			return err
		}
	}

	s := tandemhttp.NewServer()
	s.Addr, s.Logger, s.SecureCookies, s.PublicURL = m.Addr, m.Logger, m.SecureCookies, m.PublicURL
	s.AgentDir = m.AgentDir
	if s.AgentDir == "" && m.DataDir != "" {
		s.AgentDir = filepath.Join(m.DataDir, "agents")
	}
	s.MaxAttachmentBytes = m.AttachmentMaxBytes
	s.Ready = db.Ready
	s.OrganizationService = m.Services.Organizations
	s.UserService = m.Services.Users
	s.TokenService = m.Services.Tokens
	s.SessionService = m.Services.Sessions
	s.SetupService = m.Services.Setup
	s.AuditService = m.Services.Audit
	s.MFAService = m.Services.MFA
	s.InvitationService = m.Services.Invitations
	s.MatrixService = m.Services.Matrix
	s.TicketService = m.Services.Tickets
	s.SLAService = m.Services.SLA
	s.PasswordResetService = m.Services.PasswordResets
	s.EscalationService = m.Services.Escalation
	s.NotificationService, s.SubscribeInbox = m.Services.Notifications, db.Inbox().Subscribe
	s.WebhookService = m.Services.Webhooks
	s.OnCallService = m.Services.OnCall
	s.DeviceService = m.Services.Devices
	s.AgentService = m.Services.Devices
	s.Now = func() time.Time { return db.Now() } // tests replace db.Now after start
	s.RegisterDBStats(db.Stats())
	if _, _, ok := db.GroupCommits(); ok {
		s.RegisterGroupCommits(db.GroupCommits, db.CommitTimes)
	}
	s.RegisterCheckinBatches(db.CheckinBatchTimes, db.CheckinWaits)
	if err := s.Open(); err != nil {
		return err
	}
	m.HTTPServer = s
	m.Services.Scheduler.BaseURL = m.URL()
	m.Services.Scheduler.Retention = m.MetricsRetention
	m.Services.Scheduler.Deliverers[tandem.ChannelWebhook] = notify.NewPoster()
	if m.mailer != nil {
		m.Services.Scheduler.Deliverers[tandem.ChannelEmail] = m.mailer
	}
	m.scheduler = startScheduler(m.Services.Scheduler, m.TimerInterval, db.Now, m.Logger)

	where := "SQLite in " + db.Path
	if db.Dialect() == sqlstore.Postgres {
		where = "PostgreSQL"
	}
	fmt.Fprintf(m.Stdout, "Tandem %s is running at %s (%s)\n", Version, m.URL(), where)
	m.Logger.Info("listening", "url", m.URL(), "dialect", db.Dialect())
	if m.mailer != nil {
		fmt.Fprintf(m.Stdout, "Email: %s\n", m.mailer.Describe())
	} else {
		fmt.Fprintf(m.Stdout, "Email: no SMTP server is configured (--smtp-url); emails are kept, unsent, in the outbox at %s/outbox\n", m.URL())
	}
	return m.printSetupLink(ctx)
}

// URL returns the base URL printed links use.
func (m *Main) URL() string {
	if m.PublicURL != "" {
		return strings.TrimSuffix(m.PublicURL, "/")
	}
	return m.HTTPServer.URL()
}

// printSetupLink prints a one-time link creating the first provider admin
// while there is none, or says how to log in.
func (m *Main) printSetupLink(ctx context.Context) error {
	needs, err := m.Services.Setup.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if !needs {
		fmt.Fprintf(m.Stdout, "Log in at %s/login\n", m.URL())
		return nil
	}
	token, err := m.Services.Setup.CreateSetupToken(ctx, SetupLinkTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "No admin yet. Open this link within 1 hour to create the first provider admin:\n\n    %s/setup/%s\n\n", m.URL(), token)
	fmt.Fprintln(m.Stdout, "(Or create one with: tandem user add --email you@example.com --role admin)")
	return nil
}

func (m *Main) loadDemo(ctx context.Context) error {
	ctx = tandem.NewContextWithActor(ctx, tandem.SystemActor)
	logins, err := demo.Load(ctx, demo.Services{Organizations: m.Services.Organizations, Users: m.Services.Users, Matrix: m.Services.Matrix, Tickets: m.Services.Tickets, SLA: m.Services.SLA,
		Escalation: m.Services.Escalation, Webhooks: m.Services.Webhooks, OnCall: m.Services.OnCall})
	if err != nil {
		return err
	}
	if logins == nil {
		fmt.Fprintln(m.Stdout, "Demo data already present.")
		return nil
	}
	// The demo is for exploring: provider staff need not set up MFA first.
	if err := m.Services.MFA.SetProviderRequiresMFA(ctx, false); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Demo data loaded. Every demo user's password is %q:\n", demo.Password)
	for _, l := range logins {
		fmt.Fprintf(m.Stdout, "  %-34s %s\n", l.Email, l.Description)
	}
	fmt.Fprintln(m.Stdout, "Two-factor authentication is optional for provider staff in the demo (a real installation requires it; turn it on under Account → Provider settings).")
	return nil
}

// Close stops the scheduler and the HTTP server, letting a round of
// scheduled work and requests in flight finish, then closes the database.
func (m *Main) Close() error {
	var err error
	if m.scheduler != nil {
		m.scheduler.stop()
		m.scheduler = nil
	}
	if m.mailer != nil {
		m.mailer.Close()
		m.mailer = nil
	}
	if m.HTTPServer != nil {
		err = m.HTTPServer.Close()
	}
	if m.Services != nil {
		if cerr := m.Services.DB.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// OpenDB opens and migrates the configured database.
func OpenDB(ctx context.Context, cfg sqlstore.Config) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Services are the store's services on one database.
type Services struct {
	DB            *sqlstore.DB
	Organizations *sqlstore.OrganizationService
	Users         *sqlstore.UserService
	Tokens        *sqlstore.TokenService
	Sessions      *sqlstore.SessionService
	Setup         *sqlstore.SetupService
	Audit         *sqlstore.AuditService
	MFA           *sqlstore.MFAService
	Invitations   *sqlstore.InvitationService
	Matrix        *sqlstore.MatrixService
	Tickets       *sqlstore.TicketService
	SLA           *sqlstore.SLAService
	Scheduler     *sqlstore.Scheduler
	// Notifications and PasswordResets: the notification rules' services.
	Notifications  *sqlstore.NotificationService
	PasswordResets *sqlstore.PasswordResetService
	Escalation     *sqlstore.EscalationService
	Webhooks       *sqlstore.WebhookService
	OnCall         *sqlstore.OnCallService
	Devices        *sqlstore.DeviceService
}

// NewServices builds every service on db. Attachment bytes go to files
// under dataDir/attachments, or into the database when dataDir is empty
// (replicas on PostgreSQL that share no disk).
func NewServices(db *sqlstore.DB, dataDir string) *Services {
	users := sqlstore.NewUserService(db)
	blobs := newBlobStore(db, dataDir, "")
	sla := sqlstore.NewSLAService(db)
	return &Services{
		DB:             db,
		Organizations:  sqlstore.NewOrganizationService(db),
		Users:          users,
		Tokens:         sqlstore.NewTokenService(db),
		Sessions:       sqlstore.NewSessionService(db),
		Setup:          sqlstore.NewSetupService(db, users),
		Audit:          sqlstore.NewAuditService(db),
		MFA:            sqlstore.NewMFAService(db),
		Invitations:    sqlstore.NewInvitationService(db, users),
		Matrix:         sqlstore.NewMatrixService(db),
		Tickets:        sqlstore.NewTicketService(db, blobs),
		SLA:            sla,
		Scheduler:      sqlstore.NewScheduler(db, sla),
		Notifications:  sqlstore.NewNotificationService(db),
		PasswordResets: sqlstore.NewPasswordResetService(db, users),
		Escalation:     sqlstore.NewEscalationService(db),
		Webhooks:       sqlstore.NewWebhookService(db),
		OnCall:         sqlstore.NewOnCallService(db),
		Devices:        sqlstore.NewDeviceService(db),
	}
}

// newBlobStore returns the attachment store a setting names (see
// Main.AttachmentStore).
func newBlobStore(db *sqlstore.DB, dataDir, store string) tandem.BlobStore {
	if store == AttachmentsInDatabase || store == "" && dataDir == "" {
		return sqlstore.NewDBBlobStore(db)
	}
	return sqlstore.NewFileBlobStore(filepath.Join(dataDir, sqlstore.AttachmentsDirName))
}
