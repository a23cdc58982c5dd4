package tandem

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/escalation"
)

// EscalationTarget is whom a level of a policy notifies: a user
// (escalation.TargetUser, UserID), a party's queue (TargetQueue, Party:
// its technicians and admins who see the organisation) or whoever is on
// call in a schedule (TargetSchedule, ScheduleID).
type EscalationTarget = escalation.Target

// EscalationLevel is one level of a policy: its targets and timeout.
type EscalationLevel = escalation.Level

// Limits of a policy.
const (
	MaxEscalationLevels  = 10
	MaxEscalationTargets = 10
	MaxEscalationTimeout = 24 * 60 // minutes
)

// EscalationPolicy is a party's escalation path and what it applies to.
// A provider policy applies to one organisation or, with OrganizationID
// nil, to every one; an internal policy to its organisation. A trigger
// starts at most one incident per party: the first of that party's
// policies, in Position order, that matches.
type EscalationPolicy struct {
	ID             int64     `json:"id"`
	OrganizationID *int64    `json:"organization_id"`
	Party          PartyKind `json:"party"` // whose policy
	Name           string    `json:"name"`
	Position       int       `json:"position"` // order among the party's policies, lowest first
	// What it matches; empty matches anything. OwningParty is the
	// ticket's; Hours the organisation's business calendar.
	OwningParty PartyKind            `json:"owning_party"`
	Priorities  []Priority           `json:"priorities"`
	AreaIDs     []int64              `json:"area_ids"`
	Hours       escalation.Hours     `json:"hours"`
	Triggers    []escalation.Trigger `json:"triggers"`
	// The path: its levels in order, run once and Repeats more times.
	Levels    []EscalationLevel `json:"levels"`
	Repeats   int               `json:"repeats"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Match is what the policy applies to, for escalation.Select.
func (p *EscalationPolicy) Match() escalation.Match {
	m := escalation.Match{OrganizationID: p.OrganizationID, Party: string(p.OwningParty), AreaIDs: p.AreaIDs, Hours: p.Hours, Triggers: p.Triggers}
	for _, pr := range p.Priorities {
		m.Priorities = append(m.Priorities, int(pr))
	}
	return m
}

// Path is the policy's escalation path, as an incident snapshots it.
func (p *EscalationPolicy) Path() escalation.Policy {
	return escalation.Policy{Levels: p.Levels, Repeats: p.Repeats}.Clone()
}

// FieldError is an error of one field of a form-shaped input, so that a
// form shows it beside that field; it unwraps to an EINVALID *Error.
type FieldError struct {
	Field string
	Err   *Error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErrorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: Errorf(EINVALID, format, args...)}
}

// Validate trims and checks a policy's own fields; storage checks that its
// organisation, areas, users and schedules exist.
func (p *EscalationPolicy) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Hours == "" {
		p.Hours = escalation.AnyHours
	}
	switch {
	case p.Name == "":
		return fieldErrorf("name", "Name is empty: give the policy a name, such as \"P1 out of hours\".")
	case utf8.RuneCountInString(p.Name) > 100:
		return fieldErrorf("name", "Name is longer than 100 characters: shorten it.")
	case p.Party != PartyProvider && p.Party != PartyInternal:
		return fieldErrorf("party", "Party %q is not a party: use provider or internal.", p.Party)
	case p.Party == PartyInternal && p.OrganizationID == nil:
		return fieldErrorf("organization_id", "An internal policy belongs to one organisation: set organization_id.")
	case p.OwningParty != "" && p.OwningParty != PartyProvider && p.OwningParty != PartyInternal:
		return fieldErrorf("owning_party", "Owning party %q is not a party: use provider, internal, or leave it empty for either.", p.OwningParty)
	case p.Hours != escalation.AnyHours && p.Hours != escalation.InsideHours && p.Hours != escalation.OutsideHours:
		return fieldErrorf("hours", "Hours %q is not known: use any, inside or outside.", p.Hours)
	case len(p.Triggers) == 0:
		return fieldErrorf("triggers", "No trigger chosen: pick what starts the escalation (a new P1/P2 ticket, an SLA warning or breach, an OLA breach).")
	case p.Repeats < 0 || p.Repeats > escalation.MaxRepeats:
		return fieldErrorf("repeats", "Repeats %d is out of range: the policy may run again 0 to %d times.", p.Repeats, escalation.MaxRepeats)
	case len(p.Levels) == 0:
		return fieldErrorf("levels", "The policy has no level: add at least one level with a target and a timeout.")
	case len(p.Levels) > MaxEscalationLevels:
		return fieldErrorf("levels", "The policy has %d levels: %d at most.", len(p.Levels), MaxEscalationLevels)
	}
	for _, pr := range p.Priorities {
		if pr < 1 || pr > 5 {
			return fieldErrorf("priorities", "Priority %d does not exist: use 1 to 5.", pr)
		}
	}
	for _, tr := range p.Triggers {
		if !slices.Contains(escalation.Triggers, tr) {
			return fieldErrorf("triggers", "Trigger %q is not known: use ticket, sla_warning, sla_breach or ola_breach.", tr)
		}
	}
	slices.Sort(p.Priorities)
	p.Priorities = slices.Compact(p.Priorities)
	slices.Sort(p.AreaIDs)
	p.AreaIDs = slices.Compact(p.AreaIDs)
	for i := range p.Levels {
		if err := validateLevel(&p.Levels[i], i); err != nil {
			return err
		}
	}
	return nil
}

func validateLevel(l *EscalationLevel, i int) error {
	field := fmt.Sprintf("levels.%d.", i)
	switch {
	case l.TimeoutMinutes < 1 || l.TimeoutMinutes > MaxEscalationTimeout:
		return fieldErrorf(field+"timeout_minutes", "Level %d: timeout %d minutes is out of range: use 1 to %d minutes.", i+1, l.TimeoutMinutes, MaxEscalationTimeout)
	case len(l.Targets) == 0:
		return fieldErrorf(field+"targets", "Level %d has no target: name a person, a party's queue or an on-call schedule.", i+1)
	case len(l.Targets) > MaxEscalationTargets:
		return fieldErrorf(field+"targets", "Level %d has %d targets: %d at most.", i+1, len(l.Targets), MaxEscalationTargets)
	}
	for j, t := range l.Targets {
		ok := false
		switch t.Kind {
		case escalation.TargetUser:
			ok = t.UserID > 0 && t.Party == "" && t.ScheduleID == 0
		case escalation.TargetQueue:
			ok = (t.Party == string(PartyProvider) || t.Party == string(PartyInternal)) && t.UserID == 0 && t.ScheduleID == 0
		case escalation.TargetSchedule:
			ok = t.ScheduleID > 0 && t.UserID == 0 && t.Party == ""
		}
		if !ok {
			return fieldErrorf(field+"targets", "Level %d, target %d: give kind user with user_id, queue with party (provider or internal), or schedule with schedule_id.", i+1, j+1)
		}
	}
	return nil
}

// IncidentState is where an incident stands: triggered (escalating),
// acknowledged, resolved (its ticket was) or exhausted (every level of
// every round timed out).
type IncidentState = escalation.Status

// Incident is one run of an escalation policy for a ticket. It follows
// PolicySnapshot, the policy as it was when the incident started.
type Incident struct {
	ID             int64              `json:"id"`
	OrganizationID int64              `json:"organization_id"`
	TicketID       int64              `json:"ticket_id"`
	PolicyID       *int64             `json:"policy_id"` // nil once the policy is deleted
	PolicyName     string             `json:"policy_name"`
	Party          PartyKind          `json:"party"` // the policy's party
	Trigger        escalation.Trigger `json:"trigger"`
	State          IncidentState      `json:"state"`
	// Level and Round count from 1: the level last notified (or skipped)
	// in which pass of the policy.
	Level          int               `json:"level"`
	Round          int               `json:"round"`
	NextStepAt     *time.Time        `json:"next_step_at"` // while triggered
	AcknowledgedBy *int64            `json:"acknowledged_by"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at"`
	ResolvedAt     *time.Time        `json:"resolved_at"`
	PolicySnapshot escalation.Policy `json:"policy_snapshot"`
	Steps          []*IncidentStep   `json:"steps"`
	CreatedAt      time.Time         `json:"created_at"`
	// People names the users the incident mentions, as the reader may know them.
	People map[int64]string `json:"-"`
}

