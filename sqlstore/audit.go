package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

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
// the order they were recorded within each chain; Commit calls it. The
// chains' heads are locked only now, at the end of the transaction and in
// the order of their names: a transaction that locks tickets and then
// records entries (the ticket service, the worker, a policy change) never
// holds a chain head while it waits for a ticket, and two transactions
// never lock two heads in opposite orders.
func (tx *Tx) flushAudit(ctx context.Context) error {
	if len(tx.pendingAudit) == 0 {
		return tx.flushAuditHeads(ctx)
	}
	byChain := map[string][]*tandem.AuditEntry{}
	var chains []string
	for _, e := range tx.pendingAudit {
		if byChain[e.Chain] == nil {
			chains = append(chains, e.Chain)
		}
		byChain[e.Chain] = append(byChain[e.Chain], e)
	}
	slices.Sort(chains)
	for _, chain := range chains {
		h, err := tx.auditHead(ctx, chain)
		if err != nil {
			return err
		}
		if err := tx.appendAudit(ctx, h, byChain[chain]); err != nil {
			return err
		}
	}
	tx.pendingAudit = nil
	return tx.flushAuditHeads(ctx)
}

// auditColumnsToInsert are the columns an append writes, in the order
// auditValues gives them.
const auditColumnsToInsert = `chain, seq, at, actor_user_id, actor_email, actor_party, organization_id, action, target, source, summary, prev_hash, hash`

func auditValues(e *tandem.AuditEntry) []any {
	return []any{e.Chain, e.Seq, at(e.At), e.ActorUserID, e.ActorEmail, e.ActorParty, e.OrganizationID, e.Action, e.Target, e.Source, string(e.Summary), e.PrevHash, e.Hash}
}

// auditRowsPerStatement bounds a multi-row append on PostgreSQL well
// under its 65,535 parameters (13 a row).
const auditRowsPerStatement = 1000

