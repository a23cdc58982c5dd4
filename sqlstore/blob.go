package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tandemhq/tandem"
)

// FileBlobStore keeps attachment bytes as files under a directory (the data
// directory's "attachments"), named by their SHA-256 and fanned out into
// subdirectories by the hash's first two characters, so no directory grows
// beyond a few thousand entries.
type FileBlobStore struct{ Dir string }

// NewFileBlobStore returns a blob store in dir.
func NewFileBlobStore(dir string) *FileBlobStore { return &FileBlobStore{Dir: dir} }

// path returns where the blob named sum lives. sum must have passed
// checkBlobName, so the path never leaves Dir.
func (s *FileBlobStore) path(sum string) string {
	return filepath.Join(s.Dir, sum[:2], sum)
}

// Put implements tandem.BlobStore. The bytes go to a temporary file next to
// their final name, are synced, and are renamed into place only when their
// hash matches sum: a crash or a wrong hash never leaves a partial file under
// a blob's name. Bytes already stored are not written again.
func (s *FileBlobStore) Put(ctx context.Context, sum string, r io.Reader) error {
	if err := checkBlobName(sum); err != nil {
		return err
	}
	final := s.path(sum)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("attachment directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".upload-*") // mode 0600
	if err != nil {
		return fmt.Errorf("attachment file: %w", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r}); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return tandem.Errorf(tandem.EINVALID, "The attachment's bytes have SHA-256 %s, not %s; nothing was stored.", got, sum)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync attachment file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close attachment file: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("store attachment file: %w", err)
	}
	committed = true
	// The rename is durable once the directory holding it is synced.
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("sync attachment directory: %w", err)
		}
	}
	return nil
}

// Open implements tandem.BlobStore.
func (s *FileBlobStore) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if err := checkBlobName(sum); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "The attachment's content %s is missing from the attachment store.", sum)
	}
	return f, err
}

// DBBlobStore keeps attachment bytes in the blobs table: for replicas that
// share a database but no disk.
type DBBlobStore struct{ db *DB }

// NewDBBlobStore returns a blob store in db.
func NewDBBlobStore(db *DB) *DBBlobStore { return &DBBlobStore{db: db} }

// Put implements tandem.BlobStore. It reads the bytes into memory (callers
// bound them: attachments are size-limited) and stores them unless a row
// with the same hash exists.
func (s *DBBlobStore) Put(ctx context.Context, sum string, r io.Reader) error {
	if err := checkBlobName(sum); err != nil {
		return err
	}
	b, err := io.ReadAll(ctxReader{ctx, r})
	if err != nil {
		return err
	}
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
		return tandem.Errorf(tandem.EINVALID, "The attachment's bytes have SHA-256 %x, not %s; nothing was stored.", got, sum)
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, content, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
		sum, b, at(tx.now)); err != nil {
		return err
	}
	return tx.Commit()
}

// Open implements tandem.BlobStore.
func (s *DBBlobStore) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if err := checkBlobName(sum); err != nil {
		return nil, err
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var b []byte
	err = tx.QueryRowContext(ctx, `SELECT content FROM blobs WHERE sha256 = ?`, sum).Scan(&b)
	if err != nil {
		return nil, notFound(err, "The attachment's content "+sum)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

var (
	_ tandem.BlobStore = (*FileBlobStore)(nil)
	_ tandem.BlobStore = (*DBBlobStore)(nil)
)

// checkBlobName refuses anything but 64 lowercase hexadecimal digits: the
// name becomes a file path, and must never reach outside the store.
func checkBlobName(sum string) error {
	ok := len(sum) == 64
	for i := 0; ok && i < len(sum); i++ {
		c := sum[i]
		ok = '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
	}
	if !ok {
		return tandem.Errorf(tandem.EINVALID, "Blob name %.80q is not a SHA-256: use 64 lowercase hexadecimal digits.", sum)
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
