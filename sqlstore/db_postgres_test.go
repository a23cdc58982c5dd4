package sqlstore_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// The pool's size and the session limits come with defaults a user need
// not discover, and the database URL overrides them.
func TestOpenPostgres_PoolAndLimits(t *testing.T) {
	t.Parallel()
	t.Run("BadPoolSize", func(t *testing.T) {
		for _, v := range []string{"abc", "0", "-3", "100000"} {
			_, err := sqlstore.Open(t.Context(), sqlstore.Config{DatabaseURL: "postgres://tandem@127.0.0.1:1/tandem?pool_max_conns=" + v})
			if tandem.ErrorCode(err) != tandem.ECONFIG || !strings.Contains(tandem.ErrorMessage(err), "pool_max_conns="+v) {
				t.Errorf("pool_max_conns=%s: %v; want ECONFIG naming the setting", v, err)
			}
		}
	})
	base := testdb.PostgresURL(t)
	for _, tt := range []struct {
		name, query                string
		pool                       int
		statementTimeout, idleInTx string
	}{
		{"Defaults", "", max(8, 4*runtime.GOMAXPROCS(0)), "1min", "5min"},
		{"FromTheURL", "pool_max_conns=3&statement_timeout=5s", 3, "5s", "5min"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := base
			if sep := "?"; tt.query != "" {
				if strings.Contains(url, "?") {
					sep = "&"
				}
				url += sep + tt.query
			}
			db, err := sqlstore.Open(t.Context(), sqlstore.Config{DatabaseURL: url})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			pool := db.Stats()["main"]
			if got := pool.Stats().MaxOpenConnections; got != tt.pool {
				t.Errorf("pool of %d connections, want %d", got, tt.pool)
			}
			for setting, want := range map[string]string{"statement_timeout": tt.statementTimeout, "idle_in_transaction_session_timeout": tt.idleInTx} {
				var got string
				if err := pool.QueryRow("SHOW " + setting).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s = %s, want %s", setting, got, want)
				}
			}
		})
	}
}
