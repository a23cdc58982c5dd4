package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// summaryDesk is the desk of the summary tests, on a policy of a 60-minute
// response and a 600-minute resolution (P3, every ticket here): two tickets
// whose response clocks broke (provider pb, internal ib), one warned (pw),
// one answered and resolved (pm, its two clocks met), then three plain open
// ones: the provider technician's (pa), the internal technician's (ia), and
// one waiting for the provider to accept a handoff (ho); and one ticket of
// the outsider organisation.
type summaryDesk struct {
	*slaDesk
	pb, ib, pm, pw, pa, ia, ho, out *tandem.Ticket
}

func newSummaryDesk(t *testing.T, db *sqlstore.DB) *summaryDesk {
	t.Helper()
	d := &summaryDesk{slaDesk: newSLADesk(t, db, "", 60, 600)}
	d.pb = d.open(d.Requester, "network-monitoring", "Provider breach")
	d.ib = d.open(d.Requester, "end-user-support", "Internal breach")
	d.pm = d.open(d.Requester2, "cybersecurity", "Provider met")
	if _, err := d.Tickets.AddComment(d.as(d.ProviderTech), d.pm.ID, tandem.CommentInput{Body: "On it."}); err != nil {
		t.Fatal(err)
	}
	d.setStatus(d.ProviderTech, d.pm.ID, tandem.StatusResolved)
	d.Clock.Advance(20 * time.Minute)
	d.pw = d.open(d.Requester, "backup-recovery", "Provider warning")
	d.Clock.Advance(50 * time.Minute)
	if _, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	d.pa = d.assigned(d.ProviderTech, "patch-management", "Provider assigned")
	d.ia = d.assigned(d.ITTech, "hardware-deployment", "Internal mine")
	d.ho = d.open(d.Requester2, "end-user-support", "Handoff")
	if _, err := d.Tickets.RequestHandoff(d.as(d.ITTech), d.ho.ID, "The provider's"); err != nil {
		t.Fatal(err)
	}
	var err error
	d.out, err = d.Tickets.CreateTicket(d.as(d.OutsiderAdmin), tandem.TicketInput{OrganizationID: d.Outsider.ID, Title: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	for tk, want := range map[*tandem.Ticket]tandem.SLAState{d.pb: tandem.SLABreached, d.ib: tandem.SLABreached, d.pw: tandem.SLAWarning, d.pa: tandem.SLAOK} {
		if got := d.ticket(tk.ID).SLAState; got != want {
			t.Fatalf("fixture: %q is %s, want %s", tk.Title, got, want)
		}
	}
	return d
}

// assigned opens a ticket in Org as u, assigned to u.
func (d *summaryDesk) assigned(u *tandem.User, area, title string) *tandem.Ticket {
	d.tb.Helper()
	tk := d.open(u, area, title)
	if _, err := d.Tickets.UpdateTicket(d.as(u), tk.ID, tandem.TicketUpdate{AssigneeID: &u.ID}); err != nil {
		d.tb.Fatal(err)
	}
	return tk
}

// listed counts what FindTickets lists for f, every page.
func listed(t *testing.T, tickets *sqlstore.TicketService, ctx context.Context, f tandem.TicketFilter) int {
	t.Helper()
	n := 0
	for {
		f.Limit = 100
		page, err := tickets.FindTickets(ctx, f)
		if err != nil {
			t.Fatalf("FindTickets(%+v): %v", f, err)
		}
		n += len(page.Tickets)
		if page.NextCursor == "" {
			return n
		}
		f.Cursor = page.NextCursor
	}
}

func TestTicketSummary(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSummaryDesk(t, db)
		month := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		summary := func(t *testing.T, u *tandem.User) *tandem.DeskSummary {
			t.Helper()
			s, err := d.Tickets.Summary(d.as(u), tandem.DeskSummaryQuery{Since: month, Load: true})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		t.Run("Figures", func(t *testing.T) {
			tests := []struct {
				name string
				u    *tandem.User
				want tandem.DeskCounts
				sla  tandem.SLAAttainment
				orgs int
			}{
				{"ProviderTech", d.ProviderTech, tandem.DeskCounts{Open: 6, OpenInternal: 3, OpenProvider: 3, Mine: 1, Unassigned: 2, Awaiting: 1, Warning: 1, Breached: 1}, tandem.SLAAttainment{Met: 2, Breached: 2}, 1},
				{"ProviderAdmin", d.ProviderAdmin, tandem.DeskCounts{Open: 7, OpenInternal: 4, OpenProvider: 3, Unassigned: 2, Awaiting: 1, Warning: 1, Breached: 1}, tandem.SLAAttainment{Met: 2, Breached: 2}, 2},
				{"ITTech", d.ITTech, tandem.DeskCounts{Open: 6, OpenInternal: 3, OpenProvider: 3, Mine: 1, Unassigned: 2, Breached: 1}, tandem.SLAAttainment{Met: 2, Breached: 2}, 1},
				{"Viewer", d.Viewer, tandem.DeskCounts{Open: 6, OpenInternal: 3, OpenProvider: 3, Unassigned: 2, Breached: 1}, tandem.SLAAttainment{Met: 2, Breached: 2}, 1},
				// Requesters count their own open tickets, nothing of the teams'.
				{"Requester", d.Requester, tandem.DeskCounts{Open: 3, OpenInternal: 1, OpenProvider: 2}, tandem.SLAAttainment{}, 1},
				{"Requester2", d.Requester2, tandem.DeskCounts{Open: 1, OpenInternal: 1}, tandem.SLAAttainment{}, 1},
				// The outsider's it-admin sees only their own ticket.
				{"OutsiderAdmin", d.OutsiderAdmin, tandem.DeskCounts{Open: 1, OpenInternal: 1, Unassigned: 1}, tandem.SLAAttainment{}, 1},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := summary(t, tt.u)
					if s.Total != tt.want {
						t.Errorf("total = %+v, want %+v", s.Total, tt.want)
					}
					if s.SLA != tt.sla {
						t.Errorf("SLA = %+v, want %+v", s.SLA, tt.sla)
					}
					if len(s.Orgs) != tt.orgs {
						t.Errorf("%d organisations, want %d", len(s.Orgs), tt.orgs)
					}
				})
			}
		})

		// Each figure is what the list shows the same person under the
		// filter the home page links it to.
		t.Run("EachFigureIsItsList", func(t *testing.T) {
			for _, u := range []*tandem.User{d.ProviderTech, d.ProviderAdmin, d.ITAdmin, d.ITTech, d.Viewer, d.Requester, d.OutsiderAdmin} {
				ctx := d.as(u)
				a := tandem.ActorFromContext(ctx)
				s := summary(t, u)
				for _, o := range s.Orgs {
					org := o.Organization.ID
					check := func(what string, got int, f tandem.TicketFilter) {
						t.Helper()
						f.OrganizationID = org
						if want := listed(t, d.Tickets, ctx, f); got != want {
							t.Errorf("%s, %s: %s = %d, the list shows %d", u.Email, o.Organization.Slug, what, got, want)
						}
					}
					check("open", o.Open, tandem.TicketFilter{Open: true})
					check("open internal", o.OpenInternal, tandem.TicketFilter{Open: true, Party: tandem.PartyInternal})
					check("open provider", o.OpenProvider, tandem.TicketFilter{Open: true, Party: tandem.PartyProvider})
					if a.IsRequesterRole() {
						continue
					}
					check("mine", o.Mine, tandem.TicketFilter{Open: true, AssigneeID: u.ID})
					check("unassigned", o.Unassigned, tandem.TicketFilter{Open: true, Party: a.Party, Unassigned: true})
					check("awaiting", o.Awaiting, tandem.TicketFilter{AwaitingAcceptance: true, Party: a.Party})
					check("warning", o.Warning, tandem.TicketFilter{Open: true, Party: a.Party, SLAState: tandem.SLAWarning})
					check("breached", o.Breached, tandem.TicketFilter{Open: true, Party: a.Party, SLAState: tandem.SLABreached})
				}
				for _, l := range s.Load {
					if want := listed(t, d.Tickets, ctx, tandem.TicketFilter{Open: true, AssigneeID: l.UserID}); l.Open != want {
						t.Errorf("%s: load of %s = %d, the list shows %d", u.Email, l.Email, l.Open, want)
					}
				}
			}
		})

		t.Run("TeamLoad", func(t *testing.T) {
			loads := func(u *tandem.User) map[string]int {
				m := map[string]int{}
				for _, l := range summary(t, u).Load {
					m[l.Email] = l.Open
				}
				return m
			}
			// The admin's own party only, idle members included.
			if got := loads(d.ITAdmin); len(got) != 2 || got[d.ITAdmin.Email] != 0 || got[d.ITTech.Email] != 1 {
				t.Errorf("it-admin's team load = %v, want itadmin 0, ittech 1", got)
			}
			if got := loads(d.ProviderAdmin); len(got) != 2 || got[d.ProviderAdmin.Email] != 0 || got[d.ProviderTech.Email] != 1 {
				t.Errorf("provider admin's team load = %v, want admin 0, tech 1", got)
			}
			if got := loads(d.Requester); len(got) != 0 {
				t.Errorf("requester's team load = %v, want none", got)
			}
		})

		// Last month's verdicts are not this month's.
		t.Run("SincePeriod", func(t *testing.T) {
			s, err := d.Tickets.Summary(d.as(d.Viewer), tandem.DeskSummaryQuery{Since: d.Clock.Now().Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if s.SLA != (tandem.SLAAttainment{}) {
				t.Errorf("SLA since a minute from now = %+v, want none", s.SLA)
			}
			if p, ok := (tandem.SLAAttainment{Met: 2, Breached: 1}).Percent(); !ok || p != 66 {
				t.Errorf("2 met of 3 = %d%% (%v), want 66%%", p, ok)
			}
		})

		// Narrowed to one organisation: its figures only, none of another.
		t.Run("OneOrganization", func(t *testing.T) {
			all := summary(t, d.ProviderAdmin)
			for _, org := range []*tandem.Organization{d.Org, d.Outsider} {
				s, err := d.Tickets.Summary(d.as(d.ProviderAdmin), tandem.DeskSummaryQuery{OrganizationID: org.ID, Since: month})
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Orgs) != 1 || s.Orgs[0].Organization.ID != org.ID {
					t.Fatalf("narrowed to %s: organisations %+v", org.Slug, s.Orgs)
				}
				for _, o := range all.Orgs {
					if o.Organization.ID == org.ID && o.DeskCounts != s.Total {
						t.Errorf("narrowed to %s: %+v, want %+v", org.Slug, s.Total, o.DeskCounts)
					}
				}
			}
			if s, _ := d.Tickets.Summary(d.as(d.Viewer), tandem.DeskSummaryQuery{OrganizationID: d.Outsider.ID, Since: month}); len(s.Orgs) != 0 || s.SLA != (tandem.SLAAttainment{}) {
				t.Errorf("Org's viewer narrowed to the outsider: %+v", s)
			}
		})

		t.Run("NoOrganizations", func(t *testing.T) {
			lone := d.mustCreateUser(t, "lone@msp.test", nil, tandem.RoleTechnician)
			s := summary(t, lone)
			if len(s.Orgs) != 0 || s.Total != (tandem.DeskCounts{}) {
				t.Errorf("technician without organisations: %+v", s)
			}
		})

		t.Run("ErrUnauthorized", func(t *testing.T) {
			_, err := d.Tickets.Summary(t.Context(), tandem.DeskSummaryQuery{})
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}
