package app_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

// TestAttachmentStore checks which store keeps attachment bytes for each
// setting: files in the data directory unless told otherwise or there is
// none, and the limit reaching both the service and the HTTP server.
func TestAttachmentStore(t *testing.T) {
	tests := []struct {
		name     string
		postgres bool
		noData   bool
		store    string
		wantDB   bool
	}{
		{name: "DefaultFiles"},
		{name: "Files", store: "files"},
		{name: "Database", store: "database", wantDB: true},
		{name: "PostgresWithDataDirFiles", postgres: true},
		{name: "PostgresWithoutDataDirDatabase", postgres: true, noData: true, wantDB: true},
		{name: "PostgresDatabase", postgres: true, store: "database", wantDB: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &app.Main{AttachmentStore: tt.store, AttachmentMaxBytes: 5 << 20}
			if !tt.noData {
				m.DataDir = t.TempDir()
			}
			if tt.postgres {
				m.DatabaseURL = testdb.PostgresURL(t)
			}
			s := testserver.StartWith(t, m)
			switch blobs := s.Services.Tickets.Blobs.(type) {
			case *sqlstore.DBBlobStore:
				if !tt.wantDB {
					t.Fatal("attachments go to the database, want files")
				}
			case *sqlstore.FileBlobStore:
				if tt.wantDB || blobs.Dir != filepath.Join(m.DataDir, "attachments") {
					t.Fatalf("attachments go to files in %q", blobs.Dir)
				}
			default:
				t.Fatalf("attachment store %T", blobs)
			}
			if s.Services.Tickets.MaxAttachmentBytes != 5<<20 || s.HTTPServer.MaxAttachmentBytes != 5<<20 {
				t.Fatalf("limits %d (service), %d (HTTP), want 5 MiB", s.Services.Tickets.MaxAttachmentBytes, s.HTTPServer.MaxAttachmentBytes)
			}
		})
	}

	for _, m := range []*app.Main{
		{DataDir: t.TempDir(), AttachmentStore: "s3"},
		{DataDir: t.TempDir(), AttachmentStore: "Files"},
		{DatabaseURL: "postgres://127.0.0.1:1/x", AttachmentStore: "files"},
		{DataDir: t.TempDir(), AttachmentMaxBytes: -1},
	} {
		m.Addr = "127.0.0.1:0"
		err := m.Run(context.Background())
		m.Close()
		if tandem.ErrorCode(err) != tandem.ECONFIG {
			t.Errorf("Run with %q, %d: %v; want ECONFIG", m.AttachmentStore, m.AttachmentMaxBytes, err)
		}
	}
}
