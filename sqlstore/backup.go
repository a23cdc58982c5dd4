package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tandemhq/tandem"
)

// backupStepPages is how many pages one step of the online backup copies: 1 MiB
// at SQLite's default 4 KiB page, small enough that progress moves steadily and
// a cancelled context is noticed quickly.
const backupStepPages = 256

// sqliteHeader opens every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// BackupSQLite writes a consistent snapshot of the SQLite database at srcPath
// to outPath while other processes (a running `tandem serve`) keep reading and
// writing it. progress, when not nil, is called with (pagesDone, pagesTotal) as
// the copy advances; its last call has pagesDone == pagesTotal.
//
// It uses SQLite's online backup API inside one read transaction, so the copy
// is the database as it stood when the backup began. In WAL mode (Tandem's) a
// reader blocks no writer; the write-ahead log only grows until the backup
// ends. Holding the snapshot also stops SQLite from restarting the copy after
// each outside write, which would never finish under a steady write load.
//
// outPath must not exist (EINVALID). The snapshot is written to a temporary
// file beside it, synced, and renamed into place, so outPath is either absent
// or complete.
func BackupSQLite(ctx context.Context, srcPath, outPath string, progress func(done, total int)) (err error) {
	if _, err := os.Lstat(outPath); err == nil {
		return tandem.Errorf(tandem.EINVALID, "%s exists; choose another --out or delete it", outPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup output %s: %w", outPath, err)
	}
	if fi, err := os.Stat(srcPath); err != nil {
		return tandem.Errorf(tandem.ECONFIG, "no database at %s (%v): set --data or TANDEM_DATA to the server's data directory", srcPath, rootCause(err))
	} else if !fi.Mode().IsRegular() {
		return tandem.Errorf(tandem.ECONFIG, "%s is not a database file: set --data or TANDEM_DATA to the server's data directory", srcPath)
	}

	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".tmp-*")
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "cannot write next to %s (%v): choose another --out", outPath, rootCause(err))
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			removeSQLiteFiles(tmpPath)
		}
	}()

	if err := backupPages(ctx, srcPath, tmpPath, progress); err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return err
	}
	// Checked again: the copy may have taken long enough for someone to
	// create outPath, and rename would silently replace it.
	if _, err := os.Lstat(outPath); err == nil {
		return tandem.Errorf(tandem.EINVALID, "%s exists; choose another --out or delete it", outPath)
	}
	if err := os.Rename(tmpPath, outPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(filepath.Dir(outPath))
}

