// Package testserver runs the real Tandem server in-process on a free
// loopback port with a throwaway database, for end-to-end tests.
package testserver

import (
	"bytes"
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testdb"
)

// Server is a running test server.
type Server struct {
	*app.Main
	// Output holds what the server printed at start (URL, setup link).
	Output *bytes.Buffer
}

// Start runs a server on SQLite in a temporary directory, closed when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, &app.Main{DataDir: tb.TempDir()})
}

// StartPostgres runs a server on a fresh PostgreSQL database; it skips the
// test when TANDEM_TEST_POSTGRES is unset.
func StartPostgres(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, &app.Main{DatabaseURL: testdb.PostgresURL(tb)})
}

// StartWith runs m after filling in test defaults (address :0, a provider name).
func StartWith(tb testing.TB, m *app.Main) *Server {
	tb.Helper()
	out := &bytes.Buffer{}
	if m.Addr == "" {
		m.Addr = "127.0.0.1:0"
	}
	if m.ProviderName == "" {
		m.ProviderName = "Northwind MSP"
	}
	m.Stdout = out
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		tb.Fatalf("start server: %v", err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("close server: %v", err)
		}
	})
	return &Server{Main: m, Output: out}
}

// SystemContext returns a context acting as the system, for fixtures.
func SystemContext() context.Context {
	return tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
}

// MustCreateOrganization adds an organisation as the system actor.
func (s *Server) MustCreateOrganization(tb testing.TB, name string) *tandem.Organization {
	tb.Helper()
	org := &tandem.Organization{Name: name}
	if err := s.Services.Organizations.CreateOrganization(SystemContext(), org); err != nil {
		tb.Fatal(err)
	}
	return org
}

// MustCreateUser adds a user with the given password as the system actor.
func (s *Server) MustCreateUser(tb testing.TB, u *tandem.User, password string) *tandem.User {
	tb.Helper()
	if err := s.Services.Users.CreateUser(SystemContext(), u, password); err != nil {
		tb.Fatal(err)
	}
	return u
}

// MustCreateToken issues an API token acting as the user and returns its secret.
func (s *Server) MustCreateToken(tb testing.TB, userID int64) string {
	tb.Helper()
	return s.MustCreateTokenWith(tb, userID, tandem.TokenOptions{Name: "test"})
}

// MustCreateTokenWith issues an API token with the given options (read-only,
// organisation restriction, expiry) as the system and returns its secret.
func (s *Server) MustCreateTokenWith(tb testing.TB, userID int64, opts tandem.TokenOptions) string {
	tb.Helper()
	_, secret, err := s.Services.Tokens.CreateToken(SystemContext(), userID, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}
