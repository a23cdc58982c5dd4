package tandem

import "time"

// DeskSummary is the service desk in figures, as one actor sees it: what the
// home pages show. Every figure is a count of what the ticket list would
// show the same actor under a matching filter (its comments name it), so a
// page can link each number to the list it counts.
type DeskSummary struct {
	// Total adds up Orgs.
	Total DeskCounts
	// Orgs breaks the figures down by organisation, in name order; an
	// organisation in scope with nothing to count has a row of zeros.
	Orgs []OrgDeskCounts
	// Load is the open tickets of each working member of the actor's party
	// (admins and technicians), by name, when the query asked for it.
	Load []AssigneeLoad
	// SLA is the attainment of the SLA clocks (response and resolution)
	// that stopped since the query's Since. Requesters get none.
	SLA SLAAttainment
}

// DeskCounts are the figures of the desk. Open tickets are those neither
// resolved nor closed (the list's status=active).
type DeskCounts struct {
	// Open counts open tickets; OpenInternal and OpenProvider split them
	// by owning party (party=…&status=active).
	Open, OpenInternal, OpenProvider int
	// Mine counts open tickets assigned to the actor (assignee=me&status=active).
	Mine int
	// Unassigned counts open tickets owned by the actor's party with no
	// assignee: the party's queue (party=P&assignee=none&status=active).
	Unassigned int
	// Awaiting counts tickets with a handoff waiting for the actor's party
	// to accept or decline it (awaiting=on).
	Awaiting int
	// Warning and Breached count open tickets owned by the actor's party
	// whose SLA state is warning or breached (party=P&sla=…&status=active).
	Warning, Breached int
}

// add adds c's figures to d.
func (d *DeskCounts) add(c DeskCounts) {
	d.Open += c.Open
	d.OpenInternal += c.OpenInternal
	d.OpenProvider += c.OpenProvider
	d.Mine += c.Mine
	d.Unassigned += c.Unassigned
	d.Awaiting += c.Awaiting
	d.Warning += c.Warning
	d.Breached += c.Breached
}

// Sum returns the figures of orgs added up.
func Sum(orgs []OrgDeskCounts) DeskCounts {
	var d DeskCounts
	for _, o := range orgs {
		d.add(o.DeskCounts)
	}
	return d
}

// OrgDeskCounts are one organisation's figures.
type OrgDeskCounts struct {
	Organization *Organization
	DeskCounts
}

// AssigneeLoad is how many open tickets one person holds
// (assignee=ID&status=active).
type AssigneeLoad struct {
	UserID int64
	Name   string
	Email  string
	Open   int
}

// SLAAttainment counts the SLA clocks of a period by verdict: met within
// their target, or breached (a breached clock later met stays breached).
type SLAAttainment struct {
	Met, Breached int
}

// Percent is the share of clocks met, rounded down to a whole percent, and
// false when no clock stopped in the period.
func (s SLAAttainment) Percent() (int, bool) {
	n := s.Met + s.Breached
	if n == 0 {
		return 0, false
	}
	return s.Met * 100 / n, true
}

// DeskSummaryQuery says what a summary covers.
type DeskSummaryQuery struct {
	// Since starts the period of the SLA attainment: the start of the
	// month in the viewer's zone, for the home pages. Zero leaves it out.
	Since time.Time
	// Load asks for the team's load (DeskSummary.Load).
	Load bool
	// OrganizationID, when set, narrows the summary to that organisation.
	OrganizationID int64
}
