package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

// triggerEscalations starts, in the transaction that records the events,
// the escalation incidents they trigger: a new P1/P2 ticket, an SLA
// warning or breach of a response or resolution target, an OLA breach (an
// acceptance clock's breach: a handoff left waiting). Each party's first
// matching policy starts one incident, unless that policy already runs
// one on the ticket, and its first level is notified at once, in this
// same transaction. A ticket resolved or closed resolves its incidents.
// facts are the tickets' facts the notification rules read, when they did.
func (tx *Tx) triggerEscalations(ctx context.Context, events []*tandem.Event, facts map[int64]*ticketFacts) error {
	for _, e := range events {
		var trigger escalation.Trigger
		var party tandem.PartyKind // the party the event concerns, when not the ticket's owning party
		switch e.Kind {
		case tandem.EventCreated:
			trigger = escalation.TriggerTicket
		case tandem.EventSLAWarning, tandem.EventSLABreach:
			kind, _ := e.Data["kind"].(tandem.TimerKind)
			switch {
			case kind == tandem.TimerAccept && e.Kind == tandem.EventSLABreach:
				// The handoff waits in the receiving party's queue.
				trigger, party = escalation.TriggerOLABreach, partyOf(e.Data["party"])
			case kind == tandem.TimerAccept:
				continue // an OLA warning is not a trigger
			case e.Kind == tandem.EventSLAWarning:
				trigger = escalation.TriggerSLAWarning
			default:
				trigger = escalation.TriggerSLABreach
			}
		case tandem.EventStatus:
			if to, _ := e.Data["to"].(tandem.TicketStatus); to.Done() {
				if err := tx.resolveIncidents(ctx, e.TicketID); err != nil {
					return err
				}
			}
			continue
		default:
			continue
		}
		if err := tx.startIncidents(ctx, e.TicketID, facts[e.TicketID], trigger, party); err != nil {
			return err
		}
	}
	return nil
}

// partyOf reads a party from an event's data.
func partyOf(v any) tandem.PartyKind {
	switch p := v.(type) {
	case tandem.PartyKind:
		return p
	case string:
		return tandem.PartyKind(p)
	}
	return ""
}

// startIncidents starts the incidents one trigger causes on a ticket; f
// are its facts when the notification rules read them, else nil.
func (tx *Tx) startIncidents(ctx context.Context, ticketID int64, f *ticketFacts, trigger escalation.Trigger, party tandem.PartyKind) error {
	var orgID int64
	var pr tandem.Priority
	var owning tandem.PartyKind
	var areaID *int64
	if f != nil {
		orgID, pr, owning, areaID = f.orgID, f.priority, f.owner, f.areaID
	} else if err := tx.QueryRowContext(ctx, `SELECT organization_id, priority, owning_party, area_id FROM tickets WHERE id = ?`, ticketID).
		Scan(&orgID, &pr, &owning, &areaID); err != nil {
		return err
	}
	if trigger == escalation.TriggerTicket && pr > 2 {
		return nil
	}
	if party == "" {
		party = owning
	}
	policies, err := queryList(ctx, tx, scanPolicy, `SELECT `+policyColumns+` FROM escalation_policies p
		WHERE p.organization_id IS NULL OR p.organization_id = ? ORDER BY p.party, p.position, p.id`, orgID)
	if err != nil || len(policies) == 0 {
		return err
	}
	oc, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return err
	}
	facts := escalation.Facts{OrganizationID: orgID, Party: string(party), Priority: int(pr), AreaID: areaID,
		InsideHours: oc.clock.Calendar().IsOpen(tx.now), Trigger: trigger}
	for _, owner := range []tandem.PartyKind{tandem.PartyProvider, tandem.PartyInternal} {
		var mine []*tandem.EscalationPolicy
		var matches []escalation.Match
		for _, p := range policies {
			if p.Party == owner {
				mine, matches = append(mine, p), append(matches, p.Match())
			}
		}
		i, ok := escalation.Select(matches, facts)
		if !ok {
			continue
		}
		if err := tx.startIncident(ctx, orgID, ticketID, mine[i], trigger); err != nil {
			return err
		}
	}
	return nil
}

// startIncident starts p on a ticket, unless p already runs an incident
// there, and takes its first step now.
func (tx *Tx) startIncident(ctx context.Context, orgID, ticketID int64, p *tandem.EscalationPolicy, trigger escalation.Trigger) error {
	var running int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE ticket_id = ? AND policy_id = ? AND state IN ('triggered', 'acknowledged')`,
		ticketID, p.ID).Scan(&running); err != nil || running > 0 {
		return err
	}
	r := &incidentRow{orgID: orgID, ticketID: ticketID, policyName: p.Name, party: p.Party, trigger: trigger, policy: p.Path(), state: escalation.Start(tx.now)}
	snapshot, err := json.Marshal(r.policy)
	if err != nil {
		return err
	}
	r.id, err = tx.insert(ctx, `INSERT INTO incidents (organization_id, ticket_id, policy_id, policy_name, party, trigger_kind, state, level, round,
		next_step_at, policy_snapshot, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		orgID, ticketID, p.ID, p.Name, p.Party, trigger, r.state.Status, r.state.Level, r.state.Round, at(r.state.NextStepAt), string(snapshot), at(tx.now), at(tx.now))
	if err != nil {
		return err
	}
	// The scheduler's next step instant moved: wake it on commit.
	tx.wakes = true
	if err := tx.audit(ctx, tandem.SystemActor, &orgID, "incident.start", incidentTarget(r.id),
		map[string]any{"ticket_id": ticketID, "policy_id": p.ID, "policy": p.Name, "trigger": trigger}); err != nil {
		return err
	}
	return tx.advance(ctx, tandem.SystemActor, r, tx.now)
}

// resolveIncidents ends the open incidents of a ticket that was resolved
// or closed.
func (tx *Tx) resolveIncidents(ctx context.Context, ticketID int64) error {
	type open struct{ id, orgID int64 }
	var list []open
	err := tx.eachRow(ctx, `SELECT id, organization_id FROM incidents WHERE ticket_id = ? AND state IN ('triggered', 'acknowledged')`, []any{ticketID},
		func(rows *sql.Rows) error {
			var o open
			if err := rows.Scan(&o.id, &o.orgID); err != nil {
				return err
			}
			list = append(list, o)
			return nil
		})
	if err != nil {
		return err
	}
	for _, o := range list {
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET state = 'resolved', next_step_at = NULL, resolved_at = ?, updated_at = ? WHERE id = ?`,
			at(tx.now), at(tx.now), o.id); err != nil {
			return err
		}
		if err := tx.audit(ctx, tandem.SystemActor, &o.orgID, "incident.resolve", incidentTarget(o.id), map[string]any{"ticket_id": ticketID}); err != nil {
			return err
		}
	}
	return nil
}
