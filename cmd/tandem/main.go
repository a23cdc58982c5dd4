// Command tandem runs the Tandem server (tandem serve) and administers an
// installation directly on its data directory or database (tandem org, user,
// token, migrate, backup, restore, audit).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

// Version is set at build time with -ldflags "-X main.Version=…" and passed to app.Version.
var Version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one stops the process at once instead
	// of waiting for shutdown.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status: 0 on success, 2
// for a configuration or usage mistake, 1 for anything else. Errors are one
// line on stderr; there are no stack traces for user mistakes.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app.Version = Version
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "tandem: "+errorLine(err))
	var usage *usageError
	if errors.As(err, &usage) || tandem.ErrorCode(err) == tandem.ECONFIG {
		return 2
	}
	return 1
}

// usageError marks a mistake in the command line itself.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// errorLine renders err as the one line a user sees. Messages may quote
// errors of drivers that span lines (pgx reports each connection attempt on
// its own), so whitespace runs are folded into single spaces.
func errorLine(err error) string {
	msg := err.Error()
	var e *tandem.Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	return strings.Join(strings.Fields(msg), " ")
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tandem",
		Short:         "Tandem: one platform for a company's internal IT team and its managed service provider",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%v (see %s --help)", err, cmd.CommandPath())}
	})
	root.AddCommand(
		newServeCommand(),
		newMigrateCommand(),
		newOrgCommand(),
		newUserCommand(),
		newTokenCommand(),
		newBackupCommand(),
		newRestoreCommand(),
		newAuditCommand(),
		newSLACommand(),
		newOnCallCommand(),
		newGenerateCommand(),
		newEnrollmentCommand(),
		newLoadgenCommand(),
		&cobra.Command{
			Use: "version", Short: "Print the version", Args: cobra.NoArgs,
			Run: func(cmd *cobra.Command, args []string) { fmt.Fprintln(cmd.OutOrStdout(), "tandem "+Version) },
		},
	)
	// Unknown commands, wrong argument counts and missing flags are usage mistakes too.
	markUsageErrors(root)
	return root
}

// markUsageErrors turns the command-line mistakes cobra reports as plain
// errors, for c and its children, into usage errors that point to --help.
func markUsageErrors(c *cobra.Command) {
	usage := func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%v (see %s --help)", err, cmd.CommandPath())}
	}
	switch {
	case c.HasSubCommands() && !c.Runnable():
		// Left alone, cobra reports an unknown command as a plain error on
		// the root, and prints help and succeeds on any other group
		// (tandem org delete). Running the group itself prints its help.
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				err = fmt.Errorf("%v; did you mean %s?", err, strings.Join(s, " or "))
			}
			return usage(cmd, err)
		}
		c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	case c.Args != nil:
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usage(cmd, err)
			}
			return nil
		}
	}
	if c.Runnable() {
		// PreRunE runs just before cobra's own required-flag check, whose
		// error would otherwise be a plain one.
		pre := c.PreRunE
		c.PreRunE = func(cmd *cobra.Command, args []string) error {
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return usage(cmd, err)
			}
			if pre != nil {
				return pre(cmd, args)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}
