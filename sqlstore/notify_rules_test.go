package sqlstore_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// outboxMark is the id of the last notification written so far: what a
// step wrote is what comes after it.
func outboxMark(tb testing.TB, db *sqlstore.DB) int64 {
	tb.Helper()
	n, err := sqlstore.CountRaw(db, `SELECT COALESCE(MAX(id), 0) FROM notifications`)
	if err != nil {
		tb.Fatal(err)
	}
	return int64(n)
}

// sentSince returns, per recipient's email, the "kind/channel" of every
// notification to a user written after mark, sorted; and the rows.
func (d *desk) sentSince(mark int64) (map[string][]string, []*tandem.Notification) {
	d.tb.Helper()
	list, err := sqlstore.OutboxAfter(d.DB, mark)
	if err != nil {
		d.tb.Fatal(err)
	}
	emails := map[int64]string{}
	for _, u := range []*tandem.User{d.ProviderAdmin, d.ProviderTech, d.ITAdmin, d.ITTech, d.Requester, d.Requester2, d.Viewer, d.OutsiderAdmin} {
		emails[u.ID] = u.Email
	}
	got := map[string][]string{}
	for _, n := range list {
		if n.UserID == nil {
			continue
		}
		who := emails[*n.UserID]
		got[who] = append(got[who], string(n.Kind)+"/"+string(n.Channel))
	}
	for k := range got {
		slices.Sort(got[k])
	}
	return got, list
}

// both is a kind on both of a user's channels, as sentSince lists it.
func both(kind tandem.NotificationKind) []string {
	return []string{string(kind) + "/email", string(kind) + "/inapp"}
}

// wantSent fails unless the notifications written after mark are exactly
// want (email → kinds on channels).
func (d *desk) wantSent(t *testing.T, mark int64, want map[string][]string) []*tandem.Notification {
	t.Helper()
	got, list := d.sentSince(mark)
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("notified\n%s\nwant\n%s", formatSent(got), formatSent(want))
	}
	return list
}

func formatSent(m map[string][]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("  %s: %s", k, strings.Join(v, " ")))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// openWith creates a ticket in Org as u with the given impact and urgency
// (high × high is P1, high × medium P2, medium × medium P3).
func (d *desk) openWith(u *tandem.User, areaKey, title string, impact, urgency tandem.Level) *tandem.Ticket {
	d.tb.Helper()
	area := d.area(areaKey)
	tk, err := d.Tickets.CreateTicket(d.as(u), tandem.TicketInput{OrganizationID: d.Org.ID, Title: title, AreaID: &area, Impact: impact, Urgency: urgency})
	if err != nil {
		d.tb.Fatal(err)
	}
	return tk
}

