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
		s := demo.Services{Organizations: sqlstore.NewOrganizationService(db), Users: sqlstore.NewUserService(db)}
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
