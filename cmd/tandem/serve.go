package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newServeCommand() *cobra.Command {
	m := &app.Main{}
	var db dbConfig
	var idle, maxAge string
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
			m.Logger, m.DataDir, m.DatabaseURL = logger, db.DataDir, db.DatabaseURL
			if m.SessionIdleTimeout, err = parseDuration("--session-idle-timeout", "TANDEM_SESSION_IDLE_TIMEOUT", idle); err != nil {
				return err
			}
			if m.SessionMaxAge, err = parseDuration("--session-max-age", "TANDEM_SESSION_MAX_AGE", maxAge); err != nil {
				return err
			}
			if err := m.Run(cmd.Context()); err != nil {
				m.Close()
				return err
			}
			<-cmd.Context().Done()
			fmt.Fprintln(m.Stdout, "Stopping: finishing requests in flight…")
			return m.Close()
		},
	}
	db.addDBFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&m.Addr, "addr", env("TANDEM_ADDR", "127.0.0.1:8080"), "address to listen on (env TANDEM_ADDR)")
	f.StringVar(&m.PublicURL, "public-url", env("TANDEM_PUBLIC_URL", ""), "URL users reach Tandem at, for printed links; default the listening address (env TANDEM_PUBLIC_URL)")
	f.StringVar(&m.LogFormat, "log-format", env("TANDEM_LOG_FORMAT", "text"), "log format: text or json (env TANDEM_LOG_FORMAT)")
	f.StringVar(&m.LogLevel, "log-level", env("TANDEM_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env TANDEM_LOG_LEVEL)")
	f.StringVar(&m.ProviderName, "provider-name", env("TANDEM_PROVIDER_NAME", ""), "name of the managed service provider, used when the database is created; default Provider (env TANDEM_PROVIDER_NAME)")
	f.BoolVar(&m.Demo, "demo", false, "load the demo dataset into an empty database and print its logins")
	f.StringVar(&idle, "session-idle-timeout", env("TANDEM_SESSION_IDLE_TIMEOUT", "30m"), "end a browser session unused this long (env TANDEM_SESSION_IDLE_TIMEOUT)")
	f.StringVar(&maxAge, "session-max-age", env("TANDEM_SESSION_MAX_AGE", "12h"), "end any browser session this long after login (env TANDEM_SESSION_MAX_AGE)")
	f.BoolVar(&m.SecureCookies, "secure-cookies", env("TANDEM_SECURE_COOKIES", "") == "true", "mark cookies Secure; set when Tandem is served over HTTPS (env TANDEM_SECURE_COOKIES=true)")
	return cmd
}

// parseDuration reads a duration setting such as 30m or 12h, naming the flag
// and variable to fix when it is not one.
func parseDuration(flag, envName, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, tandem.Errorf(tandem.ECONFIG, "%s (%s) %q is not a positive duration: write it as 30m, 2h or 1h30m", flag, envName, v)
	}
	return d, nil
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
