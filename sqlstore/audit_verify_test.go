package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// auditFixture is the standard cast with a few more changes to organisation
// A, a checkpoint taken then, and A's chain as it stood, for tampering.
type auditFixture struct {
	*world
	chain   string              // organisation A's chain, the one tampered with
	entries []tandem.AuditEntry // its entries in seq order; entries[i].Seq == i+1
	cp      *tandem.AuditCheckpoint
}

func newAuditFixture(t *testing.T, db *sqlstore.DB) *auditFixture {
	t.Helper()
	w := newWorld(t, db)
	renameOrgA(t, w, "Acme Inc", "Acme Group", "Acme Holdings")
	return w.auditFixture(t, tandem.AuditChain(&w.OrgA.ID))
}

// newAuditShardFixture is newAuditFixture with organisation A's entries in
// a second shard of its chain besides the first: the renames are made
// while another transaction holds the first shard (PostgreSQL only).
func newAuditShardFixture(t *testing.T, db *sqlstore.DB) *auditFixture {
	t.Helper()
	w := newWorld(t, db)
	first, commit, err := sqlstore.HoldAuditShard(t.Context(), db, w.OrgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	renameOrgA(t, w, "Acme Inc", "Acme Group", "Acme Holdings", "Acme Partners", "Acme Trust", "Acme Works")
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	var shard string
	for _, e := range auditLog(t, db) {
		if e.Action == "organization.update" && e.Chain != first {
			shard = e.Chain
		}
	}
	if shard == "" || tandem.AuditChainOwner(shard) != tandem.AuditChain(&w.OrgA.ID) {
		t.Fatalf("the renames went to shard %q, want a shard of %s other than %s", shard, tandem.AuditChain(&w.OrgA.ID), first)
	}
	return w.auditFixture(t, shard)
}

func renameOrgA(t *testing.T, w *world, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := w.Orgs.UpdateOrganization(as(t, w.Admin), w.OrgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
}

// auditFixture keeps chain's entries and a checkpoint of the whole trail.
func (w *world) auditFixture(t *testing.T, chain string) *auditFixture {
	t.Helper()
	db := w.DB
	f := &auditFixture{world: w, chain: chain}
	f.entries = chainEntries(t, db, f.chain)
	if len(f.entries) < 6 {
		t.Fatalf("chain %s has %d entries; the cases need at least 6", f.chain, len(f.entries))
	}
	cp, err := db.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint goes through its text form, as an auditor keeps it.
	text := cp.Text()
	if f.cp, err = tandem.ParseAuditCheckpoint(text); err != nil {
		t.Fatalf("parse checkpoint %s: %v", text, err)
	}
	return f
}

// entry returns the entry at seq as it was before tampering.
func (f *auditFixture) entry(seq int) tandem.AuditEntry { return f.entries[seq-1] }

// head returns the seq of the chain's last entry before tampering.
func (f *auditFixture) head() int { return len(f.entries) }

// chainEntries returns a chain's entries in seq order.
func chainEntries(tb testing.TB, db *sqlstore.DB, chain string) []tandem.AuditEntry {
	tb.Helper()
	var list []tandem.AuditEntry
	for _, e := range auditLog(tb, db) {
		if e.Chain == chain {
			list = append(list, e)
		}
	}
	slices.SortFunc(list, func(a, b tandem.AuditEntry) int { return int(a.Seq - b.Seq) })
	return list
}

// tamper runs a statement directly on the database.
func tamper(tb testing.TB, db *sqlstore.DB, q string, args ...any) {
	tb.Helper()
	if err := sqlstore.ExecRaw(db, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// shiftSeqs adds delta to the seq of every entry of chain from seq on, in two
// steps so that no intermediate row collides with UNIQUE (chain, seq).
func shiftSeqs(tb testing.TB, db *sqlstore.DB, chain string, from, delta int) {
	tb.Helper()
	const far = 1_000_000
	tamper(tb, db, `UPDATE audit_log SET seq = seq + ? WHERE chain = ? AND seq >= ?`, far, chain, from)
	tamper(tb, db, `UPDATE audit_log SET seq = seq - ? WHERE chain = ? AND seq >= ?`, far-delta, chain, far)
}

// insertEntry stores e as it is, the way a forger would, and returns its id.
func insertEntry(tb testing.TB, db *sqlstore.DB, e *tandem.AuditEntry) int64 {
	tb.Helper()
	tamper(tb, db, `INSERT INTO audit_log (chain, seq, at, actor_user_id, actor_email, actor_party, organization_id, action, target, source, summary, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Chain, e.Seq, e.At.UTC().Format(tandem.AuditTimeLayout), e.ActorUserID, e.ActorEmail, e.ActorParty, e.OrganizationID,
		e.Action, e.Target, e.Source, string(e.Summary), e.PrevHash, e.Hash)
	for _, got := range chainEntries(tb, db, e.Chain) {
		if got.Seq == e.Seq && got.Hash == e.Hash {
			return got.ID
		}
	}
	tb.Fatalf("inserted entry %s seq %d not found", e.Chain, e.Seq)
	return 0
}

// forge returns a plausible entry linked after prev, with a correct hash.
func forge(prev tandem.AuditEntry, seq int64) *tandem.AuditEntry {
	e := prev
	e.ID, e.Seq, e.PrevHash = 0, seq, prev.Hash
	e.Action, e.Summary = "organization.update", []byte(`{"name":"Forged"}`)
	e.Hash = e.ComputeHash()
	return &e
}

// rewriteFrom edits the entry at seq and re-links and re-hashes it and every
// later entry, then moves the recorded head: the consistent rewrite that only
// a checkpoint catches.
func (f *auditFixture) rewriteFrom(tb testing.TB, seq int, edit func(e *tandem.AuditEntry)) {
	tb.Helper()
	prev := ""
	if seq > 1 {
		prev = f.entry(seq - 1).Hash
	}
	for i := seq - 1; i < len(f.entries); i++ {
		e := f.entries[i]
		if i == seq-1 {
			edit(&e)
		}
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		tamper(tb, f.DB, `UPDATE audit_log SET action = ?, target = ?, summary = ?, prev_hash = ?, hash = ? WHERE id = ?`,
			e.Action, e.Target, string(e.Summary), e.PrevHash, e.Hash, e.ID)
		prev = e.Hash
	}
	tamper(tb, f.DB, `UPDATE audit_chains SET head_hash = ? WHERE chain = ?`, prev, f.chain)
}

// wantBreak is where a chain is expected to break.
type wantBreak struct {
	chain   string // "" for the fixture's chain
	seq     int64
	id      int64
	problem string // a phrase the problem must contain
}

// checkReport fails unless exactly the expected chain is broken, where
// expected, or every chain is intact when want is nil.
func checkReport(t *testing.T, f *auditFixture, r *sqlstore.AuditReport, want *wantBreak) {
	t.Helper()
	broken := r.BrokenChains()
	if want == nil {
		for _, c := range broken {
			t.Errorf("%s", c)
		}
		return
	}
	chain := want.chain
	if chain == "" {
		chain = f.chain
	}
	if len(broken) != 1 || broken[0].Chain != chain {
		t.Fatalf("broken chains = %v, want only %s", broken, chain)
	}
	b := broken[0].Broken
	if b.Seq != want.seq || b.ID != want.id || !strings.Contains(b.Problem, want.problem) {
		t.Errorf("break at seq %d, entry %d: %q; want seq %d, entry %d, a problem mentioning %q", b.Seq, b.ID, b.Problem, want.seq, want.id, want.problem)
	}
	if line := broken[0].String(); !strings.Contains(line, fmt.Sprintf("seq %d", want.seq)) || !strings.HasPrefix(line, chain+": broken") {
		t.Errorf("report line %q does not name the chain and seq", line)
	}
}

// TestVerifyAudit tampers with the audit trail the ways someone with write
// access to the database could, and checks that verification names the first
// entry at fault — by the hash chain alone where that suffices, and otherwise
// by the checkpoint taken before the tampering.
func TestVerifyAudit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// tamper changes the log and returns the break expected from
		// VerifyAudit and from VerifyAuditCheckpoint (nil: intact).
		tamper func(t *testing.T, f *auditFixture) (plain, checkpointed *wantBreak)
	}{
		{"Untouched", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			// Entries appended after the checkpoint extend it.
			name := "Acme Later"
			if _, err := f.Orgs.UpdateOrganization(systemCtx(t), f.OrgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
				t.Fatal(err)
			}
			f.mustCreateOrg(t, "Initech")
			return nil, nil
		}},
		{"EditedSummary", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			e := f.entry(3)
			tamper(t, f.DB, `UPDATE audit_log SET summary = ? WHERE id = ?`, `{"email":"someone-else@acme.test"}`, e.ID)
			w := &wantBreak{seq: 3, id: e.ID, problem: "edited"}
			return w, w
		}},
		{"EditedAction", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			e := f.entry(2)
			tamper(t, f.DB, `UPDATE audit_log SET action = 'session.login' WHERE id = ?`, e.ID)
			w := &wantBreak{seq: 2, id: e.ID, problem: "edited"}
			return w, w
		}},
		{"EditedAndRehashed", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			// The forger fixes the edited entry's own hash; the next entry
			// still links to the old one.
			e := f.entry(3)
			e.Summary = []byte(`{"email":"someone-else@acme.test"}`)
			tamper(t, f.DB, `UPDATE audit_log SET summary = ?, hash = ? WHERE id = ?`, string(e.Summary), e.ComputeHash(), e.ID)
			w := &wantBreak{seq: 4, id: f.entry(4).ID, problem: "prev_hash"}
			return w, w
		}},
		{"Deleted", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			tamper(t, f.DB, `DELETE FROM audit_log WHERE id = ?`, f.entry(3).ID)
			w := &wantBreak{seq: 4, id: f.entry(4).ID, problem: "expected seq 3"}
			return w, w
		}},
		{"DeletedAndRenumbered", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			tamper(t, f.DB, `DELETE FROM audit_log WHERE id = ?`, f.entry(3).ID)
			shiftSeqs(t, f.DB, f.chain, 4, -1)
			tamper(t, f.DB, `UPDATE audit_chains SET seq = seq - 1 WHERE chain = ?`, f.chain)
			w := &wantBreak{seq: 3, id: f.entry(4).ID, problem: "prev_hash"}
			return w, w
		}},
		{"Inserted", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			// Room is made at seq 3 for a forged entry linked correctly to
			// seq 2; the entry after it still links to seq 2.
			shiftSeqs(t, f.DB, f.chain, 3, 1)
			insertEntry(t, f.DB, forge(f.entry(2), 3))
			tamper(t, f.DB, `UPDATE audit_chains SET seq = seq + 1 WHERE chain = ?`, f.chain)
			w := &wantBreak{seq: 4, id: f.entry(3).ID, problem: "prev_hash"}
			return w, w
		}},
		{"Reordered", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			a, b := f.entry(3), f.entry(4)
			tamper(t, f.DB, `UPDATE audit_log SET seq = -1 WHERE id = ?`, a.ID)
			tamper(t, f.DB, `UPDATE audit_log SET seq = 3 WHERE id = ?`, b.ID)
			tamper(t, f.DB, `UPDATE audit_log SET seq = 4 WHERE id = ?`, a.ID)
			w := &wantBreak{seq: 3, id: b.ID, problem: "prev_hash"}
			return w, w
		}},
		{"MovedToAnotherOrganization", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			e := f.entry(3)
			tamper(t, f.DB, `UPDATE audit_log SET organization_id = ? WHERE id = ?`, f.OrgB.ID, e.ID)
			w := &wantBreak{seq: 3, id: e.ID, problem: "moved"}
			return w, w
		}},
		{"AppendedOutsideTandem", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			id := insertEntry(t, f.DB, forge(f.entry(f.head()), int64(f.head()+1)))
			w := &wantBreak{seq: int64(f.head() + 1), id: id, problem: "appended outside Tandem"}
			return w, w
		}},
		{"NewestDeleted", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			tamper(t, f.DB, `DELETE FROM audit_log WHERE id = ?`, f.entry(f.head()).ID)
			w := &wantBreak{seq: int64(f.head()), problem: "newest entries were removed"}
			return w, w
		}},
		{"TruncatedWithHead", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			// The newest two entries go and the recorded head moves back:
			// the chain is consistent, only the checkpoint remembers more.
			n := f.head()
			tamper(t, f.DB, `DELETE FROM audit_log WHERE chain = ? AND seq > ?`, f.chain, n-2)
			tamper(t, f.DB, `UPDATE audit_chains SET seq = ?, head_hash = ? WHERE chain = ?`, n-2, f.entry(n-2).Hash, f.chain)
			return nil, &wantBreak{seq: int64(n - 1), problem: "newest entries were removed"}
		}},
		{"RewrittenWholeChain", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			f.rewriteFrom(t, 2, func(e *tandem.AuditEntry) { e.Summary = []byte(`{"email":"someone-else@acme.test"}`) })
			return nil, &wantBreak{seq: int64(f.head()), id: f.entry(f.head()).ID, problem: "rewritten"}
		}},
		{"ShardAddedOutsideTandem", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			// A whole forged chain, linked and hashed correctly, in a shard
			// Tandem never writes, with its head recorded.
			chain := tandem.AuditChainOwner(f.chain) + "/" + fmt.Sprint(tandem.AuditShards)
			e := f.entry(1)
			e.Chain, e.PrevHash = chain, ""
			e.Hash = e.ComputeHash()
			id := insertEntry(t, f.DB, &e)
			tamper(t, f.DB, `INSERT INTO audit_chains (chain, seq, head_hash) VALUES (?, 1, ?)`, chain, e.Hash)
			w := &wantBreak{chain: chain, seq: 1, id: id, problem: "never writes a chain of this name"}
			return w, w
		}},
		{"ChainRemoved", func(t *testing.T, f *auditFixture) (*wantBreak, *wantBreak) {
			chain := tandem.AuditChain(&f.OrgB.ID)
			tamper(t, f.DB, `DELETE FROM audit_log WHERE chain = ?`, chain)
			tamper(t, f.DB, `DELETE FROM audit_chains WHERE chain = ?`, chain)
			return nil, &wantBreak{chain: chain, seq: 1, problem: "missing"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
				verifyTampered(t, newAuditFixture(t, db), tt.tamper)
			})
			// The same tampering of a shard other than an organisation's
			// first: writers that appended side by side.
			t.Run("shard", func(t *testing.T) {
				verifyTampered(t, newAuditShardFixture(t, testdb.MustOpenPostgres(t)), tt.tamper)
			})
		})
	}
}

// verifyTampered tampers with the fixture's trail and checks what
// VerifyAudit, VerifyAuditCheckpoint and Checkpoint say.
func verifyTampered(t *testing.T, f *auditFixture, tamper func(t *testing.T, f *auditFixture) (plain, checkpointed *wantBreak)) {
	t.Helper()
	db := f.DB
	plain, checkpointed := tamper(t, f)

	r, err := db.VerifyAudit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Verify", func(t *testing.T) { checkReport(t, f, r, plain) })

	r, err = db.VerifyAuditCheckpoint(t.Context(), f.cp)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("VerifyCheckpoint", func(t *testing.T) { checkReport(t, f, r, checkpointed) })

	t.Run("Checkpoint", func(t *testing.T) {
		cp, err := db.Checkpoint(t.Context())
		var broken *sqlstore.AuditBrokenError
		switch {
		case plain == nil && err != nil:
			t.Errorf("Checkpoint of an intact trail: %v", err)
		case plain == nil && len(cp.Heads) == 0:
			t.Error("Checkpoint holds no heads")
		case plain != nil && !errors.As(err, &broken):
			t.Errorf("Checkpoint of a broken trail = %v, %v; want an AuditBrokenError", cp, err)
		}
	})
}

// Text that is not UTF-8 would make two different entries share one
// canonical form; PostgreSQL refuses it, and on SQLite verification does.
func TestVerifyAudit_InvalidUTF8(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t, testdb.MustOpenSQLite(t))
	e := f.entry(3)
	tamper(t, f.DB, `UPDATE audit_log SET actor_email = ? WHERE id = ?`, "admin@msp.test\xff", e.ID)
	r, err := f.DB.VerifyAudit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, f, r, &wantBreak{seq: 3, id: e.ID, problem: "UTF-8"})
}

// Appends from many goroutines, to one organisation and to several, leave
// every chain gapless and correctly linked: appends to a chain (a shard on
// PostgreSQL) serialise on its audit_chains row (the single writer on
// SQLite, a row lock on PostgreSQL) and lose nothing.
// Verification running meanwhile reads one snapshot, so it never mistakes an
// append in flight for a break.
func TestAudit_ConcurrentAppends(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		orgC := w.mustCreateOrg(t, "Initech")
		before := map[string]int{}
		for _, org := range []*tandem.Organization{w.OrgA, w.OrgB, orgC} {
			before[tandem.AuditChain(&org.ID)] = len(chainEntries(t, db, tandem.AuditChain(&org.ID)))
		}
		const rounds = 15
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		// Organisation A's chain gets renames of four different users and of
		// the organisation itself at once: nothing but the chain serialises them.
		for _, u := range []*tandem.User{w.AAdmin, w.ATech, w.AViewer, w.ARequester} {
			wg.Go(func() {
				for i := range rounds {
					name := fmt.Sprintf("%s %d", u.Email, i)
					if _, err := w.Users.UpdateUser(systemCtx(t), u.ID, tandem.UserUpdate{Name: &name}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for _, org := range []*tandem.Organization{w.OrgA, w.OrgB, orgC} {
			wg.Go(func() {
				for i := range rounds {
					name := fmt.Sprintf("%s %d", org.Slug, i)
					if _, err := w.Orgs.UpdateOrganization(systemCtx(t), org.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		done := make(chan struct{})
		verified := make(chan int)
		go func() {
			n := 0
			defer func() { verified <- n }()
			for {
				select {
				case <-done:
					return
				default:
				}
				r, err := db.VerifyAudit(t.Context())
				if err != nil {
					errs <- err
					return
				}
				if broken := r.BrokenChains(); len(broken) > 0 {
					errs <- fmt.Errorf("verification during appends: %s", broken[0])
					return
				}
				n++
			}
		}()
		wg.Wait()
		close(done)
		if n := <-verified; n == 0 {
			t.Error("no verification ran during the appends")
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		r, err := db.VerifyAudit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, nil, r, nil)
		want := map[string]int{
			tandem.AuditChain(&w.OrgA.ID): before[tandem.AuditChain(&w.OrgA.ID)] + 5*rounds,
			tandem.AuditChain(&w.OrgB.ID): before[tandem.AuditChain(&w.OrgB.ID)] + rounds,
			tandem.AuditChain(&orgC.ID):   before[tandem.AuditChain(&orgC.ID)] + rounds,
		}
		// On PostgreSQL an organisation's entries may be spread over the
		// shards of its chain; each shard is verified whole on its own.
		got := map[string]int64{}
		for _, c := range r.Chains {
			got[tandem.AuditChainOwner(c.Chain)] += c.Entries
			if c.Entries != c.Head.Seq {
				t.Errorf("chain %s: %d entries, head seq %d", c.Chain, c.Entries, c.Head.Seq)
			}
		}
		for chain, n := range want {
			if got[chain] != int64(n) {
				t.Errorf("chain %s and its shards: %d entries; want %d", chain, got[chain], n)
			}
		}
	})
}

// A transaction that appends more entries than one statement holds (a
// policy change recording breaches) stores them all, in order, and the
// chain verifies with the head at the last of them.
func TestAudit_ManyInOneTransaction(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		chain := tandem.AuditChain(&w.OrgA.ID)
		before := len(chainEntries(t, db, chain))
		n := 2*sqlstore.AuditRowsPerStatement + 7
		if err := sqlstore.AuditMany(t.Context(), db, w.OrgA.ID, n); err != nil {
			t.Fatal(err)
		}
		entries := chainEntries(t, db, chain)
		if len(entries) != before+n {
			t.Fatalf("%s holds %d entries, want %d", chain, len(entries), before+n)
		}
		for i, e := range entries[before:] {
			if want := fmt.Sprintf(`{"i":%d}`, i); string(e.Summary) != want || (i > 0 && e.ID <= entries[before+i-1].ID) {
				t.Fatalf("entry seq %d (id %d) holds %s, want %s in id order", e.Seq, e.ID, e.Summary, want)
			}
		}
		r, err := db.VerifyAudit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, nil, r, nil)
	})
}

// A writer of an organisation does not wait for another that holds the
// head of its chain: it appends to a shard of its own, and both shards
// verify (PostgreSQL; SQLite's one writer serialises every write anyway).
func TestAudit_WritersOfOneOrganisationSideBySide(t *testing.T) {
	t.Parallel()
	db := testdb.MustOpenPostgres(t)
	w := newWorld(t, db)
	first, commit, err := sqlstore.HoldAuditShard(t.Context(), db, w.OrgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Were the rename to wait for the held shard it would never return:
	// the deadline turns that into a failure.
	ctx, cancel := context.WithTimeout(as(t, w.Admin), 30*time.Second)
	defer cancel()
	name := "Acme While Held"
	if _, err := w.Orgs.UpdateOrganization(ctx, w.OrgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
		t.Fatalf("rename while another transaction holds %s: %v", first, err)
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	shards := map[string]string{}
	for _, e := range auditLog(t, db) {
		if e.Action == "test.hold" || e.Action == "organization.update" {
			shards[e.Action] = e.Chain
		}
	}
	if shards["test.hold"] != first || shards["organization.update"] == first ||
		tandem.AuditChainOwner(shards["organization.update"]) != tandem.AuditChain(&w.OrgA.ID) {
		t.Errorf("entries in chains %v; want the rename in a shard of %s other than %s", shards, tandem.AuditChain(&w.OrgA.ID), first)
	}
	r, err := db.VerifyAudit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, nil, r, nil)
}
