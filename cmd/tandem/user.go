package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newUserCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users"}
	var email, name, role, org, passwordFile string
	var assign []string
	add := adminCommand(&cobra.Command{
		Use:   "add --email EMAIL --role ROLE [--org ORG]",
		Short: "Add a user; the password is read from --password-file or stdin, never from an argument",
		Long: "Add a user. Without --org the user belongs to the provider (roles admin, technician, viewer; --assign ORG\n" +
			"gives a technician or viewer an organisation to work on). With --org the user belongs to that organisation's\n" +
			"internal team (roles it-admin, it-technician, viewer, requester).",
		Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		u := &tandem.User{Email: email, Name: name, Role: tandem.Role(role)}
		if org != "" {
			o, err := findOrganization(ctx, s, org)
			if err != nil {
				return err
			}
			u.OrganizationID = &o.ID
		}
		for _, ref := range assign {
			o, err := findOrganization(ctx, s, ref)
			if err != nil {
				return err
			}
			u.Organizations = append(u.Organizations, o.ID)
		}
		if err := u.Validate(); err != nil {
			return err
		}
		password, err := readPassword(cmd, passwordFile)
		if err != nil {
			return err
		}
		if err := s.Users.CreateUser(ctx, u, password); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Created %s user %d %s with role %s.\n", u.Party, u.ID, u.Email, u.Role)
		return nil
	})
	f := add.Flags()
	f.StringVar(&email, "email", "", "email address, used to log in (required)")
	f.StringVar(&name, "name", "", "full name")
	f.StringVar(&role, "role", "", "role: admin, technician, viewer (provider); it-admin, it-technician, viewer, requester (with --org) (required)")
	f.StringVar(&org, "org", "", "organisation id or slug of an internal user")
	f.StringSliceVar(&assign, "assign", nil, "organisation id or slug a provider technician or viewer works on (repeatable)")
	f.StringVar(&passwordFile, "password-file", "", "file whose first line is the password; without it the password is read from stdin")
	add.MarkFlagRequired("email")
	add.MarkFlagRequired("role")

	var listOrg string
	list := adminCommand(&cobra.Command{
		Use: "list", Short: "List users", Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		filter := tandem.UserFilter{Limit: 500}
		if listOrg != "" {
			o, err := findOrganization(ctx, s, listOrg)
			if err != nil {
				return err
			}
			filter.OrganizationID = &o.ID
		}
		w := table(cmd)
		fmt.Fprintln(w, "ID\tEMAIL\tNAME\tPARTY\tROLE\tORGANISATION\tACTIVE")
		for {
			users, next, err := s.Users.FindUsers(ctx, filter)
			if err != nil {
				return err
			}
			for _, u := range users {
				orgCol := "-"
				if u.OrganizationID != nil {
					orgCol = fmt.Sprint(*u.OrganizationID)
				} else if len(u.Organizations) > 0 {
					orgCol = "assigned " + strings.Trim(fmt.Sprint(u.Organizations), "[]")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%t\n", u.ID, u.Email, u.Name, u.Party, u.Role, orgCol, u.Active)
			}
			if filter.Cursor = next; next == "" {
				return w.Flush()
			}
		}
	})
	list.Flags().StringVar(&listOrg, "org", "", "only users of this organisation (id or slug)")
	var resetEmail string
	resetMFA := adminCommand(&cobra.Command{
		Use:   "reset-mfa --email EMAIL",
		Short: "Turn off a user's MFA and end their sessions, for someone who lost their authenticator and recovery codes",
		Long: "Turn off a user's MFA and end their sessions. Use it when nobody can do it from the people page — for\n" +
			"example the only provider admin lost both their authenticator and their recovery codes. Where MFA is\n" +
			"required, the user sets it up again at their next login. The reset is audited.",
		Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		u, err := s.Users.FindUserByEmail(ctx, resetEmail)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Errorf(tandem.EINVALID, "No user %s; list them with tandem user list.", resetEmail)
		} else if err != nil {
			return err
		}
		if err := s.MFA.ResetMFA(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "MFA of %s is off and their sessions are ended.\n", u.Email)
		return nil
	})
	resetMFA.Flags().StringVar(&resetEmail, "email", "", "email of the user (required)")
	resetMFA.MarkFlagRequired("email")
	cmd.AddCommand(add, list, resetMFA)
	return cmd
}

// readPassword reads a password from the first line of a file, or from stdin
// (without echo when stdin is a terminal). Passwords never come from an
// argument, where they would land in shell history and process listings.
func readPassword(cmd *cobra.Command, file string) (string, error) {
	var r io.Reader = cmd.InOrStdin()
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", tandem.Errorf(tandem.ECONFIG, "--password-file %s cannot be read (%v)", file, rootErr(err))
		}
		defer f.Close()
		r = f
	} else if in, ok := r.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", tandem.Errorf(tandem.EINVALID, "No password given: pipe it on stdin or use --password-file FILE.")
	}
	return password, nil
}

func rootErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
