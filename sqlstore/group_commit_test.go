package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// openGroupDB opens a SQLite database with a table n for the group commit
// tests; every test has a deadline, so a lost turn fails instead of hanging.
func openGroupDB(t *testing.T) (context.Context, *DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	db, err := OpenSQLiteFile(ctx, filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE n (v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return ctx, db
}

// stored reads the values of n from a reader: what is committed.
func stored(t *testing.T, ctx context.Context, db *DB) string {
	t.Helper()
	rows, err := db.read.QueryContext(ctx, `SELECT v FROM n ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	return fmt.Sprint(got)
}

// insertV begins a write, inserts v and returns the open transaction.
func insertV(t *testing.T, ctx context.Context, db *DB, v int) *Tx {
	t.Helper()
	tx, err := db.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO n (v) VALUES (?)`, v); err != nil {
		t.Fatal(err)
	}
	return tx
}

// waitQueued waits until n logical transactions wait for the turn.
func waitQueued(t *testing.T, g *groupCommit, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); g.waiting.Load() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions waiting, want %d", g.waiting.Load(), n)
		}
	}
}

// batchOfTwo makes the batch the other tests take apart: a inserts 1 and
// commits while b (begun with bCtx) waits, so a passes the open batch to b
// and its Commit waits on aDone for the batch to end.
func batchOfTwo(t *testing.T, ctx, bCtx context.Context, db *DB) (a, b *Tx, aDone chan error) {
	t.Helper()
	a = insertV(t, ctx, db, 1)
	bStarted := make(chan *Tx)
	go func() {
		tx, err := db.beginWrite(bCtx)
		if err != nil {
			t.Error(err)
		}
		bStarted <- tx
	}()
	waitQueued(t, db.group, 1)
	aDone = make(chan error, 1)
	go func() { aDone <- a.Commit() }()
	return a, <-bStarted, aDone
}

// Many writers at once: each commit is readable by anyone once its Commit
// returns, and the writers queued behind one another shared commits.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	ctx, db := openGroupDB(t)
	const writers = 64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			tx, err := db.beginWrite(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `INSERT INTO n (v) VALUES (?)`, i); err != nil {
				errs <- err
				return
			}
			if err := tx.Commit(); err != nil {
				errs <- err
				return
			}
			// Committed means readable by anyone now.
			var n int
			if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM n WHERE v = ?`, i).Scan(&n); err != nil || n != 1 {
				errs <- fmt.Errorf("writer %d committed but its row reads %d times (%v)", i, n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := CountRaw(db, `SELECT COUNT(*) FROM n`); n != writers {
		t.Fatalf("%d rows stored, want %d", n, writers)
	}
	// Writers queued behind one another shared commits.
	if txs, commits, ok := db.GroupCommits(); !ok || txs != writers || commits >= writers || commits < 1 {
		t.Fatalf("%d transactions in %d commits (%v); want %d in fewer commits", txs, commits, ok, writers)
	}
	// Each commit was timed: the histogram counts them all, cumulatively.
	_, commits, _ := db.GroupCommits()
	count, seconds, buckets, ok := db.CommitTimes()
	if !ok || count != uint64(commits) || seconds <= 0 {
		t.Fatalf("commit times: %d commits, %v s (%v); want %d commits and their time", count, seconds, ok, commits)
	}
	var last uint64
	for _, upper := range []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5} {
		if buckets[upper] < last || buckets[upper] > count {
			t.Fatalf("bucket %v holds %d after %d, of %d: not cumulative", upper, buckets[upper], last, count)
		}
		last = buckets[upper]
	}
}

// A member rolled back takes only its own writes with it; the member
// before it in the batch is stored, and its Commit returned only once the
// batch was committed.
func TestGroupCommitRollbackOfOneMember(t *testing.T) {
	ctx, db := openGroupDB(t)
	a, b, aDone := batchOfTwo(t, ctx, ctx, db)
	select {
	case err := <-aDone:
		t.Fatalf("a's Commit returned (%v) before the batch holding it was committed", err)
	case <-time.After(50 * time.Millisecond):
	}
	if got := stored(t, ctx, db); got != "[]" {
		t.Fatalf("before the batch commits, readers see %s, want nothing", got)
	}
	// b sees a's write: they commit together or not at all.
	var seen int
	if err := b.QueryRowContext(ctx, `SELECT COUNT(*) FROM n WHERE v = 1`).Scan(&seen); err != nil || seen != 1 {
		t.Fatalf("b sees a's row %d times (%v), want 1", seen, err)
	}
	if _, err := b.ExecContext(ctx, `INSERT INTO n (v) VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	if err := b.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatalf("a's Commit: %v", err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]: a's row and not b's", got)
	}
	if err := a.Rollback(); !errors.Is(err, sql.ErrTxDone) {
		t.Fatalf("Rollback after Commit = %v, want sql.ErrTxDone and nothing undone", err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("after a late Rollback, stored %s, want [1]", got)
	}
}

