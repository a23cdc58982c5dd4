package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agent/loadgen"
)

func newLoadgenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "loadgen", Short: "Drive simulated load against Tandem servers, for benchmarks"}
	var o loadgen.Options
	var urls string
	var asJSON bool
	var cpuProfile string
	agents := &cobra.Command{
		Use:   "agents --url URL[,URL…] --enrollment-token T --agents N --interval D --duration D [--json]",
		Short: "Enrol simulated agents and drive their check-ins and inventories; print check-ins per second, errors and latency",
		Long: "Enrol N simulated agents (spread over the URLs given) with the token, then run each with the real agent runtime —\n" +
			"spool, backoff and replay — on simulated figures: a check-in every --interval, each agent's first at a random\n" +
			"instant of the first interval, and one inventory each. The token must allow N uses.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, u := range strings.Split(urls, ",") {
				if u = strings.TrimSpace(u); u != "" {
					o.URLs = append(o.URLs, u)
				}
			}
			if len(o.URLs) == 0 || o.Token == "" || o.Agents <= 0 || o.Duration <= 0 || o.Interval <= 0 {
				return &usageError{fmt.Errorf("--url, --enrollment-token, --agents, --interval and --duration are required and positive (see tandem loadgen agents --help)")}
			}
			stderr := cmd.ErrOrStderr()
			o.Progress = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
			start := time.Now()
			fleet, err := loadgen.Enroll(cmd.Context(), o)
			if err != nil {
				return tandem.Errorf(tandem.EUNAVAILABLE, "%v", err)
			}
			fmt.Fprintf(stderr, "Enrolled %d agents in %s; running for %s at one check-in each per %s (%.0f/s)…\n",
				o.Agents, time.Since(start).Round(time.Millisecond), o.Duration, o.Interval, float64(o.Agents)/o.Interval.Seconds())
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			r := fleet.Run(cmd.Context(), o)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "agents            %d\nduration          %.1f s\ncheck-ins         %d (%.0f/s)\ninventories       %d\nlatency p50/p95/p99  %.1f / %.1f / %.1f ms\nerrors            %d\nstill spooled     %d\nscheduling p99    %.1f ms (the load generator's own wait for a CPU)\n",
				r.Agents, r.Seconds, r.Checkins, r.CheckinsPerS, r.Inventories, r.P50, r.P95, r.P99, r.Errors, r.Spooled, r.SchedP99)
			if asJSON {
				line, _ := json.Marshal(r)
				fmt.Fprintln(out, string(line))
			}
			return nil
		},
	}
	f := agents.Flags()
	f.StringVar(&urls, "url", "", "the servers' URLs, comma-separated; agents are spread over them")
	f.StringVar(&o.Token, "enrollment-token", "", "an enrolment token allowing --agents uses (tandem enrollment create)")
	f.IntVar(&o.Agents, "agents", 0, "how many simulated agents")
	f.DurationVar(&o.Interval, "interval", 60*time.Second, "each agent's check-in interval")
	f.DurationVar(&o.Duration, "duration", time.Minute, "how long to run after enrolment")
	f.IntVar(&o.Enrolling, "enrolling", 32, "how many agents enrol at once")
	f.BoolVar(&asJSON, "json", false, "also print one JSON object on the last line")
	f.StringVar(&cpuProfile, "cpu-profile", "", "write the load generator's own CPU profile (go tool pprof) of the run to this file")
	cmd.AddCommand(agents)
	return cmd
}
