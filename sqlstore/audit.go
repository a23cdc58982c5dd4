package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/tandemhq/tandem"
)

// audit records a state change in the same transaction as the change, so a
// change is never stored without its trace. summary must not hold secrets.
func (tx *Tx) audit(ctx context.Context, a *tandem.Actor, orgID *int64, action, target string, summary map[string]any) error {
	body, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	var userID *int64
	if a.UserID != 0 {
		userID = &a.UserID
	}
	party := string(a.Party)
	if a.System {
		party = "system"
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_user_id, actor_party, organization_id, action, target, summary) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		at(tx.now), userID, party, orgID, action, target, string(body))
	return err
}

// AuditEntry is one stored audit record, for tests and the future audit browser.
type AuditEntry struct {
	ID             int64
	ActorUserID    *int64
	ActorParty     string
	OrganizationID *int64
	Action         string
	Target         string
	Summary        string
}

// AuditEntries returns every audit entry in order. It is unscoped and meant for
// the system actor (command line and tests).
func (db *DB) AuditEntries(ctx context.Context) ([]AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, actor_user_id, actor_party, organization_id, action, target, summary FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.ActorUserID, &e.ActorParty, &e.OrganizationID, &e.Action, &e.Target, &e.Summary); err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}