// When the physical transaction is lost under a member (SQLite rolls it
// all back on a full disk or an I/O error), every member's Commit fails:
// none reports stored what is not.
func TestGroupCommitLostTransactionFailsEveryMember(t *testing.T) {
	ctx, db := openGroupDB(t)
	_, b, aDone := batchOfTwo(t, ctx, ctx, db)
	// What SQLite does to the transaction after such an error.
	if _, err := b.Tx.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err == nil {
		t.Fatal("b's Commit succeeded on a lost transaction")
	}
	if err := <-aDone; err == nil {
		t.Fatal("a's Commit succeeded though its batch was lost")
	}
	if got := stored(t, ctx, db); got != "[]" {
		t.Fatalf("stored %s, want nothing", got)
	}
	// The writer is free again.
	c := insertV(t, ctx, db, 3)
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[3]" {
		t.Fatalf("stored %s, want [3]", got)
	}
}

// A request cancelled while its transaction runs neither interrupts a
// statement (SQLite would roll back the whole batch) nor loses the members
// before it.
func TestGroupCommitCancelledRequestKeepsTheBatch(t *testing.T) {
	ctx, db := openGroupDB(t)
	bCtx, cancelB := context.WithCancel(ctx)
	_, b, aDone := batchOfTwo(t, ctx, bCtx, db)
	cancelB()
	if _, err := b.ExecContext(bCtx, `INSERT INTO n (v) VALUES (2)`); err != nil {
		t.Fatalf("a statement of a cancelled request: %v", err)
	}
	b.Rollback()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
}

// A batch passed on to a transaction that then stopped waiting (its
// request ended) is committed by it, not left open with its members
// waiting for ever.
func TestGroupCommitAbandonedBatchIsCommitted(t *testing.T) {
	ctx, db := openGroupDB(t)
	g := db.group
	a := insertV(t, ctx, db, 1)
	g.waiting.Add(1) // a waiter a's Commit will pass the batch to
	aDone := make(chan error)
	go func() { aDone <- a.Commit() }()
	// a passes the turn on and waits for the batch.
	for deadline := time.Now().Add(10 * time.Second); len(g.turn) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a kept the turn with a waiter queued")
		}
	}
	select {
	case err := <-aDone:
		t.Fatalf("a's Commit returned (%v) with its batch open", err)
	case <-time.After(20 * time.Millisecond):
	}
	// The waiter gives up, as begin does when its context ends.
	g.waiting.Add(-1)
	g.flushAbandoned()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
}

