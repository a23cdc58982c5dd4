package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testsmtp"
	"github.com/tandemhq/tandem/notify"
)

// newTestMailer is a Mailer for srv, trusting its certificate.
func newTestMailer(t testing.TB, srv *testsmtp.Server, scheme, password string) *notify.Mailer {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.Addr)
	cfg, err := notify.ParseSMTPURL(scheme + "://mailer@" + net.JoinHostPort(host, port))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = password
	cfg.TLSConfig = &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}
	m, err := notify.NewMailer(cfg, "Tandem Desk <desk@msp.example>", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// testDelivery is an email about ticket 42, as the scheduler hands it over.
func testDelivery(id int64, to string) *tandem.Delivery {
	ticket, org := int64(42), int64(7)
	return &tandem.Delivery{
		Notification: &tandem.Notification{
			ID: id, OrganizationID: &org, TicketID: &ticket, Channel: tandem.ChannelEmail, Kind: tandem.NotifyAssigned, Priority: 1,
			Address: to, Subject: "Ticket #42 was assigned to you: Printer on fire",
			Body: "Ana assigned the ticket to you.\n\nThe printer on floor 2 <is> on fire & smoking.\nPlease hurry.",
			Link: "/tickets/42", ActionURL: "/ack/tok-123", CreatedAt: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC),
		},
		MessageID: "<notification-" + strconv.FormatInt(id, 10) + "@desk.msp.example>",
		ThreadID:  "<ticket-42@desk.msp.example>",
		BaseURL:   "https://desk.msp.example",
	}
}

// parsedEmail is a received message: headers and its parts by content type.
type parsedEmail struct {
	Header mail.Header
	Parts  map[string]string
}

func parseEmail(t *testing.T, data []byte) parsedEmail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the message cannot be read: %v\n%s", err, data)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	p := parsedEmail{Header: msg.Header, Parts: map[string]string{}}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.Parts[ct] = string(b)
	}
	return p
}

