package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Verify, checkpoint and export the hash-chained audit trail"}
	cmd.AddCommand(newAuditVerifyCommand(), newAuditCheckpointCommand(), newAuditExportCommand())
	return cmd
}

func newAuditVerifyCommand() *cobra.Command {
	var checkpointFile string
	var checkpoint *tandem.AuditCheckpoint
	cmd := adminCommand(&cobra.Command{
		Use:   "verify [--checkpoint FILE]",
		Short: "Check every audit chain; exit 1 naming the first broken entry of each broken chain",
		Long: `Walks every audit chain in order and checks that no entry was edited,
removed, inserted or reordered, and that each chain's recorded head is its last
entry. With --checkpoint, it also proves the log still extends the heads in a
file from tandem audit checkpoint, which catches a chain rewritten as a whole or
cut short by whoever controls the database.

Exit status: 0 when every chain is intact, 1 when one is broken (one line per
broken chain: chain, seq, entry id and what is wrong), 2 for a usage mistake or
an unreadable checkpoint.`,
		Args: cobra.NoArgs,
		// The checkpoint is read before the database is opened, so a wrong
		// path neither creates a data directory nor migrates a database.
		PreRunE: func(cmd *cobra.Command, args []string) (err error) {
			if checkpointFile != "" {
				checkpoint, err = readCheckpoint(checkpointFile)
			}
			return err
		},
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		var r *sqlstore.AuditReport
		var err error
		if checkpoint != nil {
			r, err = s.DB.VerifyAuditCheckpoint(ctx, checkpoint)
		} else {
			r, err = s.DB.VerifyAudit(ctx)
		}
		if err != nil {
			return err
		}
		return printReport(cmd.OutOrStdout(), r, checkpoint)
	})
	cmd.Flags().StringVar(&checkpointFile, "checkpoint", "", "a file written by tandem audit checkpoint whose heads the log must still extend")
	return cmd
}

// printReport prints one line per chain when every chain is intact, and
// otherwise one line per broken chain and an error (exit status 1).
func printReport(w io.Writer, r *sqlstore.AuditReport, cp *tandem.AuditCheckpoint) error {
	broken := r.BrokenChains()
	if len(broken) > 0 {
		for _, c := range broken {
			fmt.Fprintln(w, c)
		}
		return fmt.Errorf("audit trail verification failed: %d of %d chains are broken", len(broken), len(r.Chains))
	}
	for _, c := range r.Chains {
		fmt.Fprintln(w, c)
	}
	if cp != nil {
		fmt.Fprintf(w, "All %d chains are intact and extend the checkpoint of %s.\n", len(r.Chains), cp.TakenAt.Format("2006-01-02 15:04:05 UTC"))
	} else {
		fmt.Fprintf(w, "All %d chains are intact.\n", len(r.Chains))
	}
	return nil
}

// readCheckpoint reads a checkpoint file; a missing or malformed file is a
// usage mistake naming --checkpoint.
func readCheckpoint(path string) (*tandem.AuditCheckpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "--checkpoint %s cannot be read (%v): pass a file written by tandem audit checkpoint", path, rootError(err))
	}
	cp, err := tandem.ParseAuditCheckpoint(data)
	if err != nil {
		return nil, tandem.Errorf(tandem.ECONFIG, "--checkpoint %s is not a checkpoint: %s", path, tandem.ErrorMessage(err))
	}
	return cp, nil
}

