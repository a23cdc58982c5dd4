package sqlstore

import "github.com/tandemhq/tandem"

// orgScope returns a SQL condition on an organisation id column limiting rows
// to the organisations the actor may see, and its arguments. Every query on
// tenant data joins it in.
func orgScope(a *tandem.Actor, column string) (string, []any) {
	cond, args := roleOrgScope(a, column)
	if a.OnlyOrganizationID != 0 {
		return "(" + cond + " AND " + column + " = ?)", append(args, a.OnlyOrganizationID)
	}
	return cond, args
}

// roleOrgScope is orgScope before any token restriction.
func roleOrgScope(a *tandem.Actor, column string) (string, []any) {
	switch {
	case a.SeesAllOrganizations():
		return "1=1", nil
	case a.Party == tandem.PartyProvider:
		return column + " IN (SELECT organization_id FROM user_organizations WHERE user_id = ?)", []any{a.UserID}
	default:
		return column + " = ?", []any{a.OrganizationID}
	}
}

// userScope returns a SQL condition on the users table (alias u) limiting rows
// to the users the actor may see: provider admins see everyone; other provider
// staff their colleagues and the users of their assigned organisations; an
// organisation's IT staff its users and the provider staff assigned to it; a
// requester only themselves.
func userScope(a *tandem.Actor) (string, []any) {
	cond, args := roleUserScope(a)
	if a.OnlyOrganizationID != 0 {
		// A token restricted to one organisation sees its users, the provider
		// staff assigned to it, and its own user.
		return "(" + cond + " AND (u.organization_id = ? OR u.id = ? OR u.id IN (SELECT user_id FROM user_organizations WHERE organization_id = ?)))",
			append(args, a.OnlyOrganizationID, a.UserID, a.OnlyOrganizationID)
	}
	return cond, args
}

// roleUserScope is userScope before any token restriction.
func roleUserScope(a *tandem.Actor) (string, []any) {
	switch {
	case a.SeesAllOrganizations():
		return "1=1", nil
	case a.Party == tandem.PartyProvider:
		return "(u.organization_id IS NULL OR u.organization_id IN (SELECT organization_id FROM user_organizations WHERE user_id = ?))", []any{a.UserID}
	case a.Role == tandem.RoleRequester:
		return "u.id = ?", []any{a.UserID}
	default:
		return "(u.organization_id = ? OR u.id IN (SELECT user_id FROM user_organizations WHERE organization_id = ?))", []any{a.OrganizationID, a.OrganizationID}
	}
}
