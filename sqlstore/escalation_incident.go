package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

const incidentColumns = `i.id, i.organization_id, i.ticket_id, i.policy_id, i.policy_name, i.party, i.trigger_kind, i.state, i.level, i.round,
	i.next_step_at, i.acknowledged_by, i.acknowledged_at, i.resolved_at, i.policy_snapshot, i.created_at`

func scanIncident(row scanner) (*tandem.Incident, error) {
	in := &tandem.Incident{Steps: []*tandem.IncidentStep{}}
	var snapshot string
	if err := row.Scan(&in.ID, &in.OrganizationID, &in.TicketID, &in.PolicyID, &in.PolicyName, &in.Party, &in.Trigger, &in.State, &in.Level, &in.Round,
		scanTimePtr(&in.NextStepAt), &in.AcknowledgedBy, scanTimePtr(&in.AcknowledgedAt), scanTimePtr(&in.ResolvedAt), &snapshot, scanTime(&in.CreatedAt)); err != nil {
		return nil, err
	}
	in.Level++ // stored from 0 (-1 before the first level), shown from 1
	in.Round++
	return in, json.Unmarshal([]byte(snapshot), &in.PolicySnapshot)
}

// incidentScope limits incidents (alias i, joined to tickets t) to the
// actor's: those of the tickets in scope, for the teams only.
func incidentScope(a *tandem.Actor) (string, []any) {
	if a.IsRequesterRole() && !a.System {
		return "1=0", nil
	}
	return ticketScope(a)
}

// findIncidents reads incidents in scope with their steps and the names of
// the people they mention.
func findIncidents(ctx context.Context, tx *Tx, a *tandem.Actor, cond string, args ...any) ([]*tandem.Incident, error) {
	scope, sargs := incidentScope(a)
	list, err := queryList(ctx, tx, scanIncident, `SELECT `+incidentColumns+` FROM incidents i JOIN tickets t ON t.id = i.ticket_id
		WHERE `+cond+` AND `+scope+` ORDER BY i.id DESC`, append(args, sargs...)...)
	if err != nil || len(list) == 0 {
		return list, err
	}
	byID := map[int64]*tandem.Incident{}
	ids := make([]any, len(list))
	for i, in := range list {
		byID[in.ID], ids[i] = in, in.ID
	}
	people := map[int64]bool{}
	err = tx.eachRow(ctx, `SELECT incident_id, level, round, at, skipped, recipients FROM incident_steps WHERE incident_id IN (`+marks(len(ids))+`) ORDER BY id`, ids,
		func(rows *sql.Rows) error {
			st := &tandem.IncidentStep{}
			var id int64
			var recipients string
			if err := rows.Scan(&id, &st.Level, &st.Round, scanTime(&st.At), &st.Skipped, &recipients); err != nil {
				return err
			}
			var stored []struct {
				UserID int64  `json:"user_id"`
				Via    string `json:"via"`
			}
			if err := json.Unmarshal([]byte(recipients), &stored); err != nil {
				return err
			}
			st.Level++
			st.Round++
			st.UserIDs = []int64{}
			for _, r := range stored {
				st.UserIDs = append(st.UserIDs, r.UserID)
				people[r.UserID] = true
			}
			byID[id].Steps = append(byID[id].Steps, st)
			return nil
		})
	if err != nil {
		return nil, err
	}
	for _, in := range list {
		if in.AcknowledgedBy != nil {
			people[*in.AcknowledgedBy] = true
		}
	}
	names, err := peopleNames(ctx, tx, a, people)
	if err != nil {
		return nil, err
	}
	for _, in := range list {
		in.People = names
		for _, st := range in.Steps {
			st.Recipients = []string{}
			for _, id := range st.UserIDs {
				st.Recipients = append(st.Recipients, names[id])
			}
		}
	}
	return list, nil
}

// peopleNames names users as the reader may know them (personLabel).
func peopleNames(ctx context.Context, tx *Tx, a *tandem.Actor, people map[int64]bool) (map[int64]string, error) {
	names := map[int64]string{}
	if len(people) == 0 {
		return names, nil
	}
	var ids []any
	for id := range people {
		ids = append(ids, id)
	}
	scope, args := userScope(a)
	err := tx.eachRow(ctx, `SELECT u.id, u.name, u.email, u.role, u.organization_id IS NULL, CASE WHEN `+scope+` THEN 1 ELSE 0 END
		FROM users u WHERE u.id IN (`+marks(len(ids))+`)`, append(args, ids...), func(rows *sql.Rows) error {
		var id int64
		var name, email string
		var role tandem.Role
		var provider bool
		var visible int
		if err := rows.Scan(&id, &name, &email, &role, &provider, &visible); err != nil {
			return err
		}
		names[id] = personLabel(name, email, role, provider, visible == 1)
		return nil
	})
	return names, err
}

// FindIncidents implements tandem.EscalationService.
func (s *EscalationService) FindIncidents(ctx context.Context, ticketID int64) ([]*tandem.Incident, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if a.IsRequesterRole() {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Ticket %d not found.", ticketID)
	}
	if _, err := scopedTicketOrg(ctx, tx, a, ticketID); err != nil {
		return nil, err
	}
	return findIncidents(ctx, tx, a, "i.ticket_id = ?", ticketID)
}

// FindIncident implements tandem.EscalationService.
func (s *EscalationService) FindIncident(ctx context.Context, id int64) (*tandem.Incident, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findIncident(ctx, tx, a, id)
}

func findIncident(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.Incident, error) {
	list, err := findIncidents(ctx, tx, a, "i.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Incident %d not found.", id)
	}
	return list[0], nil
}

