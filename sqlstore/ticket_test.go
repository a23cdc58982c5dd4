package sqlstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestTicketRouting(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)

		routed := func(t *testing.T, tk *tandem.Ticket) *tandem.Event {
			t.Helper()
			for _, e := range d.timeline(d.ITTech, tk.ID) {
				if e.Kind == tandem.EventRouted {
					return e
				}
			}
			t.Fatalf("ticket %d has no routed event", tk.ID)
			return nil
		}

		t.Run("ProviderArea", func(t *testing.T) {
			for _, key := range providerAreas {
				tk := d.open(d.Requester, key, "Problem with "+key)
				if tk.OwningParty != tandem.PartyProvider || tk.Unrouted {
					t.Fatalf("%s: owning party %s, unrouted %v; want the provider's queue", key, tk.OwningParty, tk.Unrouted)
				}
			}
			tk := d.open(d.Requester, "cybersecurity", "Phishing mail")
			e := routed(t, tk)
			if e.Body != "Routed to provider: Responsible for Cybersecurity protection in matrix v1." || e.Visibility != tandem.VisibilityTeams {
				t.Fatalf("routed event = %q (%s)", e.Body, e.Visibility)
			}
			// The data keeps what the page writes the sentence from: the
			// area's name as it was, the matrix version, party and reason.
			if n, ok := e.Data["matrix"].(float64); e.Data["area"] != "Cybersecurity protection" || !ok || int(n) != d.Accepted.Number ||
				e.Data["reason"] != "responsible" || e.Data["party"] != string(tandem.PartyProvider) {
				t.Errorf("routed data = %v, want the area's name, matrix v%d, reason and party", e.Data, d.Accepted.Number)
			}
		})

		t.Run("InternalArea", func(t *testing.T) {
			for _, key := range internalAreas {
				tk := d.open(d.Requester, key, "Problem with "+key)
				if tk.OwningParty != tandem.PartyInternal || tk.Unrouted {
					t.Fatalf("%s: owning party %s, unrouted %v; want the internal queue", key, tk.OwningParty, tk.Unrouted)
				}
			}
		})

		t.Run("NoAreaGoesToInternalUnrouted", func(t *testing.T) {
			tk := d.open(d.Requester, "", "Something is odd")
			if tk.OwningParty != tandem.PartyInternal || !tk.Unrouted {
				t.Fatalf("owning party %s, unrouted %v; want internal and unrouted", tk.OwningParty, tk.Unrouted)
			}
			if e := routed(t, tk); !strings.Contains(e.Body, "no service area") {
				t.Fatalf("routed event = %q, want it to say there is no area", e.Body)
			}
		})

		t.Run("AreaWithoutOwnerGoesToInternalUnrouted", func(t *testing.T) {
			// An area added after the matrix was accepted has no owner yet.
			area := &tandem.ServiceArea{OrganizationID: d.Org.ID, Name: "Printers"}
			if err := d.Matrix.CreateServiceArea(d.as(d.ITAdmin), area); err != nil {
				t.Fatal(err)
			}
			tk, err := d.Tickets.CreateTicket(d.as(d.Requester), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Paper jam", AreaID: &area.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tk.OwningParty != tandem.PartyInternal || !tk.Unrouted {
				t.Fatalf("owning party %s, unrouted %v; want internal and unrouted", tk.OwningParty, tk.Unrouted)
			}
			if e := routed(t, tk); !strings.Contains(e.Body, "names no Responsible party for Printers") {
				t.Fatalf("routed event = %q", e.Body)
			}
		})

		t.Run("NoAcceptedMatrix", func(t *testing.T) {
			areas, err := d.Matrix.FindServiceAreas(d.as(d.OutsiderAdmin), d.Outsider.ID)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := d.Tickets.CreateTicket(d.as(d.OutsiderAdmin), tandem.TicketInput{OrganizationID: d.Outsider.ID, Title: "Backup failed", AreaID: &areas[6].ID})
			if err != nil {
				t.Fatal(err)
			}
			if tk.OwningParty != tandem.PartyInternal || !tk.Unrouted {
				t.Fatalf("owning party %s, unrouted %v; want internal and unrouted", tk.OwningParty, tk.Unrouted)
			}
		})

		t.Run("AreaOfAnotherOrganization", func(t *testing.T) {
			areas, err := d.Matrix.FindServiceAreas(d.as(d.OutsiderAdmin), d.Outsider.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Tickets.CreateTicket(d.as(d.Requester), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "x", AreaID: &areas[0].ID})
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("BothResponsibleGoesToAccountable", func(t *testing.T) {
			for _, accountable := range []tandem.PartyKind{tandem.PartyInternal, tandem.PartyProvider} {
				list := seedSplit(d.Areas)
				for i := range list {
					if list[i].AreaID == d.area("cloud-infrastructure") {
						list[i] = tandem.Assignment{AreaID: list[i].AreaID, Party: list[i].Party, Responsible: true, Accountable: list[i].Party == accountable}
					}
				}
				v := d.acceptMatrix(list)
				tk := d.open(d.Requester, "cloud-infrastructure", "VM down")
				if tk.OwningParty != accountable || tk.Unrouted {
					t.Fatalf("owning party %s, unrouted %v; want the Accountable %s", tk.OwningParty, tk.Unrouted, accountable)
				}
				e := routed(t, tk)
				if !strings.Contains(e.Body, "both parties are Responsible") || e.Data["matrix"] != float64(v.Number) {
					t.Fatalf("routed event = %q %v", e.Body, e.Data)
				}
			}
		})

		t.Run("AreaChangeReroutes", func(t *testing.T) {
			d.acceptMatrix(seedSplit(d.Areas))
			tk := d.open(d.Requester, "end-user-support", "Laptop slow")
			assignee := d.ITTech.ID
			if _, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AssigneeID: &assignee}); err != nil {
				t.Fatal(err)
			}
			area := d.area("patch-management")
			got, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AreaID: &area})
			if err != nil {
				t.Fatal(err)
			}
			if got.OwningParty != tandem.PartyProvider || got.AssigneeID != nil || *got.AreaID != area {
				t.Fatalf("after the area change: party %s, assignee %v; want the provider's queue, unassigned", got.OwningParty, got.AssigneeID)
			}
			// The assignment is the first staff action: the ticket moves to open.
			want := []tandem.EventKind{tandem.EventCreated, tandem.EventRouted, tandem.EventAssigned, tandem.EventStatus, tandem.EventChanged, tandem.EventRouted, tandem.EventAssigned}
			if got := kinds(d.timeline(d.ITTech, tk.ID)); !slices.Equal(got, want) {
				t.Fatalf("timeline = %v, want %v", got, want)
			}
		})
	})
}

