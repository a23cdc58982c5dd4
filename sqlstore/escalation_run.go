package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
	"github.com/tandemhq/tandem/internal/secret"
)

// errStepTaken says a guarded change of an incident found it changed
// already: another scheduler, replica or request took the step first.
var errStepTaken = errors.New("escalation step already taken")

// incidentRow is an incident as the step runner needs it.
type incidentRow struct {
	id, orgID, ticketID int64
	policyName          string
	party               tandem.PartyKind
	trigger             escalation.Trigger
	policy              escalation.Policy
	state               escalation.State
}

const incidentRowColumns = `i.id, i.organization_id, i.ticket_id, i.policy_name, i.party, i.trigger_kind, i.policy_snapshot, i.state, i.level, i.round, i.next_step_at`

func scanIncidentRow(row scanner) (*incidentRow, error) {
	r := &incidentRow{}
	var snapshot string
	var next *time.Time
	if err := row.Scan(&r.id, &r.orgID, &r.ticketID, &r.policyName, &r.party, &r.trigger, &snapshot, &r.state.Status, &r.state.Level, &r.state.Round,
		scanTimePtr(&next)); err != nil {
		return nil, err
	}
	if next != nil {
		r.state.NextStepAt = *next
	}
	return r, json.Unmarshal([]byte(snapshot), &r.policy)
}

// loadIncidentRow reads an incident for a change; on PostgreSQL it takes
// the row's lock, skipping it when another transaction holds it (skip),
// so two schedulers never wait on each other's steps.
func loadIncidentRow(ctx context.Context, tx *Tx, id int64, skip bool) (*incidentRow, error) {
	q := `SELECT ` + incidentRowColumns + ` FROM incidents i WHERE i.id = ?`
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
		if skip {
			q += " SKIP LOCKED"
		}
	}
	r, err := scanIncidentRow(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		if skip {
			return nil, errStepTaken
		}
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Incident %d not found.", id)
	}
	return r, err
}

// advance takes the incident's steps due by now (escalation.Advance) from
// state prev, which the row must still hold: the guarded UPDATE fails with
// errStepTaken otherwise, so a step is taken once however many schedulers
// race for it. Each level reached is logged (incident_steps), written to
// the ticket's timeline for the teams and audited; its people are
// notified with an acknowledgement link each, and the webhooks told.
func (tx *Tx) advance(ctx context.Context, a *tandem.Actor, r *incidentRow, now time.Time) error {
	prev := r.state
	var resolveErr error
	steps, next := escalation.Advance(r.policy, prev, now, func(t escalation.Target) []int64 {
		ids, err := tx.resolveTarget(ctx, r.orgID, t, now)
		if err != nil && resolveErr == nil {
			resolveErr = err
		}
		return ids
	})
	if resolveErr != nil {
		return resolveErr
	}
	var nextAt any = at(next.NextStepAt)
	if next.Status != escalation.Triggered {
		nextAt = nil
	}
	guard := `UPDATE incidents SET state = ?, level = ?, round = ?, next_step_at = ?, updated_at = ?
		WHERE id = ? AND state = 'triggered' AND level = ? AND round = ? AND next_step_at = ?`
	res, err := tx.ExecContext(ctx, guard, next.Status, next.Level, next.Round, nextAt, at(now), r.id, prev.Level, prev.Round, at(prev.NextStepAt))
	if taken, err := touched(res, err); err != nil {
		return err
	} else if !taken {
		return errStepTaken
	}
	r.state = next
	tk, err := tx.incidentTicket(ctx, r.ticketID)
	if err != nil {
		return err
	}
	for _, st := range steps {
		if err := tx.takeStep(ctx, a, r, tk, st); err != nil {
			return err
		}
	}
	if next.Status == escalation.Exhausted {
		data := map[string]any{"incident_id": r.id, "ticket_id": r.ticketID, "policy": r.policyName}
		body := fmt.Sprintf("Escalation %q exhausted: every level timed out unacknowledged.", r.policyName)
		if err := tx.addEvent(ctx, eventBy(tandem.SystemActor, r.ticketID, tandem.EventEscalation, tandem.VisibilityTeams, body, data)); err != nil {
			return err
		}
		return tx.audit(ctx, a, &r.orgID, "incident.exhausted", incidentTarget(r.id), data)
	}
	return nil
}

// incidentTicket is what an escalation's notifications say of its ticket.
type incidentTicketInfo struct {
	title    string
	priority tandem.Priority
}

func (tx *Tx) incidentTicket(ctx context.Context, id int64) (*incidentTicketInfo, error) {
	t := &incidentTicketInfo{}
	return t, tx.QueryRowContext(ctx, `SELECT title, priority FROM tickets WHERE id = ?`, id).Scan(&t.title, &t.priority)
}

