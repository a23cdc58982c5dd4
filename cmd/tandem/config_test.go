package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrors checks that every configuration or usage mistake ends with
// exit status 2 and one line on stderr naming what is wrong and what to do,
// quickly, without a stack trace and without creating the data directory.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// args is the command line; {tmp} stands for a fresh directory
		// holding a regular file named "file", in args and env alike.
		args []string
		// want are substrings of the one stderr line.
		want []string
		// hide are substrings the line must not contain (secrets).
		hide []string
	}{
		{
			name: "UnknownFlag",
			args: []string{"serve", "--bogus"},
			want: []string{"unknown flag: --bogus", "see tandem serve --help"},
		},
		{
			name: "UnknownCommand",
			args: []string{"bogus"},
			want: []string{`unknown command "bogus"`, "see tandem --help"},
		},
		{
			name: "UnknownCommandSuggests",
			args: []string{"serv"},
			want: []string{`unknown command "serv"`, "did you mean serve"},
		},
		{
			name: "UnknownSubcommand",
			args: []string{"org", "delete", "acme"},
			want: []string{`unknown command "delete"`, "see tandem org --help"},
		},
		{
			name: "MissingArgument",
			args: []string{"org", "add"},
			want: []string{"accepts 1 arg(s), received 0", "see tandem org add --help"},
		},
		{
			name: "ExtraArgument",
			args: []string{"org", "add", "Acme", "Corp"},
			want: []string{"accepts 1 arg(s), received 2", "see tandem org add --help"},
		},
		{
			name: "ArgumentToNoArgsCommand",
			args: []string{"migrate", "now"},
			want: []string{`"now"`, "see tandem migrate --help"},
		},
		{
			name: "MissingRequiredFlag",
			args: []string{"token", "create"},
			want: []string{`required flag(s) "user" not set`, "see tandem token create --help"},
		},
		{
			name: "SessionIdleTimeoutMalformed",
			args: []string{"serve", "--session-idle-timeout", "thirty"},
			want: []string{`--session-idle-timeout (TANDEM_SESSION_IDLE_TIMEOUT) "thirty"`, "30m"},
		},
		{
			name: "SessionMaxAgeFromEnv",
			env:  map[string]string{"TANDEM_SESSION_MAX_AGE": "-1h"},
			args: []string{"serve"},
			want: []string{`--session-max-age (TANDEM_SESSION_MAX_AGE) "-1h"`},
		},
		{
			name: "SessionIdleLongerThanMaxAge",
			args: []string{"serve", "--session-idle-timeout", "2h", "--session-max-age", "1h"},
			want: []string{"--session-idle-timeout", "at most --session-max-age"},
		},
		{
			name: "DatabaseURLMalformed",
			env:  map[string]string{"TANDEM_DATABASE_URL": "postgres://tandem:s3cret@[::1"},
			args: []string{"migrate"},
			want: []string{"TANDEM_DATABASE_URL is malformed", "postgres://user:password@host:5432/database"},
			hide: []string{"s3cret"},
		},
		{
			name: "DatabaseURLNotPostgres",
			env:  map[string]string{"TANDEM_DATABASE_URL": "mysql://x"},
			args: []string{"org", "list"},
			want: []string{"TANDEM_DATABASE_URL must start with postgres://"},
		},
		{
			name: "DatabaseURLFlagNotPostgres",
			args: []string{"migrate", "--database-url", "sqlite:///tmp/x.db"},
			want: []string{"TANDEM_DATABASE_URL must start with postgres://"},
		},
		{
			name: "PostgresUnreachable",
			env:  map[string]string{"TANDEM_DATABASE_URL": "postgres://postgres:s3cret@127.0.0.1:1/x"},
			args: []string{"migrate"},
			want: []string{"cannot reach PostgreSQL at 127.0.0.1:1", "fix TANDEM_DATABASE_URL"},
			hide: []string{"s3cret"},
		},
		{
			name: "DataDirUnderAFile",
			args: []string{"migrate", "--data", "{tmp}/file/sub"},
			want: []string{"data directory", "cannot be created", "set --data or TANDEM_DATA"},
		},
		{
			name: "DataDirIsAFile",
			args: []string{"org", "list", "--data", "{tmp}/file"},
			want: []string{"data directory", "set --data or TANDEM_DATA"},
		},
		{
			name: "DataEnvUnderAFile",
			env:  map[string]string{"TANDEM_DATA": "{tmp}/file/sub"},
			args: []string{"user", "list"},
			want: []string{"data directory", "set --data or TANDEM_DATA"},
		},
		{
			name: "AddrNonsense",
			args: []string{"serve", "--addr", "nonsense"},
			want: []string{`--addr (TANDEM_ADDR) "nonsense" is not host:port`, "127.0.0.1:8080"},
		},
		{
			name: "AddrEnvNonsense",
			env:  map[string]string{"TANDEM_ADDR": "8080"},
			args: []string{"serve"},
			want: []string{`--addr (TANDEM_ADDR) "8080" is not host:port`},
		},
		{
			name: "PublicURLWithoutScheme",
			args: []string{"serve", "--public-url", "tandem.example"},
			want: []string{"--public-url (TANDEM_PUBLIC_URL)", "must start with http:// or https://"},
		},
		{
			name: "LogFormatXML",
			args: []string{"serve", "--log-format", "xml"},
			want: []string{`--log-format (TANDEM_LOG_FORMAT) "xml" is unknown`, "use text or json"},
		},
		{
			name: "LogLevelEnvUnknown",
			env:  map[string]string{"TANDEM_LOG_LEVEL": "loud"},
			args: []string{"serve"},
			want: []string{`--log-level (TANDEM_LOG_LEVEL) "loud" is unknown`},
		},
		{
			name: "AttachmentStoreUnknown",
			args: []string{"serve", "--attachment-store", "s3"},
			want: []string{`--attachment-store (TANDEM_ATTACHMENT_STORE) "s3" is unknown`, "use files or database"},
		},
		{
			name: "AttachmentStoreEnvUnknown",
			env:  map[string]string{"TANDEM_ATTACHMENT_STORE": "Database"},
			args: []string{"serve"},
			want: []string{`--attachment-store (TANDEM_ATTACHMENT_STORE) "Database" is unknown`},
		},
		{
			name: "AttachmentStoreFilesWithoutDataDir",
			args: []string{"serve", "--attachment-store", "files", "--data", ""},
			want: []string{"--attachment-store (TANDEM_ATTACHMENT_STORE) files needs a data directory", "--data (TANDEM_DATA)"},
		},
		{
			name: "AttachmentMaxBytesMalformed",
			args: []string{"serve", "--attachment-max-bytes", "25MB"},
			want: []string{`--attachment-max-bytes (TANDEM_ATTACHMENT_MAX_BYTES) "25MB" is not a size`, "25MiB"},
		},
		{
			name: "AttachmentMaxBytesEnvZero",
			env:  map[string]string{"TANDEM_ATTACHMENT_MAX_BYTES": "0"},
			args: []string{"serve"},
			want: []string{`--attachment-max-bytes (TANDEM_ATTACHMENT_MAX_BYTES) "0" is not a size`},
		},
		{
			name: "AttachmentMaxBytesAboveOneGiB",
			args: []string{"serve", "--attachment-max-bytes", "2GiB"},
			want: []string{`"2GiB" is not a size from 1 byte to 1GiB`},
		},
		{
			name: "SMTPURLMalformed",
			env:  map[string]string{"TANDEM_SMTP_URL": "smtps://desk:hunter2#x@mail.example.com", "TANDEM_SMTP_FROM": "desk@msp.example"},
			args: []string{"serve"},
			want: []string{"--smtp-url (TANDEM_SMTP_URL) is not a URL", "smtps://user:password@mail.example.com:465", "TANDEM_SMTP_PASSWORD_FILE"},
			hide: []string{"hunter2"},
		},
		{
			name: "SMTPURLWrongScheme",
			args: []string{"serve", "--smtp-url", "https://desk:hunter2@mail.example.com", "--smtp-from", "desk@msp.example"},
			want: []string{"--smtp-url (TANDEM_SMTP_URL) must start with smtps://"},
			hide: []string{"hunter2"},
		},
		{
			name: "SMTPFromMissing",
			args: []string{"serve", "--smtp-url", "smtps://desk:hunter2@mail.example.com"},
			want: []string{"--smtp-from (TANDEM_SMTP_FROM) is needed with --smtp-url"},
			hide: []string{"hunter2"},
		},
		{
			name: "SMTPFromMalformed",
			args: []string{"serve", "--smtp-url", "smtp://relay.example", "--smtp-from", "desk at msp"},
			want: []string{`--smtp-from (TANDEM_SMTP_FROM) "desk at msp" is not an email address`},
		},
		{
			name: "SMTPPasswordFileMissing",
			env:  map[string]string{"TANDEM_SMTP_PASSWORD_FILE": "{tmp}/nope"},
			args: []string{"serve", "--smtp-url", "smtps://desk@mail.example.com", "--smtp-from", "desk@msp.example"},
			want: []string{"TANDEM_SMTP_PASSWORD_FILE", "cannot be read", "a file holding the SMTP password"},
		},
		{
			name: "ExpiresNegative",
			args: []string{"token", "create", "--user", "admin@msp.example", "--expires", "-3d"},
			want: []string{`--expires "-3d" is not a lifetime`, "30d, 12h, 90m or never"},
		},
		{
			name: "ExpiresTooLong",
			args: []string{"token", "create", "--user", "admin@msp.example", "--expires", "20y"},
			want: []string{`--expires "20y" is not a lifetime`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			tmp := t.TempDir()
			if err := os.WriteFile(filepath.Join(tmp, "file"), []byte("not a directory\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(tmp, "data")
			t.Setenv("TANDEM_DATA", data)
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "{tmp}", tmp))
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{tmp}", tmp)
			}

			r := runCLI(t, "", args...)

			if r.Code != 2 {
				t.Errorf("exit status %d, want 2; stderr %q", r.Code, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q, want nothing", r.Stdout)
			}
			line, ok := strings.CutSuffix(r.Stderr, "\n")
			if !ok || strings.Contains(line, "\n") || !strings.HasPrefix(line, "tandem: ") {
				t.Fatalf("stderr %q, want one line starting with \"tandem: \"", r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr %q does not contain %q", line, w)
				}
			}
			for _, h := range tt.hide {
				if strings.Contains(line, h) {
					t.Errorf("stderr %q reveals %q", line, h)
				}
			}
			for _, trace := range []string{"goroutine ", "panic", ".go:", "code=config"} {
				if strings.Contains(line, trace) {
					t.Errorf("stderr %q contains %q: internals leak into a user's error", line, trace)
				}
			}
			if strings.Count(line, "--help") > 1 {
				t.Errorf("stderr %q repeats its --help hint", line)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("data directory %s was created by a command that failed on its configuration (stat: %v)", data, err)
			}
		})
	}
}

