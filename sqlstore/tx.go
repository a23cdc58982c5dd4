package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tandemhq/tandem"
)

// Tx is a transaction that speaks both dialects: queries are written with ?
// placeholders and rebound to $n on PostgreSQL.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
	// batch is the shared physical transaction of a write on SQLite
	// (groupCommit); ended marks its logical transaction done.
	batch *writeBatch
	ended bool
	// pendingAudit are the audit entries recorded (audit), which Commit
	// appends to their chains; auditHeads the chain heads it locked and
	// moved doing so.
	pendingAudit []*tandem.AuditEntry
	auditHeads   map[string]*auditHead
	// wakes says the transaction wrote work for the scheduler: its commit
	// wakes the scheduler (DB.wake).
	wakes bool
	// notified are the people the notification rules told of each
	// ticket in this transaction (ticket, user): one action, one message
	// each (notify_event.go).
	notified map[[2]int64]bool
	// inboxUsers are the users whose in-app notifications the transaction
	// wrote or marked read: its commit tells their bells (DB.Inbox).
	inboxUsers []int64
}

// beginWrite starts a read-write transaction on the writer: on SQLite a
// logical transaction in a group commit.
func (db *DB) beginWrite(ctx context.Context) (*Tx, error) { return db.beginWriteIn(ctx, false) }

// beginWriteAlone is beginWrite for a transaction that may run long: on
// SQLite the transactions before it are committed first, so their answers
// do not wait for it; on PostgreSQL its statements have no time limit.
func (db *DB) beginWriteAlone(ctx context.Context) (*Tx, error) { return db.beginWriteIn(ctx, true) }

func (db *DB) beginWriteIn(ctx context.Context, alone bool) (*Tx, error) {
	if db.group != nil {
		b, err := db.group.begin(ctx, alone)
		if err != nil {
			return nil, err
		}
		return &Tx{Tx: b.tx, db: db, now: db.now(), batch: b}, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	t := &Tx{Tx: tx, db: db, now: db.now()}
	if alone {
		if err := t.noStatementTimeout(ctx); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return t, nil
}

// autocommit is a Tx without a transaction, on PostgreSQL only: each
// statement commits on its own. It serves reads (beginRead) and writes
// that are one statement, safe alone (a batch of check-ins, guarded by
// each device's sequence), and spares them the BEGIN and COMMIT round
// trips; it may record no audit entry and wake nothing (Commit refuses).
func (db *DB) autocommit() *Tx {
	if db.dialect != Postgres {
		panic("sqlstore: autocommit is PostgreSQL's: SQLite's writes go through the group commit")
	}
	return &Tx{db: db, now: db.now()}
}

// autocommitted says the Tx is DB.autocommit's, without a transaction.
func (tx *Tx) autocommitted() bool { return tx.Tx == nil && tx.batch == nil }

// execAlone runs one unaudited write statement (a session's last use) in a
// transaction of its own on the writer, outside the group commit, and on
// SQLite tells the checkpointer the log grew.
func (db *DB) execAlone(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.write.ExecContext(ctx, query, args...)
	if err == nil && db.group != nil && db.group.checkpoint != nil {
		db.group.checkpoint.committed()
	}
	return res, err
}

// Commit commits the transaction; on SQLite it returns once the group
// commit holding it is on disk.
func (tx *Tx) Commit() error {
	if tx.ended {
		return sql.ErrTxDone
	}
	if tx.autocommitted() {
		tx.ended = true
		if len(tx.pendingAudit) > 0 || tx.wakes || len(tx.inboxUsers) > 0 {
			return fmt.Errorf("sqlstore: an autocommit write recorded audit entries or wakes: it needed a transaction")
		}
		return nil
	}
	if err := tx.flushAudit(context.Background()); err != nil {
		tx.Rollback()
		return err
	}
	var err error
	if tx.batch == nil {
		err = tx.Tx.Commit()
	} else {
		tx.ended = true
		err = tx.db.group.end(tx.batch, true)
	}
	if err == nil && tx.wakes {
		tx.db.signalWake()
	}
	if err == nil && len(tx.inboxUsers) > 0 {
		tx.db.inbox.publish(tx.inboxUsers)
	}
	return err
}

// Rollback undoes the transaction; after Commit it does nothing.
func (tx *Tx) Rollback() error {
	if tx.autocommitted() {
		return nil // autocommit: each statement ended already
	}
	if tx.batch == nil {
		return tx.Tx.Rollback()
	}
	if tx.ended {
		return sql.ErrTxDone
	}
	tx.ended = true
	return tx.db.group.end(tx.batch, false)
}

// stmtContext is the context a statement runs under. In a group commit it
// is not cancelled with the request: SQLite answers an interrupted write by
// rolling back the whole physical transaction, the other members' writes
// with it.
func (tx *Tx) stmtContext(ctx context.Context) context.Context {
	if tx.batch != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// beginRead starts a read on a reader connection: on SQLite a read
// transaction, which sees one snapshot; on PostgreSQL no transaction at
// all (autocommit), since at READ COMMITTED every statement of a
// transaction takes a snapshot of its own anyway: BEGIN and ROLLBACK
// would be two more round trips of every read for nothing. A read that
// needs one snapshot for all its statements on PostgreSQL takes
// beginSnapshot.
func (db *DB) beginRead(ctx context.Context) (*Tx, error) {
	if db.dialect == Postgres {
		return db.autocommit(), nil
	}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db, now: db.now()}, nil
}

// writeAs starts a read-write transaction for the actor in ctx, or fails with
// EUNAUTHORIZED when there is none: how every service method that changes
// something begins.
func (db *DB) writeAs(ctx context.Context) (*tandem.Actor, *Tx, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := db.beginWrite(ctx)
	return a, tx, err
}

// readAs is writeAs for a read-only transaction on a reader connection.
func (db *DB) readAs(ctx context.Context) (*tandem.Actor, *Tx, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := db.beginRead(ctx)
	return a, tx, err
}

func (tx *Tx) rebind(query string) string { return tx.db.rebind(query) }

// rebind turns ? placeholders into PostgreSQL's $1, $2, …; queries never hold
// a literal question mark.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// ExecContext runs a statement with ? placeholders.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx.ended {
		// The shared transaction lives on for the next member of the batch.
		return nil, sql.ErrTxDone
	}
	if tx.autocommitted() {
		return tx.db.write.ExecContext(ctx, tx.rebind(query), args...)
	}
	return tx.Tx.ExecContext(tx.stmtContext(ctx), tx.rebind(query), args...)
}

