package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLite parses every statement it runs; modernc.org/sqlite prepares each
// query anew, and parsing was a third of the CPU time of opening a ticket.
// The "sqlite-cached" driver keeps each connection's prepared statements and
// reuses them for the same query text, as PostgreSQL's driver (pgx) already
// does on its side.

// cachedDriverName names the SQLite driver with the statement cache.
const cachedDriverName = "sqlite-cached"

func init() { sql.Register(cachedDriverName, cachingDriver{&sqlite.Driver{}}) }

// maxCachedStatements bounds one connection's cache: queries built from
// filters come in many shapes, and the common ones fit well below this.
const maxCachedStatements = 256

type cachingDriver struct{ d *sqlite.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: c.(sqliteConn), stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what database/sql and this package use of a modernc
// connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// cachingConn is a connection keeping its prepared statements. database/sql
// uses a connection from one goroutine at a time; the mutex guards the map
// for the rows that release their statement when closed.
type cachingConn struct {
	conn  sqliteConn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.Stmt
	busy bool // rows of an earlier query still read from it
}

// acquire returns the cached statement for query, preparing it when there is
// room, or nil when the query is to run uncached: a script of several
// statements, a full cache, or the statement busy with open rows (a query
// run again while its earlier rows are read).
func (c *cachingConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	if strings.Contains(query, ";") {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		s.busy = true
		return s, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil, nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st, busy: true}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) release(s *cachedStmt) {
	c.mu.Lock()
	s.busy = false
	c.mu.Unlock()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.acquire(ctx, query)
	if err != nil || s == nil {
		if err != nil {
			return nil, err
		}
		return c.conn.ExecContext(ctx, query, args)
	}
	defer c.release(s)
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.acquire(ctx, query)
	if err != nil || s == nil {
		if err != nil {
			return nil, err
		}
		return c.conn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.release(s)
		return nil, err
	}
	return &cachedRows{Rows: rows, release: func() { c.release(s) }}, nil
}

// Close finalises the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for q, s := range c.stmts {
		s.stmt.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.conn.Close()
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.PrepareContext(ctx, query)
}
func (c *cachingConn) Begin() (driver.Tx, error) { return c.conn.Begin() } //nolint:staticcheck // required by driver.Conn
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}
func (c *cachingConn) Ping(ctx context.Context) error         { return c.conn.Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.conn.IsValid() }

// NewBackup gives the online backup API of the connection underneath.
func (c *cachingConn) NewBackup(dstURI string) (*sqlite.Backup, error) {
	return c.conn.NewBackup(dstURI)
}

// cachedRows hands the statement back to the cache when closed.
type cachedRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}
