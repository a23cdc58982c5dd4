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
	var email, name, expires, org string
	var readOnly bool
	var ttl time.Duration
	create := adminCommand(&cobra.Command{
		Use:   "create --user EMAIL [--expires 30d] [--read-only] [--org ORG]",
		Short: "Create an API token acting as a user; it is printed once and only its hash is stored",
		Long: "Create an API token acting as a user. It never reaches further than the user: --read-only makes it\n" +
			"unable to change anything, --org restricts it to one of the user's organisations.",
		Args: cobra.NoArgs,
		// --expires is checked before the database is opened, so a typo
		// neither creates a data directory nor migrates a database.
		PreRunE: func(cmd *cobra.Command, args []string) (err error) {
			ttl, err = parseExpiry(expires)
			return err
		},
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		u, err := findUserByEmail(ctx, s, email)
		if err != nil {
			return err
		}
		opts := tandem.TokenOptions{Name: name, ReadOnly: readOnly}
		if ttl > 0 {
			t := time.Now().Add(ttl).UTC()
			opts.ExpiresAt = &t
		}
		if org != "" {
			o, err := findOrganization(ctx, s, org)
			if err != nil {
				return err
			}
			opts.OrganizationID = &o.ID
		}
		t, secret, err := s.Tokens.CreateToken(ctx, u.ID, opts)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), secret)
		fmt.Fprintf(cmd.ErrOrStderr(), "Token %d for %s (%s). Copy it now: it is not shown again.\n", t.ID, u.Email, describeToken(t))
		return nil
	})
	f := create.Flags()
	f.StringVar(&email, "user", "", "email of the user the token acts as (required)")
	f.StringVar(&name, "name", "cli", "a label to recognise the token by")
	f.StringVar(&expires, "expires", "90d", "lifetime such as 30d, 12h or 90m; never for no expiry")
	f.BoolVar(&readOnly, "read-only", false, "the token may read but never change anything")
	f.StringVar(&org, "org", "", "restrict the token to this organisation (id or slug), which must be in the user's scope")
	create.MarkFlagRequired("user")

	var listEmail string
	list := adminCommand(&cobra.Command{
		Use: "list --user EMAIL", Short: "List a user's API tokens (never their secrets)", Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		u, err := findUserByEmail(ctx, s, listEmail)
		if err != nil {
			return err
		}
		tokens, err := s.Tokens.ListTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		w := table(cmd)
		fmt.Fprintln(w, "ID\tNAME\tACCESS\tORGANISATION\tEXPIRES\tLAST USED")
		for _, t := range tokens {
			access, orgCol, until, used := "read-write", "-", "never", "never"
			if t.ReadOnly {
				access = "read-only"
			}
			if t.OrganizationID != nil {
				orgCol = strconv.FormatInt(*t.OrganizationID, 10)
			}
			if t.ExpiresAt != nil {
				until = t.ExpiresAt.Format(time.RFC3339)
			}
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, access, orgCol, until, used)
		}
		return w.Flush()
	})
	list.Flags().StringVar(&listEmail, "user", "", "email of the user whose tokens to list (required)")
	list.MarkFlagRequired("user")

	revoke := adminCommand(&cobra.Command{
		Use: "revoke ID", Short: "Revoke an API token at once", Args: tokenIDArg,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		id, _ := strconv.ParseInt(args[0], 10, 64)
		if err := s.Tokens.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Revoked token %d.\n", id)
		return nil
	})
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// tokenIDArg accepts exactly one argument, a token id, so a typo is a usage
// mistake caught before the database is opened.
func tokenIDArg(cmd *cobra.Command, args []string) error {
	if err := cobra.ExactArgs(1)(cmd, args); err != nil {
		return err
	}
	if id, err := strconv.ParseInt(args[0], 10, 64); err != nil || id <= 0 {
		return fmt.Errorf("token id %q is not a number; find it with tandem token list --user EMAIL", args[0])
	}
	return nil
}

// findUserByEmail finds a user by email, saying how to list them when there is none.
func findUserByEmail(ctx context.Context, s *app.Services, email string) (*tandem.User, error) {
	u, err := s.Users.FindUserByEmail(ctx, email)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, tandem.Errorf(tandem.EINVALID, "No user %s; list them with tandem user list.", email)
	}
	return u, err
}

// describeToken sums up a token's reach for the line printed after creating it.
func describeToken(t *tandem.Token) string {
	parts := []string{"never expires", "read-write"}
	if t.ExpiresAt != nil {
		parts[0] = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	if t.ReadOnly {
		parts[1] = "read-only"
	}
	if t.OrganizationID != nil {
		parts = append(parts, "organisation "+strconv.FormatInt(*t.OrganizationID, 10)+" only")
	}
	return strings.Join(parts, ", ")
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
