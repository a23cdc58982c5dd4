package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/tandemhq/tandem"
)

// notifyEvents writes, in the transaction that records them, the
// notifications the ticket events cause (what notifies whom), and starts
// the escalations they trigger. addEvent calls it for every event.
func (tx *Tx) notifyEvents(ctx context.Context, events []*tandem.Event) error {
	facts, err := tx.applyRules(ctx, events)
	if err != nil {
		return err
	}
	return tx.triggerEscalations(ctx, events, facts)
}

// ruleOrder ranks the events that notify anyone; the others rank zero.
// One action records several events (a ticket opened assigned: created,
// routed, assigned), and each person hears of an action once, by the most
// personal of its rules, so those events are handled first.
var ruleOrder = map[tandem.EventKind]int{
	tandem.EventAssigned:         1,
	tandem.EventComment:          2,
	tandem.EventHandoffRequested: 3,
	tandem.EventStatus:           4,
	tandem.EventCreated:          5,
	tandem.EventSLAWarning:       6,
	tandem.EventSLABreach:        6,
}

// applyRules applies the notification rules to the events: nothing is
// read unless one of them notifies anyone, then the tickets' facts in one
// query and each rule's recipients in one more. It returns the facts it
// read, which the escalations use too.
func (tx *Tx) applyRules(ctx context.Context, events []*tandem.Event) (map[int64]*ticketFacts, error) {
	var todo []*tandem.Event
	var ids []int64
	for _, e := range events {
		if ruleOrder[e.Kind] > 0 {
			todo = append(todo, e)
			if !slices.Contains(ids, e.TicketID) {
				ids = append(ids, e.TicketID)
			}
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(todo, func(a, b *tandem.Event) int { return cmp.Compare(ruleOrder[a.Kind], ruleOrder[b.Kind]) })
	facts, err := tx.loadTicketFacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	// A person hears of one action once, even when it records events in
	// several steps (a reply that asks a question: the comment, then the
	// move to pending-customer). The system's SLA events are each worth
	// telling, so they are told apart only within one call.
	if tx.notified == nil {
		tx.notified = map[[2]int64]bool{}
	}
	system := map[[2]int64]bool{}
	for _, e := range todo {
		f := facts[e.TicketID]
		if f == nil {
			continue
		}
		told := tx.notified
		if e.ActorID == nil {
			told = system
		}
		r := &ruleRun{tx: tx, e: e, f: f, told: told}
		if err := r.apply(ctx); err != nil {
			return nil, fmt.Errorf("notify event %s of ticket %d: %w", e.Kind, e.TicketID, err)
		}
	}
	return facts, nil
}

// ruleRun applies the rules to one event of one ticket.
type ruleRun struct {
	tx   *Tx
	e    *tandem.Event
	f    *ticketFacts
	told map[[2]int64]bool
}

// send writes m to the users who may receive it — never the person who
// caused the event, nor anyone told of the same action already — and to
// the webhooks.
func (r *ruleRun) send(ctx context.Context, m *message, userIDs []int64) error {
	var to []int64
	for _, id := range userIDs {
		key := [2]int64{r.f.id, id}
		if (r.e.ActorID != nil && *r.e.ActorID == id) || r.told[key] {
			continue
		}
		r.told[key] = true
		to = append(to, id)
	}
	if err := r.tx.sendToUsers(ctx, m, to); err != nil {
		return err
	}
	return r.tx.sendToWebhooks(ctx, m)
}

func (r *ruleRun) apply(ctx context.Context) error {
	e, f := r.e, r.f
	switch e.Kind {
	case tandem.EventAssigned:
		if id, ok := eventID(e, "assignee_id"); ok {
			m := f.message(tandem.NotifyAssigned, "assigned to you", fmt.Sprintf("This %s ticket is assigned to you.", f.priority), e.Visibility, e.Party)
			return r.send(ctx, m, []int64{id})
		}
	case tandem.EventComment:
		return r.comment(ctx)
	case tandem.EventHandoffRequested:
		to := tandem.PartyKind(eventText(e, "to"))
		staff, err := r.tx.partyStaff(ctx, f.orgID, false, to)
		if err != nil {
			return err
		}
		m := f.message(tandem.NotifyHandoff, "handoff waiting for the "+string(to)+" team",
			fmt.Sprintf("The %s team hands this ticket to the %s team, which must accept it: %s", eventText(e, "from"), to, e.Body), e.Visibility, e.Party)
		return r.send(ctx, m, staff)
	case tandem.EventStatus:
		return r.status(ctx)
	case tandem.EventCreated:
		return r.created(ctx)
	case tandem.EventSLAWarning, tandem.EventSLABreach:
		return r.timer(ctx)
	}
	return nil
}

// comment tells the requester of a public reply (with its text), and the
// watchers and the assignee who may read the comment of it.
func (r *ruleRun) comment(ctx context.Context) error {
	e, f := r.e, r.f
	if e.Visibility == tandem.VisibilityPublic {
		if err := r.send(ctx, f.message(tandem.NotifyReply, "new reply", e.Body, e.Visibility, e.Party), []int64{f.requesterID}); err != nil {
			return err
		}
	}
	followers, err := r.tx.followers(ctx, f.id)
	if err != nil {
		return err
	}
	var readers []int64
	for _, fl := range followers {
		if fl.actor.CanSee(e.Visibility, e.Party) {
			readers = append(readers, fl.id)
		}
	}
	what := "new comment"
	switch e.Visibility {
	case tandem.VisibilityTeams:
		what = "new comment for the teams"
	case tandem.VisibilityParty:
		what = "new comment for the " + string(e.Party) + " team"
	}
	return r.send(ctx, f.message(tandem.NotifyWatchedComment, what, e.Body, e.Visibility, e.Party), readers)
}

// status tells the requester their ticket is resolved, or waits for their
// answer; not when a reply of the same action told them already (a reply
// that sets pending-customer is one message: send skips them).
func (r *ruleRun) status(ctx context.Context) error {
	e, f := r.e, r.f
	var m *message
	switch tandem.TicketStatus(eventText(e, "to")) {
	case tandem.StatusResolved:
		m = f.message(tandem.NotifyResolved, "resolved", fmt.Sprintf("Your ticket “%s” is resolved. If the problem is still there, open the ticket and reopen it.", f.title), e.Visibility, e.Party)
	case tandem.StatusPendingCustomer:
		m = f.message(tandem.NotifyPendingCustomer, "waiting for your answer", "The team needs an answer from you before it can go on; open the ticket to reply.", e.Visibility, e.Party)
	default:
		return nil
	}
	return r.send(ctx, m, []int64{f.requesterID})
}

// created tells the owning party's staff of a new ticket in their queue,
// and, for a P1 or P2, the staff of the parties Consulted or Informed for
// its area.
func (r *ruleRun) created(ctx context.Context) error {
	e, f := r.e, r.f
	staff, err := r.tx.partyStaff(ctx, f.orgID, false, f.owner)
	if err != nil {
		return err
	}
	m := f.message(tandem.NotifyNewTicket, "new ticket", fmt.Sprintf("A new %s ticket is in the %s queue.", f.priority, f.owner), e.Visibility, e.Party)
	if err := r.send(ctx, m, staff); err != nil {
		return err
	}
	if f.priority > 2 || f.areaID == nil {
		return nil
	}
	parties, err := r.tx.informedParties(ctx, f.orgID, *f.areaID)
	if err != nil || len(parties) == 0 {
		return err
	}
	informed, err := r.tx.partyStaff(ctx, f.orgID, false, parties...)
	if err != nil {
		return err
	}
	m = f.message(tandem.NotifyMajorTicket, "new "+f.priority.String()+" ticket",
		fmt.Sprintf("A %s ticket was opened in %s, which your team is consulted or informed on; the %s team works it.", f.priority, f.area, f.owner),
		e.Visibility, e.Party)
	return r.send(ctx, m, informed)
}

// timer tells the admins of an SLA warning or breach: the owning party's,
// or, for an acceptance target (OLA), those of the party the handoff
// waits for.
func (r *ruleRun) timer(ctx context.Context) error {
	e, f := r.e, r.f
	party, kind, what := f.owner, tandem.NotifySLABreach, "SLA breached"
	if e.Kind == tandem.EventSLAWarning {
		kind, what = tandem.NotifySLAWarning, "SLA warning"
	}
	if tandem.TimerKind(eventText(e, "kind")) == tandem.TimerAccept {
		party = tandem.PartyKind(eventText(e, "party"))
		if e.Kind == tandem.EventSLABreach {
			kind, what = tandem.NotifyOLABreach, "OLA breached"
		}
	}
	admins, err := r.tx.partyStaff(ctx, f.orgID, true, party)
	if err != nil {
		return err
	}
	return r.send(ctx, f.message(kind, what, e.Body, e.Visibility, e.Party), admins)
}
