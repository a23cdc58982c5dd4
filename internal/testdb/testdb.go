// Package testdb opens throwaway databases for tests: a temporary SQLite file
// always, and a fresh PostgreSQL database when TANDEM_TEST_POSTGRES holds a DSN.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/tandemhq/tandem/sqlstore"
)

// PostgresEnv names the variable holding the DSN of a PostgreSQL server tests may use.
const PostgresEnv = "TANDEM_TEST_POSTGRES"

// Dialects runs fn once per database: "sqlite" always, "postgres" when
// TANDEM_TEST_POSTGRES is set (skipped, saying why, when it is not).
func Dialects(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, MustOpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, MustOpenPostgres(t)) })
}

// MustOpenSQLite returns a migrated SQLite database in a temporary directory,
// closed when the test ends.
func MustOpenSQLite(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	return migrated(tb, db)
}

// MustOpenPostgres returns a migrated, freshly created PostgreSQL database,
// dropped when the test ends. It skips the test when TANDEM_TEST_POSTGRES is unset.
func MustOpenPostgres(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	dsn := PostgresURL(tb)
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DatabaseURL: dsn})
	if err != nil {
		tb.Fatal(err)
	}
	return migrated(tb, db)
}

// PostgresURL creates an empty PostgreSQL database, dropped when the test
// ends, and returns its URL. It skips the test when TANDEM_TEST_POSTGRES is unset.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip("PostgreSQL tests skipped: set " + PostgresEnv + " to a DSN such as postgres://postgres@127.0.0.1:5432/postgres")
	}
	// The DSN may carry Tandem's own settings (pool_max_conns), which the
	// administrative connection must not send to the server.
	adminURL := base
	if u, err := url.Parse(base); err == nil {
		q := u.Query()
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
		adminURL = u.String()
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "tandem_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database on %s: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func migrated(tb testing.TB, db *sqlstore.DB) *sqlstore.DB {
	tb.Helper()
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}
