package tandem

import (
	"slices"
)

// Access has two layers. Scope — which rows exist for an actor at all — is
// applied by storage in every query (sqlstore/scope.go): provider admins see
// every organisation, other provider staff the ones assigned to them, internal
// users their own. Outside scope is always ENOTFOUND. Permission — what an
// actor may do with what it can see — is this table: inside scope but not
// allowed is EFORBIDDEN. docs/SECURITY.md prints the same table; a test keeps
// the two equal.

// Action names something an actor may be allowed to do.
type Action string

// The actions of the identity and tenancy domain.
const (
	ActionOrganizationCreate Action = "organization.create" // add a client organisation
	ActionOrganizationUpdate Action = "organization.update" // rename it, change its settings (such as requiring MFA)
	ActionUserManage         Action = "user.manage"         // create, invite, change role, deactivate, end sessions of users, reset their MFA
	ActionProviderManage     Action = "provider.manage"     // provider staff, their assignments, provider settings
	ActionTokenCreateForUser Action = "token.create_for"    // issue an API token acting as another user
	ActionAuditRead          Action = "audit.read"          // browse and export the audit trail
	ActionRead               Action = "read"                // see what is in scope
	ActionMatrixEdit         Action = "matrix.edit"         // edit service areas, propose and withdraw responsibility matrices
	ActionMatrixSign         Action = "matrix.sign"         // sign a proposed responsibility matrix for one's party
	ActionTicketRequest      Action = "ticket.request"      // open tickets, reply publicly and reopen on one's own tickets
	ActionTicketWork         Action = "ticket.work"         // work tickets: status, assignment, comments of any visibility, handoffs, time, attachments
	ActionSLAManage          Action = "sla.manage"          // edit business calendars, the SLA policy and OLAs
	ActionEscalationManage   Action = "escalation.manage"   // edit the party's escalation policies
	ActionOnCallManage       Action = "oncall.manage"       // create, edit and delete one's party's on-call schedules
	ActionDeviceRead         Action = "device.read"         // see devices, their inventory, metrics and history
	ActionDeviceManage       Action = "device.manage"       // create enrolment tokens, revoke agents, rotate their credentials, configure local checks
)

// Permission grants an action to roles of one party. For internal roles the
// grant covers only their own organisation.
type Permission struct {
	Action      Action
	Party       PartyKind
	Roles       []Role
	Description string
}

