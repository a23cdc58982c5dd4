package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestCrashDurability kills the tandem binary with SIGKILL in the middle of a
// stream of concurrent writes, starts it again on the same database and checks
// that every write the server acknowledged survived.
func TestCrashDurability(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		tandemBinary(t)
		testCrashDurability(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		tandemBinary(t)
		testCrashDurability(t, testdb.PostgresURL(t))
	})
}

// ackedOrg is an organisation whose creation the server answered with 201.
type ackedOrg struct {
	orgJSON
	// sent is the name sent, kept for answers whose body did not arrive whole.
	sent string
}

func testCrashDurability(t *testing.T, databaseURL string) {
	clearEnv(t)
	dir := t.TempDir()
	dbArgs, env := databaseArgs(dir, databaseURL)
	token := adminToken(t, dbArgs...)
	p := startServe(t, env, "--data", dir)
	api := newAPIClient(p.URL, token)

	const writers, killAfter = 4, 200
	var (
		mu     sync.Mutex
		acked  []ackedOrg
		failed []string
		enough = make(chan struct{})
		next   int
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range writers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				next++
				name := fmt.Sprintf("Crash %05d", next)
				mu.Unlock()
				status, body, err := api.do(http.MethodPost, "/api/v1/orgs", map[string]string{"name": name})
				if err != nil && status == 0 {
					return // the server is gone
				}
				mu.Lock()
				if status != http.StatusCreated {
					if ctx.Err() == nil {
						failed = append(failed, fmt.Sprintf("POST %s: status %d, body %s", name, status, body))
					}
				} else {
					a := ackedOrg{sent: name}
					if json.Unmarshal(body, &a.orgJSON) != nil {
						a.orgJSON = orgJSON{}
					}
					acked = append(acked, a)
					if len(acked) == killAfter {
						close(enough)
					}
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatal("the server acknowledged fewer than 200 writes in 30 s")
	}
	p.kill(t)
	cancel()
	wg.Wait()
	for _, f := range failed {
		t.Error(f)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tandem.db-wal")); databaseURL == "" && err == nil {
		t.Logf("write-ahead log left by the kill: %d bytes", fi.Size())
	}

	p = startServe(t, env, "--data", dir)
	api = newAPIClient(p.URL, token)
	if body := api.mustGet(t, "/readyz", http.StatusOK); string(body) != "ready\n" {
		t.Errorf("GET /readyz after the restart answered %q", body)
	}
	lost := 0
	for _, a := range acked {
		path := fmt.Sprintf("/api/v1/orgs/%d", a.ID)
		if a.ID == 0 {
			path = "/api/v1/orgs?slug=" + url.QueryEscape(tandem.Slugify(a.sent))
		}
		status, body, err := api.do(http.MethodGet, path, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var got orgJSON
		var list orgList
		if a.ID == 0 && json.Unmarshal(body, &list) == nil && len(list.Items) == 1 {
			got = list.Items[0]
		} else if a.ID != 0 {
			json.Unmarshal(body, &got)
		}
		if status != http.StatusOK || got.Name != a.sent {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged organisation %q lost: GET %s answered %d %s", a.sent, path, status, body)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost in the crash", lost, len(acked))
	}
	t.Logf("%d writes acknowledged before SIGKILL; all present after the restart", len(acked))
}
