package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeSaysHowEmailGoes checks the line serve prints about email: the
// SMTP server and sender when one is configured, never its password; else
// that emails wait in the outbox, and where.
func TestServeSaysHowEmailGoes(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()

	url, out, stop := serveInProcess(t, "--data", dir)
	if want := "Email: no SMTP server is configured (--smtp-url); emails are kept, unsent, in the outbox at " + url + "/outbox\n"; !strings.Contains(out.String(), want) {
		t.Errorf("serve without SMTP printed\n%s\nwant %q", out.String(), want)
	}
	stop()

	passwordFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(passwordFile, []byte("hunter2-very-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TANDEM_SMTP_PASSWORD_FILE", passwordFile)
	t.Setenv("TANDEM_SMTP_FROM", "Tandem <desk@msp.example>")
	_, out, stop = serveInProcess(t, "--data", dir, "--smtp-url", "smtps://desk@mail.example.com")
	if want := "Email: sending through mail.example.com:465 as Tandem <desk@msp.example>\n"; !strings.Contains(out.String(), want) {
		t.Errorf("serve with SMTP printed\n%s\nwant %q", out.String(), want)
	}
	stop()
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("serve printed the SMTP password:\n%s", out.String())
	}
}
