package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The demo is for exploring: its provider staff may log in without setting
// up MFA first, and the start-up banner says so.
func TestDemoMakesMFAOptional(t *testing.T) {
	s := testserver.StartWith(t, &app.Main{DataDir: t.TempDir(), Demo: true})
	if out := s.Output.String(); !strings.Contains(out, "Two-factor authentication is optional for provider staff in the demo") {
		t.Errorf("demo banner does not say MFA is optional:\n%s", out)
	}
	required, err := s.Services.MFA.ProviderRequiresMFA(testserver.SystemContext())
	if err != nil || required {
		t.Fatalf("ProviderRequiresMFA = %v, %v in the demo; want false", required, err)
	}
}

// A fresh installation requires MFA of provider staff; session timeouts come
// from Main.
func TestIdentityDefaults(t *testing.T) {
	s := testserver.StartWith(t, &app.Main{DataDir: t.TempDir(), SessionIdleTimeout: 5 * time.Minute, SessionMaxAge: time.Hour})
	required, err := s.Services.MFA.ProviderRequiresMFA(testserver.SystemContext())
	if err != nil || !required {
		t.Fatalf("ProviderRequiresMFA = %v, %v; want true by default", required, err)
	}
	if got := s.Services.Sessions; got.IdleTimeout != 5*time.Minute || got.AbsoluteTimeout != time.Hour {
		t.Errorf("session timeouts = %v, %v; want 5m, 1h", got.IdleTimeout, got.AbsoluteTimeout)
	}
	d := testserver.Start(t)
	if got := d.Services.Sessions; got.IdleTimeout != tandem.DefaultSessionIdleTimeout || got.AbsoluteTimeout != tandem.DefaultSessionMaxAge {
		t.Errorf("default session timeouts = %v, %v", got.IdleTimeout, got.AbsoluteTimeout)
	}
}