func newAuditCheckpointCommand() *cobra.Command {
	var out, format string
	cmd := adminCommand(&cobra.Command{
		Use:   "checkpoint [--out FILE] [--format text|json]",
		Short: "Verify the audit trail and print every chain's head, for an auditor to keep elsewhere",
		Long: `Verifies the audit trail, then prints the head (chain, seq, hash) of every
chain. Keep the output somewhere the database's administrators cannot change
it; later, tandem audit verify --checkpoint FILE proves the log still extends
these heads. A broken trail is refused (exit status 1): a checkpoint would
vouch for it.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return tandem.Errorf(tandem.ECONFIG, "--format %q is not text or json", format)
			}
			return checkFreshFile("--out", out)
		},
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		cp, err := s.DB.Checkpoint(ctx)
		var broken *sqlstore.AuditBrokenError
		if errors.As(err, &broken) {
			for _, c := range broken.Report.BrokenChains() {
				fmt.Fprintln(cmd.OutOrStdout(), c)
			}
			return fmt.Errorf("no checkpoint taken: %d of %d chains are broken", len(broken.Report.BrokenChains()), len(broken.Report.Chains))
		} else if err != nil {
			return err
		}
		data := cp.Text()
		if format == "json" {
			if data, err = json.MarshalIndent(cp, "", "  "); err != nil {
				return err
			}
			data = append(data, '\n')
		}
		if out == "" {
			_, err := cmd.OutOrStdout().Write(data)
			return err
		}
		if err := writeFresh(out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Checkpoint of %d chains written to %s. Keep it where the database's administrators cannot change it.\n", len(cp.Heads), out)
		return nil
	})
	cmd.Flags().StringVar(&out, "out", "", "file to write the checkpoint to (must not exist); standard output when empty")
	cmd.Flags().StringVar(&format, "format", "text", "text (one \"chain seq hash\" line per chain) or json")
	return cmd
}

func newAuditExportCommand() *cobra.Command {
	var formatName, org, out string
	var format tandem.AuditFormat
	cmd := adminCommand(&cobra.Command{
		Use:   "export --format jsonl|csv [--org ORG] [--out FILE]",
		Short: "Export the audit trail, newest first, of every chain or one organisation",
		Long: `Writes audit entries newest first: every chain (the provider's included),
or one organisation's with --org (id or slug). JSON lines hold each entry
exactly, hash included, so an auditor can recompute the chain; CSV is for
spreadsheets (text a spreadsheet would run as a formula gets a leading ').`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) (err error) {
			if format, err = tandem.ParseAuditFormat(formatName); err != nil {
				return tandem.Errorf(tandem.ECONFIG, "--format %q is not jsonl or csv", formatName)
			}
			return checkFreshFile("--out", out)
		},
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		var filter tandem.AuditFilter
		if org != "" {
			o, err := findOrganization(ctx, s, org)
			if err != nil {
				return err
			}
			filter.OrganizationID = &o.ID
		}
		export := func(w io.Writer) (int, error) {
			aw := tandem.NewAuditWriter(w, format)
			err := tandem.ExportAudit(ctx, s.Audit, filter, func(page []*tandem.AuditEntry) error {
				for _, e := range page {
					if err := aw.Write(e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return aw.Count(), err
			}
			return aw.Count(), aw.Flush()
		}
		if out == "" {
			_, err := export(cmd.OutOrStdout())
			return err
		}
		var n int
		err := writeFresh(out, func(w io.Writer) (err error) {
			n, err = export(w)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Exported %d audit entries to %s.\n", n, out)
		return nil
	})
	f := cmd.Flags()
	f.StringVar(&formatName, "format", "jsonl", "jsonl (exact, one JSON object per line) or csv")
	f.StringVar(&org, "org", "", "only this organisation's entries (id or slug)")
	f.StringVar(&out, "out", "", "file to write to (must not exist); standard output when empty")
	return cmd
}

// checkFreshFile refuses an output file that exists already, before anything
// is opened: an earlier checkpoint or export is never overwritten.
func checkFreshFile(flag, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return tandem.Errorf(tandem.ECONFIG, "%s %s exists already: choose a new file name", flag, path)
	}
	return nil
}

// writeFresh creates path, which must not exist, writes it with write and
// syncs it; on failure the partial file is removed.
func writeFresh(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return tandem.Errorf(tandem.ECONFIG, "cannot create %s (%v): choose a new file in a writable directory", path, rootError(err))
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// rootError strips wrapping (such as *os.PathError's path) so messages stay short.
func rootError(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
