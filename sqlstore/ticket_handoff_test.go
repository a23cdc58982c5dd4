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

func TestTicketHandoff(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)

		t.Run("EscalateAndAccept", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Server room too hot")
			d.setStatus(d.ITTech, tk.ID, tandem.StatusOpen)
			mark := auditMark(t, db)
			h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "  Needs the provider's HVAC contract  ")
			if err != nil {
				t.Fatal(err)
			}
			if h.FromParty != tandem.PartyInternal || h.ToParty != tandem.PartyProvider || h.Status != tandem.HandoffPending || h.Reason != "Needs the provider's HVAC contract" {
				t.Fatalf("handoff = %+v", h)
			}
			got := d.ticket(tk.ID)
			if got.OwningParty != tandem.PartyInternal || got.PendingHandoff == nil || got.PendingHandoff.ID != h.ID {
				t.Fatalf("while pending: owner %s, pending %+v; want it still internal, waiting", got.OwningParty, got.PendingHandoff)
			}
			// The requester sees neither the handoff nor its reason.
			if r, err := d.Tickets.FindTicket(d.as(d.Requester), tk.ID); err != nil || r.PendingHandoff != nil {
				t.Fatalf("requester's view: %v, pending %+v", err, r.PendingHandoff)
			}
			if list, err := d.Tickets.Handoffs(d.as(d.Requester), tk.ID); err != nil || len(list) != 0 {
				t.Fatalf("requester's handoffs: %v %v", list, err)
			}
			// A second handoff waits for the first.
			_, err = d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "again")
			wantCode(t, err, tandem.ECONFLICT)
			// The sending party cannot answer its own handoff.
			_, err = d.Tickets.AnswerHandoff(d.as(d.ITAdmin), tk.ID, h.ID, true, "")
			wantCode(t, err, tandem.EFORBIDDEN)
			// Changing the area or resolving is refused while it waits.
			area := d.area("cybersecurity")
			_, err = d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AreaID: &area})
			wantCode(t, err, tandem.ECONFLICT)
			resolved := tandem.StatusResolved
			_, err = d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{Status: &resolved})
			wantCode(t, err, tandem.ECONFLICT)

			h, err = d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID, true, "")
			if err != nil {
				t.Fatal(err)
			}
			if h.Status != tandem.HandoffAccepted || h.AnsweredBy == nil || *h.AnsweredBy != d.ProviderTech.ID {
				t.Fatalf("answered %+v", h)
			}
			got = d.ticket(tk.ID)
			if got.OwningParty != tandem.PartyProvider || got.AssigneeID == nil || *got.AssigneeID != d.ProviderTech.ID || got.PendingHandoff != nil {
				t.Fatalf("after acceptance: owner %s, assignee %v, pending %v", got.OwningParty, got.AssigneeID, got.PendingHandoff)
			}
			wantAudit(t, db, mark, "ticket.handoff.request", "ticket.handoff.answer")
			// Answered once only.
			_, err = d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID, false, "changed my mind")
			wantCode(t, err, tandem.ECONFLICT)
			_, err = d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID+1000, true, "")
			wantCode(t, err, tandem.ENOTFOUND)

			var got2 []tandem.EventKind
			for _, e := range d.timeline(d.ITTech, tk.ID) {
				if strings.HasPrefix(string(e.Kind), "handoff") {
					got2 = append(got2, e.Kind)
					if e.Visibility != tandem.VisibilityTeams {
						t.Fatalf("%s entry is %s, want teams", e.Kind, e.Visibility)
					}
				}
			}
			if want := []tandem.EventKind{tandem.EventHandoffRequested, tandem.EventHandoffAccepted}; !slices.Equal(got2, want) {
				t.Fatalf("handoff entries = %v, want %v", got2, want)
			}
			// A later area change no longer re-routes: a handoff decided the owner.
			if got, err = d.Tickets.UpdateTicket(d.as(d.ProviderTech), tk.ID, tandem.TicketUpdate{AreaID: &area}); err != nil {
				t.Fatal(err)
			}
			if got.OwningParty != tandem.PartyProvider || got.AssigneeID == nil {
				t.Fatalf("after an area change: %s, assignee %v", got.OwningParty, got.AssigneeID)
			}

			// Now the provider owns it and may hand it back.
			_, err = d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "take it")
			wantCode(t, err, tandem.EFORBIDDEN)
			back, err := d.Tickets.RequestHandoff(d.as(d.ProviderTech), tk.ID, "On-site work needed")
			if err != nil {
				t.Fatal(err)
			}
			if back.ToParty != tandem.PartyInternal {
				t.Fatalf("hand back goes to %s", back.ToParty)
			}
			list, err := d.Tickets.Handoffs(d.as(d.ITTech), tk.ID)
			if err != nil || len(list) != 2 || list[0].ID != h.ID || list[1].ID != back.ID {
				t.Fatalf("handoffs = %+v, %v", list, err)
			}
		})

		// Accepting a handoff is the receiving party's OLA, not an answer to
		// the requester: it opens the ticket but is not its first response.
		t.Run("AcceptanceOpensButIsNoResponse", func(t *testing.T) {
			tk := d.open(d.Requester, "hardware-deployment", "New starter laptop")
			h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "Provider images laptops")
			if err != nil {
				t.Fatal(err)
			}
			if got := d.ticket(tk.ID); got.FirstResponseAt != nil || got.Status != tandem.StatusNew {
				t.Fatalf("after the request: %s, first response %v; want new, none", got.Status, got.FirstResponseAt)
			}
			mark := auditMark(t, db)
			if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderAdmin), tk.ID, h.ID, true, ""); err != nil {
				t.Fatal(err)
			}
			got := d.ticket(tk.ID)
			if got.FirstResponseAt != nil || *got.AssigneeID != d.ProviderAdmin.ID || got.Status != tandem.StatusOpen {
				t.Fatalf("after acceptance: %s, first response %v, assignee %v; want open, none, the admin", got.Status, got.FirstResponseAt, got.AssigneeID)
			}
			entries := wantAudit(t, db, mark, "ticket.handoff.answer")
			if sum := string(entries[0].Summary); !strings.Contains(sum, `"status":"accepted"`) || !strings.Contains(sum, `"ticket":{"status":"open","status_automatic":true}`) {
				t.Fatalf("audit summary %s", entries[0].Summary)
			}
			list := d.timeline(d.ITTech, tk.ID)
			if last := list[len(list)-1]; last.Kind != tandem.EventStatus || last.Data["automatic"] != true || last.ActorID == nil || *last.ActorID != d.ProviderAdmin.ID {
				t.Fatalf("last entry %+v, want the automatic move to open by the admin", last)
			}
		})

		t.Run("Decline", func(t *testing.T) {
			tk := d.open(d.Requester, "cybersecurity", "Firewall rule for the ERP")
			if tk.OwningParty != tandem.PartyProvider {
				t.Fatalf("owner %s", tk.OwningParty)
			}
			h, err := d.Tickets.RequestHandoff(d.as(d.ProviderTech), tk.ID, "The ERP is yours")
			if err != nil {
				t.Fatal(err)
			}
			mark := auditMark(t, db)
			_, err = d.Tickets.AnswerHandoff(d.as(d.ITTech), tk.ID, h.ID, false, "   ")
			wantCode(t, err, tandem.EINVALID)
			// Requesters, viewers and the outsider cannot answer either.
			_, err = d.Tickets.AnswerHandoff(d.as(d.Requester), tk.ID, h.ID, true, "")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.AnswerHandoff(d.as(d.Viewer), tk.ID, h.ID, true, "")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.AnswerHandoff(d.as(d.OutsiderAdmin), tk.ID, h.ID, true, "")
			wantCode(t, err, tandem.ENOTFOUND)
			// The provider admin is of the sending party: no.
			_, err = d.Tickets.AnswerHandoff(d.as(d.ProviderAdmin), tk.ID, h.ID, true, "")
			wantCode(t, err, tandem.EFORBIDDEN)
			wantAudit(t, db, mark)

			h, err = d.Tickets.AnswerHandoff(d.as(d.ITTech), tk.ID, h.ID, false, "Firewall rules are the provider's per the matrix")
			if err != nil {
				t.Fatal(err)
			}
			if h.Status != tandem.HandoffDeclined || h.Answer != "Firewall rules are the provider's per the matrix" {
				t.Fatalf("declined %+v", h)
			}
			got := d.ticket(tk.ID)
			if got.OwningParty != tandem.PartyProvider || got.PendingHandoff != nil || got.AssigneeID != nil {
				t.Fatalf("after declining: owner %s, pending %v, assignee %v", got.OwningParty, got.PendingHandoff, got.AssigneeID)
			}
			list := d.timeline(d.ProviderTech, tk.ID)
			last := list[len(list)-1]
			if last.Kind != tandem.EventHandoffDeclined || !strings.Contains(last.Body, "per the matrix") {
				t.Fatalf("last entry = %s %q", last.Kind, last.Body)
			}
			// A new handoff may follow.
			if _, err := d.Tickets.RequestHandoff(d.as(d.ProviderTech), tk.ID, "Please reconsider"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "x")
			_, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "  ")
			wantCode(t, err, tandem.EINVALID)
			_, err = d.Tickets.RequestHandoff(d.as(d.ProviderTech), tk.ID, "mine now")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.RequestHandoff(d.as(d.Requester), tk.ID, "please")
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = d.Tickets.RequestHandoff(d.as(d.Requester2), tk.ID, "please")
			wantCode(t, err, tandem.ENOTFOUND)
			d.setStatus(d.ITTech, tk.ID, tandem.StatusResolved)
			_, err = d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "too late")
			wantCode(t, err, tandem.ECONFLICT)
			if list, err := d.Tickets.Handoffs(d.as(d.ITTech), tk.ID); err != nil || len(list) != 0 {
				t.Fatalf("handoffs = %v, %v; want none stored", list, err)
			}
		})
	})
}