func TestTicketCreate(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		count := func(t *testing.T) int {
			t.Helper()
			n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM tickets`)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		t.Run("RequesterForThemselves", func(t *testing.T) {
			mark := auditMark(t, db)
			area := d.area("end-user-support")
			tk, err := d.Tickets.CreateTicket(d.as(d.Requester), tandem.TicketInput{
				OrganizationID: d.Org.ID, Title: "  Printer on floor 2 jams  ", Description: "It **jams**.", AreaID: &area,
				Tags: []string{"Printer", "floor-2", "printer"}, Watchers: []int64{d.Requester.ID},
			})
			if err != nil {
				t.Fatal(err)
			}
			if tk.RequesterID != d.Requester.ID || tk.CreatedBy != d.Requester.ID || tk.Title != "Printer on floor 2 jams" ||
				tk.Status != tandem.StatusNew || tk.Priority != 3 || tk.Impact != tandem.LevelMedium {
				t.Fatalf("created %+v", tk)
			}
			// A requester may follow their own ticket, nobody else.
			if !slices.Equal(tk.Tags, []string{"floor-2", "printer"}) || !slices.Equal(tk.Watchers, []int64{d.Requester.ID}) {
				t.Fatalf("tags %v, watchers %v", tk.Tags, tk.Watchers)
			}
			entries := wantAudit(t, db, mark, "ticket.create")
			if !strings.Contains(string(entries[0].Summary), `"owning_party":"internal"`) {
				t.Fatalf("audit summary = %s", entries[0].Summary)
			}
			_, err = d.Tickets.FindTicket(d.as(d.Requester2), tk.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			got := d.timeline(d.Requester, tk.ID)
			if !slices.Equal(kinds(got), []tandem.EventKind{tandem.EventCreated}) || got[0].ActorName != "alice" {
				t.Fatalf("requester's timeline = %v by %q, want only the creation by alice", kinds(got), got[0].ActorName)
			}
		})

		t.Run("Priority", func(t *testing.T) {
			tests := []struct {
				impact, urgency tandem.Level
				want            tandem.Priority
			}{
				{"high", "high", 1}, {"high", "low", 3}, {"low", "low", 5}, {"", "", 3}, {"medium", "high", 2},
			}
			for _, tt := range tests {
				tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "p", Impact: tt.impact, Urgency: tt.urgency})
				if err != nil {
					t.Fatal(err)
				}
				if tk.Priority != tt.want {
					t.Fatalf("impact %q × urgency %q = %d, want %d", tt.impact, tt.urgency, tk.Priority, tt.want)
				}
			}
			// An organisation's own matrix, from its SLA policy, wins.
			m := tandem.DefaultPriorityMatrix()
			m[tandem.LevelLow][tandem.LevelLow] = 4
			raw := `{"high":{"high":1,"medium":2,"low":3},"medium":{"high":2,"medium":3,"low":4},"low":{"high":3,"medium":4,"low":4}}`
			if err := sqlstore.ExecRaw(db, `INSERT INTO sla_policies (organization_id, warn_percent, targets, olas, priority_matrix, updated_at) VALUES (?, 75, '[]', '[]', ?, ?)`,
				d.Org.ID, raw, "2030-03-14T09:00:00.000000Z"); err != nil {
				t.Fatal(err)
			}
			defer sqlstore.ExecRaw(db, `DELETE FROM sla_policies WHERE organization_id = ?`, d.Org.ID)
			tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "p", Impact: "low", Urgency: "low"})
			if err != nil {
				t.Fatal(err)
			}
			if tk.Priority != m.Priority("low", "low") {
				t.Fatalf("priority with the organisation's matrix = %d, want 4", tk.Priority)
			}
			low, high := tandem.LevelHigh, tandem.LevelHigh
			got, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Impact: &low, Urgency: &high})
			if err != nil {
				t.Fatal(err)
			}
			if got.Priority != 1 {
				t.Fatalf("priority after impact and urgency change = %d, want 1", got.Priority)
			}
		})

		t.Run("StaffAddWatchers", func(t *testing.T) {
			tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Shared printer",
				RequesterID: d.Requester.ID, Watchers: []int64{d.Requester2.ID, d.ProviderTech.ID}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tk.Watchers, []int64{d.ProviderTech.ID, d.Requester2.ID}) {
				t.Fatalf("watchers %v", tk.Watchers)
			}
			// The watcher, a requester, now sees the ticket.
			if _, err := d.Tickets.FindTicket(d.as(d.Requester2), tk.ID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("OnBehalf", func(t *testing.T) {
			tk, err := d.Tickets.CreateTicket(d.as(d.ProviderTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Call from Bob", RequesterID: d.Requester2.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tk.RequesterID != d.Requester2.ID || tk.CreatedBy != d.ProviderTech.ID {
				t.Fatalf("requester %d created by %d", tk.RequesterID, tk.CreatedBy)
			}
			if _, err := d.Tickets.FindTicket(d.as(d.Requester2), tk.ID); err != nil {
				t.Fatalf("the requester cannot see the ticket opened for them: %v", err)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			eus := d.area("end-user-support")
			sec := d.area("cybersecurity")
			tests := []struct {
				name string
				as   *tandem.User
				in   tandem.TicketInput
				code string
			}{
				{"RequesterForSomeoneElse", d.Requester, tandem.TicketInput{Title: "x", RequesterID: d.Requester2.ID}, tandem.EFORBIDDEN},
				{"Viewer", d.Viewer, tandem.TicketInput{Title: "x"}, tandem.EFORBIDDEN},
				{"Outsider", d.OutsiderAdmin, tandem.TicketInput{Title: "x"}, tandem.ENOTFOUND},
				{"RequesterOfAnotherOrganization", d.ITTech, tandem.TicketInput{Title: "x", RequesterID: d.OutsiderAdmin.ID}, tandem.EINVALID},
				{"NoTitle", d.Requester, tandem.TicketInput{Title: "   "}, tandem.EINVALID},
				{"LongTitle", d.Requester, tandem.TicketInput{Title: strings.Repeat("a", 201)}, tandem.EINVALID},
				{"BadImpact", d.Requester, tandem.TicketInput{Title: "x", Impact: "severe"}, tandem.EINVALID},
				{"BadTag", d.Requester, tandem.TicketInput{Title: "x", Tags: []string{"no spaces"}}, tandem.EINVALID},
				{"AssigneeOfOtherParty", d.ITTech, tandem.TicketInput{Title: "x", AreaID: &eus, AssigneeID: &d.ProviderTech.ID}, tandem.EINVALID},
				{"AssigneeRequester", d.ITTech, tandem.TicketInput{Title: "x", AreaID: &eus, AssigneeID: &d.Requester.ID}, tandem.EINVALID},
				{"AssigneeInternalOnProviderTicket", d.ITTech, tandem.TicketInput{Title: "x", AreaID: &sec, AssigneeID: &d.ITTech.ID}, tandem.EINVALID},
				{"WatcherOutsider", d.ITTech, tandem.TicketInput{Title: "x", Watchers: []int64{d.OutsiderAdmin.ID}}, tandem.EINVALID},
				// A requester neither assigns nor shares their ticket.
				{"RequesterAssigns", d.Requester, tandem.TicketInput{Title: "x", AreaID: &eus, AssigneeID: &d.ITTech.ID}, tandem.EFORBIDDEN},
				{"RequesterAddsRequesterWatcher", d.Requester, tandem.TicketInput{Title: "x", Watchers: []int64{d.Requester2.ID}}, tandem.EFORBIDDEN},
				{"RequesterAddsStaffWatcher", d.Requester, tandem.TicketInput{Title: "x", Watchers: []int64{d.ProviderTech.ID}}, tandem.EFORBIDDEN},
				{"RequesterAddsSelfAndAnother", d.Requester, tandem.TicketInput{Title: "x", Watchers: []int64{d.Requester.ID, d.Requester2.ID}}, tandem.EFORBIDDEN},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before, mark := count(t), auditMark(t, db)
					tt.in.OrganizationID = d.Org.ID
					_, err := d.Tickets.CreateTicket(d.as(tt.as), tt.in)
					wantCode(t, err, tt.code)
					if count(t) != before {
						t.Fatal("a refused ticket was stored")
					}
					wantAudit(t, db, mark)
				})
			}
		})

		t.Run("Assignee", func(t *testing.T) {
			sec := d.area("cybersecurity")
			tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Malware", AreaID: &sec, AssigneeID: &d.ProviderTech.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tk.AssigneeID == nil || *tk.AssigneeID != d.ProviderTech.ID {
				t.Fatalf("assignee = %v", tk.AssigneeID)
			}
			// A provider technician who is not assigned to the organisation cannot take it.
			other := d.mustCreateUser(t, "other@msp.test", nil, tandem.RoleTechnician)
			_, err = d.Tickets.UpdateTicket(d.as(d.ProviderAdmin), tk.ID, tandem.TicketUpdate{AssigneeID: &other.ID})
			wantCode(t, err, tandem.EINVALID)
			// A provider admin can.
			got, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AssigneeID: &d.ProviderAdmin.ID})
			if err != nil {
				t.Fatal(err)
			}
			if *got.AssigneeID != d.ProviderAdmin.ID {
				t.Fatalf("assignee = %d", *got.AssigneeID)
			}
			zero := int64(0)
			if got, err = d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AssigneeID: &zero}); err != nil || got.AssigneeID != nil {
				t.Fatalf("unassign: %v, assignee %v", err, got.AssigneeID)
			}
		})
	})
}

func TestTicketStatus(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)

		t.Run("InvalidMoveChangesNothing", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Mouse broken")
			mark, events := auditMark(t, db), len(d.timeline(d.ITTech, tk.ID))
			for _, st := range []tandem.TicketStatus{tandem.StatusClosed, "", "done"} {
				title := "Changed as well"
				_, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Status: &st, Title: &title})
				wantCode(t, err, tandem.EINVALID)
			}
			got := d.ticket(tk.ID)
			if got.Status != tandem.StatusNew || got.Title != "Mouse broken" {
				t.Fatalf("after refused moves: %s %q", got.Status, got.Title)
			}
			wantAudit(t, db, mark)
			if n := len(d.timeline(d.ITTech, tk.ID)); n != events {
				t.Fatalf("timeline grew from %d to %d entries", events, n)
			}
		})

		t.Run("Workflow", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Screen flickers")
			mark := auditMark(t, db)
			// Moving a ticket to open tells the requester nothing: neither
			// party's move is the first response (unless the policy marks
			// status changes; see TestTicketResponseRule).
			d.Clock.Advance(time.Minute)
			got := d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
			if got.FirstResponseAt != nil {
				t.Fatal("the non-owning party's move counted as the first response")
			}
			tk2 := d.open(d.Requester, "end-user-support", "Keyboard")
			got = d.setStatus(d.ITTech, tk2.ID, tandem.StatusOpen)
			if got.FirstResponseAt != nil {
				t.Fatal("the owning party's move counted as the first response")
			}
			d.Clock.Advance(time.Hour)
			got = d.setStatus(d.ITTech, tk.ID, tandem.StatusResolved)
			if got.ResolvedAt == nil || !got.ResolvedAt.Equal(d.Clock.Now()) || got.ClosedAt != nil {
				t.Fatalf("resolved: %v %v", got.ResolvedAt, got.ClosedAt)
			}
			// The requester reopens their own resolved ticket.
			got = d.setStatus(d.Requester, tk.ID, tandem.StatusOpen)
			if got.ResolvedAt != nil || got.Status != tandem.StatusOpen {
				t.Fatalf("reopened: %s %v", got.Status, got.ResolvedAt)
			}
			d.setStatus(d.ITTech, tk.ID, tandem.StatusResolved)
			got = d.setStatus(d.Requester, tk.ID, tandem.StatusClosed)
			if got.ClosedAt == nil || got.ResolvedAt == nil {
				t.Fatalf("closed: %v %v", got.ResolvedAt, got.ClosedAt)
			}
			// Staff reopen a closed ticket; the requester may not.
			st := tandem.StatusOpen
			_, err := d.Tickets.UpdateTicket(d.as(d.Requester), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.EFORBIDDEN)
			got = d.setStatus(d.ITTech, tk.ID, tandem.StatusOpen)
			if got.ClosedAt != nil || got.ResolvedAt != nil {
				t.Fatalf("reopened from closed: %v %v", got.ResolvedAt, got.ClosedAt)
			}
			entries := wantAudit(t, db, mark, "ticket.update", "ticket.create", "ticket.update", "ticket.update", "ticket.update", "ticket.update", "ticket.update", "ticket.update")
			if !strings.Contains(string(entries[len(entries)-1].Summary), `"status":"open"`) {
				t.Fatalf("audit summary = %s", entries[len(entries)-1].Summary)
			}
			var statuses []string
			for _, e := range d.timeline(d.Requester, tk.ID) {
				if e.Kind == tandem.EventStatus {
					statuses = append(statuses, e.Body)
				}
			}
			want := []string{"Moved the ticket from new to open.", "Moved the ticket from open to resolved.", "Reopened the ticket.",
				"Moved the ticket from open to resolved.", "Moved the ticket from resolved to closed.", "Reopened the ticket."}
			if !slices.Equal(statuses, want) {
				t.Fatalf("status entries the requester sees = %q, want %q", statuses, want)
			}
		})

		t.Run("RequesterLimits", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "VPN")
			title := "My title"
			_, err := d.Tickets.UpdateTicket(d.as(d.Requester), tk.ID, tandem.TicketUpdate{Title: &title})
			wantCode(t, err, tandem.EFORBIDDEN)
			st := tandem.StatusResolved
			_, err = d.Tickets.UpdateTicket(d.as(d.Requester), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.UpdateTicket(d.as(d.Requester2), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = d.Tickets.UpdateTicket(d.as(d.Viewer), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.UpdateTicket(d.as(d.OutsiderAdmin), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.ENOTFOUND)
			// A read-only token of a technician changes nothing either.
			ro := actorOf(d.ITTech)
			ro.ReadOnly = true
			_, err = d.Tickets.UpdateTicket(asActor(t, ro), tk.ID, tandem.TicketUpdate{Status: &st})
			wantCode(t, err, tandem.EFORBIDDEN)
			if got := d.ticket(tk.ID); got.Status != tandem.StatusNew || got.Title != "VPN" {
				t.Fatalf("ticket changed: %s %q", got.Status, got.Title)
			}
		})

		t.Run("FieldsAndAudit", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Old title")
			mark := auditMark(t, db)
			title, desc := "New title", "A much longer secret-ish description"
			got, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Title: &title, Description: &desc, Tags: []string{"VIP"}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != title || got.Description != desc || !slices.Equal(got.Tags, []string{"vip"}) {
				t.Fatalf("updated %+v", got)
			}
			entries := wantAudit(t, db, mark, "ticket.update")
			if s := string(entries[0].Summary); strings.Contains(s, desc) || !strings.Contains(s, "description changed") {
				t.Fatalf("audit summary = %s; want the description named, not copied", s)
			}
			// The requester sees the title and description changes, not the tags.
			got2 := d.timeline(d.Requester, tk.ID)
			if want := []tandem.EventKind{tandem.EventCreated, tandem.EventChanged, tandem.EventChanged}; !slices.Equal(kinds(got2), want) {
				t.Fatalf("requester's timeline = %v, want %v", kinds(got2), want)
			}
			if n := len(d.timeline(d.ITTech, tk.ID)); n != 5 {
				t.Fatalf("technician's timeline has %d entries, want 5", n)
			}
			// Nothing to change: no audit entry.
			mark = auditMark(t, db)
			if _, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Title: &title}); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark)
		})
	})
}

func TestTicketPauses(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.Requester, "end-user-support", "Needs a new cable")
		d.setStatus(d.ITTech, tk.ID, tandem.StatusOpen)

		d.Clock.Advance(time.Hour)
		pauseStart := d.Clock.Now()
		d.setStatus(d.ITTech, tk.ID, tandem.StatusPendingCustomer)
		d.Clock.Advance(time.Minute)
		// Between stopped statuses the one pause goes on.
		got := d.setStatus(d.ITTech, tk.ID, tandem.StatusPendingThirdParty)
		if len(got.Pauses) != 1 || !got.Pauses[0].Start.Equal(pauseStart) || got.Pauses[0].End != nil {
			t.Fatalf("pauses = %+v, want one open since %v", got.Pauses, pauseStart)
		}
		// Reassignment and a handoff leave it alone.
		d.Clock.Advance(time.Minute)
		got, err := d.Tickets.UpdateTicket(d.as(d.ITAdmin), tk.ID, tandem.TicketUpdate{AssigneeID: &d.ITAdmin.ID})
		if err != nil {
			t.Fatal(err)
		}
		h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "The vendor ships through the provider")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		got = d.ticket(tk.ID)
		if got.OwningParty != tandem.PartyProvider || len(got.Pauses) != 1 || got.Pauses[0].End != nil || got.Status != tandem.StatusPendingThirdParty {
			t.Fatalf("after reassignment and handoff: %s %s, pauses %+v", got.OwningParty, got.Status, got.Pauses)
		}
		d.Clock.Advance(2 * time.Hour)
		pauseEnd := d.Clock.Now()
		got = d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
		if len(got.Pauses) != 1 || got.Pauses[0].End == nil || !got.Pauses[0].End.Equal(pauseEnd) {
			t.Fatalf("pauses = %+v, want one closed at %v", got.Pauses, pauseEnd)
		}
		// Resolved and closed are one more pause; reopening ends it and keeps both.
		d.Clock.Advance(time.Hour)
		second := d.Clock.Now()
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusResolved)
		d.Clock.Advance(time.Hour)
		d.setStatus(d.Requester, tk.ID, tandem.StatusClosed)
		d.Clock.Advance(time.Hour)
		got = d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
		if len(got.Pauses) != 2 || !got.Pauses[0].Start.Equal(pauseStart) || !got.Pauses[1].Start.Equal(second) ||
			got.Pauses[1].End == nil || !got.Pauses[1].End.Equal(d.Clock.Now()) {
			t.Fatalf("pauses = %+v", got.Pauses)
		}
		// Stopping and resuming within one instant leaves one pause, not an error.
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusPendingCustomer)
		d.setStatus(d.ProviderTech, tk.ID, tandem.StatusOpen)
		got = d.setStatus(d.ProviderTech, tk.ID, tandem.StatusPendingCustomer)
		if len(got.Pauses) != 3 || got.Pauses[2].End != nil {
			t.Fatalf("pauses = %+v, want a third, open", got.Pauses)
		}
	})
}

func TestTicketVisibility(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.Requester, "end-user-support", "Outlook crashes")
		comment := func(u *tandem.User, v tandem.Visibility, body string) {
			t.Helper()
			if _, err := d.Tickets.AddComment(d.as(u), tk.ID, tandem.CommentInput{Body: body, Visibility: v}); err != nil {
				t.Fatalf("comment %s as %s: %v", v, u.Email, err)
			}
		}
		comment(d.ITTech, tandem.VisibilityPublic, "internal public")
		comment(d.ITTech, tandem.VisibilityTeams, "internal teams")
		comment(d.ITTech, tandem.VisibilityParty, "internal party")
		comment(d.ProviderTech, tandem.VisibilityPublic, "provider public")
		comment(d.ProviderTech, tandem.VisibilityTeams, "provider teams")
		comment(d.ProviderTech, tandem.VisibilityParty, "provider party")
		comment(d.Requester, "", "requester reply")

		bodies := func(u *tandem.User) []string {
			var out []string
			for _, e := range d.timeline(u, tk.ID) {
				if e.Kind == tandem.EventComment {
					out = append(out, e.Body)
				}
			}
			return out
		}
		all := []string{"internal public", "internal teams", "internal party", "provider public", "provider teams", "provider party", "requester reply"}
		tests := []struct {
			name string
			user *tandem.User
			want []string
		}{
			{"Requester", d.Requester, []string{"internal public", "provider public", "requester reply"}},
			{"InternalTech", d.ITTech, []string{"internal public", "internal teams", "internal party", "provider public", "provider teams", "requester reply"}},
			{"InternalAdmin", d.ITAdmin, []string{"internal public", "internal teams", "internal party", "provider public", "provider teams", "requester reply"}},
			{"Viewer", d.Viewer, []string{"internal public", "internal teams", "internal party", "provider public", "provider teams", "requester reply"}},
			{"ProviderTech", d.ProviderTech, []string{"internal public", "internal teams", "provider public", "provider teams", "provider party", "requester reply"}},
			{"ProviderAdmin", d.ProviderAdmin, []string{"internal public", "internal teams", "provider public", "provider teams", "provider party", "requester reply"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := bodies(tt.user); !slices.Equal(got, tt.want) {
					t.Fatalf("sees %q, want %q", got, tt.want)
				}
			})
		}
		t.Run("System", func(t *testing.T) {
			list, err := d.Tickets.Timeline(systemCtx(t), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list {
				if e.Kind == tandem.EventComment {
					got = append(got, e.Body)
				}
			}
			if !slices.Equal(got, all) {
				t.Fatalf("system sees %q", got)
			}
		})

		t.Run("OtherRequesterAndOutsiderSeeNothing", func(t *testing.T) {
			for _, u := range []*tandem.User{d.Requester2, d.OutsiderAdmin} {
				_, err := d.Tickets.FindTicket(d.as(u), tk.ID)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = d.Tickets.Timeline(d.as(u), tk.ID)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = d.Tickets.AddComment(d.as(u), tk.ID, tandem.CommentInput{Body: "hi"})
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = d.Tickets.Handoffs(d.as(u), tk.ID)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = d.Tickets.TimeEntries(d.as(u), tk.ID)
				wantCode(t, err, tandem.ENOTFOUND)
			}
			// A provider technician not assigned to the organisation neither.
			other := d.mustCreateUser(t, "unassigned@msp.test", nil, tandem.RoleTechnician)
			_, err := d.Tickets.FindTicket(d.as(other), tk.ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("RequesterCannotPostForTheTeams", func(t *testing.T) {
			mark := auditMark(t, db)
			for _, v := range []tandem.Visibility{tandem.VisibilityTeams, tandem.VisibilityParty} {
				_, err := d.Tickets.AddComment(d.as(d.Requester), tk.ID, tandem.CommentInput{Body: "psst", Visibility: v})
				wantCode(t, err, tandem.EFORBIDDEN)
			}
			_, err := d.Tickets.AddComment(d.as(d.Viewer), tk.ID, tandem.CommentInput{Body: "looking"})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "  "})
			wantCode(t, err, tandem.EINVALID)
			_, err = d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "x", Visibility: "secret"})
			wantCode(t, err, tandem.EINVALID)
			wantAudit(t, db, mark)
			if got := bodies(d.ITTech); len(got) != 6 {
				t.Fatalf("refused comments were stored: %q", got)
			}
		})

		t.Run("CommentAudit", func(t *testing.T) {
			mark := auditMark(t, db)
			comment(d.ProviderTech, tandem.VisibilityParty, "the admin password is hunter2")
			entries := wantAudit(t, db, mark, "ticket.comment")
			if s := string(entries[0].Summary); strings.Contains(s, "hunter2") || !strings.Contains(s, `"visibility":"party"`) {
				t.Fatalf("audit summary = %s", s)
			}
		})
	})
}

// TestTicketCanSeeMatchesSQL keeps tandem.Actor.CanSee and the SQL of
// visibilityScope equal: for every role of both parties, every visibility
// and every author party (including the system's entries), Timeline shows
// exactly the entries CanSee allows.
func TestTicketCanSeeMatchesSQL(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		providerViewer := d.mustCreateUser(t, "pviewer@msp.test", nil, tandem.RoleViewer)
		ids := []int64{d.Org.ID}
		if _, err := d.Users.UpdateUser(d.as(d.ProviderAdmin), providerViewer.ID, tandem.UserUpdate{Organizations: &ids}); err != nil {
			t.Fatal(err)
		}
		tk := d.open(d.Requester, "cybersecurity", "Suspicious login")
		type key struct {
			v      tandem.Visibility
			author tandem.PartyKind
		}
		written := map[int64]key{}
		authors := map[tandem.PartyKind]func() *tandem.Actor{
			tandem.PartyInternal: func() *tandem.Actor { return actorOf(d.ITTech) },
			tandem.PartyProvider: func() *tandem.Actor { return actorOf(d.ProviderTech) },
			"":                   func() *tandem.Actor { return tandem.SystemActor },
		}
		for author, actor := range authors {
			for _, v := range []tandem.Visibility{tandem.VisibilityPublic, tandem.VisibilityTeams, tandem.VisibilityParty} {
				e, err := d.Tickets.AddComment(asActor(t, actor()), tk.ID, tandem.CommentInput{Body: string(v) + " by " + string(author), Visibility: v})
				if err != nil {
					t.Fatal(err)
				}
				if e.Party != author {
					t.Fatalf("comment by %q stored as party %q", author, e.Party)
				}
				written[e.ID] = key{v, author}
			}
		}
		readers := []*tandem.Actor{tandem.SystemActor}
		for _, u := range []*tandem.User{d.ProviderAdmin, d.ProviderTech, providerViewer, d.ITAdmin, d.ITTech, d.Viewer, d.Requester} {
			readers = append(readers, actorOf(u))
		}
		for _, r := range readers {
			list, err := d.Tickets.Timeline(asActor(t, r), tk.ID)
			if err != nil {
				t.Fatalf("%s %s: %v", r.Party, r.Role, err)
			}
			seen := map[int64]bool{}
			for _, e := range list {
				seen[e.ID] = true
			}
			for id, k := range written {
				if want := r.CanSee(k.v, k.author); seen[id] != want {
					t.Errorf("%s %s (system %v) sees a %s entry by %q: SQL says %v, CanSee says %v", r.Party, r.Role, r.System, k.v, k.author, seen[id], want)
				}
			}
		}
	})
}

func TestTicketRequesterReplyReopens(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.Requester, "end-user-support", "Cannot print")
		pending := tandem.StatusPendingCustomer
		d.Clock.Advance(time.Minute)
		if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "Which printer?", Status: &pending}); err != nil {
			t.Fatal(err)
		}
		got := d.ticket(tk.ID)
		if got.Status != tandem.StatusPendingCustomer || got.FirstResponseAt == nil || len(got.Pauses) != 1 {
			t.Fatalf("after the technician's question: %s, first response %v, pauses %v", got.Status, got.FirstResponseAt, got.Pauses)
		}
		d.Clock.Advance(time.Hour)
		mark := auditMark(t, db)
		if _, err := d.Tickets.AddComment(d.as(d.Requester), tk.ID, tandem.CommentInput{Body: "The one on floor 2"}); err != nil {
			t.Fatal(err)
		}
		got = d.ticket(tk.ID)
		if got.Status != tandem.StatusOpen || got.Pauses[0].End == nil || !got.Pauses[0].End.Equal(d.Clock.Now()) {
			t.Fatalf("after the reply: %s, pauses %+v", got.Status, got.Pauses)
		}
		wantAudit(t, db, mark, "ticket.comment")
		list := d.timeline(d.Requester, tk.ID)
		if last := list[len(list)-1]; last.Kind != tandem.EventStatus || last.Visibility != tandem.VisibilityPublic {
			t.Fatalf("last entry = %s %s, want the public status change", last.Kind, last.Visibility)
		}
		// A teams comment by the owning party is not the first response;
		// the other party's public reply is.
		tk2 := d.open(d.Requester, "end-user-support", "Another")
		if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk2.ID, tandem.CommentInput{Body: "note", Visibility: tandem.VisibilityTeams}); err != nil {
			t.Fatal(err)
		}
		if got := d.ticket(tk2.ID); got.FirstResponseAt != nil {
			t.Fatal("a teams note counted as the first response")
		}
		d.Clock.Advance(time.Minute)
		if _, err := d.Tickets.AddComment(d.as(d.ProviderTech), tk2.ID, tandem.CommentInput{Body: "hello"}); err != nil {
			t.Fatal(err)
		}
		if got := d.ticket(tk2.ID); got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(d.Clock.Now()) {
			t.Fatalf("first response %v, want the other party's reply now", got.FirstResponseAt)
		}
	})
}

func TestTicketWatchers(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.Requester, "end-user-support", "Share access")

		mark := auditMark(t, db)
		for _, u := range []*tandem.User{d.Requester2, d.ProviderTech, d.Requester2} {
			if err := d.Tickets.AddWatcher(d.as(d.ITTech), tk.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		wantAudit(t, db, mark, "ticket.watcher.add", "ticket.watcher.add")
		if got := d.ticket(tk.ID).Watchers; !slices.Equal(got, []int64{d.ProviderTech.ID, d.Requester2.ID}) {
			t.Fatalf("watchers = %v", got)
		}
		// The watching requester now sees the ticket, but not the teams' entries.
		if list := d.timeline(d.Requester2, tk.ID); !slices.Equal(kinds(list), []tandem.EventKind{tandem.EventCreated}) {
			t.Fatalf("watcher's timeline = %v", kinds(list))
		}

		wantCode(t, d.Tickets.AddWatcher(d.as(d.ITTech), tk.ID, d.OutsiderAdmin.ID), tandem.EINVALID)
		wantCode(t, d.Tickets.AddWatcher(d.as(d.Requester), tk.ID, d.Viewer.ID), tandem.EFORBIDDEN)
		wantCode(t, d.Tickets.AddWatcher(d.as(d.Viewer), tk.ID, d.Viewer.ID), tandem.EFORBIDDEN)
		wantCode(t, d.Tickets.AddWatcher(d.as(d.OutsiderAdmin), tk.ID, d.OutsiderAdmin.ID), tandem.ENOTFOUND)
		// Someone else is removed by staff only; anyone may stop watching.
		wantCode(t, d.Tickets.RemoveWatcher(d.as(d.Requester2), tk.ID, d.ProviderTech.ID), tandem.EFORBIDDEN)
		mark = auditMark(t, db)
		if err := d.Tickets.RemoveWatcher(d.as(d.Requester2), tk.ID, d.Requester2.ID); err != nil {
			t.Fatal(err)
		}
		_, err := d.Tickets.FindTicket(d.as(d.Requester2), tk.ID)
		wantCode(t, err, tandem.ENOTFOUND)
		if err := d.Tickets.RemoveWatcher(d.as(d.ITAdmin), tk.ID, d.ProviderTech.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.Tickets.RemoveWatcher(d.as(d.ITAdmin), tk.ID, d.ProviderTech.ID); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, "ticket.watcher.remove", "ticket.watcher.remove")
		if got := d.ticket(tk.ID).Watchers; len(got) != 0 {
			t.Fatalf("watchers = %v", got)
		}
		var watcherEntries int
		for _, e := range d.timeline(d.ITTech, tk.ID) {
			if e.Kind == tandem.EventWatcher {
				watcherEntries++
			}
		}
		if watcherEntries != 4 {
			t.Fatalf("%d watcher entries, want 4 (two added, two removed)", watcherEntries)
		}
	})
}

func TestTicketTime(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.Requester, "cybersecurity", "Audit the firewall")

		mark := auditMark(t, db)
		own := &tandem.TimeEntry{Minutes: 45, Billable: true, Note: " Reviewed rules "}
		if err := d.Tickets.AddTimeEntry(d.as(d.ProviderTech), tk.ID, own); err != nil {
			t.Fatal(err)
		}
		if own.UserID != d.ProviderTech.ID || own.Party != tandem.PartyProvider || own.SpentOn != "2030-03-14" || own.Note != "Reviewed rules" {
			t.Fatalf("entry = %+v", own)
		}
		// An admin logs time for a technician of their party.
		forTech := &tandem.TimeEntry{UserID: d.ITTech.ID, Minutes: 30, SpentOn: "2030-03-13"}
		if err := d.Tickets.AddTimeEntry(d.as(d.ITAdmin), tk.ID, forTech); err != nil {
			t.Fatal(err)
		}
		if forTech.Party != tandem.PartyInternal {
			t.Fatalf("entry = %+v", forTech)
		}
		wantAudit(t, db, mark, "ticket.time.add", "ticket.time.add")

		tests := []struct {
			name string
			as   *tandem.User
			e    tandem.TimeEntry
			code string
		}{
			{"TechnicianForSomeoneElse", d.ITTech, tandem.TimeEntry{UserID: d.ITAdmin.ID, Minutes: 5}, tandem.EFORBIDDEN},
			{"AdminForOtherParty", d.ITAdmin, tandem.TimeEntry{UserID: d.ProviderTech.ID, Minutes: 5}, tandem.EINVALID},
			{"AdminForRequester", d.ITAdmin, tandem.TimeEntry{UserID: d.Requester.ID, Minutes: 5}, tandem.EINVALID},
			{"Requester", d.Requester, tandem.TimeEntry{Minutes: 5}, tandem.EFORBIDDEN},
			{"Viewer", d.Viewer, tandem.TimeEntry{Minutes: 5}, tandem.EFORBIDDEN},
			{"Outsider", d.OutsiderAdmin, tandem.TimeEntry{Minutes: 5}, tandem.ENOTFOUND},
			{"ZeroMinutes", d.ITTech, tandem.TimeEntry{Minutes: 0}, tandem.EINVALID},
			{"TooLong", d.ITTech, tandem.TimeEntry{Minutes: 1441}, tandem.EINVALID},
			{"BadDate", d.ITTech, tandem.TimeEntry{Minutes: 5, SpentOn: "14.03.2030"}, tandem.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mark := auditMark(t, db)
				wantCode(t, d.Tickets.AddTimeEntry(d.as(tt.as), tk.ID, &tt.e), tt.code)
				wantAudit(t, db, mark)
			})
		}

		list, err := d.Tickets.TimeEntries(d.as(d.ITTech), tk.ID)
		if err != nil || len(list) != 2 || list[0].ID != own.ID || list[1].Minutes != 30 {
			t.Fatalf("entries = %+v, %v", list, err)
		}
		// Requesters get an empty list, not an error.
		if list, err := d.Tickets.TimeEntries(d.as(d.Requester), tk.ID); err != nil || len(list) != 0 {
			t.Fatalf("requester's entries = %+v, %v", list, err)
		}
		var bodies []string
		for _, e := range d.timeline(d.ITTech, tk.ID) {
			if e.Kind == tandem.EventTime {
				bodies = append(bodies, e.Body)
			}
		}
		if want := []string{"45 min, billable: Reviewed rules", "30 min for ittech"}; !slices.Equal(bodies, want) {
			t.Fatalf("time entries on the timeline = %q, want %q", bodies, want)
		}
	})
}

// BenchmarkTicketCreate measures CreateTicket in storage alone (routing,
// priority, timeline, audit and SLA clocks in one transaction), on SQLite.
//
//	go test ./sqlstore -run '^$' -bench TicketCreate
func BenchmarkTicketCreate(b *testing.B) {
	d := newDesk(b, testdb.MustOpenSQLite(b))
	area := d.area("cybersecurity")
	ctx := d.as(d.Requester)
	in := tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Phishing mail", Description: "Looks like the bank.", AreaID: &area, Tags: []string{"security"}}
	for b.Loop() {
		if _, err := d.Tickets.CreateTicket(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}

// A clock past its due instant reads "breached" at once, before the timer
// worker has run and stored it; the breach itself is still recorded once,
// by the worker.
func TestTicketSLAStateIsLive(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		tk := d.open(d.ITTech, "end-user-support", "Monitor flickers")
		if got := d.ticket(tk.ID); got.SLAState != tandem.SLAOK {
			t.Fatalf("new ticket: SLA state %s, want ok", got.SLAState)
		}
		d.Clock.Advance(7 * 24 * time.Hour) // past every default target of a medium ticket
		got, err := d.Tickets.FindTicket(d.as(d.ITTech), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SLAState != tandem.SLABreached {
			t.Errorf("overdue ticket before the worker ran: SLA state %s, want breached", got.SLAState)
		}
		page, err := d.Tickets.FindTickets(d.as(d.ITTech), tandem.TicketFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, lt := range page.Tickets {
			if lt.ID == tk.ID && lt.SLAState != tandem.SLABreached {
				t.Errorf("overdue ticket in the list: SLA state %s, want breached", lt.SLAState)
			}
		}
	})
}
