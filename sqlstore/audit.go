package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tandemhq/tandem"
)

// audit records a state change in the same transaction as the change, so a
// change is never stored without its trace, appended to the hash chain of
// its organisation (or the provider chain) when the transaction commits
// (flushAudit). summary must not hold secrets.
func (tx *Tx) audit(ctx context.Context, a *tandem.Actor, orgID *int64, action, target string, summary map[string]any) error {
	body, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	e := &tandem.AuditEntry{
		Chain: tandem.AuditChain(orgID), At: tx.now, ActorEmail: a.Email, ActorParty: string(a.Party),
		OrganizationID: orgID, Action: action, Target: target, Source: a.SourceAddr, Summary: body,
	}
	if a.UserID != 0 {
		e.ActorUserID = &a.UserID
	}
	switch {
	case a.System:
		e.ActorParty = "system"
	case a.UserID == 0:
		e.ActorParty = "anonymous"
	}
	tx.pendingAudit = append(tx.pendingAudit, e)
	return nil
}

// flushAudit appends the transaction's audit entries to their chains, in
// the order they were recorded; Commit calls it. The chains' heads are
// locked only now, at the end of the transaction and in the order of
// their names: a transaction that locks tickets and then records entries
// (the ticket service, the worker, a policy change) never holds a chain
// head while it waits for a ticket, and two transactions never lock two
// heads in opposite orders.
func (tx *Tx) flushAudit(ctx context.Context) error {
	if len(tx.pendingAudit) == 0 {
		return tx.flushAuditHeads(ctx)
	}
	chains := make([]string, 0, 1)
	for _, e := range tx.pendingAudit {
		chains = append(chains, e.Chain)
	}
	slices.Sort(chains)
	for _, chain := range slices.Compact(chains) {
		if _, err := tx.auditHead(ctx, chain); err != nil {
			return err
		}
	}
	for _, e := range tx.pendingAudit {
		if err := tx.appendAudit(ctx, e); err != nil {
			return err
		}
	}
	tx.pendingAudit = nil
	return tx.flushAuditHeads(ctx)
}

// appendAudit links e to its chain's head and stores it. The chain's row in
// audit_chains is created when missing and locked for the rest of the
// transaction by the same statement (the single writer on SQLite, the
// upsert's row lock on PostgreSQL), so appends to one chain serialise and
// appends to different organisations do not wait for each other.
//
// The transaction keeps the heads it moved and writes each once, when it
// commits (flushAuditHeads): a transaction that appends thousands of
// entries to one chain (a policy change recording breaches) would
// otherwise update the same row thousands of times, which PostgreSQL pays
// for quadratically (every update walks the versions before it).
func (tx *Tx) appendAudit(ctx context.Context, e *tandem.AuditEntry) error {
	h, err := tx.auditHead(ctx, e.Chain)
	if err != nil {
		return err
	}
	e.Seq, e.PrevHash = h.seq+1, h.hash
	e.At = e.At.UTC().Truncate(1000)
	e.Hash = e.ComputeHash()
	e.ID, err = tx.insert(ctx, `INSERT INTO audit_log (chain, seq, at, actor_user_id, actor_email, actor_party, organization_id, action, target, source, summary, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Chain, e.Seq, at(e.At), e.ActorUserID, e.ActorEmail, e.ActorParty, e.OrganizationID, e.Action, e.Target, e.Source, string(e.Summary), e.PrevHash, e.Hash)
	if err != nil {
		return err
	}
	h.seq, h.hash, h.moved = e.Seq, e.Hash, true
	return nil
}

// auditHead returns the chain's head as the transaction has it, creating
// and locking the chain's row the first time.
func (tx *Tx) auditHead(ctx context.Context, chain string) (*auditHead, error) {
	if h := tx.auditHeads[chain]; h != nil {
		return h, nil
	}
	h := &auditHead{}
	if err := tx.QueryRowContext(ctx, `INSERT INTO audit_chains (chain, seq, head_hash) VALUES (?, 0, '')
		ON CONFLICT (chain) DO UPDATE SET seq = audit_chains.seq RETURNING seq, head_hash`, chain).Scan(&h.seq, &h.hash); err != nil {
		return nil, err
	}
	if tx.auditHeads == nil {
		tx.auditHeads = map[string]*auditHead{}
	}
	tx.auditHeads[chain] = h
	return h, nil
}

// auditHead is a chain's head as a transaction has moved it.
type auditHead struct {
	seq   int64
	hash  string
	moved bool
}

// flushAuditHeads writes the heads the transaction moved; Commit calls it.
func (tx *Tx) flushAuditHeads(ctx context.Context) error {
	for chain, h := range tx.auditHeads {
		if !h.moved {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_chains SET seq = ?, head_hash = ? WHERE chain = ?`, h.seq, h.hash, chain); err != nil {
			return fmt.Errorf("store the head of audit chain %s: %w", chain, err)
		}
		h.moved = false
	}
	return nil
}

// AuditEntries returns every audit entry in id order. It is unscoped and meant
// for the system actor (command line and tests).
func (db *DB) AuditEntries(ctx context.Context) ([]tandem.AuditEntry, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []tandem.AuditEntry
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, *e)
	}
	return list, rows.Err()
}

const auditColumns = `id, chain, seq, at, actor_user_id, actor_email, actor_party, organization_id, action, target, source, summary, prev_hash, hash`

func scanAuditEntry(rows interface{ Scan(...any) error }) (*tandem.AuditEntry, error) {
	e := &tandem.AuditEntry{}
	var summary string
	err := rows.Scan(&e.ID, &e.Chain, &e.Seq, scanTime(&e.At), &e.ActorUserID, &e.ActorEmail, &e.ActorParty, &e.OrganizationID,
		&e.Action, &e.Target, &e.Source, &summary, &e.PrevHash, &e.Hash)
	e.Summary = json.RawMessage(summary)
	return e, err
}
