package http_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

// Operations endpoints: liveness, readiness and metrics need no token.
func TestOperations(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		anon := anonymous(s)

		t.Run("Healthz", func(t *testing.T) {
			res := anon.get(t, "/healthz")
			res.want(t, http.StatusOK, nil)
			if string(res.Body) != "ok\n" {
				t.Errorf("body = %q, want ok", res.Body)
			}
		})

		t.Run("ReadyzOnMigratedDatabase", func(t *testing.T) {
			res := anon.get(t, "/readyz")
			res.want(t, http.StatusOK, nil)
			if string(res.Body) != "ready\n" {
				t.Errorf("body = %q, want ready", res.Body)
			}
		})

		t.Run("Metrics", func(t *testing.T) {
			admin := adminClient(t, s)
			admin.get(t, "/api/v1/orgs").want(t, http.StatusOK, nil)
			admin.get(t, "/api/v1/orgs/424242").want(t, http.StatusNotFound, nil)
			anon.get(t, "/no-such-page-xyz")

			res := anon.get(t, "/metrics")
			res.want(t, http.StatusOK, nil)
			samples := metricLines(res.Body)

			for _, want := range []struct {
				name   string
				labels []string
			}{
				{"tandem_http_request_duration_seconds_count", []string{`route="GET /api/v1/orgs"`, `method="GET"`, `status="200"`}},
				{"tandem_http_request_duration_seconds_bucket", []string{`route="GET /api/v1/orgs"`}},
				// Routes are labelled by pattern, never by raw path, so ids do
				// not multiply the series.
				{"tandem_http_request_duration_seconds_count", []string{`route="GET /api/v1/orgs/{id}"`, `status="404"`}},
				{"tandem_http_request_duration_seconds_count", []string{`route="unmatched"`}},
				// Goroutines' wait to run: a server short of CPU shows here.
				{"go_sched_latencies_seconds_bucket", nil},
				// The agents' check-in ingest, on either database.
				{"tandem_checkin_batch_duration_seconds_bucket", []string{`le="0.1"`}},
				{"tandem_checkin_queue_wait_seconds_count", nil},
			} {
				if !hasSample(samples, want.name, want.labels...) {
					t.Errorf("/metrics has no %s with %v", want.name, want.labels)
				}
			}
			for _, line := range samples {
				if strings.Contains(line, "424242") || strings.Contains(line, "no-such-page-xyz") {
					t.Errorf("a raw path became a label: %s", line)
				}
			}

			pools := []string{"read", "write"}
			if s.Services.DB.Dialect() == sqlstore.Postgres {
				pools = []string{"main"}
			}
			// SQLite's group commit: transactions and the commits that
			// stored them (the test's setup wrote some); none on PostgreSQL.
			for _, name := range []string{"tandem_sqlite_write_transactions_total", "tandem_sqlite_commits_total", "tandem_sqlite_commit_duration_seconds_bucket"} {
				if got := hasSample(samples, name); got != (s.Services.DB.Dialect() == sqlstore.SQLite) {
					t.Errorf("/metrics has %s: %v on %s", name, got, s.Services.DB.Dialect())
				}
			}
			for _, pool := range pools {
				for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_max_open_connections", "go_sql_wait_count_total"} {
					if !hasSample(samples, name, `db_name="`+pool+`"`) {
						t.Errorf("/metrics has no %s for pool %q", name, pool)
					}
				}
			}
		})
	})
}

// Readiness follows the database: 503 once it is closed, while liveness
// stays 200. The server is built by hand because the database is closed here
// and not by the test server's cleanup.
func TestOperations_ReadyzDatabaseClosed(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testReadyzDatabaseClosed(t, &app.Main{DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testReadyzDatabaseClosed(t, &app.Main{DatabaseURL: testdb.PostgresURL(t)})
	})
}

func testReadyzDatabaseClosed(t *testing.T, m *app.Main) {
	m.Addr, m.ProviderName = "127.0.0.1:0", "Northwind MSP"
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.HTTPServer.Close(); err != nil {
			t.Errorf("close http server: %v", err)
		}
	})
	anon := client{base: m.HTTPServer.URL()}
	anon.get(t, "/readyz").want(t, http.StatusOK, nil)

	if err := m.Services.DB.Close(); err != nil {
		t.Fatalf("close database: %v", err)
	}
	res := anon.get(t, "/readyz")
	res.want(t, http.StatusServiceUnavailable, nil)
	if string(res.Body) != "not ready\n" {
		t.Errorf("body = %q, want not ready", res.Body)
	}
	anon.get(t, "/healthz").want(t, http.StatusOK, nil)
}

// metricLines returns the sample lines of a Prometheus text exposition.
func metricLines(body []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

// hasSample reports whether a sample of the metric carries every label given
// as name="value".
func hasSample(lines []string, metric string, labels ...string) bool {
	for _, line := range lines {
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
