package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/testserver"
)

// eachDatabase runs fn on a fresh SQLite data directory and, when
// TANDEM_TEST_POSTGRES is set, on a fresh PostgreSQL database. dbArgs are the
// command-line flags selecting the database; m is the same choice for app.Main.
func eachDatabase(t *testing.T, fn func(t *testing.T, dbArgs []string, m *app.Main)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		clearEnv(t)
		dir := t.TempDir()
		fn(t, []string{"--data", dir}, &app.Main{DataDir: dir})
	})
	t.Run("postgres", func(t *testing.T) {
		clearEnv(t)
		url, dir := testdb.PostgresURL(t), t.TempDir()
		fn(t, []string{"--data", dir, "--database-url", url}, &app.Main{DataDir: dir, DatabaseURL: url})
	})
}

// TestAcceptance walks an administrator's first steps through the real
// command line, then checks through the API of the real server that a
// technician's token sees exactly the organisation assigned to them.
func TestAcceptance(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db []string, m *app.Main) {
		cli := func(stdin string, args ...string) string {
			t.Helper()
			return mustRunCLI(t, stdin, append(args, db...)...)
		}
		created := regexp.MustCompile(`^Created organisation (\d+) "(.+)" \(slug (.+)\)\.\n$`)
		acme := created.FindStringSubmatch(cli("", "org", "add", "Acme"))
		globex := created.FindStringSubmatch(cli("", "org", "add", "Globex", "--slug", "globex-corp"))
		if acme == nil || acme[2] != "Acme" || acme[3] != "acme" || globex == nil || globex[3] != "globex-corp" {
			t.Fatalf("org add printed %q and %q", acme, globex)
		}

		// The technician's password comes on stdin, the internal admin's from
		// the first line of a file.
		out := cli("tech-password-1\n", "user", "add", "--email", "tech@msp.example", "--name", "Tess Tech", "--role", "technician", "--assign", "acme")
		if !strings.HasPrefix(out, "Created provider user ") || !strings.Contains(out, "tech@msp.example with role technician") {
			t.Errorf("user add printed %q", out)
		}
		pwFile := filepath.Join(t.TempDir(), "password")
		if err := os.WriteFile(pwFile, []byte("globex-password-1\nignored second line\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out = cli("", "user", "add", "--email", "it@globex.example", "--role", "it-admin", "--org", "globex-corp", "--password-file", pwFile)
		if !strings.HasPrefix(out, "Created internal user ") || !strings.Contains(out, "it@globex.example with role it-admin") {
			t.Errorf("user add --password-file printed %q", out)
		}

		r := runCLI(t, "", append([]string{"token", "create", "--user", "tech@msp.example", "--expires", "30d"}, db...)...)
		token, ok := strings.CutSuffix(r.Stdout, "\n")
		if r.Code != 0 || !ok || strings.Contains(token, "\n") || !strings.HasPrefix(token, "tdm_") {
			t.Fatalf("token create: exit status %d, stdout %q; want one line starting with tdm_", r.Code, r.Stdout)
		}
		if !strings.Contains(r.Stderr, "for tech@msp.example (expires ") || strings.Contains(r.Stderr, token) {
			t.Errorf("token create stderr %q, want a note on the token without its secret", r.Stderr)
		}

		orgs := cli("", "org", "list")
		if got, want := rows(orgs), [][]string{{"ID", "SLUG", "NAME"}, {acme[1], "acme", "Acme"}, {globex[1], "globex-corp", "Globex"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("org list printed\n%s\nwant the rows %q", orgs, want)
		}
		users := cli("", "user", "list")
		for _, row := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^ID\s+EMAIL\s+NAME\s+PARTY\s+ROLE\s+ORGANISATION\s+ACTIVE$`),
			regexp.MustCompile(`(?m)^\d+\s+tech@msp\.example\s+Tess Tech\s+provider\s+technician\s+assigned ` + acme[1] + `\s+true$`),
			regexp.MustCompile(`(?m)^\d+\s+it@globex\.example\s+internal\s+it-admin\s+` + globex[1] + `\s+true$`),
		} {
			if !row.MatchString(users) {
				t.Errorf("user list printed\n%s\nwant a row matching %s", users, row)
			}
		}
		if n := strings.Count(users, "\n"); n != 3 {
			t.Errorf("user list printed %d lines, want a header and 2 users:\n%s", n, users)
		}
		if got := cli("", "user", "list", "--org", "globex-corp"); strings.Contains(got, "tech@") || !strings.Contains(got, "it@globex.example") {
			t.Errorf("user list --org globex-corp printed\n%s", got)
		}

		s := testserver.StartWith(t, m)
		ctx := testserver.SystemContext()
		for email, password := range map[string]string{"tech@msp.example": "tech-password-1", "it@globex.example": "globex-password-1"} {
			if _, err := s.Services.Users.Authenticate(ctx, email, password); err != nil {
				t.Errorf("%s cannot log in with the password given to user add: %v", email, err)
			}
		}

		api := newAPIClient(s.HTTPServer.URL(), token)
		var list orgList
		if err := json.Unmarshal(api.mustGet(t, "/api/v1/orgs", 200), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "Acme" || fmt.Sprint(list.Items[0].ID) != acme[1] {
			t.Errorf("GET /api/v1/orgs as the technician listed %+v, want exactly Acme (id %s)", list.Items, acme[1])
		}
		api.mustGet(t, "/api/v1/orgs/"+acme[1], 200)
		api.mustGet(t, "/api/v1/orgs/"+globex[1], 404)
		newAPIClient(s.HTTPServer.URL(), "").mustGet(t, "/api/v1/orgs", 401)
	})
}

// rows splits a printed table into lines of fields.
func rows(table string) [][]string {
	var r [][]string
	for line := range strings.Lines(table) {
		r = append(r, strings.Fields(line))
	}
	return r
}

// TestMigrate checks that migrate brings a new database to the current schema
// and that running it again applies nothing.
func TestMigrate(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db []string, _ *app.Main) {
		re := regexp.MustCompile(`^Applied (\d+) migration\(s\); schema at version (\d+)\.\n$`)
		first := re.FindStringSubmatch(mustRunCLI(t, "", append([]string{"migrate"}, db...)...))
		second := re.FindStringSubmatch(mustRunCLI(t, "", append([]string{"migrate"}, db...)...))
		if first == nil || second == nil {
			t.Fatalf("migrate printed %q, then %q", first, second)
		}
		if first[1] == "0" || first[2] == "0" {
			t.Errorf("first migrate printed %q, want at least one migration applied", first[0])
		}
		if second[1] != "0" || second[2] != first[2] {
			t.Errorf("second migrate printed %q, want 0 applied and schema version %s", second[0], first[2])
		}
	})
}

// TestVersion checks that version prints the build's version.
func TestVersion(t *testing.T) {
	r := runCLI(t, "", "version")
	if r.Code != 0 || r.Stdout != "tandem "+Version+"\n" || r.Stderr != "" {
		t.Errorf("version: exit status %d, stdout %q, stderr %q; want stdout %q", r.Code, r.Stdout, r.Stderr, "tandem "+Version+"\n")
	}
}