// TestTicketHandoffHiddenFromRequesters checks that a requester learns
// nothing of a handoff, whichever way they look: not through the pending
// handoff of FindTicket or of a list, not through the awaiting-acceptance
// filter, and not through an SLA state that counts the acceptance (OLA)
// clock they cannot see.
func TestTicketHandoffHiddenFromRequesters(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		sla := sqlstore.NewSLAService(db)
		// Priority 3 on the default policy, 24×7: 240 minutes to respond,
		// 1440 to resolve; the provider has 30 minutes to accept.
		escalated := d.open(d.Requester, "end-user-support", "Projector in room 4 is dead")
		plain := d.open(d.Requester, "end-user-support", "Keyboard sticks")
		if _, err := d.Tickets.RequestHandoff(d.as(d.ITTech), escalated.ID, "Provider holds the AV contract"); err != nil {
			t.Fatal(err)
		}
		d.Clock.Advance(45 * time.Minute)
		if _, err := sla.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		// The teams see the missed acceptance.
		if got := d.ticket(escalated.ID); got.SLAState != tandem.SLABreached || got.PendingHandoff == nil {
			t.Fatalf("staff view: state %s, pending %+v; want breached, pending", got.SLAState, got.PendingHandoff)
		}
		staff, err := d.Tickets.FindTickets(d.as(d.ProviderTech), tandem.TicketFilter{AwaitingAcceptance: true, Party: tandem.PartyProvider})
		if err != nil || len(staff.Tickets) != 1 || staff.Tickets[0].ID != escalated.ID {
			t.Fatalf("provider's awaiting list: %v, %v", staff, err)
		}

		noHandoff := func(t *testing.T, tk *tandem.Ticket) {
			t.Helper()
			if tk.PendingHandoff != nil {
				t.Errorf("ticket %d shows the requester a pending handoff %+v", tk.ID, tk.PendingHandoff)
			}
			for _, tm := range tk.Timers {
				if tm.Kind == tandem.TimerAccept {
					t.Errorf("ticket %d shows the requester an acceptance clock", tk.ID)
				}
			}
			if tk.SLAState != tandem.SLAOK {
				t.Errorf("ticket %d shows the requester SLA state %s; their clocks run below the warning share (ok)", tk.ID, tk.SLAState)
			}
		}
		t.Run("FindTicket", func(t *testing.T) {
			tk, err := d.Tickets.FindTicket(d.as(d.Requester), escalated.ID)
			if err != nil {
				t.Fatal(err)
			}
			noHandoff(t, tk)
			if len(tk.Timers) != 2 {
				t.Fatalf("requester sees %d clocks, want response and resolution", len(tk.Timers))
			}
		})
		t.Run("List", func(t *testing.T) {
			page, err := d.Tickets.FindTickets(d.as(d.Requester), tandem.TicketFilter{})
			if err != nil || len(page.Tickets) != 2 {
				t.Fatalf("requester's list: %v, %v", page, err)
			}
			for _, tk := range page.Tickets {
				noHandoff(t, tk)
			}
		})
		t.Run("ErrAwaitingFilter", func(t *testing.T) {
			for _, f := range []tandem.TicketFilter{
				{AwaitingAcceptance: true}, {AwaitingAcceptance: true, Party: tandem.PartyProvider}, {AwaitingAcceptance: true, Party: tandem.PartyInternal},
			} {
				_, err := d.Tickets.FindTickets(d.as(d.Requester), f)
				wantCode(t, err, tandem.EFORBIDDEN)
			}
		})
		t.Run("SLAStateFilter", func(t *testing.T) {
			// The filter matches the state the requester sees, page by page.
			for _, tt := range []struct {
				state tandem.SLAState
				want  []int64
			}{
				{tandem.SLABreached, []int64{}},
				{tandem.SLAOK, []int64{plain.ID, escalated.ID}},
				{tandem.SLAWarning, []int64{}},
			} {
				got := []int64{}
				f := tandem.TicketFilter{SLAState: tt.state, Limit: 1}
				for {
					page, err := d.Tickets.FindTickets(d.as(d.Requester), f)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range page.Tickets {
						noHandoff(t, tk)
						got = append(got, tk.ID)
					}
					if page.NextCursor == "" {
						break
					}
					f.Cursor = page.NextCursor
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("requester's %s tickets = %v, want %v", tt.state, got, tt.want)
				}
			}
			_, err := d.Tickets.FindTickets(d.as(d.Requester), tandem.TicketFilter{SLAState: "late"})
			wantCode(t, err, tandem.EINVALID)
		})
	})
}
