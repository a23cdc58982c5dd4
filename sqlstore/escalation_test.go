package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// escDesk is the desk with the escalation service, a scheduler, and a
// provider policy for P1 tickets: the provider technician, then after 15
// minutes the provider admin (who times out after 15 more).
type escDesk struct {
	*desk
	Esc    *sqlstore.EscalationService
	Sched  *sqlstore.Scheduler
	Policy *tandem.EscalationPolicy
}

func newEscDesk(t *testing.T, db *sqlstore.DB, repeats int) *escDesk {
	t.Helper()
	d := &escDesk{desk: newDesk(t, db), Esc: sqlstore.NewEscalationService(db)}
	d.Sched = sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))
	d.Policy = &tandem.EscalationPolicy{Party: tandem.PartyProvider, Name: "P1 provider", Priorities: []tandem.Priority{1},
		Triggers: []escalation.Trigger{escalation.TriggerTicket}, Repeats: repeats, Levels: []tandem.EscalationLevel{
			{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: d.ProviderTech.ID}}, TimeoutMinutes: 15},
			{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: d.ProviderAdmin.ID}}, TimeoutMinutes: 15},
		}}
	if err := d.Esc.CreateEscalationPolicy(d.as(d.ProviderAdmin), d.Policy); err != nil {
		t.Fatal(err)
	}
	return d
}

// openP1 opens a P1 ticket in a provider area as the it-technician.
func (d *escDesk) openP1(title string) *tandem.Ticket {
	d.tb.Helper()
	area := d.area("network-monitoring")
	tk, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, RequesterID: d.Requester.ID, Title: title,
		Description: "Down", AreaID: &area, Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		d.tb.Fatal(err)
	}
	if tk.Priority != 1 {
		d.tb.Fatalf("priority %d, want 1", tk.Priority)
	}
	return tk
}

// incident returns the ticket's only incident, read as the provider admin.
func (d *escDesk) incident(ticketID int64) *tandem.Incident {
	d.tb.Helper()
	list, err := d.Esc.FindIncidents(d.as(d.ProviderAdmin), ticketID)
	if err != nil {
		d.tb.Fatal(err)
	}
	if len(list) != 1 {
		d.tb.Fatalf("ticket %d has %d incidents, want 1", ticketID, len(list))
	}
	return list[0]
}

// run runs the scheduler at the desk clock's now.
func (d *escDesk) run() map[string]int {
	d.tb.Helper()
	fired, err := d.Sched.RunDue(systemCtx(d.tb), d.Clock.Now())
	if err != nil {
		d.tb.Fatal(err)
	}
	return fired
}

