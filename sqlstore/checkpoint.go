package sqlstore

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// checkpointer copies SQLite's write-ahead log into the database file on a
// connection of its own, so that the single writer never does it inside a
// commit: SQLite's automatic checkpoint (wal_autocheckpoint, off on the
// writer) runs in the commit that crossed the threshold, holding the write
// turn and every writer queued behind it for the copy and two fsyncs.
//
// A passive checkpoint runs beside the writer and copies what it can. It
// cannot end the log: SQLite starts writing the log from its beginning again
// only when a write transaction begins with every frame copied, and under
// steady writes new frames always arrive while a checkpoint copies. So when
// the log has grown past walRestartFrames, the checkpointer checkpoints in
// the writer's turn (groupCommit.restartLog), with little left to copy, and
// the next write transaction starts the log again: the writers wait for
// that short step instead of for every copy.
type checkpointer struct {
	db      *sql.DB
	restart func() error
	// restartFrames is the log's length, in pages, that makes it restart.
	restartFrames int64
	// every is checkpointEvery but in tests.
	every time.Duration
	// restarts counts the restarts, for the tests.
	restarts atomic.Int64
	dirty    chan struct{}
	closing  <-chan struct{}
	done     chan struct{}
}

const (
	// checkpointEvery is how often the checkpointer copies at most, while
	// commits come: a page changed by many commits in between is copied
	// once, and each copy ends with an fsync of the database file. Every
	// second rather than every 100 ms took the peak on two cores from
	// 8,400–8,700 to 9,800–10,300 check-ins/s (docs/BENCHMARKS.md), the
	// log file growing to about 130 MB at that rate.
	checkpointEvery = time.Second
	// walRestartFrames is the log's length, 8,192 frames of 4 KiB (32 MiB),
	// past which it restarts.
	walRestartFrames = 8192
)

func newCheckpointer(db *sql.DB, restart func() error, closing <-chan struct{}) *checkpointer {
	c := &checkpointer{db: db, restart: restart, restartFrames: walRestartFrames, every: checkpointEvery, dirty: make(chan struct{}, 1), closing: closing, done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer the log grew.
func (c *checkpointer) committed() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.closing:
			return
		case <-c.dirty:
		}
		var busy, logFrames, copied int64
		err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
		if err == nil && logFrames > c.restartFrames && c.restart() == nil {
			c.restarts.Add(1)
		}
		select {
		case <-c.closing:
			return
		case <-time.After(c.every):
		}
	}
}
