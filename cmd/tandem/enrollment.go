package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newEnrollmentCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "enrollment", Short: "Manage the tokens that enrol endpoint agents"}
	var org, expires, description, site, group string
	var uses int
	create := adminCommand(&cobra.Command{
		Use:   "create --org ORG [--expires 7d] [--uses N]",
		Short: "Create an enrolment token for an organisation's agents; it is printed once and only its hash is stored",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		validFor, err := tandem.ParseValidity(expires)
		if err != nil {
			return err
		}
		o, err := findOrganization(ctx, s, org)
		if err != nil {
			return err
		}
		t := &tandem.EnrollmentToken{OrganizationID: o.ID, Description: description, Site: site, Group: group}
		if cmd.Flags().Changed("uses") {
			t.MaxUses = &uses
		}
		if err := s.Devices.CreateEnrollmentToken(ctx, t, validFor); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), t.Token)
		limit := "any number of agents"
		if t.MaxUses != nil {
			limit = fmt.Sprintf("at most %d agents", *t.MaxUses)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Enrolment token %d for %s: %s until %s. Copy it now: it is not shown again.\n"+
			"On each machine: tandem-agent enroll --server URL --token TOKEN && tandem-agent install\n",
			t.ID, o.Name, limit, t.ExpiresAt.Format("2006-01-02 15:04 MST"))
		return nil
	})
	f := create.Flags()
	f.StringVar(&org, "org", "", "the organisation (id or slug) the agents enrol into (required)")
	f.StringVar(&expires, "expires", "7d", "how long the token enrols: 7d, 12h or 90m, at most 365d")
	f.IntVar(&uses, "uses", 0, "how many agents it may enrol; default any number")
	f.StringVar(&description, "description", "", "a label to recognise the token by")
	f.StringVar(&site, "site", "", "the site its agents' devices are at")
	f.StringVar(&group, "group", "", "the device group its agents join (local checks may target a group)")
	create.MarkFlagRequired("org")
	cmd.AddCommand(create)
	return cmd
}
