// Package demo loads a demonstration dataset: a managed service provider, two
// client organisations each with its own internal IT team, and users of every
// role, each client's responsibility matrix, and service-desk tickets in
// every state. Later capabilities extend it with their own records.
package demo

import (
	"context"
	"fmt"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

// Password is the password of every demo user. Demo mode only: never a default
// of a real installation.
const Password = "tandem-demo-2026"

// ProviderName is the demo's managed service provider.
const ProviderName = "Northwind MSP"

// Services are what the loader needs.
type Services struct {
	Organizations tandem.OrganizationService
	Users         tandem.UserService
	Matrix        tandem.MatrixService
	Tickets       tandem.TicketService
	SLA           tandem.SLAService
	// Escalation, when set, gets the demo's escalation policy.
	Escalation tandem.EscalationService
	Webhooks   tandem.WebhookService // optional: no demo webhooks without it
	OnCall     tandem.OnCallService  // nil: no on-call schedules
}

// Login describes one demo user for the start-up banner.
type Login struct {
	Email       string
	Description string
}

type demoUser struct {
	email, name string
	role        tandem.Role
	org         string   // slug of an internal user's organisation
	assigned    []string // slugs a provider user works on
	what        string
}

// The two clients match the co-managed profile: 25–250 employees, 1–3 IT staff.
var organizations = []tandem.Organization{
	{Name: "Harbor Logistics", Slug: "harbor-logistics"},
	{Name: "Maple Dental Group", Slug: "maple-dental"},
}

var users = []demoUser{
	{email: "owner@northwind-msp.example", name: "Nadia Okafor", role: tandem.RoleAdmin, what: "provider admin (sees every organisation)"},
	{email: "tech@northwind-msp.example", name: "Tom Becker", role: tandem.RoleTechnician, assigned: []string{"harbor-logistics", "maple-dental"}, what: "provider technician (both clients)"},
	{email: "noc@northwind-msp.example", name: "Priya Raman", role: tandem.RoleTechnician, assigned: []string{"harbor-logistics"}, what: "provider technician (Harbor Logistics only)"},
	{email: "vcio@northwind-msp.example", name: "Luis Ortega", role: tandem.RoleViewer, assigned: []string{"maple-dental"}, what: "provider viewer (Maple Dental only)"},
	{email: "it.manager@harbor.example", name: "Grace Lin", role: tandem.RoleITAdmin, org: "harbor-logistics", what: "Harbor Logistics it-admin"},
	{email: "it.tech@harbor.example", name: "Sam Patel", role: tandem.RoleITTechnician, org: "harbor-logistics", what: "Harbor Logistics it-technician"},
	{email: "cfo@harbor.example", name: "Dana Whitfield", role: tandem.RoleViewer, org: "harbor-logistics", what: "Harbor Logistics viewer (executive)"},
	{email: "warehouse@harbor.example", name: "Eli Moreno", role: tandem.RoleRequester, org: "harbor-logistics", what: "Harbor Logistics requester (employee)"},
	{email: "it@mapledental.example", name: "Hannah Kim", role: tandem.RoleITAdmin, org: "maple-dental", what: "Maple Dental it-admin (the whole IT team)"},
	{email: "frontdesk@mapledental.example", name: "Omar Haddad", role: tandem.RoleRequester, org: "maple-dental", what: "Maple Dental requester (employee)"},
}

// Load creates the demo dataset and returns the logins, or nil logins when the
// dataset is already there. ctx must carry an actor allowed to create
// organisations and users (tandem.SystemActor).
func Load(ctx context.Context, s Services) ([]Login, error) {
	if _, err := s.Organizations.FindOrganizationBySlug(ctx, organizations[0].Slug); err == nil {
		return nil, nil
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return nil, err
	}
	ids := map[string]int64{}
	for _, o := range organizations {
		org := o
		if err := s.Organizations.CreateOrganization(ctx, &org); err != nil {
			return nil, err
		}
		ids[org.Slug] = org.ID
	}
	var logins []Login
	itAdmins := map[string]*tandem.User{}
	var providerAdmin *tandem.User
	byEmail := map[string]*tandem.User{}
	for _, du := range users {
		u := &tandem.User{Email: du.email, Name: du.name, Role: du.role}
		if du.org != "" {
			id := ids[du.org]
			u.OrganizationID = &id
		}
		for _, slug := range du.assigned {
			u.Organizations = append(u.Organizations, ids[slug])
		}
		if err := s.Users.CreateUser(ctx, u, Password); err != nil {
			return nil, err
		}
		logins = append(logins, Login{Email: du.email, Description: du.what})
		byEmail[u.Email] = u
		if du.role == tandem.RoleITAdmin {
			itAdmins[du.org] = u
		}
		if du.role == tandem.RoleAdmin && du.org == "" {
			providerAdmin = u
		}
	}
	for slug, id := range ids {
		if err := acceptSeedMatrix(ctx, s.Matrix, id, itAdmins[slug], providerAdmin); err != nil {
			return nil, err
		}
	}
	schedules, err := loadOnCall(ctx, s.OnCall, ids)
	if err != nil {
		return nil, err
	}
	if err := loadEscalation(ctx, s.Escalation, byEmail, schedules); err != nil {
		return nil, err
	}
	if err := loadTickets(ctx, s, ids, byEmail); err != nil {
		return nil, err
	}
	if err := loadWebhooks(ctx, s, ids, byEmail); err != nil {
		return nil, err
	}
	return logins, nil
}

// internalAreas are the service areas the internal team owns in the split
// co-managed IT is known for; the provider owns the rest.
var internalAreas = map[string]bool{
	"end-user-support": true, "hardware-deployment": true, "on-site-troubleshooting": true, "business-systems": true,
}

// acceptSeedMatrix proposes the usual split — the internal team Responsible
// and Accountable for day-to-day support, the provider for monitoring,
// security, backup, cloud and strategy, each keeping the other informed or
// consulted — and signs it for both parties.
func acceptSeedMatrix(ctx context.Context, m tandem.MatrixService, orgID int64, itAdmin, providerAdmin *tandem.User) error {
	areas, err := m.FindServiceAreas(ctx, orgID)
	if err != nil {
		return err
	}
	var list []tandem.Assignment
	for _, a := range areas {
		owner, other := tandem.PartyProvider, tandem.PartyInternal
		if internalAreas[a.Key] {
			owner, other = tandem.PartyInternal, tandem.PartyProvider
		}
		list = append(list,
			tandem.Assignment{AreaID: a.ID, Party: owner, Responsible: true, Accountable: true},
			tandem.Assignment{AreaID: a.ID, Party: other, Consulted: owner == tandem.PartyInternal, Informed: owner == tandem.PartyProvider})
	}
	v, err := m.ProposeMatrix(ctx, orgID, list)
	if err != nil {
		return err
	}
	// The organisation's it-admin signs for the internal team, the
	// provider's admin for the provider.
	for _, u := range []*tandem.User{itAdmin, providerAdmin} {
		if _, err := m.SignMatrix(as(ctx, u), orgID, v.Number); err != nil {
			return err
		}
	}
	return nil
}

// loadEscalation gives the provider one escalation policy: a new P1 ticket
// in its queue notifies whoever is on call in the NOC rotation, then after
// 15 minutes without an acknowledgement the provider's owner.
func loadEscalation(ctx context.Context, esc tandem.EscalationService, byEmail map[string]*tandem.User, schedules map[string]int64) error {
	if esc == nil {
		return nil
	}
	first := []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: byEmail["tech@northwind-msp.example"].ID}}
	if id, ok := schedules["NOC rotation"]; ok {
		first = []tandem.EscalationTarget{{Kind: escalation.TargetSchedule, ScheduleID: id}}
	}
	p := &tandem.EscalationPolicy{Party: tandem.PartyProvider, Name: "P1 in the provider queue", OwningParty: tandem.PartyProvider,
		Priorities: []tandem.Priority{1}, Hours: escalation.AnyHours, Triggers: []escalation.Trigger{escalation.TriggerTicket},
		Levels: []tandem.EscalationLevel{{Targets: first, TimeoutMinutes: 15},
			{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: byEmail["owner@northwind-msp.example"].ID}}, TimeoutMinutes: 15}}}
	if err := esc.CreateEscalationPolicy(ctx, p); err != nil {
		return fmt.Errorf("demo escalation policy: %w", err)
	}
	return nil
}
