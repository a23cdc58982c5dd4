package sqlstore_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestTicketList(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		create := func(u *tandem.User, in tandem.TicketInput) *tandem.Ticket {
			t.Helper()
			in.OrganizationID = d.Org.ID
			tk, err := d.Tickets.CreateTicket(d.as(u), in)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		area := func(key string) *int64 { id := d.area(key); return &id }
		printer := create(d.Requester, tandem.TicketInput{Title: "Printer jams on floor 2", Description: "Paper stuck in tray", AreaID: area("end-user-support"), Tags: []string{"printer"}})
		firewall := create(d.ITTech, tandem.TicketInput{Title: "Firewall blocks the ERP", Description: "Port 443 to erp.example closed", AreaID: area("cybersecurity"),
			Impact: "high", Urgency: "high", Tags: []string{"security", "erp"}, RequesterID: d.Requester2.ID})
		backup := create(d.ProviderTech, tandem.TicketInput{Title: "Nightly backup failed", Description: "Café server: snapshot error", AreaID: area("backup-recovery"), Tags: []string{"security"}})
		laptop := create(d.ITTech, tandem.TicketInput{Title: "Laptop for the new starter", AreaID: area("hardware-deployment"), RequesterID: d.Requester2.ID, Watchers: []int64{d.Requester.ID}})
		d.setStatus(d.ITTech, laptop.ID, tandem.StatusResolved)
		escalated := create(d.ITTech, tandem.TicketInput{Title: "Printer driver rollout", AreaID: area("end-user-support"), AssigneeID: &d.ITTech.ID})
		h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), escalated.ID, "Provider packages drivers")
		if err != nil {
			t.Fatal(err)
		}
		outsider, err := d.Tickets.CreateTicket(d.as(d.OutsiderAdmin), tandem.TicketInput{OrganizationID: d.Outsider.ID, Title: "Printer at Globex"})
		if err != nil {
			t.Fatal(err)
		}

		ids := func(u *tandem.User, f tandem.TicketFilter) []int64 {
			t.Helper()
			page, err := d.Tickets.FindTickets(d.as(u), f)
			if err != nil {
				t.Fatalf("list as %s with %+v: %v", u.Email, f, err)
			}
			out := []int64{}
			for _, tk := range page.Tickets {
				out = append(out, tk.ID)
			}
			return out
		}
		inOrg := []int64{escalated.ID, laptop.ID, backup.ID, firewall.ID, printer.ID}
		tests := []struct {
			name   string
			user   *tandem.User
			filter tandem.TicketFilter
			want   []int64
		}{
			{"ProviderAdminSeesAll", d.ProviderAdmin, tandem.TicketFilter{}, append([]int64{outsider.ID}, inOrg...)},
			{"ProviderTechSeesAssignedOrg", d.ProviderTech, tandem.TicketFilter{}, inOrg},
			{"InternalTechSeesOwnOrg", d.ITTech, tandem.TicketFilter{}, inOrg},
			{"ViewerSeesOwnOrg", d.Viewer, tandem.TicketFilter{}, inOrg},
			{"RequesterSeesOwnAndWatched", d.Requester, tandem.TicketFilter{}, []int64{laptop.ID, printer.ID}},
			{"Requester2SeesOwn", d.Requester2, tandem.TicketFilter{}, []int64{laptop.ID, firewall.ID}},
			{"OutsiderSeesOwnOnly", d.OutsiderAdmin, tandem.TicketFilter{}, []int64{outsider.ID}},
			{"OutsiderFilteringOtherOrg", d.OutsiderAdmin, tandem.TicketFilter{OrganizationID: d.Org.ID}, []int64{}},
			{"Organization", d.ProviderAdmin, tandem.TicketFilter{OrganizationID: d.Org.ID}, inOrg},
			{"ProviderQueue", d.ITTech, tandem.TicketFilter{Party: tandem.PartyProvider}, []int64{backup.ID, firewall.ID}},
			{"InternalQueue", d.ITTech, tandem.TicketFilter{Party: tandem.PartyInternal}, []int64{escalated.ID, laptop.ID, printer.ID}},
			{"Status", d.ITTech, tandem.TicketFilter{Statuses: []tandem.TicketStatus{tandem.StatusResolved}}, []int64{laptop.ID}},
			// The escalated ticket was opened assigned: it started open.
			{"Statuses", d.ITTech, tandem.TicketFilter{Statuses: []tandem.TicketStatus{tandem.StatusResolved, tandem.StatusNew}}, []int64{laptop.ID, backup.ID, firewall.ID, printer.ID}},
			{"Open", d.ITTech, tandem.TicketFilter{Open: true}, []int64{escalated.ID, backup.ID, firewall.ID, printer.ID}},
			{"Priority", d.ITTech, tandem.TicketFilter{Priority: 1}, []int64{firewall.ID}},
			{"SLAState", d.ITTech, tandem.TicketFilter{SLAState: tandem.SLABreached}, []int64{}},
			{"Assignee", d.ITTech, tandem.TicketFilter{AssigneeID: d.ITTech.ID}, []int64{escalated.ID}},
			{"Unassigned", d.ITTech, tandem.TicketFilter{Unassigned: true, Open: true}, []int64{backup.ID, firewall.ID, printer.ID}},
			{"Requester", d.ITTech, tandem.TicketFilter{RequesterID: d.Requester2.ID}, []int64{laptop.ID, firewall.ID}},
			{"Area", d.ITTech, tandem.TicketFilter{AreaID: d.area("cybersecurity")}, []int64{firewall.ID}},
			{"Tag", d.ITTech, tandem.TicketFilter{Tag: " Security "}, []int64{backup.ID, firewall.ID}},
			{"TagAndQueue", d.ITTech, tandem.TicketFilter{Tag: "security", Party: tandem.PartyProvider, Priority: 1}, []int64{firewall.ID}},
			{"AwaitingProvider", d.ProviderTech, tandem.TicketFilter{AwaitingAcceptance: true, Party: tandem.PartyProvider}, []int64{escalated.ID}},
			{"AwaitingInternal", d.ProviderTech, tandem.TicketFilter{AwaitingAcceptance: true, Party: tandem.PartyInternal}, []int64{}},
			{"SearchWord", d.ITTech, tandem.TicketFilter{Query: "printer"}, []int64{escalated.ID, printer.ID}},
			{"SearchPrefixAndCase", d.ITTech, tandem.TicketFilter{Query: "PRINT"}, []int64{escalated.ID, printer.ID}},
			{"SearchAllWords", d.ITTech, tandem.TicketFilter{Query: "printer floor"}, []int64{printer.ID}},
			{"SearchNumberIsNotTheOrganisation", d.ProviderAdmin, tandem.TicketFilter{Query: strconv.FormatInt(d.Org.ID, 10)}, []int64{}},
			{"SearchOneLetterIsAWholeWord", d.ITTech, tandem.TicketFilter{Query: "b"}, []int64{}},
			{"SearchOneDigitIsAWholeWord", d.ITTech, tandem.TicketFilter{Query: "2"}, []int64{printer.ID}},
			{"SearchDescription", d.ITTech, tandem.TicketFilter{Query: "snapshot"}, []int64{backup.ID}},
			{"SearchPunctuation", d.ITTech, tandem.TicketFilter{Query: `erp.example "port" 443`}, []int64{firewall.ID}},
			{"SearchOperatorsAreWords", d.ITTech, tandem.TicketFilter{Query: `printer OR NOT -backup* (floor)`}, []int64{}},
			{"SearchOnlyPunctuation", d.ITTech, tandem.TicketFilter{Query: `"*:&|!()'`}, inOrg},
			{"SearchInScope", d.OutsiderAdmin, tandem.TicketFilter{Query: "printer"}, []int64{outsider.ID}},
			{"SearchRequester", d.Requester, tandem.TicketFilter{Query: "printer"}, []int64{printer.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := ids(tt.user, tt.filter); !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("ProviderScope", func(t *testing.T) {
			// Staff assigned to no organisation see nothing; to both, both.
			none := d.mustCreateUser(t, "none@msp.test", nil, tandem.RoleTechnician)
			if got := ids(none, tandem.TicketFilter{}); len(got) != 0 {
				t.Fatalf("unassigned technician sees %v", got)
			}
			both := d.mustCreateUser(t, "both@msp.test", nil, tandem.RoleTechnician)
			orgs := []int64{d.Org.ID, d.Outsider.ID}
			if _, err := d.Users.UpdateUser(d.as(d.ProviderAdmin), both.ID, tandem.UserUpdate{Organizations: &orgs}); err != nil {
				t.Fatal(err)
			}
			if got, want := ids(both, tandem.TicketFilter{}), append([]int64{outsider.ID}, inOrg...); !slices.Equal(got, want) {
				t.Fatalf("technician of both sees %v, want %v", got, want)
			}
			if got := ids(both, tandem.TicketFilter{Query: "printer", Party: tandem.PartyInternal}); !slices.Equal(got, []int64{outsider.ID, escalated.ID, printer.ID}) {
				t.Fatalf("technician of both finds %v", got)
			}
			// Their pages, read one organisation at a time on SQLite, are
			// the same newest-first list, whatever the filter and page size.
			for _, f := range []tandem.TicketFilter{{}, {Tag: "security"}, {Query: "printer"}, {Open: true}, {OrganizationID: d.Outsider.ID}, {OrganizationID: d.Org.ID}} {
				want := ids(d.ProviderAdmin, f)
				for _, limit := range []int{1, 2, 3} {
					got := []int64{}
					pf := f
					pf.Limit = limit
					for {
						page, err := d.Tickets.FindTickets(d.as(both), pf)
						if err != nil {
							t.Fatal(err)
						}
						for _, tk := range page.Tickets {
							got = append(got, tk.ID)
						}
						if page.NextCursor == "" {
							break
						}
						pf.Cursor = page.NextCursor
					}
					if !slices.Equal(got, want) {
						t.Fatalf("technician of both pages %+v by %d: %v, want %v", f, limit, got, want)
					}
				}
			}
			// A token restricted to one organisation narrows the list to it.
			a := actorOf(both)
			a.OnlyOrganizationID = d.Outsider.ID
			page, err := d.Tickets.FindTickets(asActor(t, a), tandem.TicketFilter{})
			if err != nil || len(page.Tickets) != 1 || page.Tickets[0].ID != outsider.ID {
				t.Fatalf("restricted token lists %v, %v", page, err)
			}
			a = actorOf(d.ProviderTech)
			a.OnlyOrganizationID = d.Outsider.ID
			if page, err = d.Tickets.FindTickets(asActor(t, a), tandem.TicketFilter{}); err != nil || len(page.Tickets) != 0 {
				t.Fatalf("token restricted to an unassigned organisation lists %v, %v", page, err)
			}
		})

		t.Run("PageCarriesTagsTimersAndHandoff", func(t *testing.T) {
			page, err := d.Tickets.FindTickets(d.as(d.ProviderTech), tandem.TicketFilter{Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if page.Tickets[0].PendingHandoff == nil || page.Tickets[0].PendingHandoff.ID != h.ID {
				t.Fatalf("pending handoff = %+v", page.Tickets[0].PendingHandoff)
			}
			if page.Tickets[1].Tags == nil || page.Tickets[1].Timers == nil {
				t.Fatal("nil tags or timers")
			}
			page, err = d.Tickets.FindTickets(d.as(d.ProviderTech), tandem.TicketFilter{Tag: "security"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(page.Tickets[1].Tags, []string{"erp", "security"}) {
				t.Fatalf("tags = %v", page.Tickets[1].Tags)
			}
		})

		t.Run("Pagination", func(t *testing.T) {
			var got []int64
			f := tandem.TicketFilter{Limit: 2}
			pages := 0
			for {
				page, err := d.Tickets.FindTickets(d.as(d.ProviderAdmin), f)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, tk := range page.Tickets {
					got = append(got, tk.ID)
				}
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if want := append([]int64{outsider.ID}, inOrg...); !slices.Equal(got, want) || pages != 3 {
				t.Fatalf("paged %v in %d pages, want %v in 3", got, pages, want)
			}
		})

		t.Run("PaginationOfSearchAndTag", func(t *testing.T) {
			for _, f := range []tandem.TicketFilter{{Query: "printer", Limit: 1}, {Tag: "security", Limit: 1}} {
				want := ids(d.ProviderAdmin, tandem.TicketFilter{Query: f.Query, Tag: f.Tag})
				var got []int64
				for {
					page, err := d.Tickets.FindTickets(d.as(d.ProviderAdmin), f)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range page.Tickets {
						got = append(got, tk.ID)
					}
					if page.NextCursor == "" {
						break
					}
					f.Cursor = page.NextCursor
				}
				if len(want) < 2 || !slices.Equal(got, want) {
					t.Fatalf("paged %v, want %v", got, want)
				}
			}
		})

		t.Run("BadFilter", func(t *testing.T) {
			for _, f := range []tandem.TicketFilter{
				{Limit: -1}, {Limit: 501}, {Cursor: "abc"},
			} {
				_, err := d.Tickets.FindTickets(d.as(d.ITTech), f)
				wantCode(t, err, tandem.EBADREQUEST)
			}
			for _, f := range []tandem.TicketFilter{
				{Party: "vendor"}, {Statuses: []tandem.TicketStatus{"done"}}, {Priority: 9}, {SLAState: "late"},
			} {
				_, err := d.Tickets.FindTickets(d.as(d.ITTech), f)
				wantCode(t, err, tandem.EINVALID)
			}
		})
	})
}
