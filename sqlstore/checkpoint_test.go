package sqlstore

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Under writes that never pause, SQLite's log would grow without end (a
// passive checkpoint cannot restart it); the checkpointer restarts it in
// the writer's turn, so its file stays a fraction of what was written.
func TestCheckpointerBoundsTheLogUnderSteadyWrites(t *testing.T) {
	ctx, db := openGroupDB(t)
	c := db.group.checkpoint
	c.restartFrames, c.every = 256, time.Millisecond // 1 MiB
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE blobs (b TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	page := strings.Repeat("x", 4000)
	const writers, txPerWriter, rowsPerTx = 4, 150, 10 // 24 MB written
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for range txPerWriter {
				tx, err := db.beginWrite(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				for range rowsPerTx {
					if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (b) VALUES (?)`, page); err != nil {
						t.Error(err)
					}
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fi, err := os.Stat(db.Path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	written := int64(writers * txPerWriter * rowsPerTx * len(page))
	t.Logf("%d bytes written, log file %d bytes, %d restarts", written, fi.Size(), c.restarts.Load())
	if c.restarts.Load() == 0 || fi.Size() > written/3 {
		t.Errorf("the log is %d bytes after %d written and %d restarts; want it restarted and under a third of what was written", fi.Size(), written, c.restarts.Load())
	}
}