// TestBadInputChangesNothing checks that user add refused for a wrong flag
// or password leaves the users of an existing installation as they were.
func TestBadInputChangesNothing(t *testing.T) {
	clearEnv(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	mustRunCLI(t, "admin-password-1\n", "user", "add", "--email", "admin@msp.example", "--role", "admin", "--data", data)
	mustRunCLI(t, "", "org", "add", "Acme", "--data", data)
	before := mustRunCLI(t, "", "user", "list", "--data", data)

	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"RoleUnknown", "tech-password-1\n", []string{"--role", "wizard"}, `Role "wizard" is not a provider role`},
		{"RoleOfOtherParty", "tech-password-1\n", []string{"--role", "it-admin"}, "not a provider role"},
		{"AssignUnknownOrg", "tech-password-1\n", []string{"--role", "technician", "--assign", "globex"}, `No organisation "globex"`},
		{"OrgUnknown", "tech-password-1\n", []string{"--role", "it-admin", "--org", "42"}, "not found"},
		{"PasswordMissing", "", []string{"--role", "technician"}, "No password given"},
		{"PasswordTooShort", "short\n", []string{"--role", "technician"}, "Password is too short"},
		{"PasswordFileMissing", "", []string{"--role", "technician", "--password-file", filepath.Join(tmp, "nope")}, "--password-file"},
		{"EmailInvalid", "tech-password-1\n", []string{"--role", "technician", "--email", "not-an-email"}, "mail"},
		{"EmailTaken", "tech-password-1\n", []string{"--role", "technician", "--email", "Admin@MSP.example"}, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"user", "add", "--email", "tech@msp.example", "--data", data}, tt.args...)
			r := runCLI(t, tt.stdin, args...)
			// A rule broken by the input (EINVALID, ECONFLICT) exits 1, a
			// setting that cannot work (ECONFIG) 2; either way it is not 0.
			if r.Code == 0 {
				t.Fatalf("exit status 0, want a failure; stdout %q", r.Stdout)
			}
			if !strings.HasPrefix(r.Stderr, "tandem: ") || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("stderr %q, want one line containing %q", r.Stderr, tt.want)
			}
			if after := mustRunCLI(t, "", "user", "list", "--data", data); after != before {
				t.Errorf("user list changed:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}
