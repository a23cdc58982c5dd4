package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// The response rule as the desk applies it (tandem.CountsAsResponse,
// tandem.OpensTicket), on a 24×7 clock with 60 minutes to respond; the
// tickets are the internal team's (end-user-support).
func TestTicketResponseRule(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 480)
		mark := func(t *testing.T, acts ...tandem.StaffAction) {
			t.Helper()
			d.changePolicy(func(p *tandem.SLAPolicy) { p.ResponseActions = acts })
		}
		comment := func(t *testing.T, u *tandem.User, id int64, v tandem.Visibility) {
			t.Helper()
			if _, err := d.Tickets.AddComment(d.as(u), id, tandem.CommentInput{Body: "A word from " + u.Email, Visibility: v}); err != nil {
				t.Fatal(err)
			}
		}
		assign := func(t *testing.T, u *tandem.User, id, to int64) {
			t.Helper()
			if _, err := d.Tickets.UpdateTicket(d.as(u), id, tandem.TicketUpdate{AssigneeID: &to}); err != nil {
				t.Fatal(err)
			}
		}
		logTime := func(t *testing.T, u *tandem.User, id int64) {
			t.Helper()
			if err := d.Tickets.AddTimeEntry(d.as(u), id, &tandem.TimeEntry{Minutes: 10, Note: "Phoned the requester"}); err != nil {
				t.Fatal(err)
			}
		}
		// responded checks the ticket's first response (zero: none) and
		// its response timer, met then or still running.
		responded := func(t *testing.T, id int64, at time.Time) {
			t.Helper()
			got, resp := d.ticket(id), d.timer(id, tandem.TimerResponse)
			switch {
			case at.IsZero() && (got.FirstResponseAt != nil || resp.State != tandem.TimerRunning):
				t.Fatalf("first response %v, response timer %s; want none, running", got.FirstResponseAt, resp.State)
			case !at.IsZero() && (got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(at) || resp.State != tandem.TimerMet || !resp.MetAt.Equal(at)):
				t.Fatalf("first response %v, response timer %s met %v; want both at %v", got.FirstResponseAt, resp.State, resp.MetAt, at)
			}
		}
		status := func(t *testing.T, id int64, want tandem.TicketStatus) {
			t.Helper()
			if got := d.ticket(id).Status; got != want {
				t.Fatalf("ticket %d is %s, want %s", id, got, want)
			}
		}
		// automaticMove returns the timeline's automatic moves to open.
		automaticMoves := func(id int64) []*tandem.Event {
			var list []*tandem.Event
			for _, e := range d.timeline(d.Requester, id) {
				if e.Kind == tandem.EventStatus && e.Data["automatic"] == true {
					list = append(list, e)
				}
			}
			return list
		}

		t.Run("PublicReplyOfTheOtherParty", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Outlook asks for the password")
			d.Clock.Advance(5 * time.Minute)
			comment(t, d.ITTech, tk.ID, tandem.VisibilityTeams)
			comment(t, d.ProviderTech, tk.ID, tandem.VisibilityParty)
			comment(t, d.Requester, tk.ID, tandem.VisibilityPublic)
			responded(t, tk.ID, time.Time{})
			d.Clock.Advance(5 * time.Minute)
			m := auditMark(t, db)
			comment(t, d.ProviderTech, tk.ID, tandem.VisibilityPublic)
			responded(t, tk.ID, d.Clock.Now())
			if resp := d.timer(tk.ID, tandem.TimerResponse); resp.Party != tandem.PartyInternal || resp.ElapsedMinutes != 10 {
				t.Fatalf("response timer %+v, want the owning internal party's, met after 10 minutes", resp)
			}
			entries := wantAudit(t, db, m, "ticket.comment")
			if !strings.Contains(string(entries[0].Summary), `"first_response_at"`) {
				t.Fatalf("audit summary %s does not record the first response", entries[0].Summary)
			}
			// The teams comment before it had already opened the ticket, once.
			if moves := automaticMoves(tk.ID); len(moves) != 1 || moves[0].ActorID == nil || *moves[0].ActorID != d.ITTech.ID {
				t.Fatalf("automatic moves %+v, want one, by the technician's teams comment", moves)
			}
		})

		t.Run("RequesterReplyKeepsTicketNew", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Any news?")
			comment(t, d.Requester, tk.ID, tandem.VisibilityPublic)
			status(t, tk.ID, tandem.StatusNew)
			responded(t, tk.ID, time.Time{})
		})

		t.Run("HandoffAcceptanceMeetsOnlyTheOLA", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Printer queue stuck")
			h, err := d.Tickets.RequestHandoff(d.as(d.ITTech), tk.ID, "The print server is the provider's")
			if err != nil {
				t.Fatal(err)
			}
			status(t, tk.ID, tandem.StatusNew)
			d.Clock.Advance(10 * time.Minute)
			if _, err := d.Tickets.AnswerHandoff(d.as(d.ProviderTech), tk.ID, h.ID, true, ""); err != nil {
				t.Fatal(err)
			}
			acc := d.timer(tk.ID, tandem.TimerAccept)
			if acc.State != tandem.TimerMet || !acc.MetAt.Equal(d.Clock.Now()) || acc.ElapsedMinutes != 10 {
				t.Fatalf("accept timer %+v, want met now after 10 minutes", acc)
			}
			responded(t, tk.ID, time.Time{})
			status(t, tk.ID, tandem.StatusOpen)
			// The provider owns it now; its first public reply answers.
			d.Clock.Advance(time.Minute)
			comment(t, d.ProviderTech, tk.ID, tandem.VisibilityPublic)
			responded(t, tk.ID, d.Clock.Now())
		})

		t.Run("AssignmentOpensTheTicket", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "New monitor")
			d.Clock.Advance(time.Minute)
			m := auditMark(t, db)
			assign(t, d.ITTech, tk.ID, d.ITTech.ID)
			status(t, tk.ID, tandem.StatusOpen)
			responded(t, tk.ID, time.Time{}) // the policy marks nothing
			entries := wantAudit(t, db, m, "ticket.update")
			if sum := string(entries[0].Summary); !strings.Contains(sum, `"status":"open"`) || !strings.Contains(sum, `"status_automatic":true`) {
				t.Fatalf("audit summary %s, want the automatic move to open", sum)
			}
			moves := automaticMoves(tk.ID)
			if len(moves) != 1 || moves[0].Visibility != tandem.VisibilityPublic || !moves[0].CreatedAt.Equal(d.Clock.Now()) {
				t.Fatalf("automatic moves %+v, want one the requester sees, now", moves)
			}
			// Clearing the assignee of a new ticket does not take it up.
			tk2 := d.open(d.Requester, "end-user-support", "Old monitor")
			assign(t, d.ITTech, tk2.ID, 0)
			status(t, tk2.ID, tandem.StatusNew)
		})

		t.Run("CreatedAssignedStartsOpen", func(t *testing.T) {
			// Staff who log a ticket and assign it at once have taken it
			// up; it is not answered unless the policy counts assignment.
			area := d.area("end-user-support")
			create := func(title string) *tandem.Ticket {
				tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, RequesterID: d.Requester.ID,
					Title: title, AreaID: &area, AssigneeID: &d.ITAdmin.ID})
				if err != nil {
					t.Fatal(err)
				}
				return tk
			}
			m := auditMark(t, db)
			tk := create("Phoned in: printer offline")
			status(t, tk.ID, tandem.StatusOpen)
			if sum := string(wantAudit(t, db, m, "ticket.create")[0].Summary); !strings.Contains(sum, `"status":"open"`) || !strings.Contains(sum, `"status_automatic":true`) {
				t.Fatalf("audit summary %s, want the ticket opened as taken up", sum)
			}
			responded(t, tk.ID, time.Time{})
			mark(t, tandem.StaffAssign)
			defer mark(t)
			tk = create("Phoned in: scanner offline")
			status(t, tk.ID, tandem.StatusOpen)
			responded(t, tk.ID, d.Clock.Now())
		})

		t.Run("StatusAskedForWithAssignmentMovesOnce", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Phone broken")
			assignee, pending := d.ITTech.ID, tandem.StatusPendingCustomer
			if _, err := d.Tickets.UpdateTicket(d.as(d.ITTech), tk.ID, tandem.TicketUpdate{AssigneeID: &assignee, Status: &pending}); err != nil {
				t.Fatal(err)
			}
			status(t, tk.ID, tandem.StatusPendingCustomer)
			if moves := automaticMoves(tk.ID); len(moves) != 0 {
				t.Fatalf("automatic moves %+v besides the one asked for", moves)
			}
		})

		t.Run("TimeEntryUnmarked", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Call me back")
			m := auditMark(t, db)
			logTime(t, d.ITTech, tk.ID)
			wantAudit(t, db, m, "ticket.time.add")
			status(t, tk.ID, tandem.StatusNew)
			responded(t, tk.ID, time.Time{})
		})

		t.Run("MarkedActionsCount", func(t *testing.T) {
			mark(t, tandem.StaffAssign, tandem.StaffTime, tandem.StaffStatus)
			defer mark(t)
			byAssign := d.open(d.Requester, "end-user-support", "Docking station")
			byTime := d.open(d.Requester, "end-user-support", "Called about the VPN")
			byStatus := d.open(d.Requester, "end-user-support", "Wi-Fi in room 3")
			d.Clock.Advance(3 * time.Minute)
			// The other party's staff count as much as the owner's.
			assign(t, d.ProviderTech, byAssign.ID, d.ITTech.ID)
			responded(t, byAssign.ID, d.Clock.Now())
			status(t, byAssign.ID, tandem.StatusOpen)

			m := auditMark(t, db)
			logTime(t, d.ITTech, byTime.ID)
			responded(t, byTime.ID, d.Clock.Now())
			status(t, byTime.ID, tandem.StatusOpen)
			entries := wantAudit(t, db, m, "ticket.time.add")
			if sum := string(entries[0].Summary); !strings.Contains(sum, `"first_response_at"`) || !strings.Contains(sum, `"minutes":10`) {
				t.Fatalf("audit summary %s, want the entry and the first response", sum)
			}

			d.setStatus(d.ITTech, byStatus.ID, tandem.StatusOpen)
			responded(t, byStatus.ID, d.Clock.Now())
			if moves := automaticMoves(byStatus.ID); len(moves) != 0 {
				t.Fatalf("automatic moves %+v besides the one asked for", moves)
			}

			// Marked or not, the system and requesters never respond.
			sys := d.open(d.Requester, "end-user-support", "Reopened by the command line")
			if err := d.Tickets.AddTimeEntry(systemCtx(t), sys.ID, &tandem.TimeEntry{UserID: d.ITTech.ID, Minutes: 5}); err != nil {
				t.Fatal(err)
			}
			responded(t, sys.ID, time.Time{})
			status(t, sys.ID, tandem.StatusNew)
		})

		t.Run("MarkNothingAndTheActionsStopCounting", func(t *testing.T) {
			tk := d.open(d.Requester, "end-user-support", "Headset")
			assign(t, d.ITTech, tk.ID, d.ITTech.ID)
			d.setStatus(d.ITTech, tk.ID, tandem.StatusPendingCustomer)
			logTime(t, d.ITTech, tk.ID)
			responded(t, tk.ID, time.Time{})
		})
	})
}

