// Command tandem runs the Tandem server (tandem serve) and administers an
// installation directly on its data directory or database (tandem org, user,
// token, migrate, backup, restore).
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

// errorLine renders err as the one line a user sees.
func errorLine(err error) string {
	var e *tandem.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
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
		&cobra.Command{
			Use: "version", Short: "Print the version", Args: cobra.NoArgs,
			Run: func(cmd *cobra.Command, args []string) { fmt.Fprintln(cmd.OutOrStdout(), "tandem "+Version) },
		},
	)
	// Unknown commands and wrong argument counts are usage mistakes too.
	for _, c := range append(root.Commands(), root) {
		wrapArgs(c)
	}
	return root
}

// wrapArgs marks argument-count errors of c and its children as usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &usageError{fmt.Errorf("%v (see %s --help)", err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