// QueryContext runs a query with ? placeholders.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if tx.ended {
		return nil, sql.ErrTxDone
	}
	if tx.autocommitted() {
		return tx.db.write.QueryContext(ctx, tx.rebind(query), args...)
	}
	return tx.Tx.QueryContext(tx.stmtContext(ctx), tx.rebind(query), args...)
}

// QueryRowContext runs a single-row query with ? placeholders.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if tx.autocommitted() {
		return tx.db.write.QueryRowContext(ctx, tx.rebind(query), args...)
	}
	return tx.Tx.QueryRowContext(tx.stmtContext(ctx), tx.rebind(query), args...)
}

// insert runs an INSERT … RETURNING id and returns the id.
func (tx *Tx) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// queryIDs runs a query returning one integer column and collects it.
func (tx *Tx) queryIDs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// timeLayout is fixed-width so stored times sort as text on SQLite.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dbTime stores a time as fixed-width UTC text on SQLite and timestamptz on
// PostgreSQL, and reads either back.
type dbTime struct{ t *time.Time }

// at wraps a time for use as a query argument.
func at(t time.Time) driver.Valuer { return dbTime{t: &t} }

// atPtr wraps an optional time; nil stores NULL.
func atPtr(t *time.Time) driver.Valuer { return dbTime{t: t} }

func (d dbTime) Value() (driver.Value, error) {
	if d.t == nil {
		return nil, nil
	}
	return d.t.UTC().Format(timeLayout), nil
}

// scanTime returns a Scanner filling *t.
func scanTime(t *time.Time) sql.Scanner { return &timeScanner{t: t} }

// scanTimePtr returns a Scanner filling *t, leaving nil for NULL.
func scanTimePtr(t **time.Time) sql.Scanner { return &timePtrScanner{t: t} }

type timeScanner struct{ t *time.Time }

func (s *timeScanner) Scan(src any) error {
	v, ok, err := parseDBTime(src)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("unexpected NULL time")
	}
	*s.t = v
	return nil
}

type timePtrScanner struct{ t **time.Time }

func (s *timePtrScanner) Scan(src any) error {
	v, ok, err := parseDBTime(src)
	if err != nil || !ok {
		*s.t = nil
		return err
	}
	*s.t = &v
	return nil
}

// parseDBTime reads a stored time; ok is false for NULL.
func parseDBTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		if t, ok := parseTimeLayout(v); ok {
			return t, true, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("stored time %q: %w", v, err)
		}
		return t, true, nil
	case []byte:
		return parseDBTime(string(v))
	}
	return time.Time{}, false, fmt.Errorf("cannot scan %T as time", src)
}

// parseTimeLayout reads a time written in timeLayout, as Tandem stores every
// time on SQLite, several times faster than time.Parse: bulk reads (an
// organisation's timers) parse hundreds of thousands. Anything else is left
// to time.Parse.
func parseTimeLayout(s string) (time.Time, bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var f [7]int
	for i, r := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 26}} {
		n, ok := num(r[0], r[1])
		if !ok {
			return time.Time{}, false
		}
		f[i] = n
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, time.UTC)
	if t.Day() != f[2] {
		return time.Time{}, false // 31 April and the like: time.Parse says why
	}
	return t, true
}

// isUniqueViolation reports whether err is a unique-constraint failure on either dialect.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound maps sql.ErrNoRows to a tandem ENOTFOUND error naming what was sought.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.Errorf(tandem.ENOTFOUND, "%s not found.", what)
	}
	return err
}

// Pagination.

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageLimit validates a requested page size.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return defaultPageSize, nil
	case limit < 0 || limit > maxPageSize:
		return 0, tandem.Errorf(tandem.EBADREQUEST, "limit %d is out of range: use 1 to %d.", limit, maxPageSize)
	}
	return limit, nil
}

// parseCursor reads a cursor: the id after which the page starts.
func parseCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || id < 0 {
		return 0, tandem.Errorf(tandem.EBADREQUEST, "cursor %q is invalid: pass the next_cursor of the previous page, or none for the first page.", cursor)
	}
	return id, nil
}

// cutPage trims a result fetched with limit+1 rows to limit and returns the
// cursor of the next page, "" when there is none.
func cutPage[T any](items []T, limit int, id func(T) int64) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, strconv.FormatInt(id(items[limit-1]), 10)
}
