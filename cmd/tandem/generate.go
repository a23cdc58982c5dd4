package main

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/sqlstore"
)

func newGenerateCommand() *cobra.Command {
	var opts sqlstore.GenerateOptions
	cmd := adminCommand(&cobra.Command{
		Use:   "generate",
		Short: "Add synthetic organisations, users and tickets for benchmarks and load tests",
		Long: `Add synthetic organisations ("Synthetic client NNNN"), their users (who cannot
log in) and tickets spread over the last year with a desk's usual mix of
statuses, priorities and SLA states. Meant for a scratch data directory or
database: the data is added, never removed.`,
		Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		bar := progressbar.NewOptions(opts.Tickets,
			progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionSetDescription("Generating"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("tickets"),
			progressbar.OptionClearOnFinish(),
		)
		opts.Progress = func(done int) { bar.Set(done) }
		started := time.Now()
		rep, err := s.DB.Generate(ctx, opts)
		bar.Finish()
		if err != nil {
			return err
		}
		elapsed := time.Since(started)
		fmt.Fprintf(cmd.OutOrStdout(), "Added %d organisations, %d users, %d tickets (%d tagged) in %s (%.0f tickets/s).\n",
			len(rep.Organizations), rep.Users, rep.Tickets, rep.Tags, elapsed.Round(time.Millisecond), float64(rep.Tickets)/elapsed.Seconds())
		return nil
	})
	cmd.Flags().IntVar(&opts.Organizations, "organizations", 20, "client organisations to add (1 to 10000)")
	cmd.Flags().IntVar(&opts.Tickets, "tickets", 100_000, "tickets to add, spread over the organisations (0 to 50000000)")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "the same seed adds the same data")
	return cmd
}
