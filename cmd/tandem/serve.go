package main

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newServeCommand() *cobra.Command {
	m := &app.Main{}
	var db dbConfig
	var idle, maxAge, maxAttachment string
	var timerInterval, rawRetention, hourlyRetention string
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
			if m.TimerInterval, err = parseDuration("--timer-interval", "TANDEM_TIMER_INTERVAL", timerInterval); err != nil {
				return err
			}
			if m.MetricsRetention.Raw, err = parseDuration("--metrics-raw-retention", "TANDEM_METRICS_RAW_RETENTION", rawRetention); err != nil {
				return err
			}
			if m.MetricsRetention.Hourly, err = parseDuration("--metrics-hourly-retention", "TANDEM_METRICS_HOURLY_RETENTION", hourlyRetention); err != nil {
				return err
			}
			if m.AttachmentMaxBytes, err = parseByteSize("--attachment-max-bytes", "TANDEM_ATTACHMENT_MAX_BYTES", maxAttachment); err != nil {
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
	f.StringVar(&m.AttachmentStore, "attachment-store", env("TANDEM_ATTACHMENT_STORE", ""), "where attachment bytes go: files (under the data directory) or database (for replicas that share no disk); default files, or database with --database-url and an empty --data (env TANDEM_ATTACHMENT_STORE)")
	f.StringVar(&maxAttachment, "attachment-max-bytes", env("TANDEM_ATTACHMENT_MAX_BYTES", "25MiB"), "largest attachment accepted, in bytes or with KiB, MiB or GiB (env TANDEM_ATTACHMENT_MAX_BYTES)")
	f.StringVar(&timerInterval, "timer-interval", env("TANDEM_TIMER_INTERVAL", "15s"), "the longest the scheduler sleeps between looks for work come due — SLA timers, escalation steps, email and webhook deliveries — (it also wakes for the next one), 10ms to 1h (env TANDEM_TIMER_INTERVAL)")
	f.StringVar(&m.AgentDir, "agent-dir", env("TANDEM_AGENT_DIR", ""), "directory of the tandem-agent binaries the server offers for download (tandem-agent-linux-amd64, tandem-agent-windows-amd64.exe, …); default the data directory's agents (env TANDEM_AGENT_DIR)")
	f.StringVar(&rawRetention, "metrics-raw-retention", env("TANDEM_METRICS_RAW_RETENTION", "2d"), "how long devices' raw metric samples (one per check-in) are kept, at least 1h (env TANDEM_METRICS_RAW_RETENTION)")
	f.StringVar(&hourlyRetention, "metrics-hourly-retention", env("TANDEM_METRICS_HOURLY_RETENTION", "190d"), "how long devices' hourly metric rollups are kept (env TANDEM_METRICS_HOURLY_RETENTION)")
	f.StringVar(&m.SMTPURL, "smtp-url", env("TANDEM_SMTP_URL", ""), "SMTP server emails go through: smtps://user:password@host:465 (implicit TLS) or smtp://user:password@host:587 (STARTTLS, required); smtp://host:25?tls=none for a relay without TLS and password; empty keeps emails unsent in the outbox (env TANDEM_SMTP_URL)")
	f.StringVar(&m.SMTPFrom, "smtp-from", env("TANDEM_SMTP_FROM", ""), "address emails come from, such as \"Tandem <tandem@msp.example>\" (env TANDEM_SMTP_FROM)")
	f.StringVar(&m.SMTPPasswordFile, "smtp-password-file", env("TANDEM_SMTP_PASSWORD_FILE", ""), "file holding the SMTP password (less a trailing newline), instead of writing it in --smtp-url (env TANDEM_SMTP_PASSWORD_FILE)")
	f.BoolVar(&m.SecureCookies, "secure-cookies", env("TANDEM_SECURE_COOKIES", "") == "true", "mark cookies Secure; set when Tandem is served over HTTPS (env TANDEM_SECURE_COOKIES=true)")
	return cmd
}

// parseDuration reads a duration setting such as 30m, 12h or 7d, naming
// the flag and variable to fix when it is not one.
func parseDuration(flag, envName, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok && err != nil {
		var n int
		if n, err = strconv.Atoi(days); err == nil && n > 0 && n < 100_000 {
			d = time.Duration(n) * 24 * time.Hour
		} else {
			err = strconv.ErrSyntax
		}
	}
	if err != nil || d <= 0 {
		return 0, tandem.Errorf(tandem.ECONFIG, "%s (%s) %q is not a positive duration: write it as 30m, 2h, 1h30m or 7d", flag, envName, v)
	}
	return d, nil
}

// parseByteSize reads a size setting such as 26214400, 512KiB or 25MiB,
// naming the flag and variable to fix when it is not a positive size of at
// most 1 GiB.
func parseByteSize(flag, envName, v string) (int64, error) {
	num, unit := v, int64(1)
	for _, u := range []struct {
		suffix string
		bytes  int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			num, unit = n, u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<30)/unit {
		return 0, tandem.Errorf(tandem.ECONFIG, "%s (%s) %q is not a size from 1 byte to 1GiB: write it as 26214400, 512KiB or 25MiB", flag, envName, v)
	}
	return n * unit, nil
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
