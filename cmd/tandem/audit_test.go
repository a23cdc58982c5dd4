package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for tampering
	_ "modernc.org/sqlite"             // the "sqlite" driver, for tampering

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

// tamperSQL runs statements directly on the database m names, as someone
// with access to it could; values are written into the statements.
func tamperSQL(t *testing.T, m *app.Main, statements ...string) {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(m.DataDir, sqlstore.DBFileName)
	if m.DatabaseURL != "" {
		driver, dsn = "pgx", m.DatabaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// exportedEntries runs tandem audit export --format jsonl with extra
// arguments and decodes the lines.
func exportedEntries(t *testing.T, db []string, args ...string) []tandem.AuditEntry {
	t.Helper()
	out := mustRunCLI(t, "", append(append([]string{"audit", "export", "--format", "jsonl"}, args...), db...)...)
	var list []tandem.AuditEntry
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var e tandem.AuditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		list = append(list, e)
	}
	return list
}

// TestAuditCommands walks an auditor's routine through the command line:
// verify, take a checkpoint, export, verify against the checkpoint later; and
// checks that tampering makes verify fail naming the entry.
func TestAuditCommands(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db []string, m *app.Main) {
		cli := func(stdin string, args ...string) string {
			t.Helper()
			return mustRunCLI(t, stdin, append(args, db...)...)
		}
		cliResult := func(args ...string) result {
			t.Helper()
			return runCLI(t, "", append(args, db...)...)
		}
		cli("", "org", "add", "Acme")
		cli("", "org", "add", "Globex")
		cli("admin-password-1\n", "user", "add", "--email", "admin@msp.example", "--role", "admin")
		cli("acme-password-1\n", "user", "add", "--email", "ida@acme.example", "--role", "it-admin", "--org", "acme")
		cli("globex-password-1\n", "user", "add", "--email", "gus@globex.example", "--role", "it-admin", "--org", "globex")
		entries := exportedEntries(t, db)
		var acmeID int64
		for _, e := range entries {
			if e.Action == "organization.create" && strings.Contains(string(e.Summary), `"acme"`) {
				acmeID = *e.OrganizationID
			}
		}
		acme := tandem.AuditChain(&acmeID)

		t.Run("VerifyIntact", func(t *testing.T) {
			out := cli("", "audit", "verify")
			for _, want := range []string{acme + ": intact, 2 entries, head seq 2 hash ", "provider: intact", "All 3 chains are intact.\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("verify printed %q; want %q in it", out, want)
				}
			}
		})

		dir := t.TempDir()
		cpFile := filepath.Join(dir, "checkpoint.txt")
		t.Run("Checkpoint", func(t *testing.T) {
			r := cliResult("audit", "checkpoint", "--out", cpFile)
			if r.Code != 0 || !strings.Contains(r.Stderr, "Checkpoint of 3 chains written to "+cpFile) {
				t.Fatalf("checkpoint: exit %d, stderr %q", r.Code, r.Stderr)
			}
			data, err := os.ReadFile(cpFile)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# Tandem audit checkpoint") || !strings.Contains(string(data), "Keep this file somewhere") {
				t.Errorf("checkpoint file lacks the header telling the auditor to keep it elsewhere:\n%s", data)
			}
			if !regexp.MustCompile(`(?m)^` + acme + ` 2 [0-9a-f]{64}$`).Match(data) {
				t.Errorf("checkpoint file lacks the head of %s:\n%s", acme, data)
			}
			// An existing checkpoint is never overwritten.
			if r := cliResult("audit", "checkpoint", "--out", cpFile); r.Code != 2 || !strings.Contains(r.Stderr, "--out") {
				t.Errorf("checkpoint over an existing file: exit %d, stderr %q; want 2 naming --out", r.Code, r.Stderr)
			}
			var cp tandem.AuditCheckpoint
			if err := json.Unmarshal([]byte(cli("", "audit", "checkpoint", "--format", "json")), &cp); err != nil || len(cp.Heads) != 3 {
				t.Errorf("JSON checkpoint: %+v, %v", cp, err)
			}
		})

		// The log goes on; it still extends the checkpoint.
		cli("", "org", "add", "Initech")
		t.Run("VerifyCheckpoint", func(t *testing.T) {
			out := cli("", "audit", "verify", "--checkpoint", cpFile)
			if !strings.Contains(out, "All 4 chains are intact and extend the checkpoint of ") {
				t.Errorf("verify --checkpoint printed %q", out)
			}
			for _, bad := range []string{filepath.Join(dir, "missing.txt"), cpFile + ".broken"} {
				os.WriteFile(cpFile+".broken", []byte("org:1 not-a-seq abc\n"), 0o600)
				if r := cliResult("audit", "verify", "--checkpoint", bad); r.Code != 2 || !strings.Contains(r.Stderr, "--checkpoint "+bad) {
					t.Errorf("verify --checkpoint %s: exit %d, stderr %q; want 2 naming the flag", bad, r.Code, r.Stderr)
				}
			}
		})

		t.Run("ExportJSONLines", func(t *testing.T) {
			list := exportedEntries(t, db)
			if len(list) != len(entries)+1 || list[0].Action != "organization.create" {
				t.Fatalf("exported %d entries, newest %q; want %d, newest organization.create", len(list), list[0].Action, len(entries)+1)
			}
			for i, e := range list {
				if e.ComputeHash() != e.Hash {
					t.Errorf("line %d: the hash cannot be recomputed from the export", i+1)
				}
				if i > 0 && e.ID >= list[i-1].ID {
					t.Errorf("line %d: id %d after %d; want newest first", i+1, e.ID, list[i-1].ID)
				}
			}
			own := exportedEntries(t, db, "--org", "acme")
			if len(own) != 2 || slices.ContainsFunc(own, func(e tandem.AuditEntry) bool { return e.Chain != acme }) {
				t.Errorf("--org acme exported %d entries: %+v", len(own), own)
			}
		})

		t.Run("ExportCSV", func(t *testing.T) {
			out := filepath.Join(dir, "audit.csv")
			r := cliResult("audit", "export", "--format", "csv", "--org", strconv.FormatInt(acmeID, 10), "--out", out)
			if r.Code != 0 || !strings.Contains(r.Stderr, "Exported 2 audit entries to "+out) {
				t.Fatalf("export: exit %d, stderr %q", r.Code, r.Stderr)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 || !slices.Equal(rows[0], tandem.AuditCSVHeader) || rows[1][8] != "user.create" || rows[2][8] != "organization.create" {
				t.Errorf("CSV export = %q", rows)
			}
		})

		t.Run("ExportUsage", func(t *testing.T) {
			for _, args := range [][]string{{"--format", "xml"}, {"--org", "nowhere"}} {
				r := cliResult(append([]string{"audit", "export"}, args...)...)
				if r.Code == 0 || r.Stdout != "" {
					t.Errorf("export %q: exit %d, stdout %q; want a failure", args, r.Code, r.Stdout)
				}
			}
		})

		t.Run("VerifyTampered", func(t *testing.T) {
			// The checkpoint catches a truncation that leaves the chain consistent.
			last := entries[0] // newest first: gus's user.create in Globex
			globex := last.Chain
			tamperSQL(t, m,
				"DELETE FROM audit_log WHERE id = "+strconv.FormatInt(last.ID, 10),
				"UPDATE audit_chains SET seq = seq - 1, head_hash = '"+last.PrevHash+"' WHERE chain = '"+globex+"'")
			cli("", "audit", "verify")
			r := cliResult("audit", "verify", "--checkpoint", cpFile)
			want := globex + ": broken at seq " + strconv.FormatInt(last.Seq, 10) + " (no entry): "
			if r.Code != 1 || !strings.HasPrefix(r.Stdout, want) || strings.Count(r.Stdout, "\n") != 1 || !strings.Contains(r.Stderr, "1 of 4 chains are broken") {
				t.Errorf("verify of a truncated chain: exit %d, stdout %q, stderr %q; want 1 and one line starting %q", r.Code, r.Stdout, r.Stderr, want)
			}

			// An edited entry is caught without a checkpoint, named by seq and id.
			var first tandem.AuditEntry
			for _, e := range entries {
				if e.Chain == acme && e.Seq == 1 {
					first = e
				}
			}
			tamperSQL(t, m, `UPDATE audit_log SET summary = '{"name":"Evil"}' WHERE id = `+strconv.FormatInt(first.ID, 10))
			r = cliResult("audit", "verify")
			want = acme + ": broken at seq 1 (entry id " + strconv.FormatInt(first.ID, 10) + "): "
			if r.Code != 1 || !strings.HasPrefix(r.Stdout, want) {
				t.Errorf("verify of an edited entry: exit %d, stdout %q; want 1 and a line starting %q", r.Code, r.Stdout, want)
			}
			if r := cliResult("audit", "checkpoint"); r.Code != 1 || !strings.Contains(r.Stderr, "no checkpoint taken") || !strings.HasPrefix(r.Stdout, want) {
				t.Errorf("checkpoint of a broken trail: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
			}
		})
	})
}
