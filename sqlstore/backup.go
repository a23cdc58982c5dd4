package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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

// AttachmentsDirName is the folder of the data directory that holds
// attachment files (see FileBlobStore).
const AttachmentsDirName = "attachments"

// BackupPhase names the stage of a backup that a progress call reports on.
type BackupPhase string

// The phases of a backup, in order.
const (
	// BackupPages copies the database page by page; done and total count
	// pages.
	BackupPages BackupPhase = "pages"
	// BackupAttachments copies attachment files into the snapshot; done and
	// total count bytes. It is reported only when there are files to copy.
	BackupAttachments BackupPhase = "attachments"
)

// BackupSQLite writes a consistent snapshot of the SQLite installation in
// dataDir (its database, and the bytes of every attachment kept as a file
// under AttachmentsDirName) to the single file outPath while other processes
// (a running `tandem serve`) keep reading and writing it. progress, when not
// nil, is called as each phase advances; within a phase done only rises, and
// the phase's last call has done == total.
//
// The database is copied with SQLite's online backup API inside one read
// transaction, so the copy is the database as it stood when the backup
// began. In WAL mode (Tandem's) a reader blocks no writer; the write-ahead log
// only grows until the page copy ends. Holding the snapshot also stops SQLite
// from restarting the copy after each outside write, which would never finish
// under a steady write load.
//
// Then the bytes of every attachment the snapshot references, and does not
// already hold in its blobs table (the database attachment store), are read
// from their files, checked against their SHA-256, and added to the
// snapshot's blobs table, so the backup loses nothing already stored. A file
// is written before the row naming it commits and is never removed, so every
// row in the snapshot has its file; a missing file (ENOTFOUND) or one whose
// bytes do not match their hash (EINVALID) fails the backup, naming the
// attachment and its ticket. RestoreSQLite writes the bytes back out.
//
// outPath must not exist (EINVALID). The snapshot is written to a temporary
// file beside it, synced, and renamed into place, so outPath is either absent
// or complete.
func BackupSQLite(ctx context.Context, dataDir, outPath string, progress func(phase BackupPhase, done, total int64)) (err error) {
	if dataDir == "" {
		return tandem.Errorf(tandem.ECONFIG, "data directory is empty: set --data or TANDEM_DATA to the server's data directory")
	}
	srcPath := filepath.Join(dataDir, DBFileName)
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
	if err := copyAttachmentFiles(ctx, tmpPath, filepath.Join(dataDir, AttachmentsDirName), progress); err != nil {
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
func backupPages(ctx context.Context, srcPath, dstPath string, progress func(phase BackupPhase, done, total int64)) error {
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
	var total int64
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&total); err != nil {
		if isNotADatabase(err) {
			return tandem.Errorf(tandem.EINVALID, "%s is not a SQLite database: set --data or TANDEM_DATA to the server's data directory", srcPath)
		}
		return fmt.Errorf("backup: read %s: %w", srcPath, err)
	}
	if progress != nil {
		progress(BackupPages, 0, total)
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
				progress(BackupPages, int64(n-b.Remaining()), int64(n))
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

// fileAttachment is an attachment whose bytes a backup copies from its file:
// the first of the attachments that share one SHA-256.
type fileAttachment struct {
	sum       string
	id        int64
	ticketID  int64
	filename  string
	size      int64
	createdAt string
}

// String names the attachment the way an error message should.
func (a fileAttachment) String() string {
	return fmt.Sprintf("attachment %d (%q) of ticket %d", a.id, a.filename, a.ticketID)
}

// copyAttachmentFiles adds to the snapshot at path the bytes of every
// attachment it references but does not hold in its blobs table, reading them
// from the file store in dir and checking each against its size and SHA-256.
func copyAttachmentFiles(ctx context.Context, path, dir string, progress func(phase BackupPhase, done, total int64)) (err error) {
	// The snapshot is a private file the caller syncs once at the end, so it
	// is written with a rollback journal (the bytes are appended, so the
	// journal stays small) and without a sync per insert.
	db, err := sql.Open("sqlite", sqliteFileURL(path)+"?mode=rw&_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("backup: close snapshot: %w", cerr)
		}
	}()

	if ok, err := hasAttachmentTables(ctx, db); err != nil || !ok {
		return err // !ok: a database from before attachments
	}
	// SQLite takes the bare columns of an aggregate query from the row MIN
	// chose: the first attachment with those bytes names them in errors.
	rows, err := db.QueryContext(ctx, `SELECT sha256, MIN(id), ticket_id, filename, size, created_at
		FROM ticket_attachments WHERE sha256 NOT IN (SELECT sha256 FROM blobs)
		GROUP BY sha256 ORDER BY MIN(id)`)
	if err != nil {
		return fmt.Errorf("backup: list attachments: %w", err)
	}
	var list []fileAttachment
	var total int64
	for rows.Next() {
		var a fileAttachment
		if err := rows.Scan(&a.sum, &a.id, &a.ticketID, &a.filename, &a.size, &a.createdAt); err != nil {
			rows.Close()
			return fmt.Errorf("backup: list attachments: %w", err)
		}
		list = append(list, a)
		total += a.size
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: list attachments: %w", err)
	}
	if len(list) == 0 {
		return nil
	}

	if progress != nil {
		progress(BackupAttachments, 0, total)
	}
	store := NewFileBlobStore(dir)
	var done int64
	for _, a := range list {
		b, err := readAttachmentFile(ctx, store, a)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO blobs (sha256, content, created_at) VALUES (?, ?, ?)`, a.sum, b, a.createdAt); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("backup: store the bytes of %s: %w", a, err)
		}
		done += a.size
		if progress != nil {
			progress(BackupAttachments, done, total)
		}
	}
	return nil
}

// readAttachmentFile reads a's bytes from its file in store, returning
// ENOTFOUND when the file is missing and EINVALID when its bytes are not a's.
// It reads at most one byte more than a's size, so a damaged file cannot
// exhaust memory.
func readAttachmentFile(ctx context.Context, store *FileBlobStore, a fileAttachment) ([]byte, error) {
	if checkBlobName(a.sum) != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "%s has the malformed SHA-256 %.80q, so its file cannot be found; no backup was written. Run tandem backup on an undamaged database", a, a.sum)
	}
	path := store.path(a.sum)
	rc, err := store.Open(ctx, a.sum)
	switch {
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		return nil, tandem.Errorf(tandem.ENOTFOUND, "%s: its file %s is missing; no backup was written. Put the file back from a copy of the data directory (it is named by its SHA-256), or set --data or TANDEM_DATA to the server's data directory", a, path)
	case err != nil:
		return nil, tandem.Errorf(tandem.ECONFIG, "%s: its file %s cannot be read (%v); no backup was written. Run tandem backup as a user who can read the data directory", a, path, rootCause(err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(ctxReader{ctx, rc}, a.size+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, tandem.Errorf(tandem.EINVALID, "%s: its file %s cannot be read (%v); no backup was written. Put an intact copy of the file back from a copy of the data directory", a, path, rootCause(err))
	}
	if int64(len(b)) != a.size {
		what := fmt.Sprintf("%d bytes", len(b))
		if int64(len(b)) > a.size {
			what = fmt.Sprintf("more than %d bytes", a.size)
		}
		return nil, tandem.Errorf(tandem.EINVALID, "%s: its file %s is damaged (it holds %s, the attachment %d); no backup was written. Put an intact copy of the file back from a copy of the data directory", a, path, what, a.size)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != a.sum {
		return nil, tandem.Errorf(tandem.EINVALID, "%s: its file %s is damaged (its bytes have SHA-256 %x, not %s); no backup was written. Put an intact copy of the file back from a copy of the data directory", a, path, sum, a.sum)
	}
	return b, nil
}

// hasAttachmentTables reports whether db has the ticket_attachments and
// blobs tables; a database from before attachments has neither.
func hasAttachmentTables(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('ticket_attachments', 'blobs')`).Scan(&n)
	return n == 2, err
}

// RestoreOptions say how RestoreSQLite lays out what it restores.
type RestoreOptions struct {
	// AttachmentsInDatabase keeps the attachment bytes a backup holds in the
	// restored database's blobs table, for an installation that runs with
	// --attachment-store database. By default they are written out as files
	// under the data directory's AttachmentsDirName, where the default file
	// store reads them, and removed from the table.
	AttachmentsInDatabase bool
}

// RestoreSQLite restores a backup file into dataDir, which must be empty or
// absent: a non-empty directory is refused with ECONFIG, so a restore never
// overwrites a live database. The file must be a SQLite database that passes
// `PRAGMA integrity_check`, holds Tandem's schema_migrations table, and holds
// bytes matching their SHA-256 for every attachment (EINVALID otherwise).
//
// The backup is copied to a temporary file inside dataDir, synced, checked
// there, and only then renamed to tandem.db, so dataDir never holds a
// half-written tandem.db. Unless opts.AttachmentsInDatabase, the attachment
// bytes are written to files under dataDir/AttachmentsDirName (the layout of
// FileBlobStore) before that rename, and the blobs table is emptied. On
// failure RestoreSQLite removes what it created, including dataDir itself
// when it had to create it.
func RestoreSQLite(ctx context.Context, backupPath, dataDir string, opts RestoreOptions) (err error) {
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
	attachments := filepath.Join(dataDir, AttachmentsDirName)
	defer func() {
		if err != nil {
			tmp.Close()
			removeSQLiteFiles(tmpPath)
			// dataDir was empty, so every file in it is the restore's.
			os.RemoveAll(attachments)
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
	if err := restoreAttachments(ctx, tmpPath, backupPath, attachments, opts); err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(attachments); err == nil {
		if err := syncDir(attachments); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
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

// restoreAttachments checks the attachment bytes in the database at path, a
// private copy of the backup named name: every attachment must have its bytes
// in the blobs table, and every row's bytes must match its SHA-256. Unless
// opts.AttachmentsInDatabase, it then writes each row to a file in dir with
// FileBlobStore.Put and empties the table, compacting the database.
func restoreAttachments(ctx context.Context, path, name, dir string, opts RestoreOptions) (err error) {
	db, err := sql.Open("sqlite", sqliteFileURL(path)+"?mode=rw&_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("restore: close %s: %w", path, cerr)
		}
	}()

	if ok, err := hasAttachmentTables(ctx, db); err != nil {
		return invalidBackup(ctx, name, err)
	} else if !ok {
		return nil // a database from before attachments
	}
	var a fileAttachment
	err = db.QueryRowContext(ctx, `SELECT id, ticket_id, filename, sha256 FROM ticket_attachments
		WHERE sha256 NOT IN (SELECT sha256 FROM blobs) ORDER BY id LIMIT 1`).Scan(&a.id, &a.ticketID, &a.filename, &a.sum)
	switch {
	case err == nil:
		return tandem.Errorf(tandem.EINVALID, "%s lacks the bytes of %s, so it is not a complete backup: restore another backup written by tandem backup", name, a)
	case !errors.Is(err, sql.ErrNoRows):
		return invalidBackup(ctx, name, err)
	}

	var sums []string
	rows, err := db.QueryContext(ctx, `SELECT sha256 FROM blobs ORDER BY sha256`)
	if err != nil {
		return invalidBackup(ctx, name, err)
	}
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			rows.Close()
			return invalidBackup(ctx, name, err)
		}
		sums = append(sums, sum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return invalidBackup(ctx, name, err)
	}

	store := NewFileBlobStore(dir)
	for _, sum := range sums {
		// One blob in memory at a time: attachments are size-limited.
		if checkBlobName(sum) != nil {
			return tandem.Errorf(tandem.EINVALID, "%s holds attachment bytes under the malformed SHA-256 %.80q: restore an older backup", name, sum)
		}
		var b []byte
		if err := db.QueryRowContext(ctx, `SELECT content FROM blobs WHERE sha256 = ?`, sum).Scan(&b); err != nil {
			return invalidBackup(ctx, name, err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			return tandem.Errorf(tandem.EINVALID, "%s is damaged: the attachment bytes stored as SHA-256 %s have SHA-256 %x: restore an older backup", name, sum, got)
		}
		if opts.AttachmentsInDatabase {
			continue
		}
		if err := store.Put(ctx, sum, bytes.NewReader(b)); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return tandem.Errorf(tandem.ECONFIG, "cannot write attachment %s to %s (%v): fix the data directory's permissions or free some space, then restore into a new or empty directory", sum, dir, rootCause(err))
		}
	}
	if opts.AttachmentsInDatabase || len(sums) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM blobs`); err != nil {
		return fmt.Errorf("restore: empty the blobs table: %w", err)
	}
	// The bytes now in files would otherwise stay behind as free pages.
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("restore: compact the database: %w", err)
	}
	return nil
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
