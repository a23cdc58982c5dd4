package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

// TestUserResetMFA proves the way back in for a provider admin who lost both
// their authenticator and their recovery codes: tandem user reset-mfa.
func TestUserResetMFA(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRunCLI(t, "a long enough passphrase\n", "user", "add", "--email", "boss@msp.example", "--role", "admin", "--data", dir)

	withServices := func(fn func(ctx context.Context, s *app.Services, u *tandem.User)) {
		t.Helper()
		db, err := app.OpenDB(context.Background(), sqlstore.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s := app.NewServices(db, "")
		u, err := s.Users.FindUserByEmail(tandem.NewContextWithActor(context.Background(), tandem.SystemActor), "boss@msp.example")
		if err != nil {
			t.Fatal(err)
		}
		session, err := s.Sessions.CreateSession(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Sessions.ActorForSession(context.Background(), session)
		if err != nil {
			t.Fatal(err)
		}
		fn(tandem.NewContextWithActor(context.Background(), a), s, u)
	}
	withServices(func(ctx context.Context, s *app.Services, u *tandem.User) {
		key, err := s.MFA.MFAKey(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCode(key.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MFA.EnableMFA(ctx, "a long enough passphrase", key.Secret, code); err != nil {
			t.Fatal(err)
		}
	})

	out := mustRunCLI(t, "", "user", "reset-mfa", "--email", "BOSS@msp.example", "--data", dir)
	if !strings.Contains(out, "MFA of boss@msp.example is off") {
		t.Fatalf("reset-mfa printed %q", out)
	}
	withServices(func(ctx context.Context, s *app.Services, u *tandem.User) {
		st, err := s.MFA.MFAStatus(ctx)
		if err != nil || st.Enabled {
			t.Fatalf("after reset-mfa MFA status = %+v, %v; want disabled", st, err)
		}
	})

	t.Run("ErrUnknownUser", func(t *testing.T) {
		r := runCLI(t, "", "user", "reset-mfa", "--email", "nobody@msp.example", "--data", dir)
		if r.Code == 0 || !strings.Contains(r.Stderr, "No user nobody@msp.example") {
			t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}
