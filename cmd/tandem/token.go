package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newTokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var email, name, expires string
	var ttl time.Duration
	create := adminCommand(&cobra.Command{
		Use:   "create --user EMAIL [--expires 30d]",
		Short: "Create an API token acting as a user; it is printed once and only its hash is stored",
		Args:  cobra.NoArgs,
		// --expires is checked before the database is opened, so a typo
		// neither creates a data directory nor migrates a database.
		PreRunE: func(cmd *cobra.Command, args []string) (err error) {
			ttl, err = parseExpiry(expires)
			return err
		},
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		u, err := s.Users.FindUserByEmail(ctx, email)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Errorf(tandem.EINVALID, "No user %s; list them with tandem user list.", email)
		} else if err != nil {
			return err
		}
		var expiresAt *time.Time
		if ttl > 0 {
			t := time.Now().Add(ttl).UTC()
			expiresAt = &t
		}
		t, secret, err := s.Tokens.CreateToken(ctx, u.ID, name, expiresAt)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), secret)
		until := "never expires"
		if t.ExpiresAt != nil {
			until = "expires " + t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Token %d for %s (%s). Copy it now: it is not shown again.\n", t.ID, u.Email, until)
		return nil
	})
	f := create.Flags()
	f.StringVar(&email, "user", "", "email of the user the token acts as (required)")
	f.StringVar(&name, "name", "cli", "a label to recognise the token by")
	f.StringVar(&expires, "expires", "90d", "lifetime such as 30d, 12h or 90m; never for no expiry")
	create.MarkFlagRequired("user")
	cmd.AddCommand(create)
	return cmd
}

// parseExpiry reads a token lifetime: a Go duration (12h, 90m), a number of
// days (30d), or "never" (zero).
func parseExpiry(s string) (time.Duration, error) {
	bad := tandem.Errorf(tandem.ECONFIG, "--expires %q is not a lifetime: write 30d, 12h, 90m or never", s)
	s = strings.TrimSpace(s)
	if s == "never" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < time.Minute || d > 3650*24*time.Hour {
			return 0, bad
		}
	}
	return d, nil
}