func TestMailer(t *testing.T) {
	t.Run("STARTTLS", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		m := newTestMailer(t, srv, "smtp", "s3cret pass")
		if err := m.Deliver(context.Background(), testDelivery(1, "ben@harbor.example")); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("the server received %d messages, want 1", len(msgs))
		}
		got := msgs[0]
		if !got.TLS || got.User != "mailer" || got.From != "desk@msp.example" || len(got.To) != 1 || got.To[0] != "ben@harbor.example" {
			t.Errorf("envelope = %+v, want TLS, user mailer, from desk@msp.example to ben@harbor.example", got)
		}
		e := parseEmail(t, got.Data)
		for header, want := range map[string]string{
			"From":                     `"Tandem Desk" <desk@msp.example>`,
			"To":                       "<ben@harbor.example>",
			"Subject":                  "Ticket #42 was assigned to you: Printer on fire",
			"Message-Id":               "<notification-1@desk.msp.example>",
			"In-Reply-To":              "<ticket-42@desk.msp.example>",
			"References":               "<ticket-42@desk.msp.example>",
			"Auto-Submitted":           "auto-generated",
			"X-Auto-Response-Suppress": "All",
		} {
			v := e.Header.Get(header)
			if header == "Subject" {
				v, _ = new(mime.WordDecoder).DecodeHeader(v)
			}
			if v != want {
				t.Errorf("%s = %q, want %q", header, v, want)
			}
		}
		text, html := e.Parts["text/plain"], e.Parts["text/html"]
		for _, want := range []string{
			"Ana assigned the ticket to you.", "The printer on floor 2 <is> on fire & smoking.",
			"View ticket #42: https://desk.msp.example/tickets/42", "Acknowledge: https://desk.msp.example/ack/tok-123",
			"a ticket was assigned to you", "https://desk.msp.example/account/notifications",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the text part lacks %q:\n%s", want, text)
			}
		}
		for _, want := range []string{
			"<h1", ">Ticket #42 was assigned to you: Printer on fire</h1>",
			"The printer on floor 2 &lt;is&gt; on fire &amp; smoking.<br>Please hurry.",
			`href="https://desk.msp.example/tickets/42"`, ">View ticket #42</a>",
			`href="https://desk.msp.example/ack/tok-123"`, ">Acknowledge</a>",
			`href="https://desk.msp.example/account/notifications"`,
		} {
			if !strings.Contains(html, want) {
				t.Errorf("the HTML part lacks %q:\n%s", want, html)
			}
		}
	})

	t.Run("ImplicitTLS", func(t *testing.T) {
		srv := testsmtp.Start(t, true, false)
		m := newTestMailer(t, srv, "smtps", "s3cret pass")
		d := testDelivery(2, "ben@harbor.example")
		d.TicketID, d.ThreadID, d.ActionURL = nil, "", ""
		if err := m.Deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || !msgs[0].TLS {
			t.Fatalf("received %+v, want one message over TLS", msgs)
		}
		e := parseEmail(t, msgs[0].Data)
		if e.Header.Get("In-Reply-To") != "" || e.Header.Get("References") != "" {
			t.Errorf("an email about no ticket refers to a thread: In-Reply-To %q, References %q", e.Header.Get("In-Reply-To"), e.Header.Get("References"))
		}
		if strings.Contains(e.Parts["text/html"], "Acknowledge") {
			t.Error("an email without an acknowledgement link shows an Acknowledge button")
		}
	})

	t.Run("ReusesConnectionsAndRedials", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		m := newTestMailer(t, srv, "smtp", "s3cret pass")
		for i := range 5 {
			if err := m.Deliver(context.Background(), testDelivery(int64(10+i), "ben@harbor.example")); err != nil {
				t.Fatal(err)
			}
		}
		if n := srv.Connections(); n != 1 {
			t.Errorf("5 emails in a row opened %d connections, want 1", n)
		}
		srv.DropConnections()
		if err := m.Deliver(context.Background(), testDelivery(20, "ben@harbor.example")); err != nil {
			t.Fatalf("after the server dropped the connection: %v", err)
		}
		if n, got := srv.Connections(), len(srv.Messages()); n != 2 || got != 6 {
			t.Errorf("after a dropped connection: %d connections, %d messages; want 2 and 6", n, got)
		}
	})

	t.Run("RecipientRefused", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		srv.Reject("gone@harbor.example", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"})
		srv.Reject("full@harbor.example", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full, try later"})
		m := newTestMailer(t, srv, "smtp", "s3cret pass")

		err := m.Deliver(context.Background(), testDelivery(30, "gone@harbor.example"))
		var perm *tandem.PermanentError
		if !errors.As(err, &perm) || !strings.Contains(err.Error(), "550") {
			t.Errorf("550 for the recipient: err = %v, want a PermanentError naming 550", err)
		}
		err = m.Deliver(context.Background(), testDelivery(31, "full@harbor.example"))
		if err == nil || errors.As(err, &perm) || !strings.Contains(err.Error(), "451") {
			t.Errorf("451 for the recipient: err = %v, want a retryable error naming 451", err)
		}
		// The connection survives a refused recipient.
		if err := m.Deliver(context.Background(), testDelivery(32, "ben@harbor.example")); err != nil {
			t.Fatal(err)
		}
		if n, got := srv.Connections(), len(srv.Messages()); n != 1 || got != 1 {
			t.Errorf("%d connections, %d messages; want 1 and 1", n, got)
		}
	})

	t.Run("WrongPasswordIsRetried", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		m := newTestMailer(t, srv, "smtp", "not the password")
		err := m.Deliver(context.Background(), testDelivery(40, "ben@harbor.example"))
		var perm *tandem.PermanentError
		if err == nil || errors.As(err, &perm) {
			t.Errorf("err = %v, want a retryable error (the operator fixes the password and restarts)", err)
		}
		if strings.Contains(err.Error(), "not the password") {
			t.Errorf("the error shows the password: %v", err)
		}
		if len(srv.Messages()) != 0 {
			t.Error("a message was accepted without authentication")
		}
	})

	t.Run("STARTTLSRequired", func(t *testing.T) {
		srv := testsmtp.Start(t, false, false) // offers no STARTTLS
		m := newTestMailer(t, srv, "smtp", "s3cret pass")
		err := m.Deliver(context.Background(), testDelivery(50, "ben@harbor.example"))
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("err = %v, want a refusal naming STARTTLS", err)
		}
		if len(srv.Messages()) != 0 {
			t.Error("the email went out in clear text")
		}
	})

	t.Run("UntrustedCertificate", func(t *testing.T) {
		srv := testsmtp.Start(t, true, false)
		cfg, err := notify.ParseSMTPURL("smtps://mailer:pw@" + srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		m, err := notify.NewMailer(cfg, "desk@msp.example", 1)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Deliver(context.Background(), testDelivery(60, "ben@harbor.example")); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("err = %v, want a certificate error", err)
		}
	})

	t.Run("SubjectCannotAddHeaders", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		m := newTestMailer(t, srv, "smtp", "s3cret pass")
		d := testDelivery(80, "ben@harbor.example")
		d.Subject = "Printer\r\nBcc: eve@evil.example\r\n\r\nfake body"
		if err := m.Deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages()
		e := parseEmail(t, msgs[0].Data)
		if e.Header.Get("Bcc") != "" || len(msgs[0].To) != 1 {
			t.Errorf("a line break in the subject added a header: Bcc %q, recipients %v", e.Header.Get("Bcc"), msgs[0].To)
		}
	})

	t.Run("PasswordReset", func(t *testing.T) {
		srv := testsmtp.Start(t, false, true)
		m := newTestMailer(t, srv, "smtp", "s3cret pass")
		d := testDelivery(70, "ben@harbor.example")
		d.Kind, d.TicketID, d.ThreadID, d.ActionURL, d.Link = tandem.NotifyPasswordReset, nil, "", "", "/reset/tok-xyz"
		if err := m.Deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		e := parseEmail(t, srv.Messages()[0].Data)
		if html := e.Parts["text/html"]; !strings.Contains(html, `href="https://desk.msp.example/reset/tok-xyz"`) ||
			!strings.Contains(html, "Choose a new password") || strings.Contains(html, "/account/notifications") {
			t.Errorf("the reset email's HTML part is wrong:\n%s", html)
		}
	})
}

func TestNewMailerFrom(t *testing.T) {
	cfg, _ := notify.ParseSMTPURL("smtp://relay.example")
	_, err := notify.NewMailer(cfg, "not an address", 0)
	if tandem.ErrorCode(err) != tandem.ECONFIG || !strings.Contains(tandem.ErrorMessage(err), "--smtp-from") {
		t.Errorf("err = %v, want ECONFIG naming --smtp-from", err)
	}
}

// BenchmarkMailer sends emails from 16 goroutines, as the scheduler's
// workers do, to an in-process SMTP server over STARTTLS.
func BenchmarkMailer(b *testing.B) {
	srv := testsmtp.Start(b, false, true)
	m := newTestMailer(b, srv, "smtp", "s3cret pass")
	b.SetParallelism(16)
	var id atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := m.Deliver(context.Background(), testDelivery(id.Add(1), "ben@harbor.example")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(srv.Connections()), "connections")
}
