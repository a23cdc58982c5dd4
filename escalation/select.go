package escalation

import "slices"

// Trigger is what starts an incident.
type Trigger string

const (
	TriggerTicket     Trigger = "ticket"      // a new P1 or P2 ticket
	TriggerSLAWarning Trigger = "sla_warning" // a response or resolution target nearly used up
	TriggerSLABreach  Trigger = "sla_breach"  // a response or resolution target missed
	TriggerOLABreach  Trigger = "ola_breach"  // a handoff not accepted within the receiving party's target
)

// Triggers lists every trigger, in the order forms show them.
var Triggers = []Trigger{TriggerTicket, TriggerSLAWarning, TriggerSLABreach, TriggerOLABreach}

// Hours says when, against the organisation's business calendar, a policy
// applies.
type Hours string

const (
	AnyHours     Hours = "any"
	InsideHours  Hours = "inside"
	OutsideHours Hours = "outside"
)

// Match is what a policy applies to. Every empty field matches anything:
// OrganizationID nil every organisation, Party "" either owning party, no
// priorities, areas or triggers any of them.
type Match struct {
	OrganizationID *int64    `json:"organization_id"`
	Party          string    `json:"party,omitempty"` // the ticket's owning party
	Priorities     []int     `json:"priorities,omitempty"`
	AreaIDs        []int64   `json:"area_ids,omitempty"`
	Hours          Hours     `json:"hours"`
	Triggers       []Trigger `json:"triggers,omitempty"`
}

// Facts describe the event a policy is sought for.
type Facts struct {
	OrganizationID int64
	Party          string
	Priority       int
	AreaID         *int64
	InsideHours    bool
	Trigger        Trigger
}

// Matches reports whether m applies to f.
func (m Match) Matches(f Facts) bool {
	switch {
	case m.OrganizationID != nil && *m.OrganizationID != f.OrganizationID,
		m.Party != "" && m.Party != f.Party,
		len(m.Priorities) > 0 && !slices.Contains(m.Priorities, f.Priority),
		len(m.AreaIDs) > 0 && (f.AreaID == nil || !slices.Contains(m.AreaIDs, *f.AreaID)),
		m.Hours == InsideHours && !f.InsideHours,
		m.Hours == OutsideHours && f.InsideHours,
		len(m.Triggers) > 0 && !slices.Contains(m.Triggers, f.Trigger):
		return false
	}
	return true
}

// Select returns the index of the first of matches, in their explicit
// order, that applies to f; ok is false when none does.
func Select(matches []Match, f Facts) (index int, ok bool) {
	for i, m := range matches {
		if m.Matches(f) {
			return i, true
		}
	}
	return -1, false
}
