package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// newSLACommand is the business-time calculator: due instants and elapsed
// business minutes over a calendar file, without any database.
func newSLACommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sla", Short: "Compute SLA due instants and business minutes over a business calendar"}

	var dueCal, dueStart, minutes string
	var duePauses []string
	due := &cobra.Command{
		Use:   "due --calendar FILE --start RFC3339 --minutes N [--pause FROM/TO]…",
		Short: "Print the instant N business minutes after --start, in the calendar's time zone",
		Long: "Print the instant at which N business minutes have elapsed after --start (RFC 3339, in the\n" +
			"calendar's time zone). Time running out exactly at closing gives that closing time; --minutes 0\n" +
			"gives the first business instant at or after --start. Each --pause is a pending period that does\n" +
			"not count, given as two RFC 3339 instants FROM/TO.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cal, err := readCalendar(dueCal)
			if err != nil {
				return err
			}
			start, err := parseInstant("--start", dueStart)
			if err != nil {
				return err
			}
			d, err := parseMinutes(minutes)
			if err != nil {
				return err
			}
			pauses, err := parsePauses(duePauses)
			if err != nil {
				return err
			}
			t, err := sla.Due(cal, start, d, pauses)
			if err != nil {
				return slaError("--minutes", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Format(time.RFC3339Nano))
			return nil
		},
	}
	f := due.Flags()
	f.StringVar(&dueCal, "calendar", "", "business calendar JSON file (required)")
	f.StringVar(&dueStart, "start", "", "RFC 3339 instant the clock starts, such as 2026-03-02T10:00:00+01:00 (required)")
	f.StringVar(&minutes, "minutes", "", "business minutes, decimals allowed (required)")
	f.StringArrayVar(&duePauses, "pause", nil, "pending period FROM/TO of two RFC 3339 instants; repeatable")
	due.MarkFlagRequired("calendar")
	due.MarkFlagRequired("start")
	due.MarkFlagRequired("minutes")

	var betweenCal, betweenStart, betweenEnd string
	var betweenPauses []string
	between := &cobra.Command{
		Use:   "between --calendar FILE --start A --end B [--pause FROM/TO]…",
		Short: "Print the business minutes between two instants (0 when --end is not after --start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cal, err := readCalendar(betweenCal)
			if err != nil {
				return err
			}
			start, err := parseInstant("--start", betweenStart)
			if err != nil {
				return err
			}
			end, err := parseInstant("--end", betweenEnd)
			if err != nil {
				return err
			}
			pauses, err := parsePauses(betweenPauses)
			if err != nil {
				return err
			}
			d, err := sla.Between(cal, start, end, pauses)
			if err != nil {
				return slaError("--end", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), formatMinutes(d))
			return nil
		},
	}
	f = between.Flags()
	f.StringVar(&betweenCal, "calendar", "", "business calendar JSON file (required)")
	f.StringVar(&betweenStart, "start", "", "RFC 3339 instant to count from (required)")
	f.StringVar(&betweenEnd, "end", "", "RFC 3339 instant to count to (required)")
	f.StringArrayVar(&betweenPauses, "pause", nil, "pending period FROM/TO of two RFC 3339 instants; repeatable")
	between.MarkFlagRequired("calendar")
	between.MarkFlagRequired("start")
	between.MarkFlagRequired("end")

	cmd.AddCommand(due, between)
	return cmd
}

// readCalendar reads and parses the calendar file named by --calendar.
func readCalendar(path string) (*sla.Calendar, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, tandem.Errorf(tandem.ECONFIG, "--calendar %s cannot be read: %v", path, err)
	}
	cal, err := sla.ParseCalendar(data)
	if err != nil {
		return nil, slaError("--calendar "+path, err)
	}
	return cal, nil
}

// slaError turns a mistake the sla package reports into a configuration
// error naming the flag it came from (exit status 2).
func slaError(flag string, err error) error {
	var e *sla.Error
	if errors.As(err, &e) {
		return tandem.Errorf(tandem.ECONFIG, "%s: %s", flag, e.Message)
	}
	return err
}

// parseInstant reads an RFC 3339 instant given to flag.
func parseInstant(flag, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.ECONFIG, "%s %q is not an RFC 3339 instant; write it like 2026-03-02T10:00:00+01:00", flag, s)
	}
	return t, nil
}

// maxMinutes is ten years of minutes, the longest duration sla.Due accepts
// in any calendar.
const maxMinutes = 10 * 366 * 24 * 60

// parseMinutes reads --minutes, a non-negative number of minutes that may
// have decimals.
func parseMinutes(s string) (time.Duration, error) {
	m, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(m) || m < 0 || m > maxMinutes {
		return 0, tandem.Errorf(tandem.ECONFIG, "--minutes %q is not a number of minutes; write a number from 0 to %d such as 90 or 90.5", s, maxMinutes)
	}
	return time.Duration(math.Round(m * float64(time.Minute))), nil
}

// parsePauses reads the --pause values, each FROM/TO.
func parsePauses(values []string) ([]sla.Interval, error) {
	var out []sla.Interval
	for _, v := range values {
		from, to, ok := strings.Cut(v, "/")
		bad := tandem.Errorf(tandem.ECONFIG,
			"--pause %q is not a period; write two RFC 3339 instants FROM/TO such as 2026-03-02T10:00:00+01:00/2026-03-02T11:00:00+01:00", v)
		if !ok {
			return nil, bad
		}
		a, err1 := time.Parse(time.RFC3339, strings.TrimSpace(from))
		b, err2 := time.Parse(time.RFC3339, strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return nil, bad
		}
		if !b.After(a) {
			return nil, tandem.Errorf(tandem.ECONFIG, "--pause %q ends before it starts; give FROM/TO with TO after FROM", v)
		}
		out = append(out, sla.Interval{Start: a, End: b})
	}
	return out, nil
}

// formatMinutes prints d in minutes with up to three decimals and no
// trailing zeros: "90", "90.5".
func formatMinutes(d time.Duration) string {
	s := strconv.FormatFloat(d.Minutes(), 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
