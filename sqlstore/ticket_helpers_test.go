package sqlstore_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqlstore"
)

// desk is the service-desk fixture shared by the ticket, SLA, attachment and
// HTTP tests. Its names are stable; add fields rather than renaming them.
//
// Org runs on the seed split, accepted as matrix v1: the internal team is
// Responsible and Accountable for end-user-support, hardware-deployment,
// on-site-troubleshooting and business-systems (internalAreas), the provider
// for the other seven areas (providerAreas). Outsider is a second
// organisation whose it-admin must never see anything of Org.
type desk struct {
	*services
	tb      testing.TB
	Tickets *sqlstore.TicketService
	Matrix  *sqlstore.MatrixService

	Org      *tandem.Organization
	Outsider *tandem.Organization
	Areas    []*tandem.ServiceArea // Org's catalogue, in order
	Accepted *tandem.MatrixVersion // Org's accepted matrix (v1)

	ProviderAdmin *tandem.User // provider admin: sees every organisation
	ProviderTech  *tandem.User // provider technician assigned to Org
	ITAdmin       *tandem.User // Org's it-admin
	ITTech        *tandem.User // Org's it-technician
	Requester     *tandem.User // a requester of Org
	Requester2    *tandem.User // another requester of Org
	Viewer        *tandem.User // a viewer of Org (internal, read-only)
	OutsiderAdmin *tandem.User // it-admin of Outsider
}

// internalAreas are the area keys the seed split gives the internal team;
// every other area of the default catalogue is the provider's.
var internalAreas = []string{"end-user-support", "hardware-deployment", "on-site-troubleshooting", "business-systems"}

// providerAreas are the seed split's provider areas.
var providerAreas = []string{"network-monitoring", "cybersecurity", "backup-recovery", "cloud-infrastructure",
	"strategic-planning", "patch-management", "identity-access"}

// newDesk builds the fixture on db: the cast, Org's accepted matrix and
// the services. It writes no tickets.
func newDesk(tb testing.TB, db *sqlstore.DB) *desk {
	tb.Helper()
	d := &desk{services: newServices(tb, db), tb: tb}
	d.Tickets = sqlstore.NewTicketService(db, nil)
	d.Matrix = sqlstore.NewMatrixService(db)
	if _, err := d.Setup.EnsureProvider(systemCtx(tb), "Northwind MSP"); err != nil {
		tb.Fatal(err)
	}
	d.Org = d.mustCreateOrg(tb, "Acme Corp")
	d.Outsider = d.mustCreateOrg(tb, "Globex")
	d.ProviderAdmin = d.mustCreateUser(tb, "admin@msp.test", nil, tandem.RoleAdmin)
	d.ProviderTech = d.mustCreateUser(tb, "tech@msp.test", nil, tandem.RoleTechnician)
	d.ITAdmin = d.mustCreateUser(tb, "itadmin@acme.test", &d.Org.ID, tandem.RoleITAdmin)
	d.ITTech = d.mustCreateUser(tb, "ittech@acme.test", &d.Org.ID, tandem.RoleITTechnician)
	d.Requester = d.mustCreateUser(tb, "alice@acme.test", &d.Org.ID, tandem.RoleRequester)
	d.Requester2 = d.mustCreateUser(tb, "bob@acme.test", &d.Org.ID, tandem.RoleRequester)
	d.Viewer = d.mustCreateUser(tb, "viewer@acme.test", &d.Org.ID, tandem.RoleViewer)
	d.OutsiderAdmin = d.mustCreateUser(tb, "admin@globex.test", &d.Outsider.ID, tandem.RoleITAdmin)
	ids := []int64{d.Org.ID}
	got, err := d.Users.UpdateUser(as(tb, d.ProviderAdmin), d.ProviderTech.ID, tandem.UserUpdate{Organizations: &ids})
	if err != nil {
		tb.Fatal(err)
	}
	*d.ProviderTech = *got

	if d.Areas, err = d.Matrix.FindServiceAreas(systemCtx(tb), d.Org.ID); err != nil {
		tb.Fatal(err)
	}
	d.Accepted = d.acceptMatrix(seedSplit(d.Areas))
	return d
}

