package tandem_test

import (
	"testing"

	"github.com/tandemhq/tandem"
)

func TestActorCan(t *testing.T) {
	const own, other = 1, 2
	actor := func(party tandem.PartyKind, role tandem.Role) *tandem.Actor {
		a := &tandem.Actor{UserID: 9, Party: party, Role: role}
		if party == tandem.PartyInternal {
			a.OrganizationID = own
		}
		return a
	}
	tests := []struct {
		name   string
		actor  *tandem.Actor
		action tandem.Action
		org    int64
		allow  bool
	}{
		{"ProviderAdminCreatesOrganization", actor(tandem.PartyProvider, tandem.RoleAdmin), tandem.ActionOrganizationCreate, 0, true},
		{"TechnicianCannotCreateOrganization", actor(tandem.PartyProvider, tandem.RoleTechnician), tandem.ActionOrganizationCreate, 0, false},
		{"ITAdminCannotCreateOrganization", actor(tandem.PartyInternal, tandem.RoleITAdmin), tandem.ActionOrganizationCreate, 0, false},
		{"ITAdminUpdatesOwnOrganization", actor(tandem.PartyInternal, tandem.RoleITAdmin), tandem.ActionOrganizationUpdate, own, true},
		{"ITAdminCannotUpdateOtherOrganization", actor(tandem.PartyInternal, tandem.RoleITAdmin), tandem.ActionOrganizationUpdate, other, false},
		{"ITTechnicianCannotUpdateOrganization", actor(tandem.PartyInternal, tandem.RoleITTechnician), tandem.ActionOrganizationUpdate, own, false},
		{"ITAdminManagesOwnUsers", actor(tandem.PartyInternal, tandem.RoleITAdmin), tandem.ActionUserManage, own, true},
		{"ITAdminCannotManageProvider", actor(tandem.PartyInternal, tandem.RoleITAdmin), tandem.ActionProviderManage, 0, false},
		{"ProviderViewerReadsAudit", actor(tandem.PartyProvider, tandem.RoleViewer), tandem.ActionAuditRead, own, true},
		{"RequesterCannotReadAudit", actor(tandem.PartyInternal, tandem.RoleRequester), tandem.ActionAuditRead, own, false},
		{"ViewerCannotManageUsers", actor(tandem.PartyInternal, tandem.RoleViewer), tandem.ActionUserManage, own, false},
		{"SystemDoesAnything", tandem.SystemActor, tandem.ActionProviderManage, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.actor.Can(tt.action, tt.org)
			if (err == nil) != tt.allow {
				t.Fatalf("Can(%s, %d) = %v, want allowed=%v", tt.action, tt.org, err, tt.allow)
			}
			if err != nil && tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Fatalf("refusal code %s, want forbidden", tandem.ErrorCode(err))
			}
		})
	}
	t.Run("ReadOnlyNeverWrites", func(t *testing.T) {
		a := actor(tandem.PartyProvider, tandem.RoleAdmin)
		a.ReadOnly = true
		for _, p := range tandem.Permissions {
			err := a.Can(p.Action, own)
			writes := p.Action != tandem.ActionRead && p.Action != tandem.ActionAuditRead && p.Action != tandem.ActionDeviceRead
			if writes && err == nil {
				t.Errorf("read-only admin may %s", p.Action)
			}
		}
		if err := a.Can(tandem.ActionRead, own); err != nil {
			t.Errorf("read-only admin may not read: %v", err)
		}
	})
	t.Run("RestrictedTokenStaysInItsOrganization", func(t *testing.T) {
		a := actor(tandem.PartyProvider, tandem.RoleAdmin)
		a.OnlyOrganizationID = own
		for _, tt := range []struct {
			action tandem.Action
			org    int64
			allow  bool
		}{
			{tandem.ActionOrganizationUpdate, own, true},
			{tandem.ActionUserManage, own, true},
			// Reading in general stays allowed: scope narrows it to own.
			{tandem.ActionRead, 0, true},
			{tandem.ActionAuditRead, 0, true},
			{tandem.ActionOrganizationUpdate, other, false},
			{tandem.ActionRead, other, false},
			{tandem.ActionAuditRead, other, false},
			{tandem.ActionOrganizationCreate, 0, false},
			{tandem.ActionProviderManage, 0, false},
			{tandem.ActionTokenCreateForUser, 0, false},
		} {
			err := a.Can(tt.action, tt.org)
			if (err == nil) != tt.allow {
				t.Errorf("restricted admin: Can(%s, %d) = %v, want allowed=%v", tt.action, tt.org, err, tt.allow)
			}
		}
	})
}
