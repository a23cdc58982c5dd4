package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

// newOnCallCommand is the what-if calculator of on-call schedules: who is on
// call at an instant and the shifts of a window, from a schedule file,
// without any database, on the code the server uses.
func newOnCallCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "oncall", Short: "Ask an on-call schedule file who is on call and list its shifts"}

	var whoSchedule, whoAt string
	who := &cobra.Command{
		Use:   "who --schedule FILE --at RFC3339",
		Short: "Print the email of the member on call at --at, or nobody",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readSchedule(whoSchedule)
			if err != nil {
				return err
			}
			t, err := parseInstant("--at", whoAt)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), memberOrNobody(s.Who(t)))
			return nil
		},
	}
	f := who.Flags()
	f.StringVar(&whoSchedule, "schedule", "", "on-call schedule JSON file (required)")
	f.StringVar(&whoAt, "at", "", "RFC 3339 instant, such as 2026-03-03T19:00:00+01:00 (required)")
	who.MarkFlagRequired("schedule")
	who.MarkFlagRequired("at")

	var shiftsSchedule, shiftsFrom, shiftsTo string
	shifts := &cobra.Command{
		Use:   "shifts --schedule FILE --from A --to B",
		Short: "Print one line FROM TO MEMBER per maximal interval, in the schedule's zone (nobody for gaps)",
		Long: "Print the shifts from --from to --to, one line per maximal interval: FROM TO MEMBER in RFC 3339\n" +
			"in the schedule's zone, nobody for a gap, adjacent turns of one member as one line. The window\n" +
			"may span at most 400 days.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readSchedule(shiftsSchedule)
			if err != nil {
				return err
			}
			from, err := parseInstant("--from", shiftsFrom)
			if err != nil {
				return err
			}
			to, err := parseInstant("--to", shiftsTo)
			if err != nil {
				return err
			}
			if !to.After(from) {
				return tandem.Errorf(tandem.ECONFIG, "--to %s is not after --from %s; give a later --to", shiftsTo, shiftsFrom)
			}
			if to.Sub(from) > oncall.MaxWindow {
				return tandem.Errorf(tandem.ECONFIG, "--to is more than %d days after --from; ask for a shorter window", int(oncall.MaxWindow/(24*time.Hour)))
			}
			out := cmd.OutOrStdout()
			for _, sh := range s.Shifts(from, to) {
				fmt.Fprintln(out, sh.From.Format(time.RFC3339), sh.To.Format(time.RFC3339), memberOrNobody(sh.Member))
			}
			return nil
		},
	}
	f = shifts.Flags()
	f.StringVar(&shiftsSchedule, "schedule", "", "on-call schedule JSON file (required)")
	f.StringVar(&shiftsFrom, "from", "", "RFC 3339 instant the window starts (required)")
	f.StringVar(&shiftsTo, "to", "", "RFC 3339 instant the window ends (required)")
	shifts.MarkFlagRequired("schedule")
	shifts.MarkFlagRequired("from")
	shifts.MarkFlagRequired("to")

	cmd.AddCommand(who, shifts)
	return cmd
}

// memberOrNobody prints a gap as the word the commands promise.
func memberOrNobody(member string) string {
	if member == "" {
		return "nobody"
	}
	return member
}

// readSchedule reads and parses the schedule file named by --schedule; a
// mistake in it is a configuration error naming the flag (exit status 2).
func readSchedule(path string) (*oncall.Schedule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, tandem.Errorf(tandem.ECONFIG, "--schedule %s cannot be read: %v", path, err)
	}
	s, err := oncall.Parse(data)
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "--schedule %s: %s", path, tandem.ErrorMessage(err))
	}
	return s, nil
}
