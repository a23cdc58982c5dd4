package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

// dbConfig is the storage configuration every command shares.
type dbConfig struct {
	DataDir     string
	DatabaseURL string
}

// env returns the environment variable's value, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// addDBFlags binds --data and --database-url, defaulting from TANDEM_DATA and
// TANDEM_DATABASE_URL, so a flag always beats its variable.
func (c *dbConfig) addDBFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.DataDir, "data", env("TANDEM_DATA", "./tandem-data"), "data directory for the SQLite database (env TANDEM_DATA)")
	cmd.Flags().StringVar(&c.DatabaseURL, "database-url", os.Getenv("TANDEM_DATABASE_URL"), "PostgreSQL URL postgres://…; when set, the data directory is not used (env TANDEM_DATABASE_URL)")
}

// openUnmigrated opens the configured database as it is.
func (c *dbConfig) openUnmigrated(ctx context.Context) (*sqlstore.DB, error) {
	return sqlstore.Open(ctx, c.sqlConfig())
}

// open opens and migrates the configured database.
func (c *dbConfig) open(ctx context.Context) (*sqlstore.DB, error) {
	return app.OpenDB(ctx, c.sqlConfig())
}

func (c *dbConfig) sqlConfig() sqlstore.Config {
	return sqlstore.Config{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL}
}