// takeStep records one step and notifies its recipients.
func (tx *Tx) takeStep(ctx context.Context, a *tandem.Actor, r *incidentRow, tk *incidentTicketInfo, st escalation.Step) error {
	type stored struct {
		UserID int64  `json:"user_id"`
		Via    string `json:"via"`
	}
	list := make([]stored, 0, len(st.Recipients))
	ids := make([]int64, 0, len(st.Recipients))
	for _, rc := range st.Recipients {
		list = append(list, stored{rc.UserID, tx.targetLabel(ctx, rc.Target)})
		ids = append(ids, rc.UserID)
	}
	recipients, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_steps (incident_id, level, round, at, skipped, recipients) VALUES (?, ?, ?, ?, ?, ?)`,
		r.id, st.Level, st.Round, at(st.At), st.Skipped, string(recipients)); err != nil {
		if isUniqueViolation(err) {
			return errStepTaken
		}
		return err
	}
	head := fmt.Sprintf("Escalation level %d of %q", st.Level+1, r.policyName)
	if r.policy.Repeats > 0 {
		head += fmt.Sprintf(" (round %d of %d)", st.Round+1, r.policy.Repeats+1)
	}
	data := map[string]any{"incident_id": r.id, "ticket_id": r.ticketID, "level": st.Level + 1, "round": st.Round + 1, "user_ids": ids, "skipped": st.Skipped}
	var body string
	if st.Skipped {
		var named []string
		for _, t := range r.policy.Levels[st.Level].Targets {
			named = append(named, tx.targetLabel(ctx, t))
		}
		body = head + ": skipped, nobody to notify (" + strings.Join(named, ", ") + ")."
	} else {
		var names []string
		for _, rc := range st.Recipients {
			name := userLabel(ctx, tx, rc.UserID)
			if rc.Target.Kind != escalation.TargetUser {
				name += " (" + tx.targetLabel(ctx, rc.Target) + ")"
			}
			names = append(names, name)
		}
		body = head + ": notified " + strings.Join(names, ", ") + "."
	}
	if err := tx.addEvent(ctx, eventBy(tandem.SystemActor, r.ticketID, tandem.EventEscalation, tandem.VisibilityTeams, body, data)); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &r.orgID, "incident.step", incidentTarget(r.id), data); err != nil {
		return err
	}
	if st.Skipped {
		return nil
	}
	incidentID, ticketID, orgID := r.id, r.ticketID, r.orgID
	m := &message{orgID: &orgID, ticketID: &ticketID, incidentID: &incidentID, kind: tandem.NotifyEscalation, priority: tk.priority,
		subject: fmt.Sprintf("[%s] Escalation: ticket #%d %s", tk.priority, r.ticketID, tk.title),
		body: fmt.Sprintf("%s: ticket #%d “%s” (%s) waits for someone to take it.\n\nAcknowledge to stop the escalation; otherwise the next level is notified.",
			head, r.ticketID, tk.title, tk.priority),
		link: "/tickets/" + strconv.FormatInt(r.ticketID, 10), teams: true,
		ackFor:        func(userID int64) (string, error) { return tx.newAckLink(ctx, r.id, "user_id", userID) },
		webhookAckFor: func(webhookID int64) (string, error) { return tx.newAckLink(ctx, r.id, "webhook_id", webhookID) },
	}
	if err := tx.sendToUsers(ctx, m, ids); err != nil {
		return err
	}
	return tx.sendToWebhooks(ctx, m)
}

// targetLabel names a target in a timeline sentence: a person by name, a
// party's queue, a schedule by its name.
func (tx *Tx) targetLabel(ctx context.Context, t escalation.Target) string {
	switch t.Kind {
	case escalation.TargetQueue:
		return t.Party + " queue"
	case escalation.TargetSchedule:
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM oncall_schedules WHERE id = ?`, t.ScheduleID).Scan(&name); err != nil {
			return "on call: schedule " + strconv.FormatInt(t.ScheduleID, 10)
		}
		return "on call: " + name
	}
	return userLabel(ctx, tx, t.UserID)
}

// resolveTarget is the active users a target names at now who may work
// the organisation's tickets: a user, a party's queue (its technicians and
// admins who see the organisation), or whoever is on call in a schedule.
func (tx *Tx) resolveTarget(ctx context.Context, orgID int64, t escalation.Target, now time.Time) ([]int64, error) {
	staff := func(id int64) ([]int64, error) {
		u, err := findDeskUser(ctx, tx, orgID, id)
		if err != nil || u == nil || u.Role == tandem.RoleRequester {
			return nil, err
		}
		return []int64{id}, nil
	}
	switch t.Kind {
	case escalation.TargetUser:
		return staff(t.UserID)
	case escalation.TargetSchedule:
		id, ok, err := tx.onCallAt(ctx, t.ScheduleID, now)
		if err != nil || !ok {
			return nil, err
		}
		return staff(id)
	case escalation.TargetQueue:
		if tandem.PartyKind(t.Party) == tandem.PartyProvider {
			return tx.queryIDs(ctx, `SELECT u.id FROM users u WHERE u.organization_id IS NULL AND u.active = ? AND u.role IN (?, ?)
				AND (u.role = ? OR EXISTS (SELECT 1 FROM user_organizations uo WHERE uo.user_id = u.id AND uo.organization_id = ?)) ORDER BY u.id`,
				true, tandem.RoleAdmin, tandem.RoleTechnician, tandem.RoleAdmin, orgID)
		}
		return tx.queryIDs(ctx, `SELECT u.id FROM users u WHERE u.organization_id = ? AND u.active = ? AND u.role IN (?, ?) ORDER BY u.id`,
			orgID, true, tandem.RoleITAdmin, tandem.RoleITTechnician)
	}
	return nil, nil
}

// newAckLink stores a single-use acknowledgement token for one recipient
// of an incident, valid tandem.AckLinkTTL, and returns its path; only the
// token's hash is kept. The recipient is a user (owner "user_id") or a
// webhook's channel ("webhook_id").
func (tx *Tx) newAckLink(ctx context.Context, incidentID int64, owner string, id int64) (string, error) {
	if owner != "user_id" && owner != "webhook_id" {
		return "", fmt.Errorf("an acknowledgement link cannot belong to %q", owner)
	}
	plain := secret.New("")
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_ack_tokens (token_hash, incident_id, `+owner+`, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		secret.Hash(plain), incidentID, id, at(tx.now), at(tx.now.Add(tandem.AckLinkTTL))); err != nil {
		return "", err
	}
	return "/ack/" + plain, nil
}

func incidentTarget(id int64) string { return "incident:" + strconv.FormatInt(id, 10) }