// Permissions is the permission table: role × party × action.
var Permissions = []Permission{
	{ActionRead, PartyProvider, []Role{RoleAdmin, RoleTechnician, RoleViewer}, "see the organisations in scope"},
	{ActionRead, PartyInternal, []Role{RoleITAdmin, RoleITTechnician, RoleViewer, RoleRequester}, "see their organisation (requesters: their own records)"},
	{ActionOrganizationCreate, PartyProvider, []Role{RoleAdmin}, "add client organisations"},
	{ActionOrganizationUpdate, PartyProvider, []Role{RoleAdmin}, "change any organisation"},
	{ActionOrganizationUpdate, PartyInternal, []Role{RoleITAdmin}, "change their organisation, require MFA for it"},
	{ActionUserManage, PartyProvider, []Role{RoleAdmin}, "manage every user"},
	{ActionUserManage, PartyInternal, []Role{RoleITAdmin}, "manage their organisation's internal users"},
	{ActionProviderManage, PartyProvider, []Role{RoleAdmin}, "manage provider staff, assignments and settings"},
	{ActionTokenCreateForUser, PartyProvider, []Role{RoleAdmin}, "issue API tokens acting as other users"},
	{ActionAuditRead, PartyProvider, []Role{RoleAdmin, RoleTechnician, RoleViewer}, "read the audit trail of organisations in scope (admins: also the provider's)"},
	{ActionAuditRead, PartyInternal, []Role{RoleITAdmin, RoleITTechnician, RoleViewer}, "read their organisation's audit trail"},
	{ActionMatrixEdit, PartyProvider, []Role{RoleAdmin}, "edit service areas and propose responsibility matrices of any organisation"},
	{ActionMatrixEdit, PartyInternal, []Role{RoleITAdmin}, "edit their organisation's service areas and propose its responsibility matrix"},
	{ActionMatrixSign, PartyProvider, []Role{RoleAdmin}, "sign a proposed responsibility matrix for the provider"},
	{ActionMatrixSign, PartyInternal, []Role{RoleITAdmin}, "sign a proposed responsibility matrix for their organisation"},
	{ActionTicketRequest, PartyProvider, []Role{RoleAdmin, RoleTechnician}, "open tickets for organisations in scope"},
	{ActionTicketRequest, PartyInternal, []Role{RoleITAdmin, RoleITTechnician, RoleRequester}, "open tickets (requesters: for themselves) and reply on their own"},
	{ActionTicketWork, PartyProvider, []Role{RoleAdmin, RoleTechnician}, "work the tickets of organisations in scope"},
	{ActionTicketWork, PartyInternal, []Role{RoleITAdmin, RoleITTechnician}, "work their organisation's tickets"},
	{ActionSLAManage, PartyProvider, []Role{RoleAdmin}, "edit any organisation's business calendars, SLA policy and OLAs"},
	{ActionSLAManage, PartyInternal, []Role{RoleITAdmin}, "edit their organisation's business calendars, SLA policy and OLAs"},
	{ActionEscalationManage, PartyProvider, []Role{RoleAdmin}, "edit the provider's escalation policies, for every organisation or one"},
	{ActionEscalationManage, PartyInternal, []Role{RoleITAdmin}, "edit their organisation's internal escalation policies"},
	{ActionOnCallManage, PartyProvider, []Role{RoleAdmin}, "manage the provider's on-call schedules"},
	{ActionOnCallManage, PartyInternal, []Role{RoleITAdmin}, "manage their organisation's internal on-call schedules"},
	{ActionDeviceRead, PartyProvider, []Role{RoleAdmin, RoleTechnician, RoleViewer}, "see the devices of organisations in scope"},
	{ActionDeviceRead, PartyInternal, []Role{RoleITAdmin, RoleITTechnician, RoleViewer}, "see their organisation's devices"},
	{ActionDeviceManage, PartyProvider, []Role{RoleAdmin}, "enrol, revoke and configure the agents of any organisation"},
	{ActionDeviceManage, PartyInternal, []Role{RoleITAdmin}, "enrol, revoke and configure their organisation's agents"},
}

// writes reports whether an action changes anything; read-only tokens and
// viewers never get those.
func (act Action) writes() bool {
	return act != ActionRead && act != ActionAuditRead && act != ActionDeviceRead
}

// Can returns nil when the actor may perform action on the organisation orgID
// (zero for installation-wide actions), and EFORBIDDEN otherwise. It does not
// check scope: callers have already found the organisation through a scoped
// query. A credential restricted to one organisation acts on that
// organisation only: never on another, and never installation-wide (reading
// stays allowed, narrowed by scope to that organisation).
func (a *Actor) Can(action Action, orgID int64) error {
	if action.writes() && a.ReadOnly {
		return Errorf(EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	}
	if a.OnlyOrganizationID != 0 && (orgID != 0 && orgID != a.OnlyOrganizationID || orgID == 0 && action.writes()) {
		return Errorf(EFORBIDDEN, "This token is restricted to one organisation; use a token without that restriction for %s.", action)
	}
	if a.System {
		return nil
	}
	for _, p := range Permissions {
		if p.Action != action || p.Party != a.Party || !slices.Contains(p.Roles, a.Role) {
			continue
		}
		if p.Party == PartyInternal && (orgID == 0 || orgID != a.OrganizationID) {
			continue
		}
		return nil
	}
	return Errorf(EFORBIDDEN, "Your role (%s %s) does not allow %s.", a.Party, a.Role, action)
}

// CanManageUser reports whether the actor may create a user in the given
// state, or bring an existing user to it. A user cannot grant what they do not
// hold: it-admins manage their own organisation's internal users only, and
// only provider admins manage provider users and their assignments.
func (a *Actor) CanManageUser(u *User) error {
	if u.Party == PartyProvider || u.OrganizationID == nil {
		return a.Can(ActionProviderManage, 0)
	}
	return a.Can(ActionUserManage, *u.OrganizationID)
}

// CanCreateTokenFor reports whether the actor may issue an API token acting as
// the given user: their own, or anyone's for provider admins.
func (a *Actor) CanCreateTokenFor(userID int64) error {
	if a.ReadOnly {
		return Errorf(EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	}
	if a.UserID == userID && !a.System {
		return nil
	}
	return a.Can(ActionTokenCreateForUser, 0)
}
