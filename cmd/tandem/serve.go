package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/demo"
	tandemhttp "github.com/tandemhq/tandem/http"
)

// SetupLinkTTL is how long the printed setup link works.
const SetupLinkTTL = time.Hour

// Main is the running server: configuration, database and HTTP server. Tests
// build one, call Run on :0 and Close it.
type Main struct {
	dbConfig
	Addr          string
	PublicURL     string
	LogFormat     string
	LogLevel      string
	ProviderName  string
	Demo          bool
	SecureCookies bool

	Stdout io.Writer
	Logger *slog.Logger

	Services   *services
	HTTPServer *tandemhttp.Server
}

func newServeCommand() *cobra.Command {
	m := &Main{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Tandem server",
		Long: "Run the Tandem server. With no configuration it keeps its SQLite database in ./tandem-data and listens on 127.0.0.1:8080;\n" +
			"on an empty database it prints a one-time link that creates the first provider admin.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m.Stdout = cmd.OutOrStdout()
			logger, err := newLogger(cmd.ErrOrStderr(), m.LogFormat, m.LogLevel)
			if err != nil {
				return err
			}
			m.Logger = logger
			if err := m.Run(cmd.Context()); err != nil {
				m.Close()
				return err
			}
			<-cmd.Context().Done()
			fmt.Fprintln(m.Stdout, "Stopping: finishing requests in flight…")
			return m.Close()
		},
	}
	m.addDBFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&m.Addr, "addr", env("TANDEM_ADDR", "127.0.0.1:8080"), "address to listen on (env TANDEM_ADDR)")
	f.StringVar(&m.PublicURL, "public-url", env("TANDEM_PUBLIC_URL", ""), "URL users reach Tandem at, for printed links; default the listening address (env TANDEM_PUBLIC_URL)")
	f.StringVar(&m.LogFormat, "log-format", env("TANDEM_LOG_FORMAT", "text"), "log format: text or json (env TANDEM_LOG_FORMAT)")
	f.StringVar(&m.LogLevel, "log-level", env("TANDEM_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env TANDEM_LOG_LEVEL)")
	f.StringVar(&m.ProviderName, "provider-name", env("TANDEM_PROVIDER_NAME", "Provider"), "name of the managed service provider, used when the database is created (env TANDEM_PROVIDER_NAME)")
	f.BoolVar(&m.Demo, "demo", false, "load the demo dataset into an empty database and print its logins")
	f.BoolVar(&m.SecureCookies, "secure-cookies", env("TANDEM_SECURE_COOKIES", "") == "true", "mark cookies Secure; set when Tandem is served over HTTPS (env TANDEM_SECURE_COOKIES=true)")
	return cmd
}

// newLogger builds the slog logger the flags ask for.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "--log-level (TANDEM_LOG_LEVEL) %q is unknown: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, tandem.Errorf(tandem.ECONFIG, "--log-format (TANDEM_LOG_FORMAT) %q is unknown: use text or json", format)
}

// validate checks settings that need no I/O.
func (m *Main) validate() error {
	if _, port, err := net.SplitHostPort(m.Addr); err != nil || port == "" {
		return tandem.Errorf(tandem.ECONFIG, "--addr (TANDEM_ADDR) %q is not host:port: write it as 127.0.0.1:8080 or :8080", m.Addr)
	}
	if m.PublicURL != "" && !strings.HasPrefix(m.PublicURL, "http://") && !strings.HasPrefix(m.PublicURL, "https://") {
		return tandem.Errorf(tandem.ECONFIG, "--public-url (TANDEM_PUBLIC_URL) %q must start with http:// or https://", m.PublicURL)
	}
	return nil
}

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
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	m.Services = newServices(db)
	if _, err := m.Services.Setup.EnsureProvider(ctx, m.ProviderName); err != nil {
		return err
	}
	if m.Demo {
		if err := m.loadDemo(ctx); err != nil {
			return err
		}
	}

	s := tandemhttp.NewServer()
	s.Addr, s.Logger, s.SecureCookies = m.Addr, m.Logger, m.SecureCookies
	s.Ready = db.Ready
	s.OrganizationService = m.Services.Organizations
	s.UserService = m.Services.Users
	s.TokenService = m.Services.Tokens
	s.SessionService = m.Services.Sessions
	s.SetupService = m.Services.Setup
	s.RegisterDBStats(db.Stats())
	if err := s.Open(); err != nil {
		return err
	}
	m.HTTPServer = s

	where := "SQLite in " + db.Path
	if db.Dialect() == "postgres" {
		where = "PostgreSQL"
	}
	fmt.Fprintf(m.Stdout, "Tandem %s is running at %s (%s)\n", Version, m.URL(), where)
	m.Logger.Info("listening", "url", m.URL(), "dialect", db.Dialect())
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
	logins, err := demo.Load(ctx, demo.Services{Organizations: m.Services.Organizations, Users: m.Services.Users})
	if err != nil {
		return err
	}
	if logins == nil {
		fmt.Fprintln(m.Stdout, "Demo data already present.")
		return nil
	}
	fmt.Fprintf(m.Stdout, "Demo data loaded. Every demo user's password is %q:\n", demo.Password)
	for _, l := range logins {
		fmt.Fprintf(m.Stdout, "  %-34s %s\n", l.Email, l.Description)
	}
	return nil
}

// Close stops the HTTP server, letting requests in flight finish, then closes
// the database.
func (m *Main) Close() error {
	var err error
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