// A first response once recorded stays: later replies, actions the policy
// marks afterwards, and policy changes leave it as it was, also where an
// earlier rule recorded it (here written directly, as the acceptance of a
// handoff did before the rule changed). Nothing back-fills one either.
func TestTicketFirstResponseKept(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 480)
		t0 := d.Clock.Now()
		recorded := d.open(d.Requester, "end-user-support", "Accepted under the old rule")
		d.Clock.Advance(2 * time.Minute)
		if err := sqlstore.ExecRaw(db, `UPDATE tickets SET first_response_at = ? WHERE id = ?`,
			t0.Add(time.Minute).UTC().Format("2006-01-02T15:04:05.000000Z"), recorded.ID); err != nil {
			t.Fatal(err)
		}
		noResponse := d.open(d.Requester, "end-user-support", "Only accepted so far")
		if _, err := d.Tickets.UpdateTicket(d.as(d.ITTech), noResponse.ID, tandem.TicketUpdate{AssigneeID: &d.ITTech.ID}); err != nil {
			t.Fatal(err)
		}

		d.changePolicy(func(p *tandem.SLAPolicy) { p.ResponseActions = tandem.MarkableActions })
		if got := d.ticket(noResponse.ID); got.FirstResponseAt != nil {
			t.Fatalf("marking assignment back-filled the first response: %v", got.FirstResponseAt)
		}
		want := t0.Add(time.Minute)
		for i, u := range []*tandem.User{d.ITTech, d.ProviderTech} {
			d.Clock.Advance(time.Minute)
			if _, err := d.Tickets.AddComment(d.as(u), recorded.ID, tandem.CommentInput{Body: "Still on it"}); err != nil {
				t.Fatal(err)
			}
			assignee := []int64{d.ITTech.ID, d.ITAdmin.ID}[i]
			if _, err := d.Tickets.UpdateTicket(d.as(u), recorded.ID, tandem.TicketUpdate{AssigneeID: &assignee}); err != nil {
				t.Fatal(err)
			}
			if err := d.Tickets.AddTimeEntry(d.as(u), recorded.ID, &tandem.TimeEntry{Minutes: 5}); err != nil {
				t.Fatal(err)
			}
		}
		d.setStatus(d.ITTech, recorded.ID, tandem.StatusPendingCustomer)
		got, resp := d.ticket(recorded.ID), d.timer(recorded.ID, tandem.TimerResponse)
		if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(want) || resp.MetAt == nil || !resp.MetAt.Equal(want) {
			t.Fatalf("first response %v, response met %v; want both kept at %v", got.FirstResponseAt, resp.MetAt, want)
		}
	})
}
