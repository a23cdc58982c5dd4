package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// AuditReport is the outcome of verifying the audit trail: one status per
// chain, in chain order.
type AuditReport struct {
	Chains []AuditChainStatus
}

// AuditChainStatus is what verification found in one chain.
type AuditChainStatus struct {
	Chain string
	// Entries is the number of entries the chain holds.
	Entries int64
	// Head is the chain's last entry.
	Head tandem.AuditHead
	// Broken names the first entry at fault; nil when the chain is intact.
	Broken *AuditBreak
}

// AuditBreak names where a chain stops being trustworthy.
type AuditBreak struct {
	Seq int64
	// ID is the entry at fault, or zero when the fault is an absence (the
	// newest entries removed, a missing chain).
	ID      int64
	Problem string
}

// OK reports whether every chain is intact.
func (r *AuditReport) OK() bool { return len(r.BrokenChains()) == 0 }

// BrokenChains returns the chains that are not intact.
func (r *AuditReport) BrokenChains() []AuditChainStatus {
	var out []AuditChainStatus
	for _, c := range r.Chains {
		if c.Broken != nil {
			out = append(out, c)
		}
	}
	return out
}

// String describes a break as one line naming chain, seq and entry.
func (c AuditChainStatus) String() string {
	if c.Broken == nil {
		entries := "entries"
		if c.Entries == 1 {
			entries = "entry"
		}
		return fmt.Sprintf("%s: intact, %d %s, head seq %d hash %s", c.Chain, c.Entries, entries, c.Head.Seq, c.Head.Hash)
	}
	entry := "no entry"
	if c.Broken.ID != 0 {
		entry = fmt.Sprintf("entry id %d", c.Broken.ID)
	}
	return fmt.Sprintf("%s: broken at seq %d (%s): %s", c.Chain, c.Broken.Seq, entry, c.Broken.Problem)
}

// AuditBrokenError is returned when an operation needs an intact audit
// trail and finds it broken; Report says where.
type AuditBrokenError struct{ Report *AuditReport }

func (e *AuditBrokenError) Error() string {
	return fmt.Sprintf("audit trail is broken in %d of %d chains; run tandem audit verify", len(e.Report.BrokenChains()), len(e.Report.Chains))
}

// VerifyAudit walks every chain in seq order and checks that seq starts at 1
// without gaps, that each entry belongs to its chain, links to the previous
// entry's hash and still hashes to its stored hash, and that the head
// recorded in audit_chains is the chain's last entry. It reads one consistent
// snapshot and streams the entries, holding one chain's state at a time. A
// broken chain is reported in the AuditReport, not as an error.
func (db *DB) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	return db.verifyAudit(ctx, nil)
}

// VerifyAuditCheckpoint is VerifyAudit that also proves the log still extends
// the checkpoint: each checkpointed head must still be in its chain at its
// seq with its hash. Since every hash covers all entries before it, that
// catches what VerifyAudit cannot: a chain rewritten consistently, cut short
// (its newest entries removed, head record adjusted), or missing entirely.
func (db *DB) VerifyAuditCheckpoint(ctx context.Context, cp *tandem.AuditCheckpoint) (*AuditReport, error) {
	return db.verifyAudit(ctx, cp)
}

// Checkpoint verifies the audit trail and returns every chain's head, for an
// auditor to keep outside the database. A broken trail is refused with an
// *AuditBrokenError: a checkpoint would vouch for it.
func (db *DB) Checkpoint(ctx context.Context) (*tandem.AuditCheckpoint, error) {
	r, err := db.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	if !r.OK() {
		return nil, &AuditBrokenError{Report: r}
	}
	cp := &tandem.AuditCheckpoint{TakenAt: db.now(), Heads: []tandem.AuditHead{}}
	for _, c := range r.Chains {
		if c.Entries > 0 {
			cp.Heads = append(cp.Heads, c.Head)
		}
	}
	return cp, nil
}

