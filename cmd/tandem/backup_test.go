package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
)

// TestBackupRestore backs up the data directory of a running server through
// the command line, restores it into a new directory and serves from there.
func TestBackupRestore(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	s := testserver.StartWith(t, &app.Main{DataDir: dir})
	org := s.MustCreateOrganization(t, "Harbor Logistics")

	out := filepath.Join(t.TempDir(), "tandem-backup.db")
	r := runCLI(t, "", "backup", "--data", dir, "--out", out)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Backup written to "+out) {
		t.Fatalf("backup exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}

	t.Run("RefusesExistingOut", func(t *testing.T) {
		before, _ := os.ReadFile(out)
		r := runCLI(t, "", "backup", "--data", dir, "--out", out)
		after, _ := os.ReadFile(out)
		if r.Code == 0 || !strings.Contains(r.Stderr, "exists") || string(before) != string(after) {
			t.Fatalf("second backup to the same file: exit %d, stderr %q, file changed %v", r.Code, r.Stderr, string(before) != string(after))
		}
	})

	restored := filepath.Join(t.TempDir(), "restored")
	mustRunCLI(t, "", "restore", out, "--data", restored)
	got := testserver.StartWith(t, &app.Main{DataDir: restored})
	o, err := got.Services.Organizations.FindOrganizationByID(testserver.SystemContext(), org.ID)
	if err != nil || o.Name != org.Name {
		t.Fatalf("restored organisation = %v, %v; want %q", o, err, org.Name)
	}

	t.Run("RefusesNonEmptyDataDir", func(t *testing.T) {
		r := runCLI(t, "", "restore", out, "--data", dir)
		if r.Code != 2 || !strings.Contains(r.Stderr, dir) {
			t.Fatalf("restore into a used directory: exit %d, stderr %q; want 2 naming %s", r.Code, r.Stderr, dir)
		}
		if _, err := s.Services.Organizations.FindOrganizationByID(testserver.SystemContext(), org.ID); err != nil {
			t.Fatalf("the running server lost its data: %v", err)
		}
	})

	t.Run("PostgresSaysPgDump", func(t *testing.T) {
		r := runCLI(t, "", "backup", "--database-url", "postgres://u@127.0.0.1:5432/x", "--out", filepath.Join(t.TempDir(), "x"))
		if r.Code != 2 || !strings.Contains(r.Stderr, "pg_dump") {
			t.Fatalf("backup on PostgreSQL: exit %d, stderr %q; want 2 and pg_dump advice", r.Code, r.Stderr)
		}
	})
}
