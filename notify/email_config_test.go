package notify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/notify"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name, url string
		want      notify.SMTPConfig
	}{
		{"ImplicitTLSDefaultPort", "smtps://desk:pw@mail.example.com",
			notify.SMTPConfig{Host: "mail.example.com", Port: 465, Security: notify.SMTPImplicitTLS, Username: "desk", Password: "pw"}},
		{"STARTTLSDefaultPort", "smtp://desk:pw@mail.example.com",
			notify.SMTPConfig{Host: "mail.example.com", Port: 587, Security: notify.SMTPStartTLS, Username: "desk", Password: "pw"}},
		{"Port", "smtp://desk:pw@mail.example.com:2525",
			notify.SMTPConfig{Host: "mail.example.com", Port: 2525, Security: notify.SMTPStartTLS, Username: "desk", Password: "pw"}},
		{"PercentEncodedPassword", "smtps://desk%40msp.example:p%40ss%2Fw%3Ard@mail.example.com:465",
			notify.SMTPConfig{Host: "mail.example.com", Port: 465, Security: notify.SMTPImplicitTLS, Username: "desk@msp.example", Password: "p@ss/w:rd"}},
		{"NoAuth", "smtp://relay.internal:25",
			notify.SMTPConfig{Host: "relay.internal", Port: 25, Security: notify.SMTPStartTLS}},
		{"ClearTextRelay", "smtp://127.0.0.1:25?tls=none",
			notify.SMTPConfig{Host: "127.0.0.1", Port: 25, Security: notify.SMTPNoTLS}},
		{"IPv6", "smtps://u:p@[2001:db8::1]:465",
			notify.SMTPConfig{Host: "2001:db8::1", Port: 465, Security: notify.SMTPImplicitTLS, Username: "u", Password: "p"}},
		{"UserOnlyPasswordFromFile", "smtps://desk@mail.example.com",
			notify.SMTPConfig{Host: "mail.example.com", Port: 465, Security: notify.SMTPImplicitTLS, Username: "desk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notify.ParseSMTPURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}

	bad := []struct{ name, url, says string }{
		{"Empty", "", "smtps:// (implicit TLS) or smtp://"},
		{"HTTP", "https://mail.example.com", "smtps:// (implicit TLS) or smtp://"},
		{"NoHost", "smtps://user:pw@:465", "has no host"},
		{"BadPort", "smtps://mail.example.com:99999", "not a port from 1 to 65535"},
		{"Path", "smtps://mail.example.com/inbox", "path"},
		{"UnknownSetting", "smtp://mail.example.com?auth=plain", `unknown setting "auth"`},
		{"TLSOther", "smtp://mail.example.com?tls=opportunistic", "tls may only be none"},
		{"ImplicitWithoutTLS", "smtps://mail.example.com?tls=none", "smtps:// and tls=none"},
		{"PasswordInClear", "smtp://u:hunter2@relay:25?tls=none", "password without TLS"},
		{"PasswordWithoutUser", "smtps://:hunter2@mail.example.com", "no user name"},
		{"Unparseable", "smtps://u:pa#ss word@mail.example.com", "percent-encoding"},
	}
	for _, tt := range bad {
		t.Run("Err"+tt.name, func(t *testing.T) {
			_, err := notify.ParseSMTPURL(tt.url)
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Fatalf("err = %v, want ECONFIG", err)
			}
			msg := tandem.ErrorMessage(err)
			if !strings.Contains(msg, "--smtp-url (TANDEM_SMTP_URL)") || !strings.Contains(msg, tt.says) {
				t.Errorf("message %q should name the setting and say %q", msg, tt.says)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("message %q shows the password", msg)
			}
		})
	}
}

func TestLoadSMTPConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("PasswordFile", func(t *testing.T) {
		c, err := notify.LoadSMTPConfig("smtps://desk@mail.example.com", write("pw", "correct horse  \n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Password != "correct horse  " {
			t.Errorf("password = %q, want the file less its trailing newline", c.Password)
		}
		if r := c.Redacted(); strings.Contains(r, "correct") || r != "smtps://desk:xxxxx@mail.example.com:465" {
			t.Errorf("Redacted() = %q", r)
		}
	})
	for _, tt := range []struct{ name, url, file, says string }{
		{"Missing", "smtps://desk@mail.example.com", filepath.Join(dir, "nope"), "cannot be read"},
		{"EmptyFile", "smtps://desk@mail.example.com", write("empty", "\n"), "is empty"},
		{"Twice", "smtps://desk:pw@mail.example.com", write("pw2", "pw\n"), "given twice"},
		{"NoUser", "smtps://mail.example.com", write("pw3", "pw\n"), "has no user name"},
		{"ClearText", "smtp://desk@relay?tls=none", write("pw4", "pw\n"), "never sent in clear text"},
		{"UserWithoutPassword", "smtps://desk@mail.example.com", "", "gives no password"},
	} {
		t.Run("Err"+tt.name, func(t *testing.T) {
			_, err := notify.LoadSMTPConfig(tt.url, tt.file)
			if tandem.ErrorCode(err) != tandem.ECONFIG || !strings.Contains(tandem.ErrorMessage(err), tt.says) {
				t.Errorf("err = %v, want ECONFIG saying %q", err, tt.says)
			}
		})
	}
}

// FuzzParseSMTPURL: any input is either refused with ECONFIG that never
// quotes the password, or read into a configuration that writes back to
// a URL reading the same.
func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{
		"smtps://desk:pw@mail.example.com", "smtp://desk:pw@mail.example.com:2525", "smtp://127.0.0.1:25?tls=none",
		"smtps://desk%40msp.example:p%40ss@[2001:db8::1]:465", "smtp://relay", "smtps://:pw@host", "smtp://u:p@h?tls=none",
		"smtp://h:0", "SMTP://H", "smtp://h/?tls=none&tls=none", "smtps://u:p@h#x", "smtp://[::1%25lo]:25",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := notify.ParseSMTPURL(raw)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.ECONFIG {
				t.Fatalf("%q: err %v is not ECONFIG", raw, err)
			}
			return
		}
		if c.Host == "" || c.Port < 1 || c.Port > 65535 {
			t.Fatalf("%q: read as %+v", raw, *c)
		}
		if c.Security == notify.SMTPNoTLS && c.Password != "" {
			t.Fatalf("%q: a password without TLS was accepted", raw)
		}
		again, err := notify.ParseSMTPURL(notify.SMTPURL(c))
		if err != nil {
			t.Fatalf("%q read as %+v, written as %q, which is refused: %v", raw, *c, notify.SMTPURL(c), err)
		}
		if *again != *c {
			t.Fatalf("%q read as %+v, written back and read as %+v", raw, *c, *again)
		}
		if c.Password != "" && len(c.Password) >= 4 && strings.Contains(c.Redacted(), c.Password) &&
			!strings.Contains(c.Host+c.Username+"xxxxx", c.Password) {
			t.Fatalf("Redacted() %q shows the password", c.Redacted())
		}
	})
}
