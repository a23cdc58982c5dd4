package tandem

// The access rules of the tenancy domain, in one place. Scope (which rows an
// actor can see at all) is applied by storage in every query; these functions
// decide what an actor may change among the rows it can see. Outside scope is
// always ENOTFOUND, inside scope but not allowed is EFORBIDDEN.

// CanCreateOrganization reports whether the actor may add client organisations.
func (a *Actor) CanCreateOrganization() error {
	if !a.IsProviderAdmin() || !a.CanWrite() {
		return Errorf(EFORBIDDEN, "Only provider admins can create organisations.")
	}
	return nil
}

// CanUpdateOrganization reports whether the actor may rename the organisation.
func (a *Actor) CanUpdateOrganization(orgID int64) error {
	if !a.CanWrite() {
		return Errorf(EFORBIDDEN, "Your access is read-only.")
	}
	if a.IsProviderAdmin() || (a.Party == PartyInternal && a.Role == RoleITAdmin && a.OrganizationID == orgID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "Only provider admins and the organisation's it-admins can change it.")
}

// CanManageUser reports whether the actor may create a user in the given
// state, or bring an existing user to it. A user cannot grant what they do not
// hold: it-admins manage their own organisation's internal users only, and
// only provider admins manage provider users and their assignments.
func (a *Actor) CanManageUser(u *User) error {
	if !a.CanWrite() {
		return Errorf(EFORBIDDEN, "Your access is read-only.")
	}
	if a.IsProviderAdmin() {
		return nil
	}
	if a.Party == PartyInternal && a.Role == RoleITAdmin && u.Party == PartyInternal &&
		u.OrganizationID != nil && *u.OrganizationID == a.OrganizationID {
		return nil
	}
	return Errorf(EFORBIDDEN, "You cannot manage this user: provider admins manage everyone, an organisation's it-admins manage its internal users.")
}

// CanCreateTokenFor reports whether the actor may issue an API token acting as
// the given user: their own, or anyone's for provider admins.
func (a *Actor) CanCreateTokenFor(userID int64) error {
	if a.ReadOnly {
		return Errorf(EFORBIDDEN, "Your access is read-only.")
	}
	if a.IsProviderAdmin() || a.UserID == userID {
		return nil
	}
	return Errorf(EFORBIDDEN, "You can create API tokens for yourself only.")
}
