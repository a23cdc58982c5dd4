package sqlstore_test

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// A ticket names the people on it to whoever may read it: a requester, who
// may see no other user, still learns who works their ticket, by name, or
// by role when that person has no name; never by email.
func TestTicketPeople(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		nameless := &tandem.User{Email: "nameless@msp.test", Role: tandem.RoleTechnician, Organizations: []int64{d.Org.ID}}
		if err := d.Users.CreateUser(systemCtx(t), nameless, testPassword); err != nil {
			t.Fatal(err)
		}
		assign := func(t *testing.T, tk *tandem.Ticket, u *tandem.User) {
			t.Helper()
			id := u.ID
			if _, err := d.Tickets.UpdateTicket(d.as(d.ProviderAdmin), tk.ID, tandem.TicketUpdate{AssigneeID: &id}); err != nil {
				t.Fatal(err)
			}
		}
		named := d.open(d.Requester, "cybersecurity", "Phishing mail")
		assign(t, named, d.ProviderTech)
		unnamed := d.open(d.Requester, "network-monitoring", "Switch down")
		assign(t, unnamed, nameless)

		t.Run("FindTicket", func(t *testing.T) {
			tests := []struct {
				name   string
				reader *tandem.User
				ticket *tandem.Ticket
				who    int64
				want   string
			}{
				{"RequesterSeesAssigneeName", d.Requester, named, d.ProviderTech.ID, d.ProviderTech.Name},
				{"RequesterSeesOwnName", d.Requester, named, d.Requester.ID, d.Requester.Name},
				{"RequesterSeesRoleNotEmail", d.Requester, unnamed, nameless.ID, "provider technician"},
				{"ITAdminSeesEmail", d.ITAdmin, unnamed, nameless.ID, "nameless@msp.test"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tk, err := d.Tickets.FindTicket(d.as(tt.reader), tt.ticket.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got := tk.People[tt.who]; got != tt.want {
						t.Errorf("People[%d] = %q, want %q (all: %v)", tt.who, got, tt.want, tk.People)
					}
				})
			}
		})

		t.Run("FindTickets", func(t *testing.T) {
			for _, u := range []*tandem.User{d.Requester, d.ITTech} {
				page, err := d.Tickets.FindTickets(d.as(u), tandem.TicketFilter{})
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, tk := range page.Tickets {
					if tk.ID != named.ID {
						continue
					}
					found = true
					if tk.People[d.ProviderTech.ID] != d.ProviderTech.Name {
						t.Errorf("%s: the list names the assignee %q, want %q", u.Email, tk.People[d.ProviderTech.ID], d.ProviderTech.Name)
					}
				}
				if !found {
					t.Errorf("%s: the list does not show ticket %d", u.Email, named.ID)
				}
			}
		})

		// The timeline names its authors the same way: the requester's
		// (also through the API) by role where the author has no name.
		t.Run("Timeline", func(t *testing.T) {
			if _, err := d.Tickets.AddComment(d.as(nameless), unnamed.ID, tandem.CommentInput{Body: "On it", Visibility: tandem.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				reader *tandem.User
				want   string
			}{{d.Requester, "provider technician"}, {d.ITAdmin, "nameless@msp.test"}} {
				events, err := d.Tickets.Timeline(d.as(tt.reader), unnamed.ID)
				if err != nil {
					t.Fatal(err)
				}
				seen := 0
				for _, e := range events {
					if e.ActorID != nil && *e.ActorID == nameless.ID {
						seen++
						if e.ActorName != tt.want {
							t.Errorf("%s reads %s entry by %q, want %q", tt.reader.Email, e.Kind, e.ActorName, tt.want)
						}
					}
				}
				if seen == 0 {
					t.Errorf("%s sees no entry by the technician", tt.reader.Email)
				}
			}
		})

		// Nothing beyond the ticket: the requester still cannot read the
		// technician as a user.
		t.Run("ErrNoUserRead", func(t *testing.T) {
			if _, err := d.Users.FindUserByID(d.as(d.Requester), d.ProviderTech.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("requester reads the assignee's user record: %v, want ENOTFOUND", err)
			}
		})
	})
}
