package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestBackupSQLite(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// A writer keeps creating organisations before, during and after the
		// backup; the backup must be one consistent moment of that history.
		ctx := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
		db := testdb.MustOpenSQLite(t)
		mustFill(t, db.Path, 2000) // several backup steps' worth of pages
		w := startOrgWriter(t, ctx, sqlstore.NewOrganizationService(db))
		w.waitFor(t, 20)

		out := filepath.Join(t.TempDir(), "tandem.backup")
		before := w.count()
		waited, midway, lastDone := false, 0, int64(0)
		err := sqlstore.BackupSQLite(context.Background(), filepath.Dir(db.Path), out, func(phase sqlstore.BackupPhase, done, total int64) {
			if phase != sqlstore.BackupPages {
				t.Errorf("progress reported phase %q for a database without attachments", phase)
			}
			if done < lastDone {
				t.Errorf("progress went back from %d to %d pages: the copy restarted", lastDone, done)
			}
			lastDone = done
			// Midway, let the writer commit more rows: the backup must not
			// block it, and must not see them.
			if !waited && done > 0 && done < total {
				waited = true
				midway = w.count()
				w.waitFor(t, midway+20)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		inserted := w.stop(t)
		if !waited {
			t.Fatal("backup finished in one step; the test database is too small to test a concurrent writer")
		}

		dataDir := filepath.Join(t.TempDir(), "restored")
		if err := sqlstore.RestoreSQLite(context.Background(), out, dataDir, sqlstore.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, dataDir); !slices.Equal(got, []string{sqlstore.DBFileName}) {
			t.Fatalf("data directory holds %v, want only %s", got, sqlstore.DBFileName)
		}
		dbPath := filepath.Join(dataDir, sqlstore.DBFileName)
		if got := integrityCheck(t, dbPath); got != "ok" {
			t.Fatalf("integrity_check = %q", got)
		}

		ids := queryInt64s(t, dbPath, `SELECT id FROM organizations ORDER BY id`)
		n := len(ids)
		// The writer records an id just after its commit, so one commit may
		// be in the snapshot but not yet in midway.
		if n < before || n > midway+1 {
			t.Fatalf("restored %d organisations; want the database as it stood when the backup began: at least the %d committed before it, at most the %d committed by its midpoint", n, before, midway)
		}
		if !slices.Equal(ids, inserted[:n]) {
			t.Fatalf("restored organisations are not a prefix of those inserted:\nrestored %v\ninserted %v", ids, inserted[:n])
		}
		if parties := queryInt64s(t, dbPath, `SELECT COUNT(*) FROM parties`); parties[0] != int64(2*n) {
			t.Fatalf("restored %d parties for %d organisations, want %d", parties[0], n, 2*n)
		}

		restored, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		if applied, known, err := restored.MigrationStatus(ctx); err != nil {
			t.Fatal(err)
		} else if applied != known {
			t.Fatalf("restored schema at version %d, want %d", applied, known)
		}
		org := &tandem.Organization{Name: "After Restore"}
		if err := sqlstore.NewOrganizationService(restored).CreateOrganization(ctx, org); err != nil {
			t.Fatalf("restored database does not accept writes: %v", err)
		}
	})

	t.Run("Progress", func(t *testing.T) {
		db := testdb.MustOpenSQLite(t)
		mustFill(t, db.Path, 2000)
		type call struct{ done, total int64 }
		var calls []call
		out := filepath.Join(t.TempDir(), "tandem.backup")
		err := sqlstore.BackupSQLite(context.Background(), filepath.Dir(db.Path), out, func(phase sqlstore.BackupPhase, done, total int64) {
			if phase != sqlstore.BackupPages {
				t.Errorf("progress reported phase %q for a database without attachments", phase)
			}
			calls = append(calls, call{done, total})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) < 3 {
			t.Fatalf("progress called %d times (%v), want a start, steps and an end", len(calls), calls)
		}
		total := calls[0].total
		if calls[0].done != 0 || total <= 0 {
			t.Fatalf("first progress call %v, want (0, pages)", calls[0])
		}
		for i, c := range calls[1:] {
			if c.total != total || c.done < calls[i].done {
				t.Fatalf("progress went %v then %v; want done rising and total fixed", calls[i], c)
			}
		}
		if last := calls[len(calls)-1]; last.done != last.total {
			t.Fatalf("last progress call %v, want done == total", last)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		pageSize := queryInt64s(t, out, `PRAGMA page_size`)[0]
		if pages := fi.Size() / pageSize; pages != total {
			t.Fatalf("backup holds %d pages, progress reported %d", pages, total)
		}
	})

	t.Run("NilProgress", func(t *testing.T) {
		db := testdb.MustOpenSQLite(t)
		dir := t.TempDir()
		out := filepath.Join(dir, "tandem.backup")
		if err := sqlstore.BackupSQLite(context.Background(), filepath.Dir(db.Path), out, nil); err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, dir); !slices.Equal(got, []string{"tandem.backup"}) {
			t.Fatalf("output directory holds %v, want only the backup", got)
		}
		if got := integrityCheck(t, out); got != "ok" {
			t.Fatalf("integrity_check = %q", got)
		}
	})

	t.Run("ErrOutExists", func(t *testing.T) {
		db := testdb.MustOpenSQLite(t)
		dir := t.TempDir()
		out := filepath.Join(dir, "tandem.backup")
		mustWriteFile(t, out, "an older backup")
		err := sqlstore.BackupSQLite(context.Background(), filepath.Dir(db.Path), out, nil)
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), "exists; choose another --out or delete it") {
			t.Fatalf("err = %v, want EINVALID saying the output exists", err)
		}
		if got := mustReadFile(t, out); got != "an older backup" {
			t.Fatalf("existing output changed to %q", got)
		}
		if got := dirNames(t, dir); !slices.Equal(got, []string{"tandem.backup"}) {
			t.Fatalf("output directory holds %v, want only the existing file", got)
		}
	})

	t.Run("ErrNoDatabase", func(t *testing.T) {
		dataDir := t.TempDir()
		src := filepath.Join(dataDir, sqlstore.DBFileName)
		dir := t.TempDir()
		err := sqlstore.BackupSQLite(context.Background(), dataDir, filepath.Join(dir, "tandem.backup"), nil)
		if tandem.ErrorCode(err) != tandem.ECONFIG {
			t.Fatalf("err = %v, want ECONFIG", err)
		}
		if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("backup created the missing source database (stat: %v)", err)
		}
		if got := dirNames(t, dir); len(got) != 0 {
			t.Fatalf("output directory holds %v, want nothing", got)
		}
	})

	t.Run("ErrCanceled", func(t *testing.T) {
		db := testdb.MustOpenSQLite(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		dir := t.TempDir()
		err := sqlstore.BackupSQLite(ctx, filepath.Dir(db.Path), filepath.Join(dir, "tandem.backup"), nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := dirNames(t, dir); len(got) != 0 {
			t.Fatalf("output directory holds %v after a cancelled backup, want nothing", got)
		}
	})
}

func TestRestoreSQLite(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// An existing empty directory is as good as an absent one.
		backup := mustBackup(t, testdb.MustOpenSQLite(t))
		dataDir := t.TempDir()
		if err := sqlstore.RestoreSQLite(context.Background(), backup, dataDir, sqlstore.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Ready(context.Background()); err != nil {
			t.Fatalf("restored database not ready: %v", err)
		}
	})

	t.Run("ErrDataDirNotEmpty", func(t *testing.T) {
		backup := mustBackup(t, testdb.MustOpenSQLite(t))
		dataDir := t.TempDir()
		mustWriteFile(t, filepath.Join(dataDir, sqlstore.DBFileName), "the live database")
		mustWriteFile(t, filepath.Join(dataDir, "notes.txt"), "keep me")
		err := sqlstore.RestoreSQLite(context.Background(), backup, dataDir, sqlstore.RestoreOptions{})
		if tandem.ErrorCode(err) != tandem.ECONFIG || !strings.Contains(tandem.ErrorMessage(err), dataDir) {
			t.Fatalf("err = %v, want ECONFIG naming %s", err, dataDir)
		}
		if got := dirNames(t, dataDir); !slices.Equal(got, []string{"notes.txt", sqlstore.DBFileName}) {
			t.Fatalf("data directory holds %v after a refused restore", got)
		}
		if got := mustReadFile(t, filepath.Join(dataDir, sqlstore.DBFileName)); got != "the live database" {
			t.Fatalf("%s changed to %q", sqlstore.DBFileName, got)
		}
		if got := mustReadFile(t, filepath.Join(dataDir, "notes.txt")); got != "keep me" {
			t.Fatalf("notes.txt changed to %q", got)
		}
	})

	t.Run("ErrBackupMissing", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "data")
		err := sqlstore.RestoreSQLite(context.Background(), filepath.Join(t.TempDir(), "nope.backup"), dataDir, sqlstore.RestoreOptions{})
		if tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
		assertAbsent(t, dataDir)
	})

	// Each of these files is refused, and the data directory the restore
	// had to create is gone again afterwards.
	invalid := []struct {
		name    string
		backup  func(t *testing.T) string
		message string
	}{
		{"ErrText", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "tandem.backup")
			mustWriteFile(t, path, "organisations: acme, globex\n")
			return path
		}, "not a SQLite database"},
		{"ErrEmpty", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "tandem.backup")
			mustWriteFile(t, path, "")
			return path
		}, "not a SQLite database"},
		{"ErrNotTandem", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "other.db")
			mustExec(t, path, `CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')`)
			return path
		}, "not Tandem's"},
		{"ErrLiveDatabase", func(t *testing.T) string {
			// Its write-ahead log holds committed pages a file copy would lose.
			return testdb.MustOpenSQLite(t).Path
		}, "write-ahead log beside it"},
		{"ErrCorrupt", func(t *testing.T) string {
			db := testdb.MustOpenSQLite(t)
			mustFill(t, db.Path, 50)
			path := mustBackup(t, db)
			corruptPages(t, path)
			return path
		}, "fails SQLite's integrity check"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			err := sqlstore.RestoreSQLite(context.Background(), tt.backup(t), dataDir, sqlstore.RestoreOptions{})
			if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), tt.message) {
				t.Fatalf("err = %v, want EINVALID saying %q", err, tt.message)
			}
			assertAbsent(t, dataDir)
		})
	}
}

