// Package sqlstore implements Tandem's services on database/sql, for SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx). Exported
// methods own the transaction; unexported helpers take the transaction and
// apply the actor's access scope in the query, so no caller can forget it.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/tandemhq/tandem"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DBFileName is the SQLite database file inside the data directory.
const DBFileName = "tandem.db"

// DB is an open database: a single writer connection and a pool of readers on
// SQLite, one pool on PostgreSQL.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	group   *groupCommit // SQLite's write transactions; nil on PostgreSQL
	dialect Dialect
	// Path is the SQLite file; empty on PostgreSQL.
	Path string
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// wake receives a signal after a transaction that wrote work for the
	// scheduler (a notification, an escalation step) commits, so that the
	// scheduler of this process delivers it at once (Scheduler.Wake).
	wake chan struct{}
	// inbox tells listeners of a user's bell that their in-app
	// notifications changed (inbox_hub.go).
	inbox *InboxHub
	// checkins is the ingest loop of agents' check-ins (device_checkin.go);
	// closing stops it.
	checkins  checkinQueue
	closing   chan struct{}
	closeOnce sync.Once
}

// Config says which database to open.
type Config struct {
	// DataDir holds the SQLite database when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or postgresql://.
	DatabaseURL string
}

// Open opens (creating when needed) the database the config names. It does not
// migrate; call Migrate. Errors a user can fix carry tandem.ECONFIG and name
// the setting.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg.DatabaseURL)
	}
	return openSQLite(ctx, cfg.DataDir)
}

func openSQLite(ctx context.Context, dir string) (*DB, error) {
	if dir == "" {
		return nil, tandem.Errorf(tandem.ECONFIG, "data directory is empty: set --data or TANDEM_DATA")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "data directory %s cannot be created (%v): set --data or TANDEM_DATA to a writable directory", dir, rootCause(err))
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "data directory %s is not writable (%v): fix its permissions or set --data or TANDEM_DATA to a writable directory", dir, rootCause(err))
	}
	probe.Close()
	os.Remove(probe.Name())

	path := filepath.Join(dir, DBFileName)
	db, err := OpenSQLiteFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// OpenSQLiteFile opens the SQLite database at path.
func OpenSQLiteFile(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	fileURL := "file:" + (&url.URL{Path: abs}).EscapedPath()
	write, err := sql.Open(cachedDriverName, fileURL+"?"+pragmas+"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// One writer: SQLite serialises writes anyway, and one connection turns
	// lock contention into an orderly queue in database/sql.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, tandem.Errorf(tandem.ECONFIG, "cannot open SQLite database %s (%v): check the file or set --data or TANDEM_DATA to another directory", abs, rootCause(err))
	}
	read, err := sql.Open(cachedDriverName, fileURL+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)
	ckpt, err := sql.Open(cachedDriverName, fileURL+"?"+pragmas)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	closing := make(chan struct{})
	group := newGroupCommit(write)
	group.checkpoint = newCheckpointer(ckpt, group.restartLog, closing)
	return &DB{write: write, read: read, group: group, dialect: SQLite, Path: abs, Now: time.Now, wake: make(chan struct{}, 1), inbox: newInboxHub(), closing: closing}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return nil, tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL must start with postgres:// (for example postgres://user@127.0.0.1:5432/tandem), or be unset to use SQLite in the data directory")
	}
	dsn, pool, err := poolSize(dsn)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL is malformed (%s): write it as postgres://user:password@host:5432/database", redactParseError(err))
	}
	cfg.ConnectTimeout = 5 * time.Second
	for name, value := range postgresSessionDefaults {
		if _, set := cfg.RuntimeParams[name]; !set {
			cfg.RuntimeParams[name] = value
		}
	}
	db := stdlib.OpenDB(*cfg)
	// Every connection the pool may open stays open while it is used: a
	// pool that closes connections beyond its idle limit makes PostgreSQL
	// start a process for each new one, under load hundreds a second.
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, tandem.Errorf(tandem.ECONFIG, "cannot reach PostgreSQL at %s (%s): start it, or fix TANDEM_DATABASE_URL", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), pgErrorText(err))
	}
	return &DB{write: db, read: db, dialect: Postgres, Now: time.Now, wake: make(chan struct{}, 1), inbox: newInboxHub(), closing: make(chan struct{})}, nil
}

// postgresSessionDefaults are the settings of every PostgreSQL session
// Tandem opens, unless the database URL sets them (as
// ?statement_timeout=…): no statement of a request runs longer than a
// minute, holding locks and a connection, and no transaction left open by
// a stuck client keeps its locks longer than five. A transaction that may
// run long (migrations, bulk loads, verification of the whole audit
// trail) lifts the statement limit for itself (noStatementTimeout).
var postgresSessionDefaults = map[string]string{
	"statement_timeout":                   "60s",
	"idle_in_transaction_session_timeout": "5min",
}

// poolSize takes pool_max_conns (the name pgxpool gives it) out of the
// database URL and returns the URL without it and the pool's size: by
// default four connections per core of this machine, at least 8.
// PostgreSQL runs each connection as a process: more than a few per core
// of the database machine add contention, not throughput.
func poolSize(dsn string) (string, int, error) {
	n := defaultPoolSize()
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn, n, nil // pgx.ParseConfig reports it
	}
	q := u.Query()
	text := q.Get("pool_max_conns")
	if text == "" {
		return dsn, n, nil
	}
	n, err = strconv.Atoi(text)
	if err != nil || n < 1 || n > 1000 {
		return "", 0, tandem.Errorf(tandem.ECONFIG, "pool_max_conns=%s in TANDEM_DATABASE_URL is not a number of connections from 1 to 1000: fix it or leave it out for %d", text, defaultPoolSize())
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

// defaultPoolSize is four connections per core of this machine, at least 8.
func defaultPoolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// noStatementTimeout lifts the statement limit of postgresSessionDefaults
// for the rest of a transaction that may run long.
func (tx *Tx) noStatementTimeout(ctx context.Context) error {
	if tx.db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`)
	return err
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the database, checkpointing SQLite's write-ahead log.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	var errs []error
	if db.dialect == SQLite {
		if c := db.group.checkpoint; c != nil {
			<-c.done
			errs = append(errs, c.db.Close())
		}
		_, err := db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, err)
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}

// GroupCommits reports, on SQLite, how many write transactions were
// committed and in how many physical commits (group_commit.go): their ratio
// is the mean batch. ok is false on PostgreSQL, which commits each alone.
func (db *DB) GroupCommits() (transactions, commits int64, ok bool) {
	if db.group == nil {
		return 0, 0, false
	}
	return db.group.committed.Load(), db.group.commits.Load(), true
}

// Stats returns the pool statistics of the writer and reader pools (the same
// pool on PostgreSQL), for metrics.
func (db *DB) Stats() map[string]*sql.DB {
	if db.dialect == Postgres {
		return map[string]*sql.DB{"main": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}

func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// rootCause strips wrapping so messages stay one line.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// redactParseError keeps pgx's parse error text but never a password.
func redactParseError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "cannot parse `"); i >= 0 {
		if j := strings.Index(msg[i+14:], "`"); j >= 0 {
			msg = msg[:i] + "cannot parse the URL" + msg[i+14+j+1:]
		}
	}
	return msg
}

// pgErrorText keeps the last line of a connection error: pgx reports each
// address it tried on its own line, usually with the same cause.
func pgErrorText(err error) string {
	msg := strings.TrimSpace(rootCause(err).Error())
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	return msg
}
