package main

import (
	"fmt"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

const pgDumpAdvice = "with PostgreSQL, back up with pg_dump and restore with pg_restore; tandem backup and restore handle the embedded SQLite database"

func newBackupCommand() *cobra.Command {
	cfg := &dbConfig{}
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write one file holding the SQLite database and every attachment, also while tandem serve runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.DatabaseURL != "" {
				return tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL is set: %s", pgDumpAdvice)
			}
			// One bar per phase: pages of the database, then bytes of the
			// attachment files copied into the snapshot.
			var bar *progressbar.ProgressBar
			var phase sqlstore.BackupPhase
			err := sqlstore.BackupSQLite(cmd.Context(), cfg.DataDir, out, func(p sqlstore.BackupPhase, done, total int64) {
				if bar == nil || p != phase {
					if bar != nil {
						bar.Finish()
					}
					phase, bar = p, newBackupBar(cmd, p)
				}
				bar.ChangeMax64(total)
				bar.Set64(done)
			})
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Backup written to %s\n", out)
			return nil
		},
	}
	cfg.addDBFlags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "file to write the backup to; must not exist (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// newBackupBar returns the progress bar on stderr for one phase of a backup.
func newBackupBar(cmd *cobra.Command, phase sqlstore.BackupPhase) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(cmd.ErrOrStderr()),
		progressbar.OptionClearOnFinish(),
	}
	if phase == sqlstore.BackupAttachments {
		opts = append(opts, progressbar.OptionSetDescription("Copying attachments"), progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionSetDescription("Backing up the database"), progressbar.OptionShowCount(), progressbar.OptionSetItsString("pages"))
	}
	return progressbar.NewOptions64(-1, opts...)
}

func newRestoreCommand() *cobra.Command {
	cfg := &dbConfig{}
	var store string
	cmd := &cobra.Command{
		Use:   "restore FILE --data DIR",
		Short: "Restore a backup, database and attachments, into an empty data directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.DatabaseURL != "" {
				return tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL is set: %s", pgDumpAdvice)
			}
			var opts sqlstore.RestoreOptions
			switch store {
			case "", app.AttachmentsInFiles:
			case app.AttachmentsInDatabase:
				opts.AttachmentsInDatabase = true
			default:
				return tandem.Errorf(tandem.ECONFIG, "--attachment-store (TANDEM_ATTACHMENT_STORE) %q is unknown: use files or database, as the server will", store)
			}
			if err := sqlstore.RestoreSQLite(cmd.Context(), args[0], cfg.DataDir, opts); err != nil {
				return err
			}
			serve := "tandem serve --data " + cfg.DataDir
			if opts.AttachmentsInDatabase {
				serve += " --attachment-store database"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s into %s. Start the server with: %s\n", args[0], cfg.DataDir, serve)
			return nil
		},
	}
	cfg.addDBFlags(cmd)
	cmd.Flags().StringVar(&store, "attachment-store", env("TANDEM_ATTACHMENT_STORE", ""), "where to put the attachments' bytes: files (under the data directory's attachments/, the default) or database (the blobs table); use the setting the server will run with (env TANDEM_ATTACHMENT_STORE)")
	return cmd
}