// beginIncidentWork opens a write transaction on an incident in the
// actor's scope that the actor may work (ticket.work on its organisation)
// and locks it.
func (s *EscalationService) beginIncidentWork(ctx context.Context, id int64) (*tandem.Actor, *Tx, *incidentRow, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := findIncident(ctx, tx, a, id); err != nil {
		tx.Rollback()
		return nil, nil, nil, err
	}
	r, err := loadIncidentRow(ctx, tx, id, false)
	if err == nil {
		err = a.Can(tandem.ActionTicketWork, r.orgID)
	}
	if err != nil {
		tx.Rollback()
		return nil, nil, nil, err
	}
	return a, tx, r, nil
}

// Acknowledge implements tandem.EscalationService.
func (s *EscalationService) Acknowledge(ctx context.Context, id int64) (*tandem.Incident, error) {
	a, tx, r, err := s.beginIncidentWork(ctx, id)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.acknowledge(ctx, a, r, "", "incident.acknowledge"); err != nil {
		return nil, err
	}
	return s.commitIncident(ctx, tx, a, id)
}

// commitIncident reads an incident back and commits.
func (s *EscalationService) commitIncident(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.Incident, error) {
	in, err := findIncident(ctx, tx, a, id)
	if err != nil {
		return nil, err
	}
	return in, tx.Commit()
}

// acknowledge stops a triggered incident as a: the timeline says who (and
// how, when by link), the audit records it.
func (tx *Tx) acknowledge(ctx context.Context, a *tandem.Actor, r *incidentRow, how, action string) error {
	next, ok := escalation.Acknowledge(r.state)
	if !ok {
		return notTriggered(r)
	}
	var by any
	if a.UserID != 0 {
		by = a.UserID
	}
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET state = ?, next_step_at = NULL, acknowledged_by = ?, acknowledged_at = ?, updated_at = ?
		WHERE id = ? AND state = 'triggered'`, next.Status, by, at(tx.now), at(tx.now), r.id)
	if ok, err := touched(res, err); err != nil {
		return err
	} else if !ok {
		return tandem.Errorf(tandem.ECONFLICT, "Incident %d changed meanwhile; reload the ticket.", r.id)
	}
	r.state = next
	// The timeline names the actor before the sentence: "Ana Lopez acknowledged …".
	body := fmt.Sprintf("Acknowledged the escalation %q at level %d", r.policyName, r.state.Level+1)
	if how != "" {
		body += " " + how
	}
	body += ": no further level is notified."
	data := map[string]any{"incident_id": r.id, "ticket_id": r.ticketID, "acknowledged_by": a.UserID, "level": r.state.Level + 1, "round": r.state.Round + 1}
	if err := tx.addEvent(ctx, eventBy(a, r.ticketID, tandem.EventEscalation, tandem.VisibilityTeams, body, data)); err != nil {
		return err
	}
	return tx.audit(ctx, a, &r.orgID, action, incidentTarget(r.id), data)
}

// notTriggered is the conflict of acting on an incident that no longer
// escalates.
func notTriggered(r *incidentRow) error {
	return tandem.Errorf(tandem.ECONFLICT, "Incident %d is %s, no longer escalating: there is nothing to acknowledge or escalate.", r.id, r.state.Status)
}

// Escalate implements tandem.EscalationService: the next level is
// notified now, as if the current one had timed out.
func (s *EscalationService) Escalate(ctx context.Context, id int64) (*tandem.Incident, error) {
	a, tx, r, err := s.beginIncidentWork(ctx, id)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	next, ok := escalation.EscalateNow(r.state, tx.now)
	if !ok {
		return nil, notTriggered(r)
	}
	// The guard of advance compares with the stored row: move it first.
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET next_step_at = ? WHERE id = ?`, at(next.NextStepAt), r.id); err != nil {
		return nil, err
	}
	r.state = next
	if err := tx.audit(ctx, a, &r.orgID, "incident.escalate", incidentTarget(r.id), map[string]any{"ticket_id": r.ticketID, "from_level": r.state.Level + 1}); err != nil {
		return nil, err
	}
	if err := tx.advance(ctx, a, r, tx.now); errors.Is(err, errStepTaken) {
		return nil, tandem.Errorf(tandem.ECONFLICT, "Incident %d changed meanwhile; reload the ticket.", r.id)
	} else if err != nil {
		return nil, err
	}
	return s.commitIncident(ctx, tx, a, id)
}

// Reassign implements tandem.EscalationService: the ticket is assigned to
// userID (checked as any assignment is) and the incident acknowledged, in
// one transaction.
func (s *EscalationService) Reassign(ctx context.Context, id, userID int64) (*tandem.Incident, error) {
	a, tx, r, err := s.beginIncidentWork(ctx, id)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if r.state.Status != escalation.Triggered {
		return nil, notTriggered(r)
	}
	t, err := lockTicket(ctx, tx, a, r.ticketID)
	if err != nil {
		return nil, err
	}
	ch := &ticketChange{tx: tx, a: a, t: t, audit: map[string]any{}}
	if err := ch.apply(ctx, tandem.TicketUpdate{AssigneeID: &userID}); err != nil {
		return nil, err
	}
	if len(ch.audit) > 0 {
		if err := ch.finish(ctx, "ticket.update", ch.audit); err != nil {
			return nil, err
		}
	}
	if err := tx.acknowledge(ctx, a, r, "by reassigning the ticket to "+userLabel(ctx, tx, userID), "incident.reassign"); err != nil {
		return nil, err
	}
	return s.commitIncident(ctx, tx, a, id)
}
