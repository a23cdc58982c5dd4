package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
)

func TestParseExpiry(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * day, true},
		{"1d", day, true},
		{"3650d", 3650 * day, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1m", time.Minute, true},
		{"87600h", 3650 * day, true},
		{" 7d ", 7 * day, true},
		{"never", 0, true},
		{" never\n", 0, true},
		{"", 0, false},
		{"d", 0, false},
		{"0d", 0, false},
		{"-3d", 0, false},
		{"3651d", 0, false},
		{"87601h", 0, false},
		{"59s", 0, false},
		{"-1h", 0, false},
		{"0", 0, false},
		{"30", 0, false},
		{"1w", 0, false},
		{"1.5d", 0, false},
		{"Never", 0, false},
		{"9223372036854775807d", 0, false},
		{"99999999999999999999h", 0, false},
	}
	for _, tt := range tests {
		got, err := parseExpiry(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if !tt.ok && err == nil {
			t.Errorf("parseExpiry(%q) = %v, want an error", tt.in, got)
		}
	}
}

// FuzzParseExpiry checks that parseExpiry never panics and accepts only a
// lifetime between one minute and ten years, or "never" as zero; anything else
// is a configuration error on one line naming --expires.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"30d", "12h", "90m", "never", " never ", "0d", "-3d", "3650d", "3651d",
		"1m", "59s", "87600h", "1h30m", "+5d", "1e3h", "9223372036854775807d", "\x00d", "never\nnever", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseExpiry(s)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Fatalf("parseExpiry(%q): error code %q, want %q", s, tandem.ErrorCode(err), tandem.ECONFIG)
			}
			if msg := tandem.ErrorMessage(err); strings.Contains(msg, "\n") || !strings.Contains(msg, "--expires") {
				t.Fatalf("parseExpiry(%q): message %q is not one line naming --expires", s, msg)
			}
			return
		}
		if strings.TrimSpace(s) == "never" {
			if d != 0 {
				t.Fatalf("parseExpiry(%q) = %v, want 0 for never", s, d)
			}
			return
		}
		if d < time.Minute || d > 3650*24*time.Hour {
			t.Fatalf("parseExpiry(%q) = %v, want between 1m and 3650 days", s, d)
		}
	})
}

// TestTokenCommands walks a token's life through the command line: created
// read-only and restricted to one organisation, listed, used through the API
// of the real server, and revoked.
func TestTokenCommands(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db []string, m *app.Main) {
		cli := func(stdin string, args ...string) string {
			t.Helper()
			return mustRunCLI(t, stdin, append(args, db...)...)
		}
		cli("", "org", "add", "Acme")
		cli("", "org", "add", "Globex")
		cli("tech-password-1\n", "user", "add", "--email", "tech@msp.example", "--role", "technician", "--assign", "acme")

		r := runCLI(t, "", append([]string{"token", "create", "--user", "tech@msp.example", "--name", "report", "--read-only", "--org", "acme", "--expires", "7d"}, db...)...)
		token := strings.TrimSpace(r.Stdout)
		if r.Code != 0 || !strings.HasPrefix(token, "tdm_") {
			t.Fatalf("token create: exit status %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		created := regexp.MustCompile(`^Token (\d+) for tech@msp\.example \(expires \S+, read-only, organisation (\d+) only\)`).FindStringSubmatch(r.Stderr)
		if created == nil || strings.Contains(r.Stderr, token) {
			t.Fatalf("token create stderr %q, want the token's id and reach without its secret", r.Stderr)
		}
		id, acmeID := created[1], created[2]

		list := cli("", "token", "list", "--user", "tech@msp.example")
		if strings.Contains(list, token) {
			t.Errorf("token list prints the secret:\n%s", list)
		}
		for _, re := range []string{`(?m)^ID\s+NAME\s+ACCESS\s+ORGANISATION\s+EXPIRES\s+LAST USED$`, `(?m)^` + id + `\s+report\s+read-only\s+` + acmeID + `\s+\S+\s+never$`} {
			if !regexp.MustCompile(re).MatchString(list) {
				t.Errorf("token list printed\n%s\nwant a line matching %s", list, re)
			}
		}

		// A token cannot reach an organisation its user does not see.
		r = runCLI(t, "", append([]string{"token", "create", "--user", "tech@msp.example", "--org", "globex"}, db...)...)
		if r.Code != 1 || !strings.Contains(r.Stderr, "cannot see organisation") || r.Stdout != "" {
			t.Errorf("token create --org globex: exit status %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}

		s := testserver.StartWith(t, m)
		api := newAPIClient(s.HTTPServer.URL(), token)
		var orgs orgList
		if err := json.Unmarshal(api.mustGet(t, "/api/v1/orgs", 200), &orgs); err != nil {
			t.Fatal(err)
		}
		if len(orgs.Items) != 1 || fmt.Sprint(orgs.Items[0].ID) != acmeID {
			t.Errorf("the read-only Acme token lists %+v", orgs.Items)
		}
		if status, body, err := api.do("POST", "/api/v1/orgs", map[string]string{"name": "Read Only Inc"}); err != nil || status != 403 {
			t.Errorf("POST /api/v1/orgs with a read-only token: %d %s %v, want 403", status, body, err)
		}

		if out := cli("", "token", "revoke", id); out != "Revoked token "+id+".\n" {
			t.Errorf("token revoke printed %q", out)
		}
		api.mustGet(t, "/api/v1/orgs", 401)
		if list := cli("", "token", "list", "--user", "tech@msp.example"); strings.Count(list, "\n") != 1 {
			t.Errorf("token list after revoking printed\n%s\nwant the header only", list)
		}
		if r := runCLI(t, "", append([]string{"token", "revoke", id}, db...)...); r.Code != 1 || !strings.Contains(r.Stderr, "Token not found") {
			t.Errorf("revoking twice: exit status %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

func TestTokenRevokeUsage(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{{"token", "revoke", "abc", "--data", dir}, {"token", "revoke", "--data", dir}, {"token", "list", "--data", dir}} {
		r := runCLI(t, "", args...)
		if r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "see tandem token") {
			t.Errorf("tandem %s: exit status %d, stderr %q; want 2 and one line pointing to --help", strings.Join(args, " "), r.Code, r.Stderr)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("tandem %s created the data directory", strings.Join(args, " "))
		}
	}
}
