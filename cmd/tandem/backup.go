package main

import (
	"fmt"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqlstore"
)

const pgDumpAdvice = "with PostgreSQL, back up with pg_dump and restore with pg_restore; tandem backup and restore handle the embedded SQLite database"

func newBackupCommand() *cobra.Command {
	cfg := &dbConfig{}
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent snapshot of the SQLite database, also while tandem serve runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.DatabaseURL != "" {
				return tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL is set: %s", pgDumpAdvice)
			}
			src := filepath.Join(cfg.DataDir, sqlstore.DBFileName)
			bar := progressbar.NewOptions(-1,
				progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionSetDescription("Backing up"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("pages"),
				progressbar.OptionClearOnFinish(),
			)
			err := sqlstore.BackupSQLite(cmd.Context(), src, out, func(done, total int) {
				bar.ChangeMax(total)
				bar.Set(done)
			})
			bar.Finish()
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

func newRestoreCommand() *cobra.Command {
	cfg := &dbConfig{}
	cmd := &cobra.Command{
		Use:   "restore FILE --data DIR",
		Short: "Restore a backup into an empty data directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.DatabaseURL != "" {
				return tandem.Errorf(tandem.ECONFIG, "TANDEM_DATABASE_URL is set: %s", pgDumpAdvice)
			}
			if err := sqlstore.RestoreSQLite(cmd.Context(), args[0], cfg.DataDir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s into %s. Start the server with: tandem serve --data %s\n", args[0], cfg.DataDir, cfg.DataDir)
			return nil
		},
	}
	cfg.addDBFlags(cmd)
	return cmd
}
