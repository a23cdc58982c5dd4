package demo_test

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/demo"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestLoad(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := testserver.SystemContext()
		s := demo.Services{Organizations: sqlstore.NewOrganizationService(db), Users: sqlstore.NewUserService(db), Matrix: sqlstore.NewMatrixService(db)}
		logins, err := demo.Load(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		users, _, err := s.Users.FindUsers(ctx, tandem.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != len(logins) {
			t.Fatalf("%d users stored, %d logins printed", len(users), len(logins))
		}
		roles := map[tandem.PartyKind]map[tandem.Role]bool{tandem.PartyProvider: {}, tandem.PartyInternal: {}}
		for _, u := range users {
			roles[u.Party][u.Role] = true
			if _, err := s.Users.Authenticate(ctx, u.Email, demo.Password); err != nil {
				t.Errorf("%s cannot log in with the demo password: %v", u.Email, err)
			}
		}
		for party, list := range map[tandem.PartyKind][]tandem.Role{tandem.PartyProvider: tandem.ProviderRoles, tandem.PartyInternal: tandem.InternalRoles} {
			for _, r := range list {
				if !roles[party][r] {
					t.Errorf("no demo user with %s role %s", party, r)
				}
			}
		}
		orgs, _, err := s.Organizations.FindOrganizations(ctx, tandem.OrganizationFilter{})
		if err != nil || len(orgs) != 2 {
			t.Fatalf("demo organisations = %d, %v; want 2", len(orgs), err)
		}

		t.Run("SeedSplitAccepted", func(t *testing.T) {
			for _, org := range orgs {
				v, err := s.Matrix.FindMatrixVersion(ctx, org.ID, 0)
				if err != nil {
					t.Fatalf("%s has no accepted matrix: %v", org.Name, err)
				}
				if v.InternalSigner == "" || v.ProviderSigner == "" {
					t.Errorf("%s's matrix lacks a signer: %q / %q", org.Name, v.InternalSigner, v.ProviderSigner)
				}
				gaps, err := s.Matrix.MatrixGaps(ctx, org.ID, 0)
				if err != nil || len(gaps.Gaps) != 0 {
					t.Errorf("%s's matrix has gaps %+v, %v; want none", org.Name, gaps, err)
				}
				areas, _ := s.Matrix.FindServiceAreas(ctx, org.ID)
				for _, a := range areas {
					want := tandem.PartyProvider
					if a.Key == "end-user-support" || a.Key == "on-site-troubleshooting" {
						want = tandem.PartyInternal
					}
					if a.Key == "end-user-support" || a.Key == "on-site-troubleshooting" || a.Key == "cybersecurity" || a.Key == "backup-recovery" {
						if got, _ := v.ResponsibleParty(a.ID); got != want {
							t.Errorf("%s: %s is routed to %s, want %s", org.Name, a.Key, got, want)
						}
					}
				}
			}
		})

		t.Run("SecondLoadChangesNothing", func(t *testing.T) {
			again, err := demo.Load(ctx, s)
			if err != nil || again != nil {
				t.Fatalf("second Load = %v, %v; want nil, nil", again, err)
			}
			after, _, _ := s.Users.FindUsers(ctx, tandem.UserFilter{})
			if len(after) != len(users) {
				t.Fatalf("second Load changed the user count from %d to %d", len(users), len(after))
			}
		})
	})
}
