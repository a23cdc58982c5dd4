package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
)

func newOrgCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage client organisations"}
	var slug string
	add := adminCommand(&cobra.Command{
		Use:   "add NAME",
		Short: "Add a client organisation with its internal and provider parties",
		Args:  cobra.ExactArgs(1),
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		org := &tandem.Organization{Name: args[0], Slug: slug}
		if err := s.Organizations.CreateOrganization(ctx, org); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Created organisation %d %q (slug %s).\n", org.ID, org.Name, org.Slug)
		return nil
	})
	add.Flags().StringVar(&slug, "slug", "", "short name used in URLs; derived from NAME when empty")

	list := adminCommand(&cobra.Command{
		Use: "list", Short: "List organisations", Args: cobra.NoArgs,
	}, func(ctx context.Context, cmd *cobra.Command, s *app.Services, args []string) error {
		w := table(cmd)
		fmt.Fprintln(w, "ID\tSLUG\tNAME")
		cursor := ""
		for {
			orgs, next, err := s.Organizations.FindOrganizations(ctx, tandem.OrganizationFilter{Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, o := range orgs {
				fmt.Fprintf(w, "%d\t%s\t%s\n", o.ID, o.Slug, o.Name)
			}
			if cursor = next; cursor == "" {
				return w.Flush()
			}
		}
	})
	cmd.AddCommand(add, list)
	return cmd
}

// findOrganization finds an organisation by id or slug.
func findOrganization(ctx context.Context, s *app.Services, ref string) (*tandem.Organization, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.Organizations.FindOrganizationByID(ctx, id)
	}
	org, err := s.Organizations.FindOrganizationBySlug(ctx, ref)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, tandem.Errorf(tandem.EINVALID, "No organisation %q; list them with tandem org list.", ref)
	}
	return org, err
}
