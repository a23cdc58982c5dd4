package tandem

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// A responsibility matrix (RACI) says, for each service area of an
// organisation, which party is Responsible, Accountable, Consulted and
// Informed. Versions are proposed as a whole and take effect only when both
// parties have signed: an it-admin of the organisation and a provider admin.
// The accepted version is what routes work.
//
// A proposal may leave areas unassigned: they appear in the gap report, and
// the proposal may still be accepted, because the issue asks for gaps to be
// reported rather than to block agreement on the rest.

// ServiceArea is one line of an organisation's service catalogue, such as
// "Patch management".
type ServiceArea struct {
	ID             int64     `json:"id"`
	OrganizationID int64     `json:"organization_id"`
	Key            string    `json:"key"`
	Name           string    `json:"name"`
	Position       int       `json:"position"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// DefaultServiceAreas is the catalogue every organisation starts with; admins
// edit it afterwards. Migration 0003 holds the same list for organisations
// that existed before it.
var DefaultServiceAreas = []ServiceArea{
	{Key: "end-user-support", Name: "End-user support"},
	{Key: "hardware-deployment", Name: "Hardware deployment"},
	{Key: "on-site-troubleshooting", Name: "On-site troubleshooting"},
	{Key: "business-systems", Name: "Business-specific systems"},
	{Key: "network-monitoring", Name: "24/7 network monitoring"},
	{Key: "cybersecurity", Name: "Cybersecurity protection"},
	{Key: "backup-recovery", Name: "Backup & disaster recovery"},
	{Key: "cloud-infrastructure", Name: "Cloud infrastructure"},
	{Key: "strategic-planning", Name: "Strategic IT planning"},
	{Key: "patch-management", Name: "Patch management"},
	{Key: "identity-access", Name: "Identity & access"},
}

// Validate checks an area before it is stored, filling the key from the name
// when it is empty.
func (a *ServiceArea) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		return Errorf(EINVALID, "Service area name is required.")
	}
	if len([]rune(a.Name)) > 200 {
		return Errorf(EINVALID, "Service area name is longer than 200 characters; shorten it.")
	}
	if a.Key == "" {
		a.Key = Slugify(a.Name)
	}
	if !slugPattern.MatchString(a.Key) {
		return Errorf(EINVALID, "Service area key %q is invalid: use 1 to 64 lower-case letters, digits and inner hyphens.", a.Key)
	}
	if a.Position < 0 {
		return Errorf(EINVALID, "Service area position cannot be negative.")
	}
	return nil
}

// ServiceAreaUpdate holds the fields an update may change; nil leaves a field as it is.
type ServiceAreaUpdate struct {
	Name     *string `json:"name"`
	Position *int    `json:"position"`
}

// MatrixStatus is where a matrix version stands.
type MatrixStatus string

// The life of a version: proposed, then accepted once both parties sign, then
// superseded by the next accepted one; or withdrawn before acceptance.
const (
	MatrixProposed   MatrixStatus = "proposed"
	MatrixAccepted   MatrixStatus = "accepted"
	MatrixSuperseded MatrixStatus = "superseded"
	MatrixWithdrawn  MatrixStatus = "withdrawn"
)

// Assignment is one party's letters for one service area, optionally naming
// the person who carries them.
type Assignment struct {
	AreaID      int64     `json:"area_id"`
	Party       PartyKind `json:"party"`
	Responsible bool      `json:"responsible"`
	Accountable bool      `json:"accountable"`
	Consulted   bool      `json:"consulted"`
	Informed    bool      `json:"informed"`
	UserID      *int64    `json:"user_id"`
}

// Letters returns the assignment as RACI letters, such as "RA".
func (a Assignment) Letters() string {
	var b strings.Builder
	for _, l := range []struct {
		on bool
		c  byte
	}{{a.Responsible, 'R'}, {a.Accountable, 'A'}, {a.Consulted, 'C'}, {a.Informed, 'I'}} {
		if l.on {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

func (a Assignment) equal(b Assignment) bool {
	sameUser := (a.UserID == nil) == (b.UserID == nil) && (a.UserID == nil || *a.UserID == *b.UserID)
	return a.Letters() == b.Letters() && sameUser
}

// MatrixVersion is one numbered version of an organisation's responsibility matrix.
type MatrixVersion struct {
	ID               int64        `json:"id"`
	OrganizationID   int64        `json:"organization_id"`
	Number           int          `json:"number"`
	Status           MatrixStatus `json:"status"`
	ProposedBy       *int64       `json:"proposed_by"`
	ProposedAt       time.Time    `json:"proposed_at"`
	InternalSignedBy *int64       `json:"internal_signed_by"`
	InternalSignedAt *time.Time   `json:"internal_signed_at"`
	ProviderSignedBy *int64       `json:"provider_signed_by"`
	ProviderSignedAt *time.Time   `json:"provider_signed_at"`
	// InternalSigner and ProviderSigner name the signers (their email) as
	// recorded when they signed.
	InternalSigner string       `json:"internal_signer"`
	ProviderSigner string       `json:"provider_signer"`
	AcceptedAt     *time.Time   `json:"accepted_at"`
	Assignments    []Assignment `json:"assignments"`
	// Changes, in a history, is the difference from the version before.
	Changes []AssignmentChange `json:"changes,omitempty"`
}

// ValidateAssignments checks a proposed set of assignments against the
// organisation's areas: known areas and parties, at most one assignment per
// area and party, at least one letter each, and for every assigned area
// exactly one Accountable party and at least one Responsible one.
func ValidateAssignments(areas []*ServiceArea, list []Assignment) error {
	names := map[int64]string{}
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	type key struct {
		area  int64
		party PartyKind
	}
	seen := map[key]bool{}
	accountable, responsible := map[int64]int{}, map[int64]int{}
	for _, a := range list {
		if _, ok := names[a.AreaID]; !ok {
			return Errorf(EINVALID, "Service area %d is not one of this organisation's areas.", a.AreaID)
		}
		if a.Party != PartyInternal && a.Party != PartyProvider {
			return Errorf(EINVALID, "Party %q is invalid: use internal or provider.", a.Party)
		}
		if seen[key{a.AreaID, a.Party}] {
			return Errorf(EINVALID, "%s has more than one %s assignment; send one per party.", names[a.AreaID], a.Party)
		}
		seen[key{a.AreaID, a.Party}] = true
		if a.Letters() == "" {
			return Errorf(EINVALID, "The %s assignment for %s has no letter; set at least one of R, A, C, I or leave it out.", a.Party, names[a.AreaID])
		}
		if a.Accountable {
			accountable[a.AreaID]++
		}
		if a.Responsible {
			responsible[a.AreaID]++
		}
	}
	for _, area := range areas {
		if !seen[key{area.ID, PartyInternal}] && !seen[key{area.ID, PartyProvider}] {
			continue // unassigned: a gap, reported, not refused
		}
		if accountable[area.ID] != 1 {
			return Errorf(EINVALID, "%s needs exactly one Accountable party, has %d.", area.Name, accountable[area.ID])
		}
		if responsible[area.ID] == 0 {
			return Errorf(EINVALID, "%s needs at least one Responsible party.", area.Name)
		}
	}
	return nil
}

// assignment returns the version's assignment for an area and party.
func (v *MatrixVersion) assignment(areaID int64, party PartyKind) (Assignment, bool) {
	if v == nil {
		return Assignment{}, false
	}
	for _, a := range v.Assignments {
		if a.AreaID == areaID && a.Party == party {
			return a, true
		}
	}
	return Assignment{}, false
}

// ResponsibleParty is the routing rule: work in an area goes to the party
// Responsible for it; when both are, to the Accountable one. ok is false when
// no party is Responsible: the area has no owner.
func (v *MatrixVersion) ResponsibleParty(areaID int64) (party PartyKind, ok bool) {
	in, _ := v.assignment(areaID, PartyInternal)
	pr, _ := v.assignment(areaID, PartyProvider)
	switch {
	case in.Responsible && pr.Responsible:
		if in.Accountable {
			return PartyInternal, true
		}
		return PartyProvider, true
	case in.Responsible:
		return PartyInternal, true
	case pr.Responsible:
		return PartyProvider, true
	}
	return "", false
}

// AssignmentChange is one difference between two versions: an assignment
// added (Before nil), removed (After nil) or changed.
type AssignmentChange struct {
	AreaID int64       `json:"area_id"`
	Party  PartyKind   `json:"party"`
	Before *Assignment `json:"before"`
	After  *Assignment `json:"after"`
}

// Diff lists what changes from version a to version b, area by area in the
// order of b's assignments, then what b drops. a may be nil (a first version).
func Diff(a, b *MatrixVersion) []AssignmentChange {
	var out []AssignmentChange
	if b != nil {
		for _, after := range b.Assignments {
			before, ok := a.assignment(after.AreaID, after.Party)
			switch {
			case !ok:
				out = append(out, AssignmentChange{AreaID: after.AreaID, Party: after.Party, After: &after})
			case !before.equal(after):
				out = append(out, AssignmentChange{AreaID: after.AreaID, Party: after.Party, Before: &before, After: &after})
			}
		}
	}
	if a != nil {
		for _, before := range a.Assignments {
			if _, ok := b.assignment(before.AreaID, before.Party); !ok {
				out = append(out, AssignmentChange{AreaID: before.AreaID, Party: before.Party, Before: &before})
			}
		}
	}
	return out
}

// GapKind says what is wrong with an area's ownership.
type GapKind string

// The gaps: nobody Responsible, or both parties Responsible (the work routes
// to the Accountable party, but the overlap is flagged).
const (
	GapNoOwner         GapKind = "no_owner"
	GapBothResponsible GapKind = "both_responsible"
)

// Gap is one line of the gap report.
type Gap struct {
	AreaID   int64     `json:"area_id"`
	AreaKey  string    `json:"area_key"`
	AreaName string    `json:"area_name"`
	Kind     GapKind   `json:"kind"`
	RoutesTo PartyKind `json:"routes_to,omitempty"`
}

// GapReport lists the gaps of one version (0 when none is accepted yet: then
// every area lacks an owner).
type GapReport struct {
	Version int   `json:"version"`
	Gaps    []Gap `json:"gaps"`
}

// Gaps reports the areas with no owner and those where both parties are
// Responsible, in catalogue order. v may be nil.
func Gaps(areas []*ServiceArea, v *MatrixVersion) []Gap {
	gaps := []Gap{}
	for _, area := range areas {
		in, _ := v.assignment(area.ID, PartyInternal)
		pr, _ := v.assignment(area.ID, PartyProvider)
		g := Gap{AreaID: area.ID, AreaKey: area.Key, AreaName: area.Name}
		switch {
		case !in.Responsible && !pr.Responsible:
			g.Kind = GapNoOwner
		case in.Responsible && pr.Responsible:
			g.Kind = GapBothResponsible
			g.RoutesTo, _ = v.ResponsibleParty(area.ID)
		default:
			continue
		}
		gaps = append(gaps, g)
	}
	return gaps
}

// WriteMatrixCSV writes a version as CSV: one row per area, in catalogue
// order, with each party's letters and named person (a user id).
func WriteMatrixCSV(w io.Writer, areas []*ServiceArea, v *MatrixVersion) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"version", "area_key", "area", "internal", "internal_user_id", "provider", "provider_user_id", "routes_to"})
	for _, area := range areas {
		in, _ := v.assignment(area.ID, PartyInternal)
		pr, _ := v.assignment(area.ID, PartyProvider)
		route, _ := v.ResponsibleParty(area.ID)
		cw.Write([]string{strconv.Itoa(v.Number), area.Key, spreadsheetSafe(area.Name),
			in.Letters(), optionalID(in.UserID), pr.Letters(), optionalID(pr.UserID), string(route)})
	}
	cw.Flush()
	return cw.Error()
}

// MatrixService manages service areas and responsibility matrices. Every
// method returns ENOTFOUND for an organisation outside the actor's scope.
type MatrixService interface {
	// FindServiceAreas returns the organisation's areas in catalogue order.
	FindServiceAreas(ctx context.Context, orgID int64) ([]*ServiceArea, error)
	// CreateServiceArea adds an area at the end of the catalogue unless a
	// position is given. EFORBIDDEN without matrix.edit; EINVALID for a bad
	// name or key; ECONFLICT for a key in use.
	CreateServiceArea(ctx context.Context, area *ServiceArea) error
	// UpdateServiceArea renames or moves an area. EFORBIDDEN without
	// matrix.edit; ENOTFOUND for an area not of this organisation.
	UpdateServiceArea(ctx context.Context, orgID, areaID int64, upd ServiceAreaUpdate) (*ServiceArea, error)
	// ProposeMatrix stores a new version from a full set of assignments,
	// withdrawing any open proposal. EFORBIDDEN without matrix.edit;
	// EINVALID when the assignments break a rule (ValidateAssignments) or
	// name a person not of the party.
	ProposeMatrix(ctx context.Context, orgID int64, list []Assignment) (*MatrixVersion, error)
	// SignMatrix signs a proposed version for the actor's party; the second
	// party's signature accepts it and supersedes the accepted version.
	// EFORBIDDEN without matrix.sign; ECONFLICT when the party has signed
	// already or the version is no longer proposed.
	SignMatrix(ctx context.Context, orgID int64, number int) (*MatrixVersion, error)
	// WithdrawMatrix withdraws a proposed version. EFORBIDDEN without
	// matrix.edit; ECONFLICT when it is no longer proposed.
	WithdrawMatrix(ctx context.Context, orgID int64, number int) (*MatrixVersion, error)
	// FindMatrixVersion returns a version by number, or the accepted one for
	// number 0 (ENOTFOUND when none is accepted yet).
	FindMatrixVersion(ctx context.Context, orgID int64, number int) (*MatrixVersion, error)
	// MatrixHistory returns every version, newest first, each with its
	// changes from the version before.
	MatrixHistory(ctx context.Context, orgID int64) ([]*MatrixVersion, error)
	// MatrixGaps reports the gaps of a version, or of the accepted one for
	// number 0.
	MatrixGaps(ctx context.Context, orgID int64, number int) (*GapReport, error)
}