// backupPages copies the database at srcPath into the empty database file at
// dstPath with the online backup API, reporting progress after every step.
func backupPages(ctx context.Context, srcPath, dstPath string, progress func(done, total int)) error {
	// mode=rw: never create a database where none was; query_only: a backup
	// only reads. The journal mode is left as the server set it.
	src, err := sql.Open("sqlite", sqliteFileURL(srcPath)+"?mode=rw&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer src.Close()
	conn, err := src.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return tandem.Errorf(tandem.ECONFIG, "cannot open SQLite database %s (%v): set --data or TANDEM_DATA to the server's data directory", srcPath, rootCause(err))
	}
	defer conn.Close()

	// A deferred BEGIN takes its snapshot at the first read; page_count is
	// that read, and the total the progress reports.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("backup: begin snapshot: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	var total int
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&total); err != nil {
		if isNotADatabase(err) {
			return tandem.Errorf(tandem.EINVALID, "%s is not a SQLite database: set --data or TANDEM_DATA to the server's data directory", srcPath)
		}
		return fmt.Errorf("backup: read %s: %w", srcPath, err)
	}
	if progress != nil {
		progress(0, total)
	}

	return conn.Raw(func(dc any) error {
		bc, ok := dc.(interface {
			NewBackup(dstURI string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("backup: driver connection %T has no online backup", dc)
		}
		b, err := bc.NewBackup(sqliteFileURL(dstPath))
		if err != nil {
			return fmt.Errorf("backup: open %s: %w", dstPath, err)
		}
		for {
			if err := ctx.Err(); err != nil {
				b.Finish()
				return err
			}
			more, err := b.Step(backupStepPages)
			if err != nil {
				b.Finish()
				return fmt.Errorf("backup: copy pages: %w", err)
			}
			if progress != nil {
				n := b.PageCount()
				progress(n-b.Remaining(), n)
			}
			if !more {
				break
			}
		}
		// Finish commits the copy to dstPath and closes it.
		if err := b.Finish(); err != nil {
			return fmt.Errorf("backup: finish: %w", err)
		}
		return nil
	})
}

// RestoreSQLite restores a backup file into dataDir, which must be empty or
// absent: a non-empty directory is refused with ECONFIG, so a restore never
// overwrites a live database. The file must be a SQLite database that passes
// `PRAGMA integrity_check` and holds Tandem's schema_migrations table
// (EINVALID otherwise).
//
// The backup is copied to a temporary file inside dataDir, synced, checked
// there, and only then renamed to tandem.db, so dataDir never holds a
// half-written tandem.db. On failure RestoreSQLite removes what it created,
// including dataDir itself when it had to create it.
func RestoreSQLite(ctx context.Context, backupPath, dataDir string) (err error) {
	if dataDir == "" {
		return tandem.Errorf(tandem.ECONFIG, "data directory is empty: set --data or TANDEM_DATA to the directory to restore into")
	}
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return tandem.Errorf(tandem.ECONFIG, "data directory %s cannot be read (%v): set --data or TANDEM_DATA to a new or empty directory", dataDir, rootCause(err))
	case len(entries) > 0:
		return tandem.Errorf(tandem.ECONFIG, "data directory %s is not empty (it holds %s): restore into a new or empty directory, or move its contents away first", dataDir, entryNames(entries, 3))
	}

	in, err := os.Open(backupPath)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "cannot read backup %s (%v): check the path of the backup file", backupPath, rootCause(err))
	}
	defer in.Close()
	if err := checkSQLiteHeader(in, backupPath); err != nil {
		return err
	}
	if fi, err := os.Stat(backupPath + "-wal"); err == nil && fi.Size() > 0 {
		// Part of the data would be in the log, which a file copy leaves behind.
		return tandem.Errorf(tandem.EINVALID, "%s has a write-ahead log beside it, so it is a live database rather than a backup: make a backup with tandem backup and restore that", backupPath)
	}

	_, statErr := os.Stat(dataDir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return tandem.Errorf(tandem.ECONFIG, "data directory %s cannot be created (%v): set --data or TANDEM_DATA to a writable directory", dataDir, rootCause(err))
	}
	tmp, err := os.CreateTemp(dataDir, "."+DBFileName+".restore-*")
	if err != nil {
		if created {
			os.Remove(dataDir)
		}
		return tandem.Errorf(tandem.ECONFIG, "data directory %s is not writable (%v): fix its permissions or set --data or TANDEM_DATA to another directory", dataDir, rootCause(err))
	}
	tmpPath := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			removeSQLiteFiles(tmpPath)
			if created {
				os.Remove(dataDir)
			}
		}
	}()

	if _, err := copyContext(ctx, tmp, in); err != nil {
		return fmt.Errorf("restore: copy %s: %w", backupPath, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := checkTandemDatabase(ctx, tmpPath, backupPath); err != nil {
		return err
	}

	dbPath := filepath.Join(dataDir, DBFileName)
	if _, err := os.Lstat(dbPath); err == nil {
		return tandem.Errorf(tandem.ECONFIG, "data directory %s gained a %s during the restore: stop whatever writes there and restore into a new or empty directory", dataDir, DBFileName)
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(dataDir)
}

// checkSQLiteHeader returns EINVALID unless r starts with SQLite's file
// header, then rewinds r. Checking the header first keeps SQLite from
// treating an empty or foreign file as a new database.
func checkSQLiteHeader(r io.ReadSeeker, name string) error {
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return tandem.Errorf(tandem.EINVALID, "%s is not a SQLite database: pass a file written by tandem backup", name)
	}
	_, err := r.Seek(0, io.SeekStart)
	return err
}

// checkTandemDatabase opens the SQLite file at path, a private copy of the
// backup named name, and returns EINVALID unless it passes integrity_check and
// holds schema_migrations.
func checkTandemDatabase(ctx context.Context, path, name string) error {
	db, err := sql.Open("sqlite", sqliteFileURL(path)+"?mode=rw&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	// Three problems are enough to tell the user; the check stops there.
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check(3)")
	if err != nil {
		return invalidBackup(ctx, name, err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return err
		}
		for _, p := range strings.Split(line, "\n") {
			if p != "ok" && !strings.HasPrefix(p, "*** in database") {
				problems = append(problems, p)
			}
		}
	}
	// A badly damaged file makes the check report its findings and then
	// fail; the findings say more.
	iterErr := rows.Err()
	rows.Close()
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "%s fails SQLite's integrity check (%s): restore an older backup", name, strings.Join(problems, "; "))
	}
	if iterErr != nil {
		return invalidBackup(ctx, name, iterErr)
	}

	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return invalidBackup(ctx, name, err)
	}
	if n == 0 {
		return tandem.Errorf(tandem.EINVALID, "%s is a SQLite database but not Tandem's (it has no schema_migrations table): pass a file written by tandem backup", name)
	}
	return nil
}

// invalidBackup turns SQLite's refusal to read a file into EINVALID, leaving
// cancellation and other faults as they are.
func invalidBackup(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return tandem.Errorf(tandem.EINVALID, "%s cannot be read as a SQLite database (%v): restore an older backup", name, rootCause(err))
	}
	return err
}

// isNotADatabase reports whether err is SQLite's SQLITE_NOTADB.
func isNotADatabase(err error) bool {
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_NOTADB
}

// sqliteFileURL returns a file: URL for path that SQLite reads whatever
// characters the path holds.
func sqliteFileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "file:" + (&url.URL{Path: abs}).EscapedPath()
}

// copyContext copies src to dst, stopping between chunks when ctx is done.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		r, err := src.Read(buf)
		if r > 0 {
			w, werr := dst.Write(buf[:r])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// syncFile flushes the file at path to stable storage.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// removeSQLiteFiles removes a database file and the journal, log and shared
// memory files SQLite may have left beside it.
func removeSQLiteFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// entryNames lists up to limit directory entries for a message.
func entryNames(entries []fs.DirEntry, limit int) string {
	var names []string
	for i, e := range entries {
		if i == limit {
			names = append(names, fmt.Sprintf("and %d more", len(entries)-limit))
			break
		}
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
}
