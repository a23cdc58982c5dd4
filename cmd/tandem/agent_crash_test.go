package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agent/loadgen"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestAgentCrashDurability kills the server with SIGKILL under a load of
// 5,000 check-ins a second from simulated agents running the real agent
// runtime, starts it again on the same address and database, and checks
// that the agents' spools drain and that every message an agent heard
// acknowledged is stored, once: for each device the samples and inventory
// stored are exactly its acknowledged sequence numbers, plus at most the one
// inventory the server asked for as the fleet stopped.
func TestAgentCrashDurability(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		tandemBinary(t)
		testAgentCrash(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		tandemBinary(t)
		testAgentCrash(t, testdb.PostgresURL(t))
	})
}

func testAgentCrash(t *testing.T, databaseURL string) {
	clearEnv(t)
	dir := t.TempDir()
	dbArgs, env := databaseArgs(dir, databaseURL)
	mustRunCLI(t, "", append([]string{"org", "add", "Crash Fleet"}, dbArgs...)...)
	token := strings.TrimSpace(mustRunCLI(t, "", append([]string{"enrollment", "create", "--org", "crash-fleet", "--uses", "1000"}, dbArgs...)...))
	addr := freeAddr(t)
	p := startServe(t, env, "--data", dir, "--addr", addr)

	const agents, interval = 500, 100 * time.Millisecond // 5,000 check-ins a second
	o := loadgen.Options{URLs: []string{p.URL}, Token: token, Agents: agents, Interval: interval, Duration: time.Hour, Enrolling: 16}
	fleet, err := loadgen.Enroll(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan loadgen.Result, 1)
	go func() { ran <- fleet.Run(ctx, o) }()
	defer func() {
		stop()
		<-ran
	}()

	db := openDB(t, dir, databaseURL)
	stored := func() int {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM device_samples`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "2,000 check-ins stored before the kill", func() bool { return stored() >= 2000 })
	p.kill(t)
	before := stored()
	waitFor(t, "the agents spooling while the server is down", func() bool { return fleet.Backlog() >= 5 })
	p = startServe(t, env, "--data", dir, "--addr", addr)
	// The fleet stops making check-ins so that the spools drain however
	// busy the machine is (CI runs other packages' tests beside this one):
	// what is measured is that nothing is lost, not how fast it drains.
	waitFor(t, "the server answering the agents again", func() bool { return stored() > before })
	fleet.Pause()
	waitFor(t, "the spools drained after the restart", func() bool { return fleet.Spooled() == 0 })
	stop()
	r := <-ran
	ran <- r
	t.Logf("%d check-ins answered by the fleet (%.0f/s over %.1f s, p99 %.0f ms, %d attempts failed while the server was down)", r.Checkins, r.CheckinsPerS, r.Seconds, r.P99, r.Errors)

	type row struct{ samples, maxSeq, inventories int64 }
	got := map[int64]row{}
	rows, err := db.Query(`SELECT d.id, (SELECT COUNT(*) FROM device_samples s WHERE s.device_id = d.id), (SELECT COALESCE(MAX(seq), 0) FROM device_samples s WHERE s.device_id = d.id),
		(SELECT COUNT(*) FROM device_inventories i WHERE i.device_id = d.id) FROM devices d`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var r row
		if err := rows.Scan(&id, &r.samples, &r.maxSeq, &r.inventories); err != nil {
			t.Fatal(err)
		}
		got[id] = r
	}
	rows.Close()
	bad := 0
	for _, a := range fleet.Agents {
		g := got[a.State.DeviceID]
		n := g.samples + g.inventories
		// Sequence numbers 1…LastAcked were acknowledged, each a check-in
		// or the inventory; one more may have been stored as the agents
		// stopped, its answer unheard.
		if n < a.State.LastAcked || n > a.State.LastAcked+1 {
			bad++
			if bad <= 5 {
				t.Errorf("device %d: %d samples and %d inventories stored, acknowledged up to seq %d", a.State.DeviceID, g.samples, g.inventories, a.State.LastAcked)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d devices lost or doubled acknowledged messages", bad, agents)
	}
}

// openDB opens the server's database beside it, read-only on SQLite.
func openDB(t *testing.T, dir, databaseURL string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+dir+"/tandem.db?mode=ro"
	if databaseURL != "" {
		driver, dsn = "pgx", databaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitFor polls cond up to 2,400 times, 50 ms apart, and fails naming what
// was not reached.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2400 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not reached: %s", what)
}
