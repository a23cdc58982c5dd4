package sqlstore

import (
	"context"
	"io"

	"github.com/tandemhq/tandem"
)

// FileBlobStore keeps attachment bytes as files under a directory (the data
// directory's "attachments"), named by their SHA-256.
type FileBlobStore struct{ Dir string }

// NewFileBlobStore returns a blob store in dir.
func NewFileBlobStore(dir string) *FileBlobStore { return &FileBlobStore{Dir: dir} }

// Put implements tandem.BlobStore.
func (s *FileBlobStore) Put(ctx context.Context, sha256 string, r io.Reader) error { return errTODO }

// Open implements tandem.BlobStore.
func (s *FileBlobStore) Open(ctx context.Context, sha256 string) (io.ReadCloser, error) {
	return nil, errTODO
}

// DBBlobStore keeps attachment bytes in the blobs table: for replicas that
// share a database but no disk.
type DBBlobStore struct{ db *DB }

// NewDBBlobStore returns a blob store in db.
func NewDBBlobStore(db *DB) *DBBlobStore { return &DBBlobStore{db: db} }

// Put implements tandem.BlobStore.
func (s *DBBlobStore) Put(ctx context.Context, sha256 string, r io.Reader) error { return errTODO }

// Open implements tandem.BlobStore.
func (s *DBBlobStore) Open(ctx context.Context, sha256 string) (io.ReadCloser, error) {
	return nil, errTODO
}

var (
	_ tandem.BlobStore = (*FileBlobStore)(nil)
	_ tandem.BlobStore = (*DBBlobStore)(nil)
)
