package sqlstore_test

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// The generator fills a database for benchmarks: it must write what it says,
// route by the seed split, and keep every row valid for the services.
func TestGenerate(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := systemCtx(t)
		var progress []int
		rep, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: 3, Tickets: 25_000, Seed: 7, Progress: func(n int) { progress = append(progress, n) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Organizations) != 3 || rep.Tickets != 25_000 || rep.Users != 5+3*21 {
			t.Fatalf("report = %+v", rep)
		}
		if len(progress) != 2 || progress[1] != 25_000 {
			t.Errorf("progress calls = %v, want one per 20,000-ticket transaction", progress)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets`); n != 25_000 {
			t.Errorf("tickets stored = %d", n)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM ticket_tags`); n != rep.Tags || n < 5_000 || n > 10_000 {
			t.Errorf("tags stored = %d, reported %d; want about 30%% of tickets", n, rep.Tags)
		}
		// The seed split: patch management routes to the provider, end-user
		// support to the internal team.
		if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets t JOIN service_areas a ON a.id = t.area_id WHERE a.slug = 'patch-management' AND t.owning_party <> 'provider'`); n != 0 {
			t.Errorf("%d patch-management tickets not with the provider", n)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets t JOIN service_areas a ON a.id = t.area_id WHERE a.slug = 'end-user-support' AND t.owning_party <> 'internal'`); n != 0 {
			t.Errorf("%d end-user-support tickets not with the internal team", n)
		}
		// A desk's mix: most closed, some of every status.
		for _, st := range tandem.TicketStatuses {
			if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets WHERE status = '`+string(st)+`'`); n == 0 {
				t.Errorf("no %s tickets generated", st)
			}
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets WHERE status = 'new' AND assignee_id IS NOT NULL`); n != 0 {
			t.Errorf("%d new tickets have an assignee", n)
		}
		// Full-text search finds generated titles.
		if db.Dialect() == sqlstore.SQLite {
			if n := mustCount(t, db, `SELECT COUNT(*) FROM tickets_fts WHERE tickets_fts MATCH 'firewall'`); n == 0 {
				t.Error("search index holds no generated ticket")
			}
		}
		// Only the command line generates.
		u := &tandem.Actor{UserID: 1, Party: tandem.PartyProvider, Role: tandem.RoleAdmin}
		if _, err := db.Generate(tandem.NewContextWithActor(ctx, u), sqlstore.GenerateOptions{Tickets: 1}); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("Generate as a user: %v, want forbidden", err)
		}
		if _, err := db.Generate(ctx, sqlstore.GenerateOptions{Organizations: -1}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Generate with -1 organisations: %v, want invalid", err)
		}
	})
}

// mustCount runs a COUNT query on db, failing the test on error.
func mustCount(t *testing.T, db *sqlstore.DB, q string) int {
	t.Helper()
	n, err := sqlstore.CountRaw(db, q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
