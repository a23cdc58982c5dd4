package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := path.Join("migrations", string(db.dialect))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_description.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i, m := range list {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return list, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns how many it applied. On PostgreSQL an advisory lock
// keeps replicas starting together from migrating twice.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	list, err := db.migrations()
	if err != nil {
		return 0, err
	}
	if err := db.createMigrationsTable(ctx); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range list {
		done, err := db.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if done {
			applied++
		}
	}
	if applied > 0 && db.dialect == Postgres {
		// The planner's statistics of new and changed tables, at once:
		// with autovacuum off, or before it comes round, PostgreSQL would
		// otherwise plan them as tables it has never seen.
		if err := db.analyze(ctx); err != nil {
			return applied, fmt.Errorf("analyze after migrating: %w", err)
		}
	}
	return applied, nil
}

// lockMigrations serialises migrating replicas until tx ends. PostgreSQL
// needs the advisory lock even for CREATE TABLE IF NOT EXISTS, which fails
// when two sessions run it at once; SQLite's writer lock suffices. A
// migration of a large database may run long: its statements have no time
// limit.
func (db *DB) lockMigrations(ctx context.Context, tx *Tx) error {
	if db.dialect != Postgres {
		return nil
	}
	if err := tx.noStatementTimeout(ctx); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7340812)`)
	return err
}

func (db *DB) createMigrationsTable(ctx context.Context) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.lockMigrations(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) applyMigration(ctx context.Context, m migration) (bool, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := db.lockMigrations(ctx, tx); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.Tx.ExecContext(tx.stmtContext(ctx), m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, at(tx.now)); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// MigrationStatus returns the schema version applied and the newest one this
// binary knows.
func (db *DB) MigrationStatus(ctx context.Context) (applied, known int, err error) {
	list, err := db.migrations()
	if err != nil {
		return 0, 0, err
	}
	// A database never migrated has no schema_migrations table: version 0,
	// not an error, so Ready can tell "not migrated" from "unreachable".
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.dialect == Postgres {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var n int
	if err := db.read.QueryRowContext(ctx, exists).Scan(&n); err != nil || n == 0 {
		return 0, len(list), err
	}
	err = db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		return 0, len(list), err
	}
	return applied, len(list), nil
}

// Ready reports whether the database answers and its schema is current.
func (db *DB) Ready(ctx context.Context) error {
	applied, known, err := db.MigrationStatus(ctx)
	if err != nil {
		return tandem.Errorf(tandem.EUNAVAILABLE, "database unreachable")
	}
	if applied != known {
		return tandem.Errorf(tandem.EUNAVAILABLE, "schema at version %d, this binary needs %d: run tandem migrate", applied, known)
	}
	return nil
}
