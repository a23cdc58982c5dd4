package sqlstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// attSum returns the SHA-256 of b in hex, the name a blob store files b under.
func attSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestBlobStores runs one suite over both stores: files in a directory, and
// the blobs table on each database. count reports how many blobs are stored.
func TestBlobStores(t *testing.T) {
	t.Parallel()
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		testBlobStore(t, sqlstore.NewFileBlobStore(dir), func(t *testing.T) int { return len(attBlobFiles(t, dir)) })
	})
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		testBlobStore(t, sqlstore.NewDBBlobStore(db), func(t *testing.T) int {
			n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM blobs`)
			if err != nil {
				t.Fatal(err)
			}
			return n
		})
	})
}

func testBlobStore(t *testing.T, store tandem.BlobStore, count func(t *testing.T) int) {
	ctx := t.Context()
	report := []byte("%PDF-1.7\nquarterly patch report\n")

	t.Run("RoundTrip", func(t *testing.T) {
		if err := store.Put(ctx, attSum(report), bytes.NewReader(report)); err != nil {
			t.Fatal(err)
		}
		if got := attReadBlob(t, store, attSum(report)); !bytes.Equal(got, report) {
			t.Fatalf("read back %q, want %q", got, report)
		}
	})

	t.Run("SameBytesStoredOnce", func(t *testing.T) {
		before := count(t)
		for range 2 {
			if err := store.Put(ctx, attSum(report), bytes.NewReader(report)); err != nil {
				t.Fatal(err)
			}
		}
		if got := count(t); got != before {
			t.Fatalf("%d blobs after storing known bytes twice, want %d", got, before)
		}
	})

	t.Run("ErrWrongHash", func(t *testing.T) {
		before := count(t)
		claimed := attSum([]byte("something else"))
		wantCode(t, store.Put(ctx, claimed, bytes.NewReader(report)), tandem.EINVALID)
		if got := count(t); got != before {
			t.Fatalf("%d blobs after a refused Put, want %d", got, before)
		}
		_, err := store.Open(ctx, claimed)
		wantCode(t, err, tandem.ENOTFOUND)
	})

	t.Run("ErrReaderFails", func(t *testing.T) {
		before := count(t)
		data := bytes.Repeat([]byte("log line\n"), 10000)
		r := io.MultiReader(bytes.NewReader(data[:5000]), attFailingReader{})
		if err := store.Put(ctx, attSum(data), r); err == nil {
			t.Fatal("Put succeeded although the reader failed")
		}
		if got := count(t); got != before {
			t.Fatalf("%d blobs after a failed read, want %d", got, before)
		}
		_, err := store.Open(ctx, attSum(data))
		wantCode(t, err, tandem.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := store.Open(ctx, attSum([]byte("never stored")))
		wantCode(t, err, tandem.ENOTFOUND)
	})

	t.Run("ErrBadName", func(t *testing.T) {
		before := count(t)
		for _, name := range []string{
			"",
			"../../../../etc/passwd",
			strings.ToUpper(attSum(report)),
			attSum(report)[:63],
			attSum(report) + "0",
			"../" + attSum(report)[3:],
			attSum(report)[:62] + "/x",
			attSum(report)[:63] + "\x00",
		} {
			wantCode(t, store.Put(ctx, name, bytes.NewReader(report)), tandem.EINVALID)
			_, err := store.Open(ctx, name)
			wantCode(t, err, tandem.EINVALID)
		}
		if got := count(t); got != before {
			t.Fatalf("%d blobs after refused names, want %d", got, before)
		}
	})
}

// TestFileBlobStore checks what only the file store promises: the layout on
// disk, private permissions, and no temporary file left behind.
func TestFileBlobStore(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "attachments")
	store := sqlstore.NewFileBlobStore(dir)
	data := []byte("PK\x03\x04 not really a zip, but bytes")
	name := attSum(data)
	if err := store.Put(t.Context(), name, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	t.Run("Layout", func(t *testing.T) {
		files := attBlobFiles(t, dir)
		want := filepath.Join(dir, name[:2], name)
		if len(files) != 1 || files[0] != want {
			t.Fatalf("files %q, want only %s", files, want)
		}
	})

	t.Run("Permissions", func(t *testing.T) {
		for _, c := range []struct {
			path string
			want fs.FileMode
		}{
			{dir, 0o700},
			{filepath.Join(dir, name[:2]), 0o700},
			{filepath.Join(dir, name[:2], name), 0o600},
		} {
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != c.want {
				t.Errorf("%s has mode %v, want %v", c.path, got, c.want)
			}
		}
	})

	t.Run("NoTemporaryFilesLeft", func(t *testing.T) {
		bad := []byte("half an upload")
		store.Put(t.Context(), attSum(bad), io.MultiReader(bytes.NewReader(bad), attFailingReader{}))
		store.Put(t.Context(), attSum([]byte("other")), bytes.NewReader(bad))
		var all []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				all = append(all, p)
			}
			return err
		})
		if len(all) != 1 {
			t.Fatalf("files under the data directory: %q, want only the stored blob", all)
		}
	})

	t.Run("NothingOutsideDir", func(t *testing.T) {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "attachments" {
			t.Fatalf("data directory holds %v, want only attachments", entries)
		}
	})
}

// attBlobFiles lists the regular files under dir, temporary ones included.
func attBlobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// attReadBlob reads a stored blob whole.
func attReadBlob(t *testing.T, store tandem.BlobStore, name string) []byte {
	t.Helper()
	rc, err := store.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attFailingReader fails like a client that hangs up mid-upload.
type attFailingReader struct{}

func (attFailingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
