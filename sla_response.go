package tandem

import (
	"slices"
	"strings"
)

// StaffAction is what someone does to a ticket, as the response rule and
// the move from new to open weigh it.
type StaffAction string

// The actions the rule knows. A reply is a comment, whose visibility
// decides; accepting a handoff is the receiving party's OLA, never the
// requester's answer; the others count as a response only where the
// organisation's SLA policy marks them (ResponseActions).
const (
	StaffReply  StaffAction = "reply"
	StaffAccept StaffAction = "accept"
	StaffAssign StaffAction = "assign"
	StaffStatus StaffAction = "status"
	StaffTime   StaffAction = "time"
)

// MarkableActions are the actions a policy may mark as counting as a
// response, in the order they are stored and shown.
var MarkableActions = []StaffAction{StaffAssign, StaffStatus, StaffTime}

// Describe says in a few words what a markable action is, for the settings
// page and error messages.
func (act StaffAction) Describe() string {
	switch act {
	case StaffAssign:
		return "assigning the ticket"
	case StaffStatus:
		return "a status change by staff"
	case StaffTime:
		return "logging time, e.g. a phone call"
	}
	return string(act)
}

// StaffRole reports whether role works tickets: the admins and technicians
// of either party, not viewers or requesters.
func StaffRole(role Role) bool {
	switch role {
	case RoleAdmin, RoleTechnician, RoleITAdmin, RoleITTechnician:
		return true
	}
	return false
}

// IsStaff reports whether the actor is a person who works tickets for
// either party; the system (command line, worker) is not.
func (a *Actor) IsStaff() bool {
	return a != nil && !a.System && StaffRole(a.Role)
}

// CountsAsResponse is the response rule: the response target of a ticket
// is met by the first public reply to the requester by staff of either
// party (the owning party's, or the other's when it answers first), or by
// a staff action the policy p marks (nil: none). Requesters and the system
// never respond; comments for the teams or one party do not reach the
// requester; accepting a handoff meets that handoff's OLA, not the SLA.
func CountsAsResponse(a *Actor, act StaffAction, v Visibility, p *SLAPolicy) bool {
	if !a.IsStaff() {
		return false
	}
	switch act {
	case StaffReply:
		return v == VisibilityPublic
	case StaffAccept:
		return false
	}
	return p != nil && slices.Contains(p.ResponseActions, act)
}

// OpensTicket reports whether the action moves a new ticket to open: the
// first thing staff do with it — accept a handoff, assign it, comment at
// any visibility — or anything that counts as its response, since a
// ticket answered is no longer untouched. An assignment that clears the
// assignee is not one; the caller passes StaffAssign only for a person.
func OpensTicket(a *Actor, act StaffAction, v Visibility, p *SLAPolicy) bool {
	if !a.IsStaff() {
		return false
	}
	switch act {
	case StaffReply, StaffAccept, StaffAssign:
		return true
	}
	return CountsAsResponse(a, act, v, p)
}

// validateResponseActions checks the marked actions and keeps each once,
// in the order of MarkableActions.
func (p *SLAPolicy) validateResponseActions() error {
	allowed := make([]string, len(MarkableActions))
	for i, act := range MarkableActions {
		allowed[i] = string(act) + " (" + act.Describe() + ")"
	}
	for _, act := range p.ResponseActions {
		if !slices.Contains(MarkableActions, act) {
			return Errorf(EINVALID, "response_actions: %q is not an action a policy can mark as a response; use %s. A public reply by staff always counts and accepting a handoff never does.",
				act, strings.Join(allowed, ", "))
		}
	}
	marked := []StaffAction{}
	for _, act := range MarkableActions {
		if slices.Contains(p.ResponseActions, act) {
			marked = append(marked, act)
		}
	}
	p.ResponseActions = marked
	return nil
}
