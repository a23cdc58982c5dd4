package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/tandemhq/tandem"
)

// The recipients of the rules, one query each. Staff of a party who see an
// organisation are, for the internal party, its it-admins and
// it-technicians; for the provider, its technicians assigned to the
// organisation and every provider admin.

// staffCond is a SQL condition on users u: staff of party who work the
// organisation (admins only, if adminsOnly).
func staffCond(party tandem.PartyKind, orgID int64, adminsOnly bool) (string, []any) {
	switch {
	case party == tandem.PartyProvider && adminsOnly:
		return `(u.organization_id IS NULL AND u.role = 'admin')`, nil
	case party == tandem.PartyProvider:
		return `(u.organization_id IS NULL AND (u.role = 'admin' OR (u.role = 'technician' AND EXISTS (SELECT 1 FROM user_organizations uo
			WHERE uo.user_id = u.id AND uo.organization_id = ?))))`, []any{orgID}
	case adminsOnly:
		return `(u.organization_id = ? AND u.role = 'it-admin')`, []any{orgID}
	default:
		return `(u.organization_id = ? AND u.role IN ('it-admin', 'it-technician'))`, []any{orgID}
	}
}

// partyStaff returns the active staff (or admins) of the parties who work
// the organisation, in one query.
func (tx *Tx) partyStaff(ctx context.Context, orgID int64, adminsOnly bool, parties ...tandem.PartyKind) ([]int64, error) {
	if len(parties) == 0 {
		return nil, nil
	}
	conds := make([]string, len(parties))
	args := []any{true}
	for i, p := range parties {
		c, a := staffCond(p, orgID, adminsOnly)
		conds[i], args = c, append(args, a...)
	}
	return tx.queryIDs(ctx, `SELECT u.id FROM users u WHERE u.active = ? AND (`+strings.Join(conds, " OR ")+`) ORDER BY u.id`, args...)
}

// informedParties returns the parties Consulted or Informed for the area
// in the organisation's accepted matrix.
func (tx *Tx) informedParties(ctx context.Context, orgID, areaID int64) ([]tandem.PartyKind, error) {
	var parties []tandem.PartyKind
	err := tx.eachRow(ctx, `SELECT a.party FROM matrix_versions v JOIN matrix_assignments a ON a.version_id = v.id
		WHERE v.organization_id = ? AND v.status = ? AND a.area_id = ? AND (a.consulted = ? OR a.informed = ?) ORDER BY a.party`,
		[]any{orgID, tandem.MatrixAccepted, areaID, true, true}, func(rows *sql.Rows) error {
			var p tandem.PartyKind
			if err := rows.Scan(&p); err != nil {
				return err
			}
			parties = append(parties, p)
			return nil
		})
	return parties, err
}

// follower is a user who follows a ticket's conversation: a watcher or its
// assignee, as the visibility rule needs to know them.
type follower struct {
	id    int64
	actor tandem.Actor
}

// followers returns the watchers and the assignee of a ticket who may
// still see it (active, of its organisation, or provider staff assigned
// to it, or provider admins), in one query.
func (tx *Tx) followers(ctx context.Context, ticketID int64) ([]follower, error) {
	var list []follower
	err := tx.eachRow(ctx, `SELECT u.id, u.organization_id, u.role FROM tickets t JOIN users u
		ON u.id = t.assignee_id OR u.id IN (SELECT w.user_id FROM ticket_watchers w WHERE w.ticket_id = t.id)
		WHERE t.id = ? AND u.active = ? AND (u.organization_id = t.organization_id OR (u.organization_id IS NULL AND (u.role = 'admin'
			OR EXISTS (SELECT 1 FROM user_organizations uo WHERE uo.user_id = u.id AND uo.organization_id = t.organization_id))))
		ORDER BY u.id`, []any{ticketID, true}, func(rows *sql.Rows) error {
		var f follower
		var org *int64
		if err := rows.Scan(&f.id, &org, &f.actor.Role); err != nil {
			return err
		}
		f.actor.UserID, f.actor.Party = f.id, tandem.PartyInternal
		if org == nil {
			f.actor.Party = tandem.PartyProvider
		} else {
			f.actor.OrganizationID = *org
		}
		list = append(list, f)
		return nil
	})
	return list, err
}
