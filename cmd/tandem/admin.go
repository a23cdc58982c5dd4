package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

// adminCommand builds a command that works on the database directly as the
// system actor, like gitea admin: it takes --data and --database-url, opens
// and migrates the database, and closes it afterwards.
func adminCommand(cmd *cobra.Command, run func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error) *cobra.Command {
	cfg := &dbConfig{}
	cfg.addDBFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		db, err := cfg.open(cmd.Context())
		if err != nil {
			return err
		}
		defer db.Close()
		ctx := tandem.NewContextWithActor(cmd.Context(), tandem.SystemActor)
		return run(ctx, cmd, app.NewServices(db, ""), args)
	}
	return cmd
}

func newMigrateCommand() *cobra.Command {
	cfg := &dbConfig{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations (tandem serve also does this at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := cfg.openUnmigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			applied, _, err := db.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Applied %d migration(s); schema at version %d.\n", n, applied)
			return nil
		},
	}
	cfg.addDBFlags(cmd)
	return cmd
}

// table writes aligned columns.
func table(cmd *cobra.Command) *tabwriter.Writer {
	return tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
}