// beginSnapshot starts a read transaction that sees one snapshot for all its
// statements: SQLite's read transactions do; PostgreSQL needs REPEATABLE READ.
// It reads whole tables, so its statements have no time limit.
func (db *DB) beginSnapshot(ctx context.Context) (*Tx, error) {
	if db.dialect != Postgres {
		return db.beginRead(ctx)
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, err
	}
	t := &Tx{Tx: tx, db: db, now: db.now()}
	if err := t.noStatementTimeout(ctx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return t, nil
}

func (db *DB) verifyAudit(ctx context.Context, cp *tandem.AuditCheckpoint) (*AuditReport, error) {
	tx, err := db.beginSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	recorded := map[string]tandem.AuditHead{}
	rows, err := tx.QueryContext(ctx, `SELECT chain, seq, head_hash FROM audit_chains`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h tandem.AuditHead
		if err := rows.Scan(&h.Chain, &h.Seq, &h.Hash); err != nil {
			rows.Close()
			return nil, err
		}
		recorded[h.Chain] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	checkpointed := map[string]tandem.AuditHead{}
	if cp != nil {
		for _, h := range cp.Heads {
			checkpointed[h.Chain] = h
		}
	}

	report := &AuditReport{}
	seen := map[string]bool{}
	var w *chainWalk
	finish := func() {
		if w == nil {
			return
		}
		st := w.finish(checkpointed)
		report.Chains = append(report.Chains, st)
		seen[st.Chain] = true
	}
	// UNIQUE (chain, seq) serves this order; rows stream from the database.
	rows, err = tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY chain, seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			return nil, err
		}
		if w == nil || w.status.Chain != e.Chain {
			finish()
			w = newChainWalk(e.Chain, recorded)
		}
		w.check(e, checkpointed)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	finish()

	// Chains known to audit_chains or to the checkpoint but without entries.
	for _, m := range []map[string]tandem.AuditHead{recorded, checkpointed} {
		for chain := range m {
			if seen[chain] {
				continue
			}
			seen[chain] = true
			w := newChainWalk(chain, recorded)
			report.Chains = append(report.Chains, w.finish(checkpointed))
		}
	}
	sort.Slice(report.Chains, func(i, j int) bool { return report.Chains[i].Chain < report.Chains[j].Chain })
	return report, nil
}

// chainWalk is the state of verifying one chain: the last entry seen and the
// first break found.
type chainWalk struct {
	status  AuditChainStatus
	last    *tandem.AuditEntry
	matched bool // the checkpointed head was found in place
	// recorded is the head audit_chains holds; beyond the first entry
	// after it, if any.
	recorded *tandem.AuditHead
	beyond   int64
}

func newChainWalk(chain string, recorded map[string]tandem.AuditHead) *chainWalk {
	w := &chainWalk{status: AuditChainStatus{Chain: chain}}
	if h, ok := recorded[chain]; ok {
		w.recorded = &h
	}
	return w
}

func (w *chainWalk) breakAt(seq, id int64, format string, args ...any) {
	if w.status.Broken == nil {
		w.status.Broken = &AuditBreak{Seq: seq, ID: id, Problem: fmt.Sprintf(format, args...)}
	}
}

// check verifies the next entry of the chain; after the first break the
// remaining entries are only counted.
func (w *chainWalk) check(e *tandem.AuditEntry, checkpointed map[string]tandem.AuditHead) {
	w.status.Entries++
	defer func() { w.last, w.status.Head = e, tandem.AuditHead{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash} }()
	if w.recorded != nil && e.Seq == w.recorded.Seq+1 {
		w.beyond = e.ID
	}
	if w.status.Broken != nil {
		return
	}
	wantSeq, wantPrev := int64(1), ""
	if w.last != nil {
		wantSeq, wantPrev = w.last.Seq+1, w.last.Hash
	}
	switch {
	case e.Seq != wantSeq:
		w.breakAt(e.Seq, e.ID, "expected seq %d here: entries before it were removed or moved", wantSeq)
	case !tandem.ValidAuditChain(e.Chain):
		w.breakAt(e.Seq, e.ID, "Tandem never writes a chain of this name: the chain was added outside Tandem")
	case tandem.AuditChainOwner(e.Chain) != tandem.AuditChain(e.OrganizationID):
		w.breakAt(e.Seq, e.ID, "its organisation %s does not own this chain: the entry was moved", orgText(e.OrganizationID))
	case e.PrevHash != wantPrev:
		w.breakAt(e.Seq, e.ID, "prev_hash does not match the hash of the entry before it: an entry was inserted, removed, reordered or rewritten")
	case !wellFormed(e):
		w.breakAt(e.Seq, e.ID, "it holds text that is not valid UTF-8 or a summary that is not JSON: Tandem never writes either")
	case e.Hash != e.ComputeHash():
		w.breakAt(e.Seq, e.ID, "its stored hash does not match its content: the entry was edited")
	}
	if h, ok := checkpointed[e.Chain]; ok && h.Seq == e.Seq {
		if e.Hash != h.Hash {
			w.breakAt(e.Seq, e.ID, "the checkpoint holds hash %s at this seq, the log %s: the chain was rewritten", short(h.Hash), short(e.Hash))
		}
		w.matched = true
	}
}

// finish checks the chain's end against the head audit_chains records and the
// checkpoint, and returns its status.
func (w *chainWalk) finish(checkpointed map[string]tandem.AuditHead) AuditChainStatus {
	chain := w.status.Chain
	lastSeq, lastID, lastHash := int64(0), int64(0), ""
	if w.last != nil {
		lastSeq, lastID, lastHash = w.last.Seq, w.last.ID, w.last.Hash
	}
	rec := w.recorded
	switch {
	case rec == nil && w.last != nil:
		w.breakAt(lastSeq, lastID, "the chain has no head record in audit_chains")
	case rec == nil:
	case rec.Seq > lastSeq:
		w.breakAt(lastSeq+1, 0, "audit_chains records head seq %d but the chain ends at seq %d: its newest entries were removed", rec.Seq, lastSeq)
	case rec.Seq < lastSeq:
		w.breakAt(rec.Seq+1, w.beyond, "audit_chains records head seq %d but the chain goes on to seq %d: entries were appended outside Tandem", rec.Seq, lastSeq)
	case rec.Hash != lastHash:
		w.breakAt(lastSeq, lastID, "audit_chains records head hash %s, the last entry has %s", short(rec.Hash), short(lastHash))
	}
	if h, ok := checkpointed[chain]; ok && !w.matched {
		if w.last == nil {
			w.breakAt(1, 0, "the chain is missing: the checkpoint holds it up to seq %d", h.Seq)
		} else {
			w.breakAt(lastSeq+1, 0, "the checkpoint holds the chain up to seq %d but it ends at seq %d: its newest entries were removed", h.Seq, lastSeq)
		}
	}
	return w.status
}

// wellFormed reports whether an entry could have been written by Tandem: its
// text is UTF-8 (PostgreSQL enforces it; SQLite stores any bytes) and its
// summary JSON. Only such entries have a canonical form that tells every two
// values apart.
func wellFormed(e *tandem.AuditEntry) bool {
	for _, s := range []string{e.Chain, e.ActorEmail, e.ActorParty, e.Action, e.Target, e.Source, e.PrevHash} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return utf8.Valid(e.Summary) && json.Valid(e.Summary)
}

func orgText(id *int64) string {
	if id == nil {
		return "none"
	}
	return fmt.Sprint(*id)
}

// short abbreviates a hash for messages.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	if hash == "" {
		return `""`
	}
	return hash
}