// IncidentStep is one level reached: who it notified, or that it was
// skipped because its targets resolved to nobody.
type IncidentStep struct {
	Level      int       `json:"level"` // from 1
	Round      int       `json:"round"` // from 1
	At         time.Time `json:"at"`
	Skipped    bool      `json:"skipped"`
	UserIDs    []int64   `json:"user_ids"`
	Recipients []string  `json:"recipients"` // names, with the target that named each
}

// AckLink is what an acknowledgement link shows before it is used: the
// incident and its ticket, and whether the link still works.
type AckLink struct {
	Incident    *Incident `json:"incident"`
	TicketTitle string    `json:"ticket_title"`
	UserName    string    `json:"user_name"` // whom the link was sent to
	// WebhookName is set instead for a link posted to a webhook's
	// channel: it acknowledges as whoever signs in to use it.
	WebhookName string `json:"webhook_name,omitempty"`
	Used        bool   `json:"used"`
	Expired     bool   `json:"expired"`
}

// AckLinkTTL is how long an acknowledgement link works.
const AckLinkTTL = 24 * time.Hour

// EscalationPolicyFilter selects policies; scope always applies.
type EscalationPolicyFilter struct {
	OrganizationID *int64 // only those applying to this organisation (its own and the provider's for every organisation)
}

