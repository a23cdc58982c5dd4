package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The statement cache must be invisible: the same query run again while its
// first rows are still being read, more distinct queries than the cache
// holds, and scripts all answer as without it.
func TestStatementCache(t *testing.T) {
	// A statement reset under open rows can spin; the deadline turns that
	// into a failure instead of a hung test binary.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := OpenSQLiteFile(ctx, filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// Nested: the outer rows hold the cached statement; the inner run of
	// the same text must not reset it under them.
	const q = `SELECT v FROM n WHERE v >= ? ORDER BY v`
	outer, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var v int
		outer.Scan(&v)
		var inner int
		if err := conn.QueryRowContext(ctx, q, 3).Scan(&inner); err != nil || inner != 3 {
			t.Fatalf("inner run while outer rows are open: %d, %v", inner, err)
		}
		got = append(got, v)
	}
	outer.Close()
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("outer rows = %v, want [1 2 3]", got)
	}

	// More distinct queries than the cache holds still run.
	for i := range maxCachedStatements + 20 {
		var v int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + v FROM n WHERE v = ?`, i), 1).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("query %d: %d, %v", i, v, err)
		}
	}
	// A cached statement reused with new arguments.
	for want := 1; want <= 3; want++ {
		var v int
		if err := conn.QueryRowContext(ctx, `SELECT v FROM n WHERE v = ?`, want).Scan(&v); err != nil || v != want {
			t.Fatalf("reuse with %d: %d, %v", want, v, err)
		}
	}
	// Errors come back as before, and leave the statement usable.
	var v int
	if err := conn.QueryRowContext(ctx, `SELECT v FROM n WHERE v = ?`, 9).Scan(&v); err != sql.ErrNoRows {
		t.Fatalf("no row: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO missing VALUES (1)`); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	raw := conn.Raw(func(dc any) error {
		c := dc.(*cachingConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.stmts) != maxCachedStatements {
			return fmt.Errorf("cache holds %d statements, want it full at %d", len(c.stmts), maxCachedStatements)
		}
		return nil
	})
	if raw != nil {
		t.Fatal(raw)
	}
}
