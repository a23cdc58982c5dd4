// Command tandem-agent is Tandem's endpoint agent: enrolled once with a
// token, it checks in every minute with the machine's figures and local
// checks, sends its inventory when it changes, and spools what the server
// has not acknowledged (docs/AGENT_PROTOCOL.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tandemhq/tandem/agent"
	"github.com/tandemhq/tandem/agent/service"
)

const usage = `tandem-agent: Tandem's endpoint agent

Usage:
  tandem-agent enroll --server URL --token TOKEN [--state DIR] [--pin SHA256] [--force]
  tandem-agent run [--state DIR]
  tandem-agent install [--state DIR]     register and start the OS service (root)
  tandem-agent uninstall                 stop and remove the OS service (the state stays)
  tandem-agent status [--state DIR]
  tandem-agent version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command line; it returns the exit status: 0, 1 for a
// failure, 2 for a usage mistake.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("tandem-agent "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", service.DefaultStateDir(), "the state directory: identity, credential and spool")
	var server, token, pin string
	var force bool
	if args[0] == "enroll" {
		fs.StringVar(&server, "server", "", "the Tandem server's URL, such as https://tandem.example.com")
		fs.StringVar(&token, "token", "", "the enrolment token an admin created")
		fs.StringVar(&pin, "pin", "", "the SHA-256 of the server's TLS certificate (hex), to trust that certificate only")
		fs.BoolVar(&force, "force", false, "enrol again a machine already enrolled")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tandem-agent %s takes no arguments, got %q\n", args[0], fs.Args())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	switch args[0] {
	case "enroll":
		if server == "" || token == "" {
			fmt.Fprintln(stderr, "tandem-agent enroll needs --server URL and --token TOKEN")
			return 2
		}
		var s *agent.State
		if s, err = agent.Enroll(ctx, *state, server, token, pin, force); err == nil {
			fmt.Fprintf(stdout, "Enrolled with %s as device %d; state in %s.\nStart it with: tandem-agent install (as a service) or tandem-agent run\n", s.Server, s.DeviceID, *state)
		}
	case "run":
		runAgent := func(ctx context.Context) error { return runLoop(ctx, *state, logger) }
		var handled bool
		if handled, err = service.RunService(runAgent); !handled && err == nil {
			err = runAgent(ctx)
		}
	case "install":
		var exe string
		if exe, err = os.Executable(); err == nil {
			exe, _ = filepath.Abs(exe)
			if _, err = agent.LoadState(*state); err == nil {
				if err = service.Install(ctx, service.Options{Executable: exe, StateDir: *state}); err == nil {
					fmt.Fprintln(stdout, "Installed and started the tandem-agent service.")
				}
			}
		}
	case "uninstall":
		if err = service.Uninstall(ctx); err == nil {
			fmt.Fprintf(stdout, "Removed the tandem-agent service; its state stays in %s.\n", *state)
		}
	case "status":
		err = printStatus(ctx, stdout, *state)
	case "version":
		fmt.Fprintln(stdout, "tandem-agent", agent.Version)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "tandem-agent:", err)
		return 1
	}
	return 0
}

// runLoop runs the agent until ctx ends; refused by the server, it waits
// and tries again (the device may be restored), without hammering it.
func runLoop(ctx context.Context, dir string, logger *slog.Logger) error {
	for {
		s, err := agent.LoadState(dir)
		if err != nil {
			return err
		}
		c, err := agent.NewClient(s.Server, s.Pin)
		if err != nil {
			return err
		}
		sp, err := agent.OpenDiskSpool(agent.SpoolDir(dir), agent.DefaultSpoolMessages)
		if err != nil {
			return err
		}
		a := &agent.Agent{Client: c, State: s, Spool: sp, Sources: newMachine(), Dir: dir, Logger: logger}
		logger.Info("tandem-agent running", "server", s.Server, "device", s.DeviceID, "spooled", sp.Len())
		err = a.Run(ctx)
		if !errors.Is(err, agent.ErrRefused) {
			return err
		}
		logger.Error("refused by the server; trying again in 15 minutes", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(15 * time.Minute):
		}
	}
}

func printStatus(ctx context.Context, w io.Writer, dir string) error {
	svc, svcErr := service.Status(ctx)
	if svcErr != nil {
		svc = svcErr.Error()
	}
	s, err := agent.LoadState(dir)
	if err != nil {
		fmt.Fprintf(w, "service: %s\n", svc)
		return err
	}
	spooled := 0
	if sp, err := agent.OpenDiskSpool(agent.SpoolDir(dir), agent.DefaultSpoolMessages); err == nil {
		spooled = sp.Len()
	}
	last := "never"
	if !s.LastAckAt.IsZero() {
		last = s.LastAckAt.Local().Format(time.RFC3339) + " (" + time.Since(s.LastAckAt).Round(time.Second).String() + " ago)"
	}
	fmt.Fprintf(w, "server:       %s\ndevice:       %d\nenrolled:     %s\nlast stored:  %s\nspooled:      %d messages\ndropped:      %d check-ins (spool full)\nservice:      %s\n",
		s.Server, s.DeviceID, s.EnrolledAt.Local().Format(time.RFC3339), last, spooled, s.DroppedMetrics, svc)
	if s.Refused != "" {
		fmt.Fprintf(w, "refused:      %s\n", s.Refused)
	}
	return nil
}
