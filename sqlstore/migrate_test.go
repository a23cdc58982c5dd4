package sqlstore_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestDB_Migrate(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		t.Run("Idempotent", func(t *testing.T) {
			n, err := db.Migrate(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("second Migrate applied %d migrations, want 0", n)
			}
		})

		t.Run("StatusCurrent", func(t *testing.T) {
			applied, known, err := db.MigrationStatus(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if known == 0 || applied != known {
				t.Fatalf("MigrationStatus = %d applied, %d known; want equal and non-zero", applied, known)
			}
			if err := db.Ready(t.Context()); err != nil {
				t.Fatalf("Ready on a migrated database: %v", err)
			}
		})
	})
}

// unmigratedDialects runs fn on an empty, never migrated database of each
// dialect; each fn receives a function opening a further handle on the same
// database.
func unmigratedDialects(t *testing.T, fn func(t *testing.T, open func() *sqlstore.DB)) {
	t.Helper()
	opener := func(t *testing.T, cfg sqlstore.Config) func() *sqlstore.DB {
		return func() *sqlstore.DB {
			t.Helper()
			db, err := sqlstore.Open(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		fn(t, opener(t, sqlstore.Config{DataDir: t.TempDir()}))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, opener(t, sqlstore.Config{DatabaseURL: testdb.PostgresURL(t)}))
	})
}

func TestDB_Migrate_Fresh(t *testing.T) {
	t.Parallel()
	t.Run("NotReadyBeforeMigrate", func(t *testing.T) {
		unmigratedDialects(t, func(t *testing.T, open func() *sqlstore.DB) {
			db := open()
			applied, known, err := db.MigrationStatus(t.Context())
			if err != nil {
				t.Fatalf("MigrationStatus on an empty database: %v", err)
			}
			if applied != 0 || known == 0 {
				t.Fatalf("MigrationStatus = %d applied, %d known; want 0 applied", applied, known)
			}
			err = db.Ready(t.Context())
			wantCode(t, err, tandem.EUNAVAILABLE)
			// The database answers; the operator must be told to migrate, not
			// to look for a network fault.
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, "tandem migrate") {
				t.Fatalf("Ready message %q does not say to run tandem migrate", msg)
			}
		})
	})

	// A migrated PostgreSQL database has statistics for every table, so
	// the planner never plans one as a table it has never seen (reltuples
	// -1), whatever autovacuum does.
	t.Run("AnalyzedOnPostgres", func(t *testing.T) {
		db, err := sqlstore.Open(t.Context(), sqlstore.Config{DatabaseURL: testdb.PostgresURL(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		var never []string
		rows, err := db.Stats()["main"].Query(`SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND reltuples < 0 ORDER BY relname`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			never = append(never, name)
		}
		if len(never) > 0 {
			t.Errorf("tables never analysed after Migrate: %v", never)
		}
	})

	t.Run("AppliesAllOnce", func(t *testing.T) {
		unmigratedDialects(t, func(t *testing.T, open func() *sqlstore.DB) {
			db := open()
			_, known, err := db.MigrationStatus(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			n, err := db.Migrate(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n != known {
				t.Fatalf("first Migrate applied %d migrations, want %d", n, known)
			}
			if err := db.Ready(t.Context()); err != nil {
				t.Fatalf("Ready after Migrate: %v", err)
			}
		})
	})

	// Replicas starting together each migrate; between them every migration
	// must be applied exactly once and none may fail.
	t.Run("Concurrent", func(t *testing.T) {
		unmigratedDialects(t, func(t *testing.T, open func() *sqlstore.DB) {
			const replicas = 4
			dbs := make([]*sqlstore.DB, replicas)
			for i := range dbs {
				dbs[i] = open()
			}
			var wg sync.WaitGroup
			applied := make([]int, replicas)
			errs := make([]error, replicas)
			for i, db := range dbs {
				wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
			}
			wg.Wait()
			total := 0
			for i := range dbs {
				if errs[i] != nil {
					t.Errorf("replica %d: %v", i, errs[i])
				}
				total += applied[i]
			}
			_, known, err := dbs[0].MigrationStatus(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if total != known {
				t.Fatalf("replicas applied %d migrations in total, want %d", total, known)
			}
		})
	})
}
