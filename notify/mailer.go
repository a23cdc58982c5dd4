package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/tandemhq/tandem"
)

// DefaultSMTPConnections is how many SMTP connections a Mailer keeps open
// at most: enough to keep a relay busy, few enough that it does not
// refuse us for opening too many.
const DefaultSMTPConnections = 4

// messagesPerConnection is how many messages one connection sends before
// it is closed and a fresh one dialled; many servers limit it.
const messagesPerConnection = 100

// smtpTimeout bounds each SMTP command and the connection.
const smtpTimeout = 30 * time.Second

// Mailer sends email deliveries (tandem.ChannelEmail) through one SMTP
// server. It keeps a small pool of open connections, each used by one
// delivery at a time and checked (NOOP) before it is reused, so that
// thousands of emails do not dial thousands of times; a connection the
// server dropped is dialled again.
type Mailer struct {
	from   string
	config *SMTPConfig
	client *gomail.Client // the settings; connections are dialled from it
	slots  chan struct{}  // one per open connection
	idle   chan *smtpConn // connections waiting for a delivery

	closeOnce sync.Once
}

// smtpConn is an open connection and how many messages it has sent.
type smtpConn struct {
	c    *smtp.Client
	sent int
}

// NewMailer returns a Mailer sending from the address from (a bare
// address or "Name <address>") through the server cfg describes, with at
// most connections open (DefaultSMTPConnections when zero). It dials
// nothing yet. A bad from address is ECONFIG.
func NewMailer(cfg *SMTPConfig, from string, connections int) (*Mailer, error) {
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "--smtp-from (TANDEM_SMTP_FROM) %q is not an email address: write it as tandem@msp.example or \"Tandem <tandem@msp.example>\"", from)
	}
	if connections <= 0 {
		connections = DefaultSMTPConnections
	}
	tlsConfig := cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port), gomail.WithTimeout(smtpTimeout), gomail.WithTLSConfig(tlsConfig),
	}
	switch cfg.Security {
	case SMTPImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case SMTPStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case SMTPNoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only
		// over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "%s cannot be used: %v", smtpURLSetting, err)
	}
	return &Mailer{from: from, config: cfg, client: client,
		slots: make(chan struct{}, connections), idle: make(chan *smtpConn, connections)}, nil
}

// Deliver sends d to d.Address. A server's 5xx answer to the sender, the
// recipient or the message is permanent (*tandem.PermanentError); a 4xx
// answer, a lost connection or a failed login is retried.
func (m *Mailer) Deliver(ctx context.Context, d *tandem.Delivery) error {
	msg, err := m.message(d)
	if err != nil {
		return &tandem.PermanentError{Err: err}
	}
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.slots }()

	conn := m.takeIdle()
	for {
		reused := conn != nil
		if conn == nil {
			c, err := m.client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return fmt.Errorf("connecting to the SMTP server %s failed: %w", m.config.Addr(), err)
			}
			conn = &smtpConn{c: c}
		}
		err = m.client.SendWithSMTPClient(conn.c, msg)
		if reused && sendReason(err) == gomail.ErrConnCheck {
			// The server closed the idle connection meanwhile: dial anew.
			_ = conn.c.Close()
			conn = nil
			continue
		}
		break
	}
	conn.sent++
	m.release(conn, err)
	if err == nil {
		return nil
	}
	if isPermanentSMTP(err) {
		return &tandem.PermanentError{Err: fmt.Errorf("the SMTP server refused the email: %w", err)}
	}
	return fmt.Errorf("sending the email failed: %w", err)
}

// takeIdle returns an open connection waiting for work, or nil.
func (m *Mailer) takeIdle() *smtpConn {
	select {
	case c := <-m.idle:
		return c
	default:
		return nil
	}
}

// release keeps conn for the next delivery when the session is still good
// (sent, or one message refused and the transaction reset), closes it
// otherwise.
func (m *Mailer) release(conn *smtpConn, err error) {
	keep := conn.sent < messagesPerConnection
	switch sendReason(err) {
	case -1, gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo:
	default:
		keep = false
	}
	if keep {
		select {
		case m.idle <- conn:
			return
		default:
		}
	}
	if err == nil {
		_ = m.client.CloseWithSMTPClient(conn.c)
	} else {
		_ = conn.c.Close()
	}
}

// sendReason is the stage at which go-mail's send failed; -1 for no error.
func sendReason(err error) gomail.SendErrReason {
	if err == nil {
		return -1
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.Reason
	}
	return gomail.ErrAmbiguous
}

// isPermanentSMTP reports whether the server answered the sender, the
// recipient or the message with a 5xx code, which no retry changes.
func isPermanentSMTP(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return true
	}
	return false
}

// Close ends the open connections politely (QUIT).
func (m *Mailer) Close() error {
	m.closeOnce.Do(func() {
		for {
			select {
			case c := <-m.idle:
				_ = m.client.CloseWithSMTPClient(c.c)
			default:
				return
			}
		}
	})
	return nil
}

// Describe is the server and sender, for the line printed at start: never
// the password.
func (m *Mailer) Describe() string {
	s := "sending through " + m.config.Addr() + " as " + m.from
	if m.config.Security == SMTPNoTLS {
		s += " (without TLS: tls=none)"
	}
	return s
}