// appendAudit links entries, in order, to h — the head of the shard of
// their chain that the transaction holds (auditHead), locked for the rest
// of the transaction, so appends to one shard serialise and appends to
// different shards do not wait for each other — and stores them.
//
// On PostgreSQL the entries and the head they leave go in one statement (a
// thousand entries at most; a data-modifying WITH), one round trip of every
// audited write. SQLite inserts them one by one, as cheap in process, and
// the transaction writes each head it moved once, when it commits
// (flushAuditHeads): a transaction that appends thousands of entries to
// one chain (a policy change recording breaches) would otherwise update
// the same row thousands of times.
func (tx *Tx) appendAudit(ctx context.Context, h *auditHead, entries []*tandem.AuditEntry) error {
	for _, e := range entries {
		e.Chain, e.Seq, e.PrevHash = h.shard, h.seq+1, h.hash
		e.At = e.At.UTC().Truncate(1000)
		e.Hash = e.ComputeHash()
		h.seq, h.hash, h.moved = e.Seq, e.Hash, true
	}
	if tx.db.dialect != Postgres {
		for _, e := range entries {
			var err error
			if e.ID, err = tx.insert(ctx, `INSERT INTO audit_log (`+auditColumnsToInsert+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, auditValues(e)...); err != nil {
				return err
			}
		}
		return nil
	}
	for chunk := range slices.Chunk(entries, auditRowsPerStatement) {
		last := chunk[len(chunk)-1]
		var args []any
		for _, e := range chunk {
			args = append(args, auditValues(e)...)
		}
		args = append(args, last.Seq, last.Hash, h.shard)
		q := `WITH e AS (INSERT INTO audit_log (` + auditColumnsToInsert + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), `, len(chunk)), ", ") + ` RETURNING id),
			h AS (UPDATE audit_chains SET seq = ?, head_hash = ? WHERE chain = ?)
			SELECT id FROM e ORDER BY id`
		i := 0
		err := tx.eachRow(ctx, q, args, func(rows *sql.Rows) error {
			if i == len(chunk) {
				return fmt.Errorf("audit append returned more ids than entries")
			}
			i++
			return rows.Scan(&chunk[i-1].ID)
		})
		if err != nil {
			return err
		}
		if i != len(chunk) {
			return fmt.Errorf("audit append stored %d of %d entries", i, len(chunk))
		}
	}
	h.moved = false
	return nil
}

// auditHead returns the head of the shard of chain (an organisation's
// AuditChain) the transaction appends to, locking that shard's row the
// first time.
//
// SQLite has one writer, so every organisation keeps its one chain,
// created when missing and locked by one upsert. PostgreSQL takes the
// first shard no other transaction holds (SKIP LOCKED, which never
// waits): concurrent writers of one organisation append side by side
// instead of queueing for one head until each commits. Only when every
// existing shard is held does it create one more (auditShardToWaitFor),
// or wait for one when all tandem.AuditShards exist; so shards come into
// being as concurrency asks for them. A transaction locks the shards of
// its chains in the chains' name order (flushAudit) and waits only for a
// shard of a chain it holds none of, so two transactions never wait for
// each other.
func (tx *Tx) auditHead(ctx context.Context, chain string) (*auditHead, error) {
	if h := tx.auditHeads[chain]; h != nil {
		return h, nil
	}
	h, err := tx.lockAuditShard(ctx, chain)
	if err != nil {
		return nil, err
	}
	if tx.auditHeads == nil {
		tx.auditHeads = map[string]*auditHead{}
	}
	tx.auditHeads[chain] = h
	return h, nil
}

func (tx *Tx) lockAuditShard(ctx context.Context, chain string) (*auditHead, error) {
	h := &auditHead{shard: chain}
	if tx.db.dialect == Postgres {
		shards := make([]string, tandem.AuditShards)
		for n := range shards {
			shards[n] = tandem.AuditShard(chain, n)
		}
		err := tx.QueryRowContext(ctx, `SELECT chain, seq, head_hash FROM audit_chains WHERE chain = ANY(?) ORDER BY chain LIMIT 1 FOR UPDATE SKIP LOCKED`,
			shards).Scan(&h.shard, &h.seq, &h.hash)
		if !errors.Is(err, sql.ErrNoRows) {
			return h, err
		}
		if h.shard, err = tx.auditShardToWaitFor(ctx, shards); err != nil {
			return nil, err
		}
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO audit_chains (chain, seq, head_hash) VALUES (?, 0, '')
		ON CONFLICT (chain) DO UPDATE SET seq = audit_chains.seq RETURNING seq, head_hash`, h.shard).Scan(&h.seq, &h.hash)
	return h, err
}

// auditShardToWaitFor picks the shard to create, or else to wait for, when
// every existing shard of a chain is held: the first when there is none, a
// random missing one while some are, a random one when all exist.
func (tx *Tx) auditShardToWaitFor(ctx context.Context, shards []string) (string, error) {
	existing := map[string]bool{}
	err := tx.eachRow(ctx, `SELECT chain FROM audit_chains WHERE chain = ANY(?)`, []any{shards}, func(rows *sql.Rows) error {
		var chain string
		err := rows.Scan(&chain)
		existing[chain] = true
		return err
	})
	if err != nil {
		return "", err
	}
	var missing []string
	for _, s := range shards {
		if !existing[s] {
			missing = append(missing, s)
		}
	}
	switch {
	case len(missing) == len(shards):
		return shards[0], nil
	case len(missing) > 0:
		return missing[rand.IntN(len(missing))], nil
	}
	return shards[rand.IntN(len(shards))], nil
}

// auditHead is the head of the shard a transaction appends a chain's
// entries to, as the transaction has moved it.
type auditHead struct {
	shard string
	seq   int64
	hash  string
	moved bool
}

// flushAuditHeads writes the heads the transaction moved; Commit calls it.
func (tx *Tx) flushAuditHeads(ctx context.Context) error {
	for _, h := range tx.auditHeads {
		if !h.moved {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_chains SET seq = ?, head_hash = ? WHERE chain = ?`, h.seq, h.hash, h.shard); err != nil {
			return fmt.Errorf("store the head of audit chain %s: %w", h.shard, err)
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