// seedSplit assigns the catalogue the way the seed data does: each area
// Responsible and Accountable to one party, Informed to the other.
func seedSplit(areas []*tandem.ServiceArea) []tandem.Assignment {
	var list []tandem.Assignment
	for _, a := range areas {
		owner, other := tandem.PartyProvider, tandem.PartyInternal
		for _, k := range internalAreas {
			if a.Key == k {
				owner, other = tandem.PartyInternal, tandem.PartyProvider
			}
		}
		list = append(list,
			tandem.Assignment{AreaID: a.ID, Party: owner, Responsible: true, Accountable: true},
			tandem.Assignment{AreaID: a.ID, Party: other, Informed: true})
	}
	return list
}

// acceptMatrix proposes list for Org as the system and has the it-admin and
// the provider admin sign it, making it the routing matrix.
func (d *desk) acceptMatrix(list []tandem.Assignment) *tandem.MatrixVersion {
	d.tb.Helper()
	v, err := d.Matrix.ProposeMatrix(systemCtx(d.tb), d.Org.ID, list)
	if err != nil {
		d.tb.Fatal(err)
	}
	if _, err := d.Matrix.SignMatrix(d.as(d.ITAdmin), d.Org.ID, v.Number); err != nil {
		d.tb.Fatal(err)
	}
	if v, err = d.Matrix.SignMatrix(d.as(d.ProviderAdmin), d.Org.ID, v.Number); err != nil {
		d.tb.Fatal(err)
	}
	if v.Status != tandem.MatrixAccepted {
		d.tb.Fatalf("matrix v%d is %s, want accepted", v.Number, v.Status)
	}
	return v
}

// as returns a context acting as u.
func (d *desk) as(u *tandem.User) context.Context { return as(d.tb, u) }

// area returns the id of Org's area with the given key.
func (d *desk) area(key string) int64 {
	d.tb.Helper()
	for _, a := range d.Areas {
		if a.Key == key {
			return a.ID
		}
	}
	d.tb.Fatalf("Org has no service area %q", key)
	return 0
}

// open creates a ticket in Org as u, in the area with the given key ("" for
// none), and fails the test on error.
func (d *desk) open(u *tandem.User, areaKey, title string) *tandem.Ticket {
	d.tb.Helper()
	in := tandem.TicketInput{OrganizationID: d.Org.ID, Title: title, Description: "Details of " + title}
	if areaKey != "" {
		id := d.area(areaKey)
		in.AreaID = &id
	}
	t, err := d.Tickets.CreateTicket(d.as(u), in)
	if err != nil {
		d.tb.Fatalf("open %q as %s: %v", title, u.Email, err)
	}
	return t
}

// ticket reads a ticket back as the system.
func (d *desk) ticket(id int64) *tandem.Ticket {
	d.tb.Helper()
	t, err := d.Tickets.FindTicket(systemCtx(d.tb), id)
	if err != nil {
		d.tb.Fatal(err)
	}
	return t
}

// setStatus moves a ticket as u and fails the test on error.
func (d *desk) setStatus(u *tandem.User, id int64, st tandem.TicketStatus) *tandem.Ticket {
	d.tb.Helper()
	t, err := d.Tickets.UpdateTicket(d.as(u), id, tandem.TicketUpdate{Status: &st})
	if err != nil {
		d.tb.Fatalf("move ticket %d to %s as %s: %v", id, st, u.Email, err)
	}
	return t
}

// timeline returns the entries of a ticket u may see.
func (d *desk) timeline(u *tandem.User, id int64) []*tandem.Event {
	d.tb.Helper()
	list, err := d.Tickets.Timeline(d.as(u), id)
	if err != nil {
		d.tb.Fatalf("timeline of ticket %d as %s: %v", id, u.Email, err)
	}
	return list
}

// kinds returns the kinds of a timeline, in order.
func kinds(list []*tandem.Event) []tandem.EventKind {
	out := make([]tandem.EventKind, len(list))
	for i, e := range list {
		out[i] = e.Kind
	}
	return out
}