// EscalationService manages escalation policies and the incidents they
// run. Provider admins manage provider policies (for every organisation or
// one); an organisation's it-admins its internal policies
// (escalation.manage). Team members who see a ticket see its incidents;
// those who work it acknowledge, escalate or reassign them (ticket.work).
type EscalationService interface {
	// FindEscalationPolicies lists the policies in scope, provider's
	// first, each party's in order. FindEscalationPolicy: ENOTFOUND.
	FindEscalationPolicies(ctx context.Context, filter EscalationPolicyFilter) ([]*EscalationPolicy, error)
	FindEscalationPolicy(ctx context.Context, id int64) (*EscalationPolicy, error)
	// CreateEscalationPolicy and UpdateEscalationPolicy: EINVALID (a
	// *FieldError naming the field), EFORBIDDEN, ENOTFOUND.
	CreateEscalationPolicy(ctx context.Context, p *EscalationPolicy) error
	UpdateEscalationPolicy(ctx context.Context, p *EscalationPolicy) error
	DeleteEscalationPolicy(ctx context.Context, id int64) error

	// FindIncidents lists a ticket's incidents, newest first (ENOTFOUND
	// for a ticket out of scope, or for a requester).
	FindIncidents(ctx context.Context, ticketID int64) ([]*Incident, error)
	FindIncident(ctx context.Context, id int64) (*Incident, error)
	// Acknowledge stops a triggered incident (ECONFLICT once it is not).
	Acknowledge(ctx context.Context, id int64) (*Incident, error)
	// PeekAckLink shows what a link would acknowledge, changing nothing;
	// AcknowledgeWithToken acknowledges as the user the link was sent to:
	// the token is the credential, no actor is needed. A link posted to a
	// webhook's channel acknowledges as the actor in ctx, who must be
	// signed in (EUNAUTHORIZED) and may work the ticket. EUNAUTHORIZED for
	// an unknown token; ECONFLICT for a used or expired one, or an
	// incident no longer triggered.
	PeekAckLink(ctx context.Context, token string) (*AckLink, error)
	AcknowledgeWithToken(ctx context.Context, token string) (*Incident, error)
	// Reassign assigns the ticket to userID and acknowledges the incident.
	Reassign(ctx context.Context, id, userID int64) (*Incident, error)
	// Escalate notifies the next level now.
	Escalate(ctx context.Context, id int64) (*Incident, error)
}