// A waiter whose context ends before its turn comes gets the context's
// error and holds nothing.
func TestGroupCommitBeginHonoursContext(t *testing.T) {
	ctx, db := openGroupDB(t)
	a := insertV(t, ctx, db, 1)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := db.beginWrite(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("begin behind a busy writer = %v, want context.DeadlineExceeded", err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
}

// The first transaction of a batch runs without a savepoint; rolling it
// back undoes it all the same, and the writer goes on.
func TestGroupCommitFirstMemberRollback(t *testing.T) {
	ctx, db := openGroupDB(t)
	a := insertV(t, ctx, db, 1)
	if a.batch.savepoint {
		t.Fatal("the first transaction of a batch holds a savepoint")
	}
	if err := a.Rollback(); err != nil {
		t.Fatal(err)
	}
	b := insertV(t, ctx, db, 2)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[2]" {
		t.Fatalf("stored %s, want [2]", got)
	}
}

// A transaction begun alone commits the batch it finds open, so the
// members before it are answered without waiting for it to end.
func TestGroupCommitAloneCommitsTheBatchFirst(t *testing.T) {
	ctx, db := openGroupDB(t)
	a := insertV(t, ctx, db, 1)
	bStarted := make(chan *Tx)
	go func() {
		tx, err := db.beginWriteAlone(ctx)
		if err != nil {
			t.Error(err)
		}
		bStarted <- tx
	}()
	waitQueued(t, db.group, 1)
	aDone := make(chan error, 1)
	go func() { aDone <- a.Commit() }()
	b := <-bStarted
	select {
	case err := <-aDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		b.Rollback() // lets a's Commit return, so the test ends
		<-aDone
		t.Fatal("a's Commit waits for the transaction begun alone after it")
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
	if b.batch.savepoint {
		t.Fatal("a transaction begun alone holds a savepoint")
	}
	if _, err := b.ExecContext(ctx, `INSERT INTO n (v) VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[1 2]" {
		t.Fatalf("stored %s, want [1 2]", got)
	}
}

// Many writers at once, some rolling back, some giving up while they wait:
// exactly the transactions whose Commit succeeded are stored.
func TestGroupCommitMixedWriters(t *testing.T) {
	ctx, db := openGroupDB(t)
	const writers = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []int
	for i := range writers {
		wg.Go(func() {
			wctx := ctx
			if i%7 == 0 { // gives up almost at once, often while waiting for its turn
				var cancel context.CancelFunc
				wctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*100*time.Microsecond)
				defer cancel()
			}
			tx, err := db.beginWrite(wctx)
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("writer %d: begin: %v", i, err)
				}
				return
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(wctx, `INSERT INTO n (v) VALUES (?)`, i); err != nil {
				t.Errorf("writer %d: insert: %v", i, err)
				return
			}
			if i%3 == 0 {
				return // rolled back by the deferred Rollback
			}
			if err := tx.Commit(); err != nil {
				t.Errorf("writer %d: commit: %v", i, err)
				return
			}
			mu.Lock()
			committed = append(committed, i)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(committed)
	if got, want := stored(t, ctx, db), fmt.Sprint(committed); got != want {
		t.Fatalf("stored %s,\nwant exactly the committed %s", got, want)
	}
}

// Two waiters give up after the holder counted them and passed the batch
// on; the first to look still sees the second counted. The batch must be
// committed all the same, not left open until some other write comes.
func TestGroupCommitTwoAbandonedWaiters(t *testing.T) {
	ctx, db := openGroupDB(t)
	g := db.group
	a := insertV(t, ctx, db, 1)
	g.waiting.Add(2) // two waiters a's Commit will see
	aDone := make(chan error, 1)
	go func() { aDone <- a.Commit() }()
	for deadline := time.Now().Add(10 * time.Second); len(g.turn) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a kept the turn with waiters queued")
		}
	}
	// The first gives up and, flushing, takes the turn; the second is still
	// counted, so the first leaves the batch to it.
	g.waiting.Add(-1)
	g.turn <- struct{}{}
	if n := g.waiting.Load(); n != 1 {
		t.Fatalf("%d waiting, want the second still counted", n)
	}
	// The second gives up while the first holds the turn, as begin does.
	g.waiting.Add(-1)
	go g.flushAbandoned()
	time.Sleep(20 * time.Millisecond)
	<-g.turn // the first releases the turn, the batch still open
	select {
	case err := <-aDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		b := insertV(t, ctx, db, 2) // a later write ends the batch, so the test ends
		b.Commit()
		<-aDone
		t.Fatal("a's Commit waited with its batch left open")
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
}

// A statement on a transaction that has ended is refused, even though the
// shared physical transaction lives on for the next member.
func TestGroupCommitEndedTransactionRefusesStatements(t *testing.T) {
	ctx, db := openGroupDB(t)
	a, b, aDone := batchOfTwo(t, ctx, ctx, db)
	if _, err := a.ExecContext(ctx, `INSERT INTO n (v) VALUES (9)`); !errors.Is(err, sql.ErrTxDone) {
		t.Fatalf("a statement after Commit = %v, want sql.ErrTxDone", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if got := stored(t, ctx, db); got != "[1]" {
		t.Fatalf("stored %s, want [1]", got)
	}
}
