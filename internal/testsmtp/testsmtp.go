// Package testsmtp runs a real SMTP server (emersion/go-smtp) in a test
// process, for tests of what Tandem sends by email: a protocol
// implementation, not a mock, with STARTTLS or implicit TLS and AUTH PLAIN.
package testsmtp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Certificate is a self-signed certificate for 127.0.0.1 and
// localhost, and a pool trusting it.
func Certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tandem test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// Message is one message the test server accepted.
type Message struct {
	From, User string
	To         []string
	Data       []byte
	TLS        bool
}

// Server is a real SMTP server (emersion/go-smtp) in the test process,
// requiring AUTH PLAIN as User with Password.
type Server struct {
	Addr  string
	Roots *x509.CertPool

	User, Password string
	mu             sync.Mutex
	messages       []Message
	conns          []*smtp.Conn // open, for DropConnections
	seen           map[*smtp.Conn]bool
	reject         map[string]*smtp.SMTPError
}

// Start runs a server on 127.0.0.1 until the test ends: implicit TLS when
// implicit, else plain with STARTTLS offered when starttls. It accepts
// user "mailer" with password "s3cret pass".
func Start(t testing.TB, implicit, starttls bool) *Server {
	t.Helper()
	cert, pool := Certificate(t)
	ts := &Server{Roots: pool, User: "mailer", Password: "s3cret pass", reject: map[string]*smtp.SMTPError{},
		seen: map[*smtp.Conn]bool{}}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		// A session begins again after STARTTLS on the same connection.
		if !ts.seen[c] {
			ts.seen[c] = true
			ts.conns = append(ts.conns, c)
		}
		return &testSession{server: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are tests' business
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	if starttls {
		s.TLSConfig = tlsConfig
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		l = tls.NewListener(l, tlsConfig)
	}
	ts.Addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ts
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Connections is how many connections clients opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// DropConnections closes every connection from the server's side, as a
// server does with idle clients.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

type testSession struct {
	server *Server
	conn   *smtp.Conn
	user   string
	msg    Message
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.server.User || password != s.server.Password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	_, tlsOn := s.conn.TLSConnectionState()
	s.msg = Message{From: from, User: s.user, TLS: tlsOn}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	rej := s.server.reject[to]
	s.server.mu.Unlock()
	if rej != nil {
		return rej
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.msg.To) == 0 {
		return errors.New("no recipient")
	}
	s.msg.Data = b
	s.server.mu.Lock()
	s.server.messages = append(s.server.messages, s.msg)
	s.server.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.msg = Message{} }
func (s *testSession) Logout() error { return nil }

// Reject makes the server answer RCPT TO for address with err.
func (s *Server) Reject(address string, err *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[address] = err
}
