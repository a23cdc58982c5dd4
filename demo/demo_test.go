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
		s := demo.Services{Organizations: sqlstore.NewOrganizationService(db), Users: sqlstore.NewUserService(db), Matrix: sqlstore.NewMatrixService(db),
			Tickets: sqlstore.NewTicketService(db, sqlstore.NewDBBlobStore(db)), SLA: sqlstore.NewSLAService(db), Escalation: sqlstore.NewEscalationService(db)}
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

		t.Run("TicketsInEveryState", func(t *testing.T) {
			page, err := s.Tickets.FindTickets(ctx, tandem.TicketFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			statuses := map[tandem.TicketStatus]int{}
			handoffs := map[tandem.HandoffStatus]int{}
			visibilities := map[tandem.Visibility]int{}
			owners := map[tandem.PartyKind]int{}
			for _, tk := range page.Tickets {
				statuses[tk.Status]++
				owners[tk.OwningParty]++
				hs, err := s.Tickets.Handoffs(ctx, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hs {
					handoffs[h.Status]++
				}
				events, err := s.Tickets.Timeline(ctx, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range events {
					if e.Kind == tandem.EventComment {
						visibilities[e.Visibility]++
					}
				}
			}
			for _, st := range tandem.TicketStatuses {
				if statuses[st] == 0 {
					t.Errorf("no demo ticket is %s (have %v)", st, statuses)
				}
			}
			for _, hs := range []tandem.HandoffStatus{tandem.HandoffPending, tandem.HandoffAccepted, tandem.HandoffDeclined} {
				if handoffs[hs] == 0 {
					t.Errorf("no demo handoff is %s (have %v)", hs, handoffs)
				}
			}
			for _, v := range []tandem.Visibility{tandem.VisibilityPublic, tandem.VisibilityTeams, tandem.VisibilityParty} {
				if visibilities[v] == 0 {
					t.Errorf("no demo comment is %s (have %v)", v, visibilities)
				}
			}
			if owners[tandem.PartyInternal] == 0 || owners[tandem.PartyProvider] == 0 {
				t.Errorf("demo tickets by owning party = %v; want both queues filled", owners)
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
