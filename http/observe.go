package http

import (
	"github.com/tandemhq/tandem/agentproto"

	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics are the request figures served at /metrics.
type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tandem",
			Name:      "http_request_duration_seconds",
			Help:      "Time to answer HTTP requests, by route pattern, method and status.",
			Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
	}
	// The scheduler's figures (go_sched_latencies_seconds: how long
	// goroutines waited to run) tell a server starved of CPU from a slow
	// database.
	reg.MustRegister(m.duration, collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// RegisterDBStats adds database pool figures (open, in use, idle, waits) to
// /metrics, one set per named pool.
func (s *Server) RegisterDBStats(pools map[string]*sql.DB) {
	for name, db := range pools {
		s.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// RegisterGroupCommits adds SQLite's group commit figures to /metrics: the
// write transactions committed, the physical commits (one fsync each)
// that stored them, and how long those took. counts is
// sqlstore.DB.GroupCommits, times sqlstore.DB.CommitTimes.
func (s *Server) RegisterGroupCommits(counts func() (transactions, commits int64, ok bool),
	times func() (count uint64, seconds float64, buckets map[float64]uint64, ok bool)) {
	s.Registry.MustRegister(newHistogramFunc("tandem_sqlite_commit_duration_seconds",
		"Time of SQLite's physical commits: the batch's pages written to the log and its fsync; every write transaction of the batch waited for it.", times),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "tandem", Name: "sqlite_write_transactions_total",
			Help: "Write transactions committed on SQLite."}, func() float64 { n, _, _ := counts(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "tandem", Name: "sqlite_commits_total",
			Help: "Physical commits on SQLite; each stores a group of write transactions with one fsync."},
			func() float64 { _, n, _ := counts(); return float64(n) }),
	)
}

// RegisterCheckinBatches adds the agents' check-in ingest to /metrics, on
// either database: how long each batch took to store (one count per
// batch), and how long each check-in waited in the queue before its batch
// began (one count per check-in). batches is sqlstore.DB.CheckinBatchTimes,
// waits sqlstore.DB.CheckinWaits.
func (s *Server) RegisterCheckinBatches(batches, waits func() (count uint64, seconds float64, buckets map[float64]uint64)) {
	always := func(f func() (uint64, float64, map[float64]uint64)) func() (uint64, float64, map[float64]uint64, bool) {
		return func() (uint64, float64, map[float64]uint64, bool) { c, s, b := f(); return c, s, b, true }
	}
	s.Registry.MustRegister(
		newHistogramFunc("tandem_checkin_batch_duration_seconds",
			"Time to store one batch of agents' check-ins, its transaction's start to its commit; every check-in of the batch waited for it.", always(batches)),
		newHistogramFunc("tandem_checkin_queue_wait_seconds",
			"Time each agent's check-in waited in the queue before the batch holding it began.", always(waits)))
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe wraps the whole handler: it recovers panics, sets security
// headers, times each request by route pattern, and logs one line per request
// (never the query string, which could hold a secret such as a setup link).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
		defer func() {
			if p := recover(); p != nil {
				s.Logger.Error("panic serving request", "method", r.Method, "route", r.Pattern, "panic", p)
				if rec.status == 0 {
					s.failed(rec, r)
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.duration.WithLabelValues(route, r.Method, itoa(rec.status)).Observe(elapsed.Seconds())
			if rec.status < 400 && route == checkinRoute {
				// Every agent checks in each minute: the metric counts them,
				// a log line each would drown the log.
				return
			}
			s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", route), slog.Int("status", rec.status),
				slog.Duration("duration", elapsed), slog.String("remote", r.RemoteAddr))
		}()
		next.ServeHTTP(rec, r)
	})
}

// checkinRoute is the agents' check-in, logged only when it fails.
const checkinRoute = "POST " + agentproto.PathCheckin

// metricsHandler serves the registry in Prometheus' text format.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry})
}

// histogramFunc is a histogram kept elsewhere (the store counts its own
// durations), read at every scrape.
type histogramFunc struct {
	desc *prometheus.Desc
	read func() (count uint64, seconds float64, buckets map[float64]uint64, ok bool)
}

func newHistogramFunc(name, help string, read func() (uint64, float64, map[float64]uint64, bool)) histogramFunc {
	return histogramFunc{desc: prometheus.NewDesc(name, help, nil, nil), read: read}
}

func (h histogramFunc) Describe(ch chan<- *prometheus.Desc) { ch <- h.desc }

func (h histogramFunc) Collect(ch chan<- prometheus.Metric) {
	if count, seconds, buckets, ok := h.read(); ok {
		ch <- prometheus.MustNewConstHistogram(h.desc, count, seconds, buckets)
	}
}
