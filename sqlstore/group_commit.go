package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// groupCommit lets the write transactions queued on SQLite's single writer
// share one physical transaction, and so one commit and one fsync of the
// write-ahead log, instead of paying for both each. Every logical
// transaction runs alone, in turn; one that joins a batch holding others'
// writes runs inside a savepoint, so rolling it back undoes only its own
// (the first of a batch needs none: SQLite journals every page a savepoint
// changes, which doubles the cost of a large transaction). When it commits
// and others are waiting for their turn, the physical transaction stays
// open for them; the last of the batch commits it, and every member's
// Commit returns only then, with that commit's result: what Commit reports
// stored is on disk, exactly as with a transaction of its own.
//
// A logical transaction sees the writes of the batch members before it,
// which is what it would have seen had they committed alone: they all
// commit together or not at all.
//
// The price: a member's Commit waits for the members after it. maxBatch
// bounds how many they are, not how long they take; a transaction known to
// run long (a policy recompute of a large organisation takes seconds)
// begins alone (beginWriteAlone), committing the batch before it.
type groupCommit struct {
	db *sql.DB
	// turn is held by the logical transaction running now.
	turn chan struct{}
	// waiting counts the logical transactions queued for the turn.
	waiting atomic.Int64
	// batch is the physical transaction open between logical ones; only
	// the holder of the turn touches it.
	batch *writeBatch
	// maxBatch bounds how many logical transactions share a physical one,
	// and so how many the first of them waits for.
	maxBatch int
	// committed and commits count the logical transactions committed and
	// the physical commits that stored them, for /metrics.
	committed, commits atomic.Int64
	// times is how long the physical commits took, for /metrics.
	times timeHistogram
	// checkpoint, when set, is told of every commit.
	checkpoint *checkpointer
}

// writeBatch is one physical transaction and the logical ones released
// into it.
type writeBatch struct {
	tx        *sql.Tx
	members   int // ended in it, committed or not
	committed int
	savepoint bool          // the member running now holds a savepoint
	done      chan struct{} // closed once the physical transaction ended
	err       error         // how it ended; read after done
}

// savepoint names the savepoint of the logical transaction running now;
// only one runs at a time.
const savepoint = "tandem_write"

func newGroupCommit(db *sql.DB) *groupCommit {
	return &groupCommit{db: db, turn: make(chan struct{}, 1), maxBatch: 64}
}

// begin waits for the turn and starts a logical transaction in the open
// batch, or in a new one. A transaction that may run long (alone) commits
// the open batch first, so that the members before it are answered
// without waiting for it.
func (g *groupCommit) begin(ctx context.Context, alone bool) (*writeBatch, error) {
	g.waiting.Add(1)
	select {
	case g.turn <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		// In its own goroutine: it waits for the turn, and the caller may
		// hold a transaction already (and be giving up on a second).
		go g.flushAbandoned()
		return nil, ctx.Err()
	}
	if alone && g.batch != nil {
		g.finish(g.batch)
	}
	if g.batch == nil {
		// The physical transaction outlives the request that opened it.
		tx, err := g.db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			<-g.turn
			return nil, err
		}
		g.batch = &writeBatch{tx: tx, done: make(chan struct{})}
	}
	b := g.batch
	b.savepoint = b.committed > 0
	if b.savepoint {
		if _, err := b.tx.ExecContext(context.WithoutCancel(ctx), "SAVEPOINT "+savepoint); err != nil {
			return nil, g.fail(b, err)
		}
	}
	return b, nil
}

// restartLog checkpoints SQLite's write-ahead log on the writer's own
// connection in the writer's turn, committing the open batch first, so the
// next write transaction begins with every frame copied and starts the log
// again from its beginning (checkpoint.go). Passive: a reader's older
// snapshot is not waited for (it would hold every writer), the restart
// just comes at a later turn.
func (g *groupCommit) restartLog() error {
	g.waiting.Add(1)
	g.turn <- struct{}{}
	g.waiting.Add(-1)
	defer func() { <-g.turn }()
	if g.batch != nil {
		g.finish(g.batch)
	}
	_, err := g.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	return err
}

// end ends the logical transaction holding the turn: commit releases its
// savepoint, otherwise it is rolled back to it, or the batch is when it
// was the first. The batch then passes to the next logical transaction
// waiting, or ends. A commit returns the result of the physical commit.
func (g *groupCommit) end(b *writeBatch, commit bool) error {
	if !commit && !b.savepoint {
		// The first of the batch: nothing else is in it.
		g.finish(b)
		<-g.turn
		return b.err
	}
	ctx := context.Background()
	var err error
	switch {
	case commit && b.savepoint:
		_, err = b.tx.ExecContext(ctx, "RELEASE "+savepoint)
	case !commit:
		if _, err = b.tx.ExecContext(ctx, "ROLLBACK TO "+savepoint); err == nil {
			_, err = b.tx.ExecContext(ctx, "RELEASE "+savepoint)
		}
	}
	if err != nil {
		// SQLite rolled the whole transaction back (a full disk, an I/O
		// error) or the connection broke: no member is stored.
		return g.fail(b, err)
	}
	b.members++
	if commit {
		b.committed++
		g.committed.Add(1)
	}
	if g.waiting.Load() > 0 && b.members < g.maxBatch {
		<-g.turn
		if !commit {
			return nil
		}
		<-b.done
		return b.err
	}
	g.finish(b)
	<-g.turn
	if !commit {
		return nil
	}
	return b.err
}

// finish ends the physical transaction of b; the caller holds the turn.
func (g *groupCommit) finish(b *writeBatch) {
	g.batch = nil
	if b.committed == 0 {
		b.err = b.tx.Rollback()
	} else {
		g.commits.Add(1)
		start := time.Now()
		err := b.tx.Commit()
		g.times.observe(time.Since(start))
		if err != nil {
			b.err = fmt.Errorf("commit: %w", err)
		} else if g.checkpoint != nil {
			g.checkpoint.committed()
		}
	}
	close(b.done)
}

// fail rolls back the physical transaction of b after err, so that every
// member's Commit returns an error, and releases the turn.
func (g *groupCommit) fail(b *writeBatch, err error) error {
	b.tx.Rollback()
	b.err = fmt.Errorf("the transaction was rolled back (%w): nothing of it is stored", err)
	g.batch = nil
	close(b.done)
	<-g.turn
	return b.err
}

// flushAbandoned commits a batch left open for a logical transaction that
// stopped waiting for its turn (its context ended), when no other is
// waiting to take it over: its members must not wait for ever. It waits for
// the turn: a holder may have counted the waiter that gave up just before
// passing the batch on. Every waiter counted either takes the turn or runs
// this after leaving the count, so the last to look finds the batch.
func (g *groupCommit) flushAbandoned() {
	g.turn <- struct{}{}
	if b := g.batch; b != nil && g.waiting.Load() == 0 {
		g.finish(b)
	}
	<-g.turn
}