// notified counts the escalation notifications of a ticket to a user on
// a channel.
func notified(tb testing.TB, db *sqlstore.DB, ticketID, userID int64, ch tandem.Channel) int {
	tb.Helper()
	n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM notifications WHERE ticket_id = ? AND user_id = ? AND channel = ? AND kind = 'escalation'`,
		ticketID, userID, ch)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// ackLinks are the acknowledgement links emailed to a user about a ticket, oldest first.
func ackLinks(tb testing.TB, db *sqlstore.DB, ticketID, userID int64) []string {
	tb.Helper()
	links, err := sqlstore.StringsRaw(db, `SELECT action_url FROM notifications WHERE ticket_id = ? AND user_id = ? AND channel = 'email' AND kind = 'escalation' ORDER BY id`,
		ticketID, userID)
	if err != nil {
		tb.Fatal(err)
	}
	return links
}

func levels(in *tandem.Incident) string {
	var parts []string
	for _, st := range in.Steps {
		who := strings.Join(st.Recipients, "+")
		if st.Skipped {
			who = "skipped"
		}
		parts = append(parts, who)
	}
	return strings.Join(parts, " → ")
}

func TestEscalation(t *testing.T) {
	// Each case runs on fresh databases of both dialects.
	run := func(name string, fn func(t *testing.T, db *sqlstore.DB)) {
		t.Run(name, func(t *testing.T) { testdb.Dialects(t, fn) })
	}
	{
		run("TriggerNotifiesLevelOneInTheSameCommit", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			in := d.incident(tk.ID)
			if in.State != escalation.Triggered || in.Level != 1 || in.Round != 1 || in.PolicyName != "P1 provider" {
				t.Fatalf("incident %+v", in)
			}
			if want := d.Clock.Now().Add(15 * time.Minute); in.NextStepAt == nil || !in.NextStepAt.Equal(want) {
				t.Errorf("next step at %v, want %v", in.NextStepAt, want)
			}
			if notified(t, db, tk.ID, d.ProviderTech.ID, tandem.ChannelInApp) != 1 || notified(t, db, tk.ID, d.ProviderTech.ID, tandem.ChannelEmail) != 1 {
				t.Error("the technician was not notified in-app and by email")
			}
			if notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 0 {
				t.Error("level 2 was notified at once")
			}
			links := ackLinks(t, db, tk.ID, d.ProviderTech.ID)
			if len(links) != 1 || !strings.HasPrefix(links[0], "/ack/") {
				t.Errorf("ack links %v", links)
			}
			var entry string
			for _, e := range d.timeline(d.ITTech, tk.ID) {
				if e.Kind == tandem.EventEscalation {
					entry = e.Body
				}
			}
			if want := `Escalation level 1 of "P1 provider": notified tech.`; entry != want {
				t.Errorf("timeline says %q, want %q", entry, want)
			}
			for _, e := range d.timeline(d.Requester, tk.ID) {
				if e.Kind == tandem.EventEscalation {
					t.Error("a requester sees the escalation")
				}
			}
		})
		run("P3StartsNothing", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.open(d.ITTech, "network-monitoring", "Slow printer")
			list, err := d.Esc.FindIncidents(d.as(d.ProviderAdmin), tk.ID)
			if err != nil || len(list) != 0 {
				t.Errorf("incidents %v, %v", list, err)
			}
		})
		run("RolledBackTicketLeavesNoIncident", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			// Fail the creation after its events (and the incident) are
			// written: the SLA timers are stored last.
			if db.Dialect() == sqlstore.Postgres {
				must(t, sqlstore.ExecRaw(db, `CREATE FUNCTION fail_timers() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql`))
				must(t, sqlstore.ExecRaw(db, `CREATE TRIGGER fail_timers BEFORE INSERT ON sla_timers FOR EACH ROW EXECUTE FUNCTION fail_timers()`))
			} else {
				must(t, sqlstore.ExecRaw(db, `CREATE TRIGGER fail_timers BEFORE INSERT ON sla_timers BEGIN SELECT RAISE(ABORT, 'boom'); END`))
			}
			area := d.area("network-monitoring")
			_, err := d.Tickets.CreateTicket(d.as(d.ITTech), tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Core switch down", Description: "Down",
				AreaID: &area, Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
			if err == nil {
				t.Fatal("the creation did not fail")
			}
			for _, table := range []string{"tickets", "incidents", "incident_steps", "incident_ack_tokens", "notifications"} {
				if n, _ := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM `+table); n != 0 {
					t.Errorf("%s holds %d rows after the rollback", table, n)
				}
			}
		})
		run("TimeoutNotifiesLevelTwo", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			d.Clock.Advance(15*time.Minute - time.Second)
			d.run()
			if notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 0 {
				t.Fatal("level 2 before the timeout")
			}
			d.Clock.Advance(time.Second)
			if fired := d.run(); fired["escalation steps"] != 1 {
				t.Errorf("fired %v", fired)
			}
			in := d.incident(tk.ID)
			if in.Level != 2 || notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 1 {
				t.Errorf("level %d, admin emails %d", in.Level, notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail))
			}
			d.Clock.Advance(15 * time.Minute)
			d.run()
			if in = d.incident(tk.ID); in.State != escalation.Exhausted || in.NextStepAt != nil {
				t.Errorf("after the last level: %s, next %v", in.State, in.NextStepAt)
			}
			if got := levels(in); got != "tech → admin" {
				t.Errorf("steps %s", got)
			}
		})
		run("RepeatsRunThePolicyAgain", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 1)
			tk := d.openP1("Core switch down")
			for range 4 {
				d.Clock.Advance(15 * time.Minute)
				d.run()
			}
			in := d.incident(tk.ID)
			if got := levels(in); got != "tech → admin → tech → admin" || in.State != escalation.Exhausted {
				t.Errorf("steps %s, state %s", got, in.State)
			}
			if in.Steps[2].Round != 2 {
				t.Errorf("third step in round %d, want 2", in.Steps[2].Round)
			}
			if n := notified(t, db, tk.ID, d.ProviderTech.ID, tandem.ChannelEmail); n != 2 {
				t.Errorf("technician emailed %d times, want 2", n)
			}
		})
		run("AcknowledgeStops", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 3)
			tk := d.openP1("Core switch down")
			in := d.incident(tk.ID)
			d.Clock.Advance(5 * time.Minute)
			if _, err := d.Esc.Acknowledge(d.as(d.Requester), in.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("a requester acknowledged: %v", err)
			}
			if _, err := d.Esc.Acknowledge(d.as(d.Viewer), in.ID); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Errorf("a viewer acknowledged: %v", err)
			}
			got, err := d.Esc.Acknowledge(d.as(d.ProviderTech), in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != escalation.Acknowledged || got.AcknowledgedBy == nil || *got.AcknowledgedBy != d.ProviderTech.ID {
				t.Errorf("acknowledged: %+v", got)
			}
			_, err = d.Esc.Acknowledge(d.as(d.ProviderAdmin), in.ID)
			wantCode(t, err, tandem.ECONFLICT)
			d.Clock.Advance(24 * time.Hour)
			d.run()
			if in = d.incident(tk.ID); len(in.Steps) != 1 || notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 0 {
				t.Errorf("steps after acknowledgement: %s", levels(in))
			}
		})
		run("AcknowledgeByLink", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			token := strings.TrimPrefix(ackLinks(t, db, tk.ID, d.ProviderTech.ID)[0], "/ack/")
			anon := context.Background()
			link, err := d.Esc.PeekAckLink(anon, token)
			if err != nil || link.Used || link.Expired || link.TicketTitle != "Core switch down" || link.Incident.State != escalation.Triggered {
				t.Fatalf("peek: %+v, %v", link, err)
			}
			if in := d.incident(tk.ID); in.State != escalation.Triggered {
				t.Fatal("peeking acknowledged")
			}
			in, err := d.Esc.AcknowledgeWithToken(anon, token)
			if err != nil || in.State != escalation.Acknowledged || *in.AcknowledgedBy != d.ProviderTech.ID {
				t.Fatalf("acknowledge by link: %+v, %v", in, err)
			}
			_, err = d.Esc.AcknowledgeWithToken(anon, token)
			wantCode(t, err, tandem.ECONFLICT)
			_, err = d.Esc.AcknowledgeWithToken(anon, "not-a-token")
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if link, _ = d.Esc.PeekAckLink(anon, token); !link.Used {
				t.Error("a used link does not say so")
			}
			var entry *tandem.Event
			for _, e := range d.timeline(d.ProviderAdmin, tk.ID) {
				if e.Kind == tandem.EventEscalation {
					entry = e
				}
			}
			if entry.ActorName != "tech" || entry.Body != `Acknowledged the escalation "P1 provider" at level 1 from the emailed link: no further level is notified.` {
				t.Errorf("timeline: %s %q", entry.ActorName, entry.Body)
			}
			if n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM audit_log WHERE action = 'incident.acknowledge'`); err != nil || n != 1 {
				t.Errorf("%d audit entries of the acknowledgement", n)
			}
		})
		run("AcknowledgeFromAChannel", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			hook := &tandem.Webhook{Name: "NOC chat", URL: "https://chat.example.com/hook", Format: tandem.WebhookSlack,
				Kinds: []tandem.NotificationKind{tandem.NotifyEscalation}, Active: true}
			must(t, sqlstore.NewWebhookService(db).CreateWebhook(d.as(d.ProviderAdmin), hook))
			tk := d.openP1("Core switch down")
			var token string
			all, err := sqlstore.OutboxAfter(db, 0)
			must(t, err)
			for _, n := range all {
				if n.Channel == tandem.ChannelWebhook && n.Kind == tandem.NotifyEscalation && n.TicketID != nil && *n.TicketID == tk.ID {
					token = strings.TrimPrefix(n.ActionURL, "/ack/")
				}
			}
			if token == "" {
				t.Fatal("the chat message of the escalation carries no acknowledgement link")
			}
			link, err := d.Esc.PeekAckLink(context.Background(), token)
			if err != nil || link.WebhookName != "NOC chat" || link.UserName != "" {
				t.Fatalf("peek: %+v, %v; want the channel's link", link, err)
			}
			// Anyone in the channel may open it: it acknowledges as whoever
			// signs in, if they may work the ticket.
			_, err = d.Esc.AcknowledgeWithToken(context.Background(), token)
			wantCode(t, err, tandem.EUNAUTHORIZED)
			if !strings.Contains(tandem.ErrorMessage(err), "Sign in") {
				t.Errorf("no one signed in: %q, want it to ask to sign in", tandem.ErrorMessage(err))
			}
			for _, u := range []*tandem.User{d.Requester, d.OutsiderAdmin, d.Viewer} {
				if _, err := d.Esc.AcknowledgeWithToken(d.as(u), token); err == nil {
					t.Fatalf("%s acknowledged with the channel's link", u.Email)
				}
			}
			if in := d.incident(tk.ID); in.State != escalation.Triggered {
				t.Fatal("a refused attempt acknowledged")
			}
			in, err := d.Esc.AcknowledgeWithToken(d.as(d.ProviderAdmin), token)
			if err != nil || in.State != escalation.Acknowledged || *in.AcknowledgedBy != d.ProviderAdmin.ID {
				t.Fatalf("acknowledge from the channel: %+v, %v", in, err)
			}
			_, err = d.Esc.AcknowledgeWithToken(d.as(d.ProviderTech), token)
			wantCode(t, err, tandem.ECONFLICT)
			var entry string
			for _, e := range d.timeline(d.ProviderAdmin, tk.ID) {
				if e.Kind == tandem.EventEscalation {
					entry = e.Body
				}
			}
			if want := `Acknowledged the escalation "P1 provider" at level 1 from the link posted to "NOC chat": no further level is notified.`; entry != want {
				t.Errorf("timeline says %q, want %q", entry, want)
			}
		})
		run("ExpiredLink", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			token := strings.TrimPrefix(ackLinks(t, db, tk.ID, d.ProviderTech.ID)[0], "/ack/")
			d.Clock.Advance(tandem.AckLinkTTL)
			if link, err := d.Esc.PeekAckLink(context.Background(), token); err != nil || !link.Expired {
				t.Errorf("peek: %+v, %v", link, err)
			}
			_, err := d.Esc.AcknowledgeWithToken(context.Background(), token)
			wantCode(t, err, tandem.ECONFLICT)
		})
		run("EscalateNowAndReassign", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			in := d.incident(tk.ID)
			d.Clock.Advance(time.Minute)
			got, err := d.Esc.Escalate(d.as(d.ProviderTech), in.ID)
			if err != nil || got.Level != 2 || notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 1 {
				t.Fatalf("escalate: %+v, %v", got, err)
			}
			if want := d.Clock.Now().Add(15 * time.Minute); !got.NextStepAt.Equal(want) {
				t.Errorf("next step %v, want %v", got.NextStepAt, want)
			}
			_, err = d.Esc.Reassign(d.as(d.ProviderAdmin), in.ID, d.Requester.ID)
			wantCode(t, err, tandem.EINVALID)
			got, err = d.Esc.Reassign(d.as(d.ProviderAdmin), in.ID, d.ProviderTech.ID)
			if err != nil || got.State != escalation.Acknowledged {
				t.Fatalf("reassign: %+v, %v", got, err)
			}
			if tk = d.ticket(tk.ID); tk.AssigneeID == nil || *tk.AssigneeID != d.ProviderTech.ID {
				t.Errorf("assignee %v", tk.AssigneeID)
			}
		})
		run("ResolvingTheTicketResolvesIt", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			d.setStatus(d.ProviderTech, tk.ID, tandem.StatusResolved)
			if in := d.incident(tk.ID); in.State != escalation.Resolved || in.ResolvedAt == nil {
				t.Errorf("after resolving the ticket: %s", in.State)
			}
			d.Clock.Advance(time.Hour)
			d.run()
			if notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail) != 0 {
				t.Error("a resolved ticket escalated")
			}
		})
		run("EditingThePolicyLeavesRunningIncidents", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			p := *d.Policy
			p.Levels = []tandem.EscalationLevel{{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetQueue, Party: "internal"}}, TimeoutMinutes: 60}}
			if err := d.Esc.UpdateEscalationPolicy(d.as(d.ProviderAdmin), &p); err != nil {
				t.Fatal(err)
			}
			d.Clock.Advance(15 * time.Minute)
			d.run()
			if got := levels(d.incident(tk.ID)); got != "tech → admin" {
				t.Errorf("steps %s: the edit reached the running incident", got)
			}
			next := d.openP1("Second switch down")
			if got := levels(d.incident(next.ID)); got != "itadmin+ittech" {
				t.Errorf("a new incident follows %s, want the edited policy", got)
			}
		})
		run("NobodyOnCallSkippedAtOnce", func(t *testing.T, db *sqlstore.DB) {
			// A schedule whose first turn begins in 2099: nobody is on call.
			d := newEscDesk(t, db, 0)
			sc := &tandem.OnCallSchedule{Party: tandem.PartyProvider, Name: "Not yet",
				Definition: []byte(`{"timezone":"Europe/Berlin","layers":[{"name":"later","start":"2099-01-05T09:00:00","turn":"1w","members":["` + d.ProviderTech.Email + `"]}]}`)}
			if err := sqlstore.NewOnCallService(db).CreateOnCallSchedule(d.as(d.ProviderAdmin), sc); err != nil {
				t.Fatal(err)
			}
			p := *d.Policy
			p.Levels = append([]tandem.EscalationLevel{{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetSchedule, ScheduleID: sc.ID}}, TimeoutMinutes: 30}}, p.Levels...)
			if err := d.Esc.UpdateEscalationPolicy(d.as(d.ProviderAdmin), &p); err != nil {
				t.Fatal(err)
			}
			tk := d.openP1("Core switch down")
			in := d.incident(tk.ID)
			if got := levels(in); got != "skipped → tech" || in.Level != 2 {
				t.Errorf("steps %s, level %d", got, in.Level)
			}
			var skipped string
			for _, e := range d.timeline(d.ProviderTech, tk.ID) {
				if e.Kind == tandem.EventEscalation && strings.Contains(e.Body, "skipped") {
					skipped = e.Body
				}
			}
			if !strings.HasSuffix(skipped, ": skipped, nobody to notify (on call: Not yet).") {
				t.Errorf("the timeline says %q, want the skipped level naming its schedule", skipped)
			}
			if want := d.Clock.Now().Add(15 * time.Minute); !in.NextStepAt.Equal(want) {
				t.Errorf("next step %v, want %v (the technician's timeout)", in.NextStepAt, want)
			}
		})
		run("InternalPolicyOutOfHours", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			// Office hours Monday to Friday 08:00–17:00 UTC; the desk's
			// clock starts on a Thursday at 09:00.
			sla := sqlstore.NewSLAService(db)
			c := &tandem.BusinessCalendar{OrganizationID: d.Org.ID, Name: "Office", Definition: []byte(`{"timezone":"UTC","hours":{"mon":[["08:00","17:00"]],"tue":[["08:00","17:00"]],"wed":[["08:00","17:00"]],"thu":[["08:00","17:00"]],"fri":[["08:00","17:00"]]}}`)}
			must(t, sla.CreateCalendar(systemCtx(t), c))
			pol := tandem.DefaultSLAPolicy(d.Org.ID)
			pol.CalendarID = &c.ID
			must(t, sla.UpdateSLAPolicy(systemCtx(t), pol))
			must(t, d.Esc.DeleteEscalationPolicy(d.as(d.ProviderAdmin), d.Policy.ID))
			out := &tandem.EscalationPolicy{Party: tandem.PartyInternal, OrganizationID: &d.Org.ID, Name: "P1 out of hours", Hours: escalation.OutsideHours,
				Priorities: []tandem.Priority{1}, Triggers: []escalation.Trigger{escalation.TriggerTicket}, Levels: []tandem.EscalationLevel{
					{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: d.ITTech.ID}}, TimeoutMinutes: 10},
					{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetQueue, Party: "provider"}}, TimeoutMinutes: 10}}}
			must(t, d.Esc.CreateEscalationPolicy(d.as(d.ITAdmin), out))
			inHours := d.openP1("In hours")
			if list, _ := d.Esc.FindIncidents(d.as(d.ITAdmin), inHours.ID); len(list) != 0 {
				t.Errorf("an out-of-hours policy ran in office hours")
			}
			d.Clock.Advance(9 * time.Hour) // 18:00
			tk := d.openP1("Out of hours")
			d.Clock.Advance(10 * time.Minute)
			d.run()
			if got := levels(d.incident(tk.ID)); got != "ittech → admin+tech" {
				t.Errorf("steps %s", got)
			}
		})
		run("SchedulesThePolicyMayUse", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			oncall := sqlstore.NewOnCallService(db)
			schedule := func(a *tandem.User, org *int64, party tandem.PartyKind, member string) *tandem.OnCallSchedule {
				sc := &tandem.OnCallSchedule{OrganizationID: org, Party: party, Name: "Rota of " + member,
					Definition: []byte(`{"timezone":"UTC","layers":[{"name":"all","start":"2026-01-05T00:00:00","turn":"1w","members":["` + member + `"]}]}`)}
				must(t, oncall.CreateOnCallSchedule(d.as(a), sc))
				return sc
			}
			provider := schedule(d.ProviderAdmin, nil, tandem.PartyProvider, d.ProviderTech.Email)
			own := schedule(d.ITAdmin, &d.Org.ID, tandem.PartyInternal, d.ITTech.Email)
			other := schedule(d.OutsiderAdmin, &d.Outsider.ID, tandem.PartyInternal, d.OutsiderAdmin.Email)
			policy := func(ids ...int64) *tandem.EscalationPolicy {
				p := &tandem.EscalationPolicy{Party: tandem.PartyInternal, OrganizationID: &d.Org.ID, Name: fmt.Sprint("Internal ", ids),
					Triggers: []escalation.Trigger{escalation.TriggerTicket}}
				for _, id := range ids {
					p.Levels = append(p.Levels, tandem.EscalationLevel{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetSchedule, ScheduleID: id}}, TimeoutMinutes: 10})
				}
				return p
			}
			// Internal on call, then the provider's.
			must(t, d.Esc.CreateEscalationPolicy(d.as(d.ITAdmin), policy(own.ID, provider.ID)))
			for _, id := range []int64{other.ID, other.ID + 1000} {
				err := d.Esc.CreateEscalationPolicy(d.as(d.ITAdmin), policy(own.ID, id))
				var fe *tandem.FieldError
				if !asFieldError(err, &fe) || fe.Field != "levels.1.targets" || !strings.Contains(err.Error(), "schedule") {
					t.Errorf("schedule %d (another organisation's, or none): %v, want refused beside level 2", id, err)
				}
			}
			// A provider policy of every organisation may not use one organisation's schedule.
			every := policy(provider.ID, own.ID)
			every.Party, every.OrganizationID = tandem.PartyProvider, nil
			wantCode(t, d.Esc.CreateEscalationPolicy(d.as(d.ProviderAdmin), every), tandem.EINVALID)
		})
		run("PoliciesAreTheirPartys", func(t *testing.T, db *sqlstore.DB) {
			d := newEscDesk(t, db, 0)
			internal := &tandem.EscalationPolicy{Party: tandem.PartyProvider, Name: "Sneaky", Triggers: []escalation.Trigger{escalation.TriggerTicket},
				Levels: []tandem.EscalationLevel{{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetQueue, Party: "internal"}}, TimeoutMinutes: 5}}}
			wantCode(t, d.Esc.CreateEscalationPolicy(d.as(d.ITAdmin), internal), tandem.EFORBIDDEN)
			internal.Party, internal.OrganizationID = tandem.PartyInternal, &d.Org.ID
			wantCode(t, d.Esc.CreateEscalationPolicy(d.as(d.ITTech), internal), tandem.EFORBIDDEN)
			wantCode(t, d.Esc.CreateEscalationPolicy(d.as(d.OutsiderAdmin), internal), tandem.ENOTFOUND)
			must(t, d.Esc.CreateEscalationPolicy(d.as(d.ITAdmin), internal))
			_, err := d.Esc.FindEscalationPolicy(d.as(d.OutsiderAdmin), internal.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, err = d.Esc.FindEscalationPolicy(d.as(d.ITAdmin), d.Policy.ID)
			wantCode(t, err, tandem.ENOTFOUND)
			wantCode(t, d.Esc.DeleteEscalationPolicy(d.as(d.ITAdmin), d.Policy.ID), tandem.ENOTFOUND)
			list, err := d.Esc.FindEscalationPolicies(d.as(d.ProviderAdmin), tandem.EscalationPolicyFilter{})
			if err != nil || len(list) != 2 || list[0].ID != d.Policy.ID {
				t.Errorf("provider admin sees %d policies, %v", len(list), err)
			}
			bad := *d.Policy
			bad.ID, bad.Levels = 0, []tandem.EscalationLevel{{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: d.ProviderTech.ID}}, TimeoutMinutes: 0}}
			err = d.Esc.CreateEscalationPolicy(d.as(d.ProviderAdmin), &bad)
			var fe *tandem.FieldError
			if tandem.ErrorCode(err) != tandem.EINVALID || !asFieldError(err, &fe) || fe.Field != "levels.0.timeout_minutes" {
				t.Errorf("timeout 0: %v", err)
			}
			bad.Levels[0] = tandem.EscalationLevel{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: d.Requester.ID}}, TimeoutMinutes: 5}
			wantCode(t, d.Esc.CreateEscalationPolicy(d.as(d.ProviderAdmin), &bad), tandem.EINVALID)
			tk := d.openP1("Core switch down")
			for _, u := range []*tandem.User{d.Requester, d.OutsiderAdmin} {
				_, err := d.Esc.FindIncidents(d.as(u), tk.ID)
				wantCode(t, err, tandem.ENOTFOUND)
			}
		})
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func asFieldError(err error, fe **tandem.FieldError) bool {
	for err != nil {
		if f, ok := err.(*tandem.FieldError); ok {
			*fe = f
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestEscalationRestart stops the database in the middle of an
// escalation and opens it again: the scheduler of the new process, run at
// the due instant, takes the step once, on time.
func TestEscalationRestart(t *testing.T) {
	open := map[string]func(t *testing.T) (func() *sqlstore.DB, bool){
		"sqlite": func(t *testing.T) (func() *sqlstore.DB, bool) {
			dir := t.TempDir()
			return func() *sqlstore.DB { return mustOpen(t, sqlstore.Config{DataDir: dir}) }, true
		},
		"postgres": func(t *testing.T) (func() *sqlstore.DB, bool) {
			url := testdb.PostgresURL(t)
			return func() *sqlstore.DB { return mustOpen(t, sqlstore.Config{DatabaseURL: url}) }, true
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			reopen, _ := open[name](t)
			db := reopen()
			d := newEscDesk(t, db, 0)
			tk := d.openP1("Core switch down")
			due := *d.incident(tk.ID).NextStepAt
			db.Close()

			db = reopen()
			c := &clock{now: due.Add(-time.Second)}
			db.Now = c.Now
			sched := sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))
			esc := sqlstore.NewEscalationService(db)
			next, err := sched.NextDue(systemCtx(t))
			if err != nil || next.After(due) {
				t.Fatalf("next due %v, want at most %v (%v)", next, due, err)
			}
			for _, now := range []time.Time{due.Add(-time.Second), due, due, due.Add(time.Minute)} {
				c.now = now
				if _, err := sched.RunDue(systemCtx(t), now); err != nil {
					t.Fatal(err)
				}
			}
			list, err := esc.FindIncidents(as(t, d.ProviderAdmin), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := levels(list[0]); got != "tech → admin" || !list[0].Steps[1].At.Equal(due) {
				t.Errorf("after the restart: %s, level 2 at %v, want %v", got, list[0].Steps[1].At, due)
			}
			if n := notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail); n != 1 {
				t.Errorf("the admin was emailed %d times, want once", n)
			}
		})
	}
}

func mustOpen(t *testing.T, cfg sqlstore.Config) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestEscalationConcurrentSchedulers runs two schedulers at once over many
// due incidents: each step is taken exactly once.
func TestEscalationConcurrentSchedulers(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newEscDesk(t, db, 0)
		var tickets []*tandem.Ticket
		for i := range 20 {
			tickets = append(tickets, d.openP1("Switch "+string(rune('A'+i))))
		}
		d.Clock.Advance(15 * time.Minute)
		now := d.Clock.Now()
		other := sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, s := range []*sqlstore.Scheduler{d.Sched, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fired, err := s.RunDue(systemCtx(t), now)
				if err != nil {
					t.Error(err)
				}
				counts[i] = fired["escalation steps"]
			}()
		}
		wg.Wait()
		if counts[0]+counts[1] != len(tickets) {
			t.Errorf("schedulers stepped %v incidents, want %d in all", counts, len(tickets))
		}
		for _, tk := range tickets {
			if n := notified(t, db, tk.ID, d.ProviderAdmin.ID, tandem.ChannelEmail); n != 1 {
				t.Errorf("ticket %d: admin emailed %d times", tk.ID, n)
			}
		}
	})
}
