package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/tandemhq/tandem"
)

// serviceAreaRef is what routing needs of a service area.
type serviceAreaRef struct {
	ID   int64
	Name string
}

// findArea returns an area of the organisation, or EINVALID.
func findArea(ctx context.Context, tx *Tx, orgID, areaID int64) (*serviceAreaRef, error) {
	ar := &serviceAreaRef{}
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM service_areas WHERE id = ? AND organization_id = ?`, areaID, orgID).Scan(&ar.ID, &ar.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tandem.Errorf(tandem.EINVALID, "Service area %d is not one of this organisation's areas; pick one of its catalogue.", areaID)
	}
	return ar, err
}

// routing is where the matrix sends a ticket, and the timeline sentence
// saying why.
type routing struct {
	Party    tandem.PartyKind
	Unrouted bool
	Body     string
	Data     map[string]any
}

// routeTicket routes a ticket of an area by the organisation's accepted
// matrix (tandem.MatrixVersion.ResponsibleParty). Without an area, an
// accepted matrix or a Responsible party the internal team gets it to
// triage, flagged unrouted.
func routeTicket(ctx context.Context, tx *Tx, orgID int64, area *serviceAreaRef) (routing, error) {
	triage := func(reason, why string, data map[string]any) routing {
		data["party"], data["reason"] = tandem.PartyInternal, reason
		return routing{Party: tandem.PartyInternal, Unrouted: true, Body: "Routed to internal for triage: " + why + ".", Data: data}
	}
	if area == nil {
		return triage("no-area", "the ticket has no service area", map[string]any{}), nil
	}
	// The accepted version with the area's assignments, in one query: no
	// row means no accepted matrix, a row without a party an area the
	// matrix leaves empty.
	rows, err := tx.QueryContext(ctx, `SELECT v.id, v.number, a.party, a.responsible, a.accountable FROM matrix_versions v
		LEFT JOIN matrix_assignments a ON a.version_id = v.id AND a.area_id = ?
		WHERE v.organization_id = ? AND v.status = ?`, area.ID, orgID, tandem.MatrixAccepted)
	if err != nil {
		return routing{}, err
	}
	defer rows.Close()
	var v *tandem.MatrixVersion
	both := 0
	for rows.Next() {
		var id, number int64
		var party sql.NullString
		var responsible, accountable sql.NullBool
		if err := rows.Scan(&id, &number, &party, &responsible, &accountable); err != nil {
			return routing{}, err
		}
		if v == nil {
			v = &tandem.MatrixVersion{ID: id, Number: int(number)}
		}
		if !party.Valid {
			continue
		}
		as := tandem.Assignment{AreaID: area.ID, Party: tandem.PartyKind(party.String), Responsible: responsible.Bool, Accountable: accountable.Bool}
		if as.Responsible {
			both++
		}
		v.Assignments = append(v.Assignments, as)
	}
	if err := rows.Err(); err != nil {
		return routing{}, err
	}
	// The data keeps the area's name and the matrix version as they were,
	// so the page can write the sentence again however the area is renamed
	// later (events recorded before carry only area_id and matrix).
	if v == nil {
		return triage("no-matrix", "no responsibility matrix has been accepted yet", map[string]any{"area_id": area.ID, "area": area.Name}), nil
	}
	data := map[string]any{"area_id": area.ID, "area": area.Name, "matrix": v.Number}
	party, ok := v.ResponsibleParty(area.ID)
	if !ok {
		return triage("no-owner", fmt.Sprintf("matrix v%d names no Responsible party for %s", v.Number, area.Name), data), nil
	}
	data["party"] = party
	if both == 2 {
		data["reason"] = "accountable"
		return routing{Party: party, Data: data,
			Body: fmt.Sprintf("Routed to %s: both parties are Responsible for %s in matrix v%d; the Accountable party takes it.", party, area.Name, v.Number)}, nil
	}
	data["reason"] = "responsible"
	return routing{Party: party, Data: data, Body: fmt.Sprintf("Routed to %s: Responsible for %s in matrix v%d.", party, area.Name, v.Number)}, nil
}

// priorityMatrix returns the organisation's priority matrix (its SLA
// policy's, or ITIL's without one).
func priorityMatrix(ctx context.Context, tx *Tx, orgID int64) (tandem.PriorityMatrix, error) {
	p, err := findSLAPolicy(ctx, tx, orgID)
	if err != nil {
		return nil, err
	}
	return priorities(p), nil
}

// priorities returns a policy's priority matrix, or ITIL's when the stored
// one is unusable.
func priorities(p *tandem.SLAPolicy) tandem.PriorityMatrix {
	if p.PriorityMatrix == nil || p.PriorityMatrix.Validate() != nil {
		return tandem.DefaultPriorityMatrix()
	}
	return p.PriorityMatrix
}

// deskUser is what the desk needs to know of a user it names.
type deskUser struct {
	ID    int64
	Party tandem.PartyKind
	Role  tandem.Role
}

// staff reports whether the user works tickets (not a requester or viewer).
func (u *deskUser) staff() bool { return tandem.StaffRole(u.Role) }

// findDeskUser returns an active user who can see the organisation's
// tickets: one of its own users, provider staff assigned to it, or a
// provider admin. nil when there is none.
func findDeskUser(ctx context.Context, tx *Tx, orgID, userID int64) (*deskUser, error) {
	u := &deskUser{ID: userID}
	var org *int64
	err := tx.QueryRowContext(ctx, `SELECT u.organization_id, u.role FROM users u WHERE u.id = ? AND u.active = ? AND (u.organization_id = ?
		OR (u.organization_id IS NULL AND (u.role = ? OR EXISTS (SELECT 1 FROM user_organizations uo WHERE uo.user_id = u.id AND uo.organization_id = ?))))`,
		userID, true, orgID, tandem.RoleAdmin, orgID).Scan(&org, &u.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	u.Party = tandem.PartyInternal
	if org == nil {
		u.Party = tandem.PartyProvider
	}
	return u, nil
}

// checkAssignee refuses an assignee who is not active staff of the owning
// party able to work this organisation.
func checkAssignee(ctx context.Context, tx *Tx, orgID int64, party tandem.PartyKind, userID int64) error {
	u, err := findDeskUser(ctx, tx, orgID, userID)
	if err != nil {
		return err
	}
	if u == nil || u.Party != party || !u.staff() {
		return tandem.Errorf(tandem.EINVALID, "User %d cannot be assigned: the ticket is in the %s queue, so assign an active technician or admin of that party who works for this organisation.", userID, party)
	}
	return nil
}

// checkWatchers refuses watchers who could not see the ticket and returns
// the list without repeats.
func checkWatchers(ctx context.Context, tx *Tx, orgID int64, ids []int64) ([]int64, error) {
	out := []int64{}
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		u, err := findDeskUser(ctx, tx, orgID, id)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, tandem.Errorf(tandem.EINVALID, "User %d cannot watch this ticket: watchers must be active users of the organisation or provider staff working for it.", id)
		}
		out = append(out, id)
	}
	return out, nil
}

func sameID(a, b *int64) bool {
	az, bz := a == nil || *a == 0, b == nil || *b == 0
	if az || bz {
		return az == bz
	}
	return *a == *b
}
