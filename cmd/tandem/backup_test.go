package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
)

// TestBackupRestore backs up the data directory of a running server through
// the command line, restores it into a new directory and serves from there,
// attachments included.
func TestBackupRestore(t *testing.T) {
	clearEnv(t)
	t.Setenv("TANDEM_ATTACHMENT_STORE", "")
	dir := t.TempDir()
	s := testserver.StartWith(t, &app.Main{DataDir: dir})
	org := s.MustCreateOrganization(t, "Harbor Logistics")
	admin := s.MustCreateUser(t, &tandem.User{Email: "it@harbor.example", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, "harbor-password-1")
	asAdmin := tandem.NewContextWithActor(context.Background(), &tandem.Actor{UserID: admin.ID, Email: admin.Email, Party: admin.Party, Role: admin.Role, OrganizationID: org.ID})
	tk, err := s.Services.Tickets.CreateTicket(asAdmin, tandem.TicketInput{OrganizationID: org.ID, Title: "Forklift scanner offline", Description: "Since the update."})
	if err != nil {
		t.Fatal(err)
	}
	content := "scanner log\n" + strings.Repeat("E42 timeout\n", 5000)
	att := &tandem.Attachment{Filename: "scanner.log"}
	if err := s.Services.Tickets.AddAttachment(asAdmin, tk.ID, att, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	// download reads the attachment back from a server's services.
	download := func(t *testing.T, srv *testserver.Server) string {
		t.Helper()
		_, rc, err := srv.Services.Tickets.OpenAttachment(asAdmin, tk.ID, att.ID)
		if err != nil {
			t.Fatalf("download the attachment: %v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

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
	// The backup is one file; the restore puts the attachment back where
	// the default file store reads it.
	if b := download(t, got); b != content {
		t.Fatalf("restored attachment holds %d bytes, want its %d", len(b), len(content))
	}

	t.Run("AttachmentStoreDatabase", func(t *testing.T) {
		restored := filepath.Join(t.TempDir(), "restored")
		out := mustRunCLI(t, "", "restore", out, "--data", restored, "--attachment-store", "database")
		if !strings.Contains(out, "--attachment-store database") {
			t.Fatalf("restore printed %q, want the serve command with --attachment-store database", out)
		}
		if _, err := os.Stat(filepath.Join(restored, "attachments")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("restore with --attachment-store database wrote attachment files (stat: %v)", err)
		}
		srv := testserver.StartWith(t, &app.Main{DataDir: restored, AttachmentStore: app.AttachmentsInDatabase})
		if b := download(t, srv); b != content {
			t.Fatalf("restored attachment holds %d bytes, want its %d", len(b), len(content))
		}
	})

	t.Run("ErrAttachmentStoreUnknown", func(t *testing.T) {
		restored := filepath.Join(t.TempDir(), "restored")
		r := runCLI(t, "", "restore", out, "--data", restored, "--attachment-store", "s3")
		if r.Code != 2 || !strings.Contains(r.Stderr, `--attachment-store (TANDEM_ATTACHMENT_STORE) "s3" is unknown`) {
			t.Fatalf("restore --attachment-store s3: exit %d, stderr %q; want 2 naming the flag", r.Code, r.Stderr)
		}
		if _, err := os.Stat(restored); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused restore created %s (stat: %v)", restored, err)
		}
	})

	t.Run("ErrAttachmentFileMissing", func(t *testing.T) {
		file := filepath.Join(dir, "attachments", att.SHA256[:2], att.SHA256)
		moved := filepath.Join(t.TempDir(), att.SHA256)
		if err := os.Rename(file, moved); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(moved, file)
		outDir := t.TempDir()
		r := runCLI(t, "", "backup", "--data", dir, "--out", filepath.Join(outDir, "tandem-backup.db"))
		want := fmt.Sprintf(`attachment %d ("scanner.log") of ticket %d: its file %s is missing; no backup was written`, att.ID, tk.ID, file)
		if r.Code != 1 || !strings.Contains(r.Stderr, want) {
			t.Fatalf("backup without an attachment file: exit %d, stderr %q; want 1 saying %q", r.Code, r.Stderr, want)
		}
		if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
			t.Fatalf("failed backup left %v behind", entries)
		}
	})

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