func TestNotificationRules(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newSLADesk(t, db, "", 60, 480) // 24×7; P3 targets only
		prefs := sqlstore.NewNotificationService(db)
		// In the seed split the internal team owns end-user-support and
		// the provider is Informed of it.
		internalQueue := map[string][]string{d.ITAdmin.Email: both(tandem.NotifyNewTicket), d.ITTech.Email: both(tandem.NotifyNewTicket)}

		t.Run("NewTicketToTheOwningParty", func(t *testing.T) {
			mark := outboxMark(t, db)
			tk := d.open(d.Requester, "end-user-support", "Printer on floor 2 jams")
			list := d.wantSent(t, mark, internalQueue) // P3: the Informed provider hears nothing; the requester opened it
			n := list[0]
			if want := fmt.Sprintf("[#%d] Printer on floor 2 jams — new ticket", tk.ID); n.Subject != want {
				t.Errorf("subject %q, want %q", n.Subject, want)
			}
			if n.Link != fmt.Sprintf("/tickets/%d", tk.ID) || n.TicketID == nil || *n.TicketID != tk.ID || n.Priority != 3 {
				t.Errorf("link %q ticket %v priority %d", n.Link, n.TicketID, n.Priority)
			}
		})

		t.Run("MajorTicketToConsultedAndInformed", func(t *testing.T) {
			for _, c := range []struct {
				impact, urgency tandem.Level
				pr              tandem.Priority
			}{{tandem.LevelHigh, tandem.LevelHigh, 1}, {tandem.LevelHigh, tandem.LevelMedium, 2}} {
				mark := outboxMark(t, db)
				tk := d.openWith(d.Requester, "end-user-support", "Nobody can log in", c.impact, c.urgency)
				want := maps.Clone(internalQueue)
				want[d.ProviderAdmin.Email], want[d.ProviderTech.Email] = both(tandem.NotifyMajorTicket), both(tandem.NotifyMajorTicket)
				list := d.wantSent(t, mark, want)
				for _, n := range list {
					if n.Kind == tandem.NotifyMajorTicket && (n.Priority != c.pr || !strings.Contains(n.Subject, tk.Priority.String())) {
						t.Errorf("P%d: %q priority %d", c.pr, n.Subject, n.Priority)
					}
				}
			}
		})

		tk := d.open(d.Requester, "end-user-support", "Monitor flickers")
		for _, u := range []*tandem.User{d.ITAdmin, d.ProviderTech, d.Requester2} {
			if err := d.Tickets.AddWatcher(d.as(d.ITTech), tk.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("PublicReplyToRequesterAndFollowers", func(t *testing.T) {
			mark := outboxMark(t, db)
			if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "Try another cable, please."}); err != nil {
				t.Fatal(err)
			}
			list := d.wantSent(t, mark, map[string][]string{
				d.Requester.Email:    both(tandem.NotifyReply),
				d.ITAdmin.Email:      both(tandem.NotifyWatchedComment),
				d.ProviderTech.Email: both(tandem.NotifyWatchedComment),
				d.Requester2.Email:   both(tandem.NotifyWatchedComment),
			})
			for _, n := range list {
				if n.Kind == tandem.NotifyReply && (n.Body != "Try another cable, please." || !strings.HasSuffix(n.Subject, "Monitor flickers — new reply")) {
					t.Errorf("reply %q: %q", n.Subject, n.Body)
				}
				if n.Channel == tandem.ChannelEmail && n.Address == "" {
					t.Errorf("email without an address: %+v", n)
				}
			}
		})

		t.Run("RequesterNeverGetsTeamContent", func(t *testing.T) {
			mark := outboxMark(t, db)
			if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "Their monitor is out of warranty.", Visibility: tandem.VisibilityTeams}); err != nil {
				t.Fatal(err)
			}
			// Neither the requester nor the requester who watches: not in-app, not by email.
			d.wantSent(t, mark, map[string][]string{d.ITAdmin.Email: both(tandem.NotifyWatchedComment), d.ProviderTech.Email: both(tandem.NotifyWatchedComment)})

			mark = outboxMark(t, db)
			if _, err := d.Tickets.AddComment(d.as(d.ITTech), tk.ID, tandem.CommentInput{Body: "Budget is frozen until May.", Visibility: tandem.VisibilityParty}); err != nil {
				t.Fatal(err)
			}
			// Party-only: the internal watcher, not the provider's.
			d.wantSent(t, mark, map[string][]string{d.ITAdmin.Email: both(tandem.NotifyWatchedComment)})
		})

		t.Run("RequesterReplyReachesFollowersNotThemselves", func(t *testing.T) {
			mark := outboxMark(t, db)
			if _, err := d.Tickets.AddComment(d.as(d.Requester), tk.ID, tandem.CommentInput{Body: "Another cable did not help."}); err != nil {
				t.Fatal(err)
			}
			d.wantSent(t, mark, map[string][]string{
				d.ITAdmin.Email: both(tandem.NotifyWatchedComment), d.ProviderTech.Email: both(tandem.NotifyWatchedComment),
				d.Requester2.Email: both(tandem.NotifyWatchedComment)})
		})

		t.Run("AssignedToTheAssignee", func(t *testing.T) {
			mark := outboxMark(t, db)
			assignee := d.ITTech.ID
			if _, err := d.Tickets.UpdateTicket(d.as(d.ITAdmin), tk.ID, tandem.TicketUpdate{AssigneeID: &assignee}); err != nil {
				t.Fatal(err)
			}
			// The assignment by the it-admin; the automatic move to open
			// notifies nobody.
			d.wantSent(t, mark, map[string][]string{d.ITTech.Email: both(tandem.NotifyAssigned)})
			// Assigning oneself tells nobody.
			mark = outboxMark(t, db)
			self := d.ITAdmin.ID
			if _, err := d.Tickets.UpdateTicket(d.as(d.ITAdmin), tk.ID, tandem.TicketUpdate{AssigneeID: &self}); err != nil {
				t.Fatal(err)
			}
			d.wantSent(t, mark, map[string][]string{})
		})

		t.Run("PendingCustomerAndResolvedToRequester", func(t *testing.T) {
			mark := outboxMark(t, db)
			d.setStatus(d.ITAdmin, tk.ID, tandem.StatusPendingCustomer)
			d.wantSent(t, mark, map[string][]string{d.Requester.Email: both(tandem.NotifyPendingCustomer)})

			// A reply that asks the question is one message, the reply.
			d.setStatus(d.ITAdmin, tk.ID, tandem.StatusOpen)
			mark = outboxMark(t, db)
			pending := tandem.StatusPendingCustomer
			if _, err := d.Tickets.AddComment(d.as(d.ITAdmin), tk.ID, tandem.CommentInput{Body: "Which port is it plugged into?", Status: &pending}); err != nil {
				t.Fatal(err)
			}
			d.wantSent(t, mark, map[string][]string{
				d.Requester.Email: both(tandem.NotifyReply), d.ProviderTech.Email: both(tandem.NotifyWatchedComment),
				d.Requester2.Email: both(tandem.NotifyWatchedComment)})

			mark = outboxMark(t, db)
			d.setStatus(d.ITAdmin, tk.ID, tandem.StatusResolved)
			d.wantSent(t, mark, map[string][]string{d.Requester.Email: both(tandem.NotifyResolved)})
		})

		t.Run("HandoffToTheReceivingParty", func(t *testing.T) {
			h := d.open(d.Requester, "end-user-support", "Printer offline")
			mark := outboxMark(t, db)
			if _, err := d.Tickets.RequestHandoff(d.as(d.ITTech), h.ID, "The provider runs the print server"); err != nil {
				t.Fatal(err)
			}
			list := d.wantSent(t, mark, map[string][]string{d.ProviderAdmin.Email: both(tandem.NotifyHandoff), d.ProviderTech.Email: both(tandem.NotifyHandoff)})
			if !strings.Contains(list[0].Body, "The provider runs the print server") {
				t.Errorf("handoff body %q, want the reason", list[0].Body)
			}

			// Unanswered past the provider's 30-minute acceptance target:
			// an OLA breach, told to the provider's admins.
			d.Clock.Advance(31 * time.Minute)
			mark = outboxMark(t, db)
			if _, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			got, list := d.sentSince(mark)
			var ola []string
			for _, n := range list {
				if n.TicketID != nil && *n.TicketID == h.ID && n.Kind == tandem.NotifyOLABreach {
					ola = append(ola, fmt.Sprint(*n.UserID))
				}
			}
			if want := []string{fmt.Sprint(d.ProviderAdmin.ID), fmt.Sprint(d.ProviderAdmin.ID)}; !slices.Equal(ola, want) {
				t.Fatalf("OLA breach told to users %v, want the provider admin on both channels; all: %s", ola, formatSent(got))
			}
		})

		t.Run("SLABreachToTheOwningPartysAdmins", func(t *testing.T) {
			b := d.open(d.Requester, "end-user-support", "Scanner slow")
			mark := outboxMark(t, db)
			// Past 75 % of the 60-minute response target, then past it.
			for _, step := range []time.Duration{46 * time.Minute, 15 * time.Minute} {
				d.Clock.Advance(step)
				if _, err := d.SLA.ProcessTimers(systemCtx(t), d.Clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			_, list := d.sentSince(mark)
			got := map[string][]string{}
			for _, n := range list {
				if n.TicketID != nil && *n.TicketID == b.ID {
					got[n.Address+fmt.Sprint(*n.UserID)] = append(got[n.Address+fmt.Sprint(*n.UserID)], string(n.Kind)+"/"+string(n.Channel))
				}
			}
			for k := range got {
				slices.Sort(got[k])
			}
			want := map[string][]string{
				d.ITAdmin.Email + fmt.Sprint(d.ITAdmin.ID): {"sla_breach/email", "sla_warning/email"},
				fmt.Sprint(d.ITAdmin.ID):                   {"sla_breach/inapp", "sla_warning/inapp"},
			}
			if !maps.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("SLA notices of the ticket %v, want the internal it-admin's warning and breach", got)
			}
		})

		t.Run("PreferencesOffRespected", func(t *testing.T) {
			if err := prefs.UpdatePreferences(d.as(d.ITTech), &tandem.NotificationPreferences{
				Off: map[tandem.Channel][]tandem.NotificationKind{tandem.ChannelEmail: {tandem.NotifyNewTicket}}}); err != nil {
				t.Fatal(err)
			}
			mark := outboxMark(t, db)
			d.open(d.Requester, "end-user-support", "Keyboard sticky")
			d.wantSent(t, mark, map[string][]string{d.ITAdmin.Email: both(tandem.NotifyNewTicket), d.ITTech.Email: {"new_ticket/inapp"}})
			if err := prefs.UpdatePreferences(d.as(d.ITTech), &tandem.NotificationPreferences{}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("RolledBackChangeNotifiesNobody", func(t *testing.T) {
			r := d.open(d.Requester, "end-user-support", "Mouse missing")
			mark := outboxMark(t, db)
			// The assignment is recorded first, then the move is refused:
			// the whole update, its notification with it, is undone.
			assignee, closed := d.ITTech.ID, tandem.StatusClosed
			_, err := d.Tickets.UpdateTicket(d.as(d.ITAdmin), r.ID, tandem.TicketUpdate{AssigneeID: &assignee, Status: &closed})
			wantCode(t, err, tandem.EINVALID)
			d.wantSent(t, mark, map[string][]string{})
		})
	})
}

func TestNotifyMessageVisibility(t *testing.T) {
	for _, c := range []struct {
		v         tandem.Visibility
		teams     bool
		partyOnly tandem.PartyKind
	}{
		{tandem.VisibilityPublic, false, ""},
		{tandem.VisibilityTeams, true, ""},
		{tandem.VisibilityParty, true, tandem.PartyInternal},
	} {
		teams, party := sqlstore.NotifyMessage(c.v, tandem.PartyInternal)
		if teams != c.teams || party != c.partyOnly {
			t.Errorf("%s: teams %v party %q, want %v %q", c.v, teams, party, c.teams, c.partyOnly)
		}
	}
}