// orgWriter creates organisations one after another until stopped, recording
// the id of each committed one in order.
type orgWriter struct {
	mu    sync.Mutex
	ids   []int64
	err   error
	stopc chan struct{}
	done  chan struct{}
}

func startOrgWriter(t *testing.T, ctx context.Context, svc *sqlstore.OrganizationService) *orgWriter {
	t.Helper()
	w := &orgWriter{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for i := 1; ; i++ {
			select {
			case <-w.stopc:
				return
			default:
			}
			org := &tandem.Organization{Name: fmt.Sprintf("Org %d", i)}
			err := svc.CreateOrganization(ctx, org)
			w.mu.Lock()
			if err == nil {
				w.ids = append(w.ids, org.ID)
			}
			w.err = err
			w.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

func (w *orgWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ids)
}

// waitFor waits until the writer has committed n organisations.
func (w *orgWriter) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.count() < n {
		select {
		case <-w.done:
			t.Fatalf("writer stopped after %d organisations: %v", w.count(), w.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer committed %d organisations in 10s, want %d: is it blocked?", w.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// stop stops the writer and returns the ids it committed, in order.
func (w *orgWriter) stop(t *testing.T) []int64 {
	t.Helper()
	select {
	case <-w.stopc:
	default:
		close(w.stopc)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
	return w.ids
}

// mustBackup backs db up to a file in a temporary directory and returns its path.
func mustBackup(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tandem.backup")
	if err := sqlstore.BackupSQLite(context.Background(), filepath.Dir(db.Path), out, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// mustFill adds rows of 3 KB of zeros to a table of its own, to make the
// database span many pages. (Random bytes would take a minute under -race.)
func mustFill(t *testing.T, path string, rows int) {
	t.Helper()
	mustExec(t, path, fmt.Sprintf(`CREATE TABLE filler (data BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
		INSERT INTO filler SELECT zeroblob(3000) FROM n`, rows))
}

// openRaw opens the SQLite file at path directly, bypassing sqlstore.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, path, query string) {
	t.Helper()
	db := openRaw(t, path)
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func integrityCheck(t *testing.T, path string) string {
	t.Helper()
	var result string
	if err := openRaw(t, path).QueryRow(`PRAGMA integrity_check`).Scan(&result); err != nil {
		t.Fatal(err)
	}
	return result
}

func queryInt64s(t *testing.T, path, query string) []int64 {
	t.Helper()
	rows, err := openRaw(t, path).Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var list []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return list
}

// corruptPages overwrites the last ten pages, filler rows written after the
// schema, with garbage, keeping the file's size.
func corruptPages(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xa5", 10*4096))
	if _, err := f.WriteAt(junk, fi.Size()-int64(len(junk))); err != nil {
		t.Fatal(err)
	}
}

func mustWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirNames returns the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func assertAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(path)
		t.Fatalf("%s exists after a failed restore (stat: %v, entries: %v)", path, err, entries)
	}
}

// TestBackupAttachments backs up an installation whose attachments are files
// in its data directory, as `tandem serve` keeps them by default: the backup
// is one file, and the restore gives every attachment back byte for byte.
func TestBackupAttachments(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d, dataDir := newFileAttDesk(t)
		tk := d.open(d.Requester, "end-user-support", "Printer prints blank pages")
		other := d.open(d.Requester, "hardware-deployment", "New laptop")
		report := attPDF(300<<10, "report") // spans many pages of the snapshot
		want := map[int64]attBytes{}
		for _, u := range []struct {
			ticket  int64
			name    string
			content []byte
		}{
			{tk.ID, "report.pdf", report},
			{tk.ID, "log.txt", []byte("paper jam at 09:14\n")},
			{other.ID, "report-again.pdf", report}, // the same bytes: one file
		} {
			a := d.mustUpload(t, d.ITTech, u.ticket, u.name, tandem.VisibilityPublic, u.content)
			want[a.ID] = attBytes{u.ticket, u.content}
		}
		// An installation that switched stores keeps older bytes in the
		// blobs table; the backup takes those from there.
		dbSvc := sqlstore.NewTicketService(d.DB, sqlstore.NewDBBlobStore(d.DB))
		inTable := attPDF(20<<10, "kept in the database")
		a := &tandem.Attachment{Filename: "old.pdf", Visibility: tandem.VisibilityPublic}
		if err := dbSvc.AddAttachment(d.as(d.ITTech), tk.ID, a, bytes.NewReader(inTable)); err != nil {
			t.Fatal(err)
		}
		want[a.ID] = attBytes{tk.ID, inTable}

		outDir := t.TempDir()
		out := filepath.Join(outDir, "tandem.backup")
		var phases []sqlstore.BackupPhase
		var copied []int64
		err := sqlstore.BackupSQLite(context.Background(), dataDir, out, func(phase sqlstore.BackupPhase, done, total int64) {
			if len(phases) == 0 || phases[len(phases)-1] != phase {
				phases = append(phases, phase)
			}
			if phase == sqlstore.BackupAttachments {
				copied = append(copied, done, total)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, outDir); !slices.Equal(got, []string{"tandem.backup"}) {
			t.Fatalf("output directory holds %v, want the one backup file", got)
		}
		if !slices.Equal(phases, []sqlstore.BackupPhase{sqlstore.BackupPages, sqlstore.BackupAttachments}) {
			t.Fatalf("progress phases %v, want pages then attachments", phases)
		}
		// Two distinct files to copy: the report once, and the log.
		wantBytes := int64(len(report) + len("paper jam at 09:14\n"))
		if copied[0] != 0 || copied[len(copied)-2] != wantBytes || copied[len(copied)-1] != wantBytes {
			t.Fatalf("attachment progress (done, total)… = %v, want from 0 to %d bytes", copied, wantBytes)
		}
		// The live installation is as it was: nothing moved into its table.
		if n := countRows(t, d.DB.Path, `SELECT COUNT(*) FROM blobs`); n != 1 {
			t.Fatalf("the live blobs table holds %d rows after the backup, want the 1 it had", n)
		}

		t.Run("Files", func(t *testing.T) {
			restored := filepath.Join(t.TempDir(), "restored")
			if err := sqlstore.RestoreSQLite(context.Background(), out, restored, sqlstore.RestoreOptions{}); err != nil {
				t.Fatal(err)
			}
			files := attBlobFiles(t, filepath.Join(restored, sqlstore.AttachmentsDirName))
			if len(files) != 3 {
				t.Fatalf("restored attachment files %v, want the 3 distinct contents", files)
			}
			for _, f := range files {
				if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
					t.Fatalf("restored file %s: %v, %v; want mode 0600 like an upload", f, fi.Mode(), err)
				}
			}
			if n := countRows(t, filepath.Join(restored, sqlstore.DBFileName), `SELECT COUNT(*) FROM blobs`); n != 0 {
				t.Fatalf("restored blobs table holds %d rows, want none: the bytes are files now", n)
			}
			db := openRestored(t, restored)
			svc := sqlstore.NewTicketService(db, sqlstore.NewFileBlobStore(filepath.Join(restored, sqlstore.AttachmentsDirName)))
			assertDownloads(t, svc, as(t, d.ITTech), want)
		})

		t.Run("Database", func(t *testing.T) {
			restored := filepath.Join(t.TempDir(), "restored")
			if err := sqlstore.RestoreSQLite(context.Background(), out, restored, sqlstore.RestoreOptions{AttachmentsInDatabase: true}); err != nil {
				t.Fatal(err)
			}
			if got := dirNames(t, restored); !slices.Equal(got, []string{sqlstore.DBFileName}) {
				t.Fatalf("data directory holds %v, want only %s: the bytes stay in the database", got, sqlstore.DBFileName)
			}
			db := openRestored(t, restored)
			assertDownloads(t, sqlstore.NewTicketService(db, sqlstore.NewDBBlobStore(db)), as(t, d.ITTech), want)
		})
	})

	t.Run("ConcurrentUploads", func(t *testing.T) {
		// Attachments keep arriving while the backup runs: every attachment
		// in the snapshot must come back, whenever its upload happened.
		d, dataDir := newFileAttDesk(t)
		mustFill(t, d.DB.Path, 2000) // several page steps
		tk := d.open(d.Requester, "end-user-support", "Scanner offline")
		var (
			mu       sync.Mutex
			uploaded = map[int64][]byte{}
			upErr    error
		)
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := attPDF(8<<10, fmt.Sprintf("scan %d", i))
				a := &tandem.Attachment{Filename: fmt.Sprintf("scan-%d.pdf", i), Visibility: tandem.VisibilityPublic}
				err := d.svc.AddAttachment(d.as(d.ITTech), tk.ID, a, bytes.NewReader(content))
				mu.Lock()
				if err != nil {
					upErr = err
				} else {
					uploaded[a.ID] = content
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
		count := func() int { mu.Lock(); defer mu.Unlock(); return len(uploaded) }
		waitUntil(t, func() bool { return count() >= 10 })

		out := filepath.Join(t.TempDir(), "tandem.backup")
		midway := false
		err := sqlstore.BackupSQLite(context.Background(), dataDir, out, func(phase sqlstore.BackupPhase, done, total int64) {
			if n := count(); !midway && done > 0 && done < total {
				midway = true
				waitUntil(t, func() bool { return count() >= n+10 })
			}
		})
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		if upErr != nil {
			t.Fatalf("upload during the backup: %v", upErr)
		}
		if !midway {
			t.Fatal("backup finished in one step; no upload overlapped it")
		}

		restored := filepath.Join(t.TempDir(), "restored")
		if err := sqlstore.RestoreSQLite(context.Background(), out, restored, sqlstore.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		ids := queryInt64s(t, filepath.Join(restored, sqlstore.DBFileName), `SELECT id FROM ticket_attachments ORDER BY id`)
		if len(ids) < 10 || len(ids) >= count() {
			t.Fatalf("restored %d attachments of %d uploaded; want those of the moment the backup began", len(ids), count())
		}
		want := map[int64]attBytes{}
		for _, id := range ids {
			want[id] = attBytes{tk.ID, uploaded[id]}
		}
		db := openRestored(t, restored)
		svc := sqlstore.NewTicketService(db, sqlstore.NewFileBlobStore(filepath.Join(restored, sqlstore.AttachmentsDirName)))
		assertDownloads(t, svc, as(t, d.ITTech), want)
	})

	// A backup that would silently lack an attachment's bytes is refused,
	// naming the attachment, and leaves no file behind.
	damaged := []struct {
		name    string
		damage  func(t *testing.T, path string)
		code    string
		message string
	}{
		{"ErrFileMissing", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, tandem.ENOTFOUND, "is missing"},
		{"ErrFileChanged", func(t *testing.T, path string) {
			b := []byte(mustReadFile(t, path))
			b[len(b)/2] ^= 1
			mustWriteFile(t, path, string(b))
		}, tandem.EINVALID, "is damaged (its bytes have SHA-256"},
		{"ErrFileTruncated", func(t *testing.T, path string) {
			mustWriteFile(t, path, mustReadFile(t, path)[:100])
		}, tandem.EINVALID, "is damaged (it holds 100 bytes, the attachment 4096)"},
		{"ErrFileGrown", func(t *testing.T, path string) {
			mustWriteFile(t, path, mustReadFile(t, path)+"trailing junk")
		}, tandem.EINVALID, "is damaged (it holds more than 4096 bytes"},
	}
	for _, tt := range damaged {
		t.Run(tt.name, func(t *testing.T) {
			d, dataDir := newFileAttDesk(t)
			tk := d.open(d.Requester, "end-user-support", "Printer prints blank pages")
			d.mustUpload(t, d.ITTech, tk.ID, "fine.txt", tandem.VisibilityPublic, []byte("fine"))
			content := attPDF(4096, "damaged")
			a := d.mustUpload(t, d.ITTech, tk.ID, "invoice.pdf", tandem.VisibilityPublic, content)
			path := filepath.Join(dataDir, sqlstore.AttachmentsDirName, a.SHA256[:2], a.SHA256)
			tt.damage(t, path)

			dir := t.TempDir()
			err := sqlstore.BackupSQLite(context.Background(), dataDir, filepath.Join(dir, "tandem.backup"), nil)
			msg := tandem.ErrorMessage(err)
			wantName := fmt.Sprintf(`attachment %d ("invoice.pdf") of ticket %d: its file %s`, a.ID, tk.ID, path)
			if tandem.ErrorCode(err) != tt.code || !strings.Contains(msg, wantName) || !strings.Contains(msg, tt.message) || !strings.Contains(msg, "no backup was written") {
				t.Fatalf("err = %v (%s), want %s naming %q and saying %q", err, tandem.ErrorCode(err), tt.code, wantName, tt.message)
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Fatalf("output directory holds %v after a failed backup, want nothing", got)
			}
		})
	}
}

// TestRestoreAttachments refuses backups whose attachment bytes are missing
// or damaged, leaving no data directory behind.
func TestRestoreAttachments(t *testing.T) {
	d, dataDir := newFileAttDesk(t)
	tk := d.open(d.Requester, "end-user-support", "Printer prints blank pages")
	a := d.mustUpload(t, d.ITTech, tk.ID, "invoice.pdf", tandem.VisibilityPublic, attPDF(4096, "invoice"))
	good := filepath.Join(t.TempDir(), "tandem.backup")
	if err := sqlstore.BackupSQLite(context.Background(), dataDir, good, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		change  string
		message string
	}{
		{"ErrBlobChanged", `UPDATE blobs SET content = zeroblob(4096)`, "is damaged: the attachment bytes stored as SHA-256 " + a.SHA256},
		{"ErrBlobMissing", `DELETE FROM blobs`, fmt.Sprintf(`lacks the bytes of attachment %d ("invoice.pdf") of ticket %d`, a.ID, tk.ID)},
	}
	for _, tt := range tests {
		for _, opts := range []sqlstore.RestoreOptions{{}, {AttachmentsInDatabase: true}} {
			t.Run(fmt.Sprintf("%s/InDatabase=%v", tt.name, opts.AttachmentsInDatabase), func(t *testing.T) {
				backup := filepath.Join(t.TempDir(), "tandem.backup")
				mustWriteFile(t, backup, mustReadFile(t, good))
				mustExec(t, backup, tt.change)
				restored := filepath.Join(t.TempDir(), "restored")
				err := sqlstore.RestoreSQLite(context.Background(), backup, restored, opts)
				if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), tt.message) {
					t.Fatalf("err = %v, want EINVALID saying %q", err, tt.message)
				}
				assertAbsent(t, restored)
			})
		}
	}
}

// newFileAttDesk returns the service desk on a SQLite installation whose
// attachments are files in its data directory, and that directory.
func newFileAttDesk(t *testing.T) (*attDesk, string) {
	t.Helper()
	db := testdb.MustOpenSQLite(t)
	dataDir := filepath.Dir(db.Path)
	d := &attDesk{desk: newDesk(t, db)}
	d.svc = sqlstore.NewTicketService(db, sqlstore.NewFileBlobStore(filepath.Join(dataDir, sqlstore.AttachmentsDirName)))
	return d, dataDir
}

// openRestored opens the installation restored into dataDir.
func openRestored(t *testing.T, dataDir string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// attBytes is an attachment's ticket and content, as uploaded.
type attBytes struct {
	ticketID int64
	content  []byte
}

// assertDownloads downloads every attachment in want (by id) through svc and
// compares the bytes with those uploaded.
func assertDownloads(t *testing.T, svc *sqlstore.TicketService, ctx context.Context, want map[int64]attBytes) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no attachments to download")
	}
	for id, w := range want {
		a, rc, err := svc.OpenAttachment(ctx, w.ticketID, id)
		if err != nil {
			t.Fatalf("download attachment %d: %v", id, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, w.content) {
			t.Fatalf("attachment %d (%s) restored as %d bytes (%v), want its %d bytes", id, a.Filename, len(b), err, len(w.content))
		}
	}
}

// countRows runs a COUNT query on the SQLite file at path.
func countRows(t *testing.T, path, query string) int64 {
	t.Helper()
	return queryInt64s(t, path, query)[0]
}

// waitUntil waits up to 10 seconds for cond.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
