package agent_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agent"
	"github.com/tandemhq/tandem/agentproto"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The agents under test make a check-in every 20 ms and retry at most
// every 50 ms, so an outage of a few check-ins takes a fraction of a
// second.
const (
	testInterval   = 20 * time.Millisecond
	testMaxBackoff = 50 * time.Millisecond
)

// waitFor polls cond every 5 ms, at most 2,000 times, and fails the test
// saying what it waited for.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("gave up waiting until %s", what)
}

// fakeMachine is the Sources of a machine whose figures the test sets.
type fakeMachine struct {
	mu       sync.Mutex
	inv      agentproto.Inventory
	measured int  // check-ins made
	failing  bool // every configured check fails
	quiet    bool // no inventory is collected: the agent is being stopped
	asked    []int64
}

func newMachine() *fakeMachine {
	return &fakeMachine{inv: agentproto.Inventory{Hostname: "ws-042", OS: agentproto.OSLinux, OSName: "Ubuntu 24.04.1 LTS", Kernel: "6.8.0-51-generic",
		Arch: "amd64", CPUCores: 8, MemoryBytes: 16 << 30, Software: []agentproto.Software{{Name: "nginx", Version: "1.24.0", Source: "dpkg"}}}}
}

func (f *fakeMachine) Metrics(context.Context) (agentproto.Metrics, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.measured++
	return agentproto.Metrics{CPUPercent: float64(f.measured % 100), MemoryTotalBytes: 16 << 30, MemoryUsedBytes: 4 << 30, UptimeSeconds: int64(1000 + f.measured),
		Volumes: []agentproto.Volume{{Mount: "/", FSType: "ext4", TotalBytes: 100 << 30, UsedBytes: 40 << 30}}}, nil
}

func (f *fakeMachine) Inventory(context.Context) (agentproto.Inventory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quiet {
		return agentproto.Inventory{}, errors.New("stopping")
	}
	return f.inv, nil
}

func (f *fakeMachine) Checks(_ context.Context, _ time.Time, checks []agentproto.Check, _ agentproto.Metrics) []agentproto.CheckResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = f.asked[:0]
	var out []agentproto.CheckResult
	for _, c := range checks {
		f.asked = append(f.asked, c.ID)
		r := agentproto.CheckResult{CheckID: c.ID, State: agentproto.CheckOK, Output: "running"}
		if f.failing {
			r.State, r.Output = agentproto.CheckFailing, "not running"
		}
		out = append(out, r)
	}
	return out
}

func (f *fakeMachine) made() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.measured
}

func (f *fakeMachine) set(fn func(f *fakeMachine)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// digestOf is the digest the agent keeps of an inventory it sent: the
// SHA-256 of its JSON (docs/AGENT_PROTOCOL.md, Intervals).
func digestOf(inv agentproto.Inventory) string {
	data, _ := json.Marshal(inv)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ledger is every message agents put in their spools, across restarts.
type ledger struct {
	mu    sync.Mutex
	added []agent.Message
}

func (l *ledger) all() []agent.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.added)
}

// recordingSpool writes every message added to a ledger.
type recordingSpool struct {
	agent.Spool
	ledger *ledger
}

func (r *recordingSpool) Add(m agent.Message) (int, error) {
	n, err := r.Spool.Add(m)
	if err == nil {
		r.ledger.mu.Lock()
		r.ledger.added = append(r.ledger.added, m)
		r.ledger.mu.Unlock()
	}
	return n, err
}

func ofKind(msgs []agent.Message, kind string) []int64 {
	var out []int64
	for _, m := range msgs {
		if m.Kind == kind {
			out = append(out, m.Seq)
		}
	}
	return out
}

// proxyMode is what the proxy between agent and server does.
type proxyMode int32

const (
	proxyUp          proxyMode = iota
	proxyUnavailable           // answers 503 itself
	proxyHangUp                // closes the connection without an answer
	proxyLoseAnswer            // forwards the message, then closes the connection: stored, but the agent never hears so
)

func (m proxyMode) String() string {
	return [...]string{"up", "answering 503", "hanging up", "losing answers"}[m]
}

// forwarded is a message that reached the server.
type forwarded struct {
	path, credential string
	seq              int64
}

// flakyProxy stands between the agent and the real server, as a load
// balancer or a VPN would, and fails as the test tells it to.
type flakyProxy struct {
	url  string
	mode atomic.Int32
	mu   sync.Mutex
	log  []forwarded
	// onForward, when set, hears of each message before the server does.
	onForward func(forwarded)
}

func (p *flakyProxy) listen(fn func(forwarded)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onForward = fn
}

func startProxy(tb testing.TB, target string) *flakyProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	rp.Transport = tr
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := &flakyProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			hangUp(w)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		f := forwarded{path: r.URL.Path, credential: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), seq: seqOf(raw, r.Header.Get("Content-Encoding"))}
		switch mode := proxyMode(p.mode.Load()); mode {
		case proxyUnavailable:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error": {"code": "unavailable", "message": "The proxy is down."}}`)
		case proxyHangUp:
			hangUp(w)
		case proxyUp, proxyLoseAnswer:
			p.mu.Lock()
			listen := p.onForward
			p.log = append(p.log, f)
			p.mu.Unlock()
			if listen != nil {
				listen(f)
			}
			if mode == proxyUp {
				rp.ServeHTTP(w, r)
				return
			}
			rp.ServeHTTP(httptest.NewRecorder(), r)
			hangUp(w)
		}
	}))
	tb.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func seqOf(body []byte, encoding string) int64 {
	if encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return -1
		}
		if body, err = io.ReadAll(zr); err != nil {
			return -1
		}
	}
	var m struct{ Seq int64 }
	if json.Unmarshal(body, &m) != nil {
		return -1
	}
	return m.Seq
}

func (p *flakyProxy) set(m proxyMode) { p.mode.Store(int32(m)) }

// forwarded is every message that reached the server, in order, past the
// first skip.
func (p *flakyProxy) forwarded(skip int) []forwarded {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log[min(skip, len(p.log)):])
}

// harness is one device enrolled with tandem-agent's Enroll on a real
// server, through a proxy the test controls.
type harness struct {
	s      *testserver.Server
	sys    context.Context
	org    *tandem.Organization
	proxy  *flakyProxy
	dir    string // the agent's state directory
	device int64
}

// newHarness adds an organisation named after the test, with its checks,
// to s, and enrols a device into it.
func newHarness(t *testing.T, s *testserver.Server, checks ...agentproto.Check) *harness {
	t.Helper()
	h := &harness{s: s, sys: testserver.SystemContext(), dir: filepath.Join(t.TempDir(), "state")}
	h.org = h.s.MustCreateOrganization(t, strings.ReplaceAll(t.Name(), "/", " "))
	for _, c := range checks {
		if err := h.s.Services.Devices.CreateAgentCheck(h.sys, &tandem.AgentCheck{OrganizationID: h.org.ID, Check: c}); err != nil {
			t.Fatal(err)
		}
	}
	tok := &tandem.EnrollmentToken{OrganizationID: h.org.ID, Description: "laptops"}
	if err := h.s.Services.Devices.CreateEnrollmentToken(h.sys, tok, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.proxy = startProxy(t, h.s.URL())
	st, err := agent.Enroll(context.Background(), h.dir, h.proxy.url, tok.Token, "", false)
	if err != nil {
		t.Fatal(err)
	}
	h.device = st.DeviceID
	return h
}

func (h *harness) state(tb testing.TB) *agent.State {
	tb.Helper()
	st, err := agent.LoadState(h.dir)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func (h *harness) diskSpool(tb testing.TB) agent.Spool {
	tb.Helper()
	return mustOpenDiskSpool(tb, agent.SpoolDir(h.dir), agent.DefaultSpoolMessages)
}

// samples is the sequence numbers of the device's stored check-ins.
func (h *harness) samples(tb testing.TB) []int64 {
	tb.Helper()
	rows, err := h.s.ReadPool().Query(`SELECT seq FROM device_samples WHERE device_id = ? ORDER BY seq`, h.device)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			tb.Fatal(err)
		}
		out = append(out, seq)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// deviceRow is the server's row of the device.
type deviceRow struct {
	lastSeq, dropped, checksFailing int64
	hasInventory, rotationPending   bool
	// rolledUp is how many check-ins the hourly rollups counted: one
	// check-in stored twice would be counted twice.
	rolledUp int64
}

func (h *harness) row(tb testing.TB) deviceRow {
	tb.Helper()
	var d deviceRow
	err := h.s.ReadPool().QueryRow(`SELECT d.last_seq, d.dropped_metrics, d.checks_failing,
		EXISTS (SELECT 1 FROM device_inventories i WHERE i.device_id = d.id),
		d.pending_credential_hash IS NOT NULL OR d.rotate_requested <> 0,
		(SELECT COALESCE(SUM(r.samples), 0) FROM device_rollups r WHERE r.device_id = d.id)
		FROM devices d WHERE d.id = ?`, h.device).Scan(&d.lastSeq, &d.dropped, &d.checksFailing, &d.hasInventory, &d.rotationPending, &d.rolledUp)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func (h *harness) events(tb testing.TB, kind string) int {
	tb.Helper()
	var n int
	if err := h.s.ReadPool().QueryRow(`SELECT COUNT(*) FROM device_events WHERE device_id = ? AND kind = ?`, h.device, kind).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// waitDroppedReported waits until a check-in made after the last drop is
// stored: each check-in carries the count of those dropped before it.
func (h *harness) waitDroppedReported(t *testing.T) {
	t.Helper()
	waitFor(t, "the server has the agent's count of dropped check-ins", func() bool {
		st, err := agent.LoadState(h.dir)
		return err == nil && st.DroppedMetrics > 0 && h.row(t).dropped == st.DroppedMetrics
	})
}

// runningAgent is an Agent running in its own goroutine.
type runningAgent struct {
	a       *agent.Agent
	machine *fakeMachine
	ledger  *ledger
	paused  atomic.Bool
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// start runs an agent from the saved state, as tandem-agent run does,
// with spool, recording what it spools in l (a new ledger when nil).
func (h *harness) start(t *testing.T, spool agent.Spool, m *fakeMachine, l *ledger) *runningAgent {
	t.Helper()
	st := h.state(t)
	if l == nil {
		l = &ledger{}
	}
	r := &runningAgent{machine: m, ledger: l, done: make(chan error, 1)}
	r.a = &agent.Agent{Client: mustNewClient(t, st.Server, st.Pin), State: st, Spool: &recordingSpool{Spool: spool, ledger: l}, Sources: m, Dir: h.dir,
		Interval: testInterval, MaxBackoff: testMaxBackoff, Paused: &r.paused}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// wait waits for Run to return by itself.
func (r *runningAgent) wait(tb testing.TB) error {
	tb.Helper()
	var err error
	waitFor(tb, "Run returns", func() bool {
		select {
		case err = <-r.done:
			r.stopped = true
			return true
		default:
			return false
		}
	})
	return err
}

// stop ends Run, which returns nil when its context ends.
func (r *runningAgent) stop(tb testing.TB) {
	tb.Helper()
	if r.stopped {
		return
	}
	r.cancel()
	if err := r.wait(tb); err != nil {
		tb.Errorf("Run, stopped: %v; want nil", err)
	}
}

// quiesce stops new messages and waits until the spool is empty, so
// that nothing is in flight when the agent is stopped.
func (r *runningAgent) quiesce(tb testing.TB) {
	tb.Helper()
	r.paused.Store(true)
	r.machine.set(func(f *fakeMachine) { f.quiet = true })
	last := -1
	waitFor(tb, "the spool drains", func() bool {
		n := len(r.ledger.all())
		settled := r.a.Spool.Len() == 0 && n == last
		last = n
		return settled
	})
}

// firstAdded is the first sequence number the agent spooled after skip
// messages of its ledger.
func firstAdded(tb testing.TB, l *ledger, skip int) int64 {
	tb.Helper()
	all := l.all()
	if len(all) <= skip {
		tb.Fatalf("the agent spooled %d messages; want more than %d", len(all), skip)
	}
	return all[skip].Seq
}

// assertIncreasing fails unless every sequence number was given out
// once, in increasing order.
func assertIncreasing(tb testing.TB, msgs []agent.Message) {
	tb.Helper()
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Seq <= msgs[i-1].Seq {
			tb.Fatalf("seq %d spooled after %d: a sequence number reused or out of order", msgs[i].Seq, msgs[i-1].Seq)
		}
	}
}

// assertSentInOrder fails unless the server saw sequence numbers in
// order: a message sent after a higher one is lost as a duplicate.
func assertSentInOrder(tb testing.TB, fw []forwarded) {
	tb.Helper()
	for i := 1; i < len(fw); i++ {
		if fw[i].seq < fw[i-1].seq {
			tb.Fatalf("the server got seq %d (%s) after %d", fw[i].seq, fw[i].path, fw[i-1].seq)
		}
	}
}

// TestAgent runs the agent against one real server, through a proxy
// each subtest controls: each subtest enrols its own device in its own
// organisation.
func TestAgent(t *testing.T) {
	s := testserver.Start(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *testserver.Server)
	}{
		{"Enroll", testEnroll},
		{"Outage", testAgentOutage},
		{"SpoolFull", testAgentSpoolFull},
		{"SpoolFullRestart", testAgentSpoolFullRestart},
		{"Restart", testAgentRestart},
		{"Revoked", testAgentRevoked},
		{"Rotation", testAgentRotation},
		{"ServerAsks", testAgentServerAsks},
		{"DropsRefusedMessage", testAgentDropsRefusedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, s)
		})
	}
}

// testAgentOutage: while the server cannot be reached (a 503, a dropped
// connection, an answer lost after the server stored the message) the
// agent keeps making check-ins into its spool; once it can, the spool
// drains, in order, and the server has every message exactly once.
func testAgentOutage(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	r := h.start(t, h.diskSpool(t), newMachine(), nil)
	waitFor(t, "the first check-ins are stored", func() bool { return len(h.samples(t)) >= 3 })

	for _, mode := range []proxyMode{proxyUnavailable, proxyHangUp, proxyLoseAnswer} {
		h.proxy.set(mode)
		skip := len(h.proxy.forwarded(0))
		from := r.a.Spool.Len()
		waitFor(t, fmt.Sprintf("the spool grows while the proxy is %s", mode), func() bool { return r.a.Spool.Len() >= from+4 })
		if mode == proxyLoseAnswer {
			// The server stored the message but the agent never heard:
			// it sends the same message again, never the next one.
			waitFor(t, "the agent sends the message again", func() bool { return len(h.proxy.forwarded(skip)) >= 3 })
			fw := h.proxy.forwarded(skip)
			for _, f := range fw {
				if f.seq != fw[0].seq {
					t.Fatalf("with every answer lost the agent sent %+v; want one message again and again", fw)
				}
			}
		}
	}
	h.proxy.set(proxyUp)
	last := r.a.Spool.MaxSeq()
	waitFor(t, "the spool drains", func() bool { return h.row(t).lastSeq >= last })
	r.quiesce(t)
	r.stop(t)

	added := r.ledger.all()
	assertIncreasing(t, added)
	assertSentInOrder(t, h.proxy.forwarded(0))
	checkins := ofKind(added, agent.KindCheckin)
	if got := h.samples(t); !slices.Equal(got, checkins) {
		t.Fatalf("stored check-ins %v;\nwant every one made: %v", got, checkins)
	}
	row := h.row(t)
	if row.rolledUp != int64(len(checkins)) {
		t.Fatalf("the rollups counted %d check-ins of %d: one was stored twice", row.rolledUp, len(checkins))
	}
	if want := added[len(added)-1].Seq; row.lastSeq != want || !row.hasInventory {
		t.Fatalf("device %+v; want last seq %d and an inventory", row, want)
	}
	st := h.state(t)
	if st.LastAcked != row.lastSeq || st.DroppedMetrics != 0 || st.InventoryDigest != digestOf(r.machine.inv) || st.LastAckAt.IsZero() {
		t.Fatalf("saved state %+v; want last acknowledged %d, nothing dropped, the inventory's digest", st, row.lastSeq)
	}
}

// testAgentSpoolFull: an outage longer than the spool holds loses the
// oldest check-ins, counted, and the server learns the count; it never
// loses a check's change of state.
func testAgentSpoolFull(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s, agentproto.Check{Kind: agentproto.CheckProcess, Name: "Payroll daemon", Target: "payrolld"})
	m := newMachine()
	r := h.start(t, agent.NewMemorySpool(5), m, nil)
	waitFor(t, "the inventory and check-ins are stored", func() bool { return h.row(t).hasInventory && len(h.samples(t)) >= 2 })

	h.proxy.set(proxyUnavailable)
	n := m.made()
	waitFor(t, "a dozen check-ins during the outage", func() bool { return m.made() >= n+12 })
	m.set(func(f *fakeMachine) { f.failing = true })
	n = m.made()
	waitFor(t, "a dozen more", func() bool { return m.made() >= n+12 })
	h.proxy.set(proxyUp)
	last := r.a.Spool.MaxSeq()
	waitFor(t, "the spool drains", func() bool { return h.row(t).lastSeq >= last })
	h.waitDroppedReported(t)
	r.quiesce(t)
	r.stop(t)

	st := h.state(t)
	added := r.ledger.all()
	checkins := ofKind(added, agent.KindCheckin)
	stored := h.samples(t)
	lost := len(checkins) - len(stored)
	if lost <= 0 {
		t.Fatal("two dozen check-ins into a spool of 5 during the outage, none lost")
	}
	// At least: a check-in pushed out while it was being sent, and stored,
	// is counted too (TestAgentDroppedInFlight).
	if st.DroppedMetrics < int64(lost) {
		t.Fatalf("%d check-ins made, %d stored, %d counted as dropped: some were lost uncounted", len(checkins), len(stored), st.DroppedMetrics)
	}
	for _, seq := range stored {
		if !slices.Contains(checkins, seq) {
			t.Fatalf("stored seq %d is not a check-in the agent made", seq)
		}
	}
	var kept []int64
	for _, msg := range added {
		if msg.Keep && msg.Kind == agent.KindCheckin {
			kept = append(kept, msg.Seq)
		}
	}
	// The check's first result, and its change to failing mid-outage.
	if len(kept) != 2 {
		t.Fatalf("check-ins carrying a change of state: %v; want 2", kept)
	}
	for _, seq := range kept {
		if !slices.Contains(stored, seq) {
			t.Fatalf("the check-in carrying a change of state, seq %d, was dropped; stored %v", seq, stored)
		}
	}
	row := h.row(t)
	if row.dropped != st.DroppedMetrics || row.checksFailing != 1 {
		t.Fatalf("device %+v; want %d dropped (the agent's count) and the failing check", row, st.DroppedMetrics)
	}
	// The device's history tells both: the first result, then the change.
	var changes []string
	rows, err := h.s.ReadPool().Query(`SELECT summary FROM device_events WHERE device_id = ? AND kind = ? ORDER BY id`, h.device, tandem.DeviceEventCheck)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var summary struct{ From, To string }
		var text string
		if err := rows.Scan(&text); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(text), &summary); err != nil {
			t.Fatal(err)
		}
		changes = append(changes, summary.From+"→"+summary.To)
	}
	if want := []string{"→ok", "ok→failing"}; !slices.Equal(changes, want) {
		t.Fatalf("check history %v; want %v", changes, want)
	}
}

// testAgentSpoolFullRestart: the count of dropped check-ins is a running
// total since enrolment; an agent stopped mid-outage (a reboot) and
// started again still counts the check-ins it dropped before.
func testAgentSpoolFullRestart(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	l := &ledger{}
	dir := agent.SpoolDir(h.dir)
	first := h.start(t, mustOpenDiskSpool(t, dir, 5), newMachine(), l)
	waitFor(t, "the first check-ins are stored", func() bool { return len(h.samples(t)) >= 2 })
	h.proxy.set(proxyUnavailable)
	n := first.machine.made()
	waitFor(t, "the spool overflows", func() bool { return first.machine.made() >= n+12 })
	first.stop(t)

	h.proxy.set(proxyUp)
	spooled := l.all()[len(l.all())-1].Seq
	second := h.start(t, mustOpenDiskSpool(t, dir, 5), newMachine(), l)
	waitFor(t, "the spool drains", func() bool { return h.row(t).lastSeq > spooled })
	h.waitDroppedReported(t)
	second.quiesce(t)
	second.stop(t)

	made, stored := len(ofKind(l.all(), agent.KindCheckin)), len(h.samples(t))
	st, row := h.state(t), h.row(t)
	if lost := int64(made - stored); st.DroppedMetrics < lost || row.dropped < lost {
		t.Fatalf("%d check-ins made, %d stored, but the agent counts %d dropped and the server %d", made, stored, st.DroppedMetrics, row.dropped)
	}
}

// testAgentRestart: an agent started again from its state directory
// sends what its spool held first, never reuses a sequence number, and
// does not send again what the server acknowledged.
func testAgentRestart(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	l := &ledger{}
	first := h.start(t, h.diskSpool(t), newMachine(), l)
	waitFor(t, "the first check-ins are stored", func() bool { return len(h.samples(t)) >= 2 })
	h.proxy.set(proxyUnavailable)
	waitFor(t, "messages wait in the spool", func() bool { return first.a.Spool.Len() >= 4 })
	first.stop(t) // while the server is away: nothing in flight is acknowledged

	st := h.state(t)
	spool := h.diskSpool(t)
	spooled := spool.MaxSeq()
	if spooled != l.all()[len(l.all())-1].Seq || int64(spool.Len()) != spooled-st.LastAcked {
		t.Fatalf("after the stop: spool of %d up to seq %d, last acknowledged %d; want every message after %d", spool.Len(), spooled, st.LastAcked, st.LastAcked)
	}
	// A crash between saving the state and removing an acknowledged
	// message from the spool leaves the message behind.
	if _, err := spool.Add(agent.Message{Seq: st.LastAcked, Kind: agent.KindCheckin, Body: []byte(fmt.Sprintf(`{"seq":%d}`, st.LastAcked))}); err != nil {
		t.Fatal(err)
	}

	t.Run("SpoolReplayedFirst", func(t *testing.T) {
		skipSent, skipAdded := len(h.proxy.forwarded(0)), len(l.all())
		h.proxy.set(proxyUp)
		second := h.start(t, h.diskSpool(t), newMachine(), l)
		waitFor(t, "the spool drains and new check-ins are stored", func() bool { return h.row(t).lastSeq >= spooled+3 })
		second.quiesce(t)
		second.stop(t)

		if got := firstAdded(t, l, skipAdded); got != spooled+1 {
			t.Fatalf("the restarted agent's first message is seq %d; want %d, after the spool's highest", got, spooled+1)
		}
		assertIncreasing(t, l.all())
		sent := h.proxy.forwarded(skipSent)
		assertSentInOrder(t, sent)
		if sent[0].seq != st.LastAcked+1 {
			t.Fatalf("the restarted agent sent seq %d first; want %d, the oldest unacknowledged", sent[0].seq, st.LastAcked+1)
		}
		for _, f := range sent {
			if f.path == agentproto.PathInventory {
				t.Fatalf("the restarted agent sent its unchanged inventory again (seq %d)", f.seq)
			}
		}
		if got, want := h.samples(t), ofKind(l.all(), agent.KindCheckin); !slices.Equal(got, want) {
			t.Fatalf("stored check-ins %v;\nwant every one both agents made: %v", got, want)
		}
		if n := h.diskSpool(t).Len(); n != 0 {
			t.Fatalf("%d messages left in the spool, the acknowledged one put back included", n)
		}
	})

	t.Run("EmptySpool", func(t *testing.T) {
		// Nothing spooled: the counter goes on from the last acknowledged.
		st := h.state(t)
		skipAdded := len(l.all())
		third := h.start(t, h.diskSpool(t), newMachine(), l)
		waitFor(t, "a check-in is stored", func() bool { return h.row(t).lastSeq > st.LastAcked })
		third.quiesce(t)
		third.stop(t)
		if got := firstAdded(t, l, skipAdded); got != st.LastAcked+1 {
			t.Fatalf("first message seq %d; want %d", got, st.LastAcked+1)
		}
		if got, want := h.samples(t), ofKind(l.all(), agent.KindCheckin); !slices.Equal(got, want) {
			t.Fatalf("stored check-ins %v; want %v", got, want)
		}
	})
}

// testAgentRevoked: once an admin revokes the device, Run stops with
// ErrRefused and the state records why.
func testAgentRevoked(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	r := h.start(t, h.diskSpool(t), newMachine(), nil)
	waitFor(t, "the first check-ins are stored", func() bool { return len(h.samples(t)) >= 2 })
	if err := h.s.Services.Devices.RevokeDevice(h.sys, h.device); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); !errors.Is(err, agent.ErrRefused) {
		t.Fatalf("Run after the revocation: %v; want ErrRefused", err)
	}
	if !strings.Contains(r.a.State.Refused, "revoked") {
		t.Fatalf("State.Refused %q; want the server's message", r.a.State.Refused)
	}
	if st := h.state(t); st.Refused != r.a.State.Refused {
		t.Fatalf("saved Refused %q; want %q", st.Refused, r.a.State.Refused)
	}

	// Started again (tandem-agent retries every 15 minutes), it is
	// refused again.
	again := h.start(t, h.diskSpool(t), newMachine(), nil)
	if err := again.wait(t); !errors.Is(err, agent.ErrRefused) {
		t.Fatalf("Run of a revoked agent: %v; want ErrRefused", err)
	}
}

// testAgentRotation: after an admin rotates the credential, the agent
// takes the new one from a check-in's answer, saves it before using it,
// and is accepted with it; the old one is refused from then on.
func testAgentRotation(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	old := h.state(t).Credential
	var mu sync.Mutex
	var firstNew string
	savedFirst := false
	h.proxy.listen(func(f forwarded) {
		mu.Lock()
		defer mu.Unlock()
		if f.credential == old || firstNew != "" {
			return
		}
		firstNew = f.credential
		st, err := agent.LoadState(h.dir)
		savedFirst = err == nil && st.Credential == f.credential
	})
	r := h.start(t, h.diskSpool(t), newMachine(), nil)
	waitFor(t, "the first check-ins are stored", func() bool { return len(h.samples(t)) >= 2 })
	if err := h.s.Services.Devices.RotateDeviceCredential(h.sys, h.device); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent uses the new credential", func() bool {
		return !h.row(t).rotationPending && h.events(t, tandem.DeviceEventRotated) > 0
	})
	n := len(h.samples(t))
	waitFor(t, "check-ins with the new credential are stored", func() bool { return len(h.samples(t)) >= n+3 })
	r.quiesce(t)
	r.stop(t)

	st := h.state(t)
	if st.Credential == old || !strings.HasPrefix(st.Credential, fmt.Sprintf("tdagent_%d_", h.device)) {
		t.Fatalf("saved credential %q; want a new one of device %d", st.Credential, h.device)
	}
	mu.Lock()
	if firstNew != st.Credential || !savedFirst {
		t.Fatalf("the first message with a new credential used %q (saved before: %v); want %q, saved before it was sent", firstNew, savedFirst, st.Credential)
	}
	mu.Unlock()
	switched := false
	for _, f := range h.proxy.forwarded(1) { // past the enrolment
		switched = switched || f.credential == st.Credential
		if switched && f.credential != st.Credential {
			t.Fatalf("seq %d sent with %q after the switch to the new credential", f.seq, f.credential)
		}
	}
	if got := h.events(t, tandem.DeviceEventRotated); got != 1 {
		t.Fatalf("%d credential_rotated events; want 1", got)
	}

	c := mustNewClient(t, h.s.URL(), "")
	body, _ := json.Marshal(agentproto.Checkin{Seq: st.LastAcked + 1, At: time.Now().UTC()})
	var se *agent.StatusError
	if _, err := c.SendCheckin(context.Background(), old, body); !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("a check-in with the old credential: %v; want 401", err)
	}
	if resp, err := c.SendCheckin(context.Background(), st.Credential, body); err != nil || resp.Duplicate {
		t.Fatalf("a check-in with the new credential: %+v, %v; want it stored", resp, err)
	}
}

// testAgentServerAsks: what a check-in's answer asks of the agent.
func testAgentServerAsks(t *testing.T, s *testserver.Server) {
	t.Run("SendInventory", func(t *testing.T) {
		t.Parallel()
		// The agent believes the server has its inventory (the digest is
		// the current one's), but the server has none and says so.
		h := newHarness(t, s)
		m := newMachine()
		st := h.state(t)
		st.InventoryDigest = digestOf(m.inv)
		if err := st.Save(h.dir); err != nil {
			t.Fatal(err)
		}
		r := h.start(t, h.diskSpool(t), m, nil)
		waitFor(t, "the server has the inventory", func() bool { return h.row(t).hasInventory })
		r.quiesce(t)
		r.stop(t)
		if invs := ofKind(r.ledger.all(), agent.KindInventory); len(invs) == 0 || invs[0] == firstAdded(t, r.ledger, 0) {
			t.Fatalf("inventories spooled %v; want one after the first check-in, none at start", invs)
		}
		if got := h.state(t).InventoryDigest; got != digestOf(m.inv) {
			t.Fatalf("saved inventory digest %q; want %q", got, digestOf(m.inv))
		}
	})

	t.Run("NewConfiguration", func(t *testing.T) {
		t.Parallel()
		// A check added after enrolment reaches the agent with the answer
		// to its next check-in, and the agent runs it from then on.
		h := newHarness(t, s)
		m := newMachine()
		r := h.start(t, h.diskSpool(t), m, nil)
		waitFor(t, "a check-in is stored", func() bool { return len(h.samples(t)) >= 1 })
		c := &tandem.AgentCheck{OrganizationID: h.org.ID, Check: agentproto.Check{Kind: agentproto.CheckService, Name: "Web server", Target: "nginx.service"}}
		if err := h.s.Services.Devices.CreateAgentCheck(h.sys, c); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the new configuration is saved", func() bool {
			st, err := agent.LoadState(h.dir)
			return err == nil && slices.ContainsFunc(st.Config.Checks, func(ck agentproto.Check) bool { return ck.ID == c.ID && ck.Target == "nginx.service" })
		})
		waitFor(t, "the agent reports the new check", func() bool {
			var n int
			if err := h.s.ReadPool().QueryRow(`SELECT COUNT(*) FROM device_checks WHERE device_id = ? AND check_id = ?`, h.device, c.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		})
		r.quiesce(t)
		r.stop(t)
		var asked []int64
		m.set(func(f *fakeMachine) { asked = slices.Clone(f.asked) })
		if !slices.Equal(asked, []int64{c.ID}) {
			t.Fatalf("the last check-in ran checks %v; want [%d]", asked, c.ID)
		}
		if got := h.state(t).Config.Revision; got == 0 {
			t.Fatalf("saved configuration revision %d; want the new one", got)
		}
	})
}

// testAgentDropsRefusedMessage: a message the server refuses as
// malformed (400) would be refused forever; the agent drops it rather
// than block every message behind it.
func testAgentDropsRefusedMessage(t *testing.T, s *testserver.Server) {
	h := newHarness(t, s)
	spool := h.diskSpool(t)
	bad := agent.Message{Seq: 1, Kind: agent.KindCheckin, Body: []byte(`{"seq":1,"at":"2026-03-03T09:14:05Z","gpu_pct":12}`), Keep: true}
	if _, err := spool.Add(bad); err != nil {
		t.Fatal(err)
	}
	r := h.start(t, spool, newMachine(), nil)
	waitFor(t, "check-ins behind the refused one are stored", func() bool { return len(h.samples(t)) >= 2 })
	r.quiesce(t)
	r.stop(t)

	sent := 0
	for _, f := range h.proxy.forwarded(0) {
		if f.seq == 1 {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("the refused message was sent %d times; want once", sent)
	}
	if got := firstAdded(t, r.ledger, 0); got != 2 {
		t.Fatalf("first new message seq %d; want 2, after the spooled one", got)
	}
	if got, want := h.samples(t), ofKind(r.ledger.all(), agent.KindCheckin); !slices.Equal(got, want) {
		t.Fatalf("stored %v; want %v", got, want)
	}
}

// testEnroll: tandem-agent enroll against the real server.
func testEnroll(t *testing.T, s *testserver.Server) {
	sys := testserver.SystemContext()
	org := s.MustCreateOrganization(t, strings.ReplaceAll(t.Name(), "/", " "))
	tok := &tandem.EnrollmentToken{OrganizationID: org.ID}
	if err := s.Services.Devices.CreateEnrollmentToken(sys, tok, time.Hour); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state")
	var first *agent.State

	t.Run("OK", func(t *testing.T) {
		st, err := agent.Enroll(context.Background(), dir, s.URL()+"/", tok.Token, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if st.Server != s.URL() || st.DeviceID == 0 || !strings.HasPrefix(st.Credential, fmt.Sprintf("tdagent_%d_", st.DeviceID)) ||
			st.EnrolledAt.IsZero() || st.LastAcked != 0 || st.Config.Checks == nil {
			t.Fatalf("state %+v", st)
		}
		saved, err := agent.LoadState(dir)
		if err != nil || !reflect.DeepEqual(saved, st) {
			t.Fatalf("saved %+v, %v; want %+v", saved, err, st)
		}
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, "state.json"), 0o600)
		var status, host string
		if err := s.ReadPool().QueryRow(`SELECT status, hostname FROM devices WHERE id = ?`, st.DeviceID).Scan(&status, &host); err != nil {
			t.Fatal(err)
		}
		if want, _ := os.Hostname(); status != "offline" || host != want {
			t.Fatalf("device %d: %s, %q; want offline, %q", st.DeviceID, status, host, want)
		}
		first = st
	})
	if first == nil {
		t.FailNow()
	}

	t.Run("ErrAlreadyEnrolled", func(t *testing.T) {
		_, err := agent.Enroll(context.Background(), dir, s.URL(), tok.Token, "", false)
		if err == nil {
			t.Fatal("enrolled twice without --force")
		}
		for _, want := range []string{"already enrolled", fmt.Sprint(first.DeviceID), "--force"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if saved, err := agent.LoadState(dir); err != nil || !reflect.DeepEqual(saved, first) {
			t.Fatalf("state after the refusal: %+v, %v; want the first one", saved, err)
		}
	})

	t.Run("Force", func(t *testing.T) {
		// A new device, and the old device's spooled messages go.
		if _, err := mustOpenDiskSpool(t, agent.SpoolDir(dir), 10).Add(metric(5)); err != nil {
			t.Fatal(err)
		}
		st, err := agent.Enroll(context.Background(), dir, s.URL(), tok.Token, "", true)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeviceID == first.DeviceID || st.Credential == first.Credential {
			t.Fatalf("enrolled again as %+v; want a new device", st)
		}
		if saved, err := agent.LoadState(dir); err != nil || saved.DeviceID != st.DeviceID {
			t.Fatalf("saved %+v, %v", saved, err)
		}
		if n := mustOpenDiskSpool(t, agent.SpoolDir(dir), 10).Len(); n != 0 {
			t.Fatalf("%d messages of the old device left in the spool", n)
		}
	})

	t.Run("ErrBadToken", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		_, err := agent.Enroll(context.Background(), dir, s.URL(), "tdenroll_"+strings.Repeat("A", 43), "", false)
		var se *agent.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "enrolment failed") {
			t.Fatalf("a made-up token: %v; want enrolment failed with 401", err)
		}
		if _, err := agent.LoadState(dir); !errors.Is(err, agent.ErrNotEnrolled) {
			t.Fatalf("after a failed enrolment: %v; want ErrNotEnrolled", err)
		}
	})

	t.Run("ErrBadServer", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		if _, err := agent.Enroll(context.Background(), dir, "tandem.example.com", tok.Token, "", false); err == nil || !strings.Contains(err.Error(), "--server") {
			t.Fatalf("a server without a scheme: %v; want an error naming --server", err)
		}
		if _, err := agent.LoadState(dir); !errors.Is(err, agent.ErrNotEnrolled) {
			t.Fatalf("after a failed enrolment: %v; want ErrNotEnrolled", err)
		}
	})
}

// gatedSpool holds the first Remove until the test releases it, and
// counts the calls made once the test has marked Run returned.
type gatedSpool struct {
	agent.Spool
	entered, release chan struct{}
	once             sync.Once
	returned         atomic.Bool
	late             atomic.Int32
}

func (g *gatedSpool) note() {
	if g.returned.Load() {
		g.late.Add(1)
	}
}

func (g *gatedSpool) Remove(seq int64) error {
	g.note()
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Spool.Remove(seq)
}

func (g *gatedSpool) Oldest() (agent.Message, bool, error) { g.note(); return g.Spool.Oldest() }
func (g *gatedSpool) Add(m agent.Message) (int, error)     { g.note(); return g.Spool.Add(m) }

// TestAgentStopsWithRun: once Run has returned, the agent touches its
// spool and state no more, so that a caller may start another agent on
// the same state directory, or read State.
func TestAgentStopsWithRun(t *testing.T) {
	srv, _ := recordingServer(t, http.StatusOK, `{}`)
	g := &gatedSpool{Spool: agent.NewMemorySpool(10), entered: make(chan struct{}), release: make(chan struct{})}
	a := &agent.Agent{Client: mustNewClient(t, srv.URL, ""), State: &agent.State{Server: srv.URL, DeviceID: 1, Credential: "tdagent_1_x"},
		Spool: g, Sources: newMachine(), Dir: t.TempDir(), Interval: time.Hour, MaxBackoff: testMaxBackoff}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	// The server acknowledged the first message; the agent is removing
	// it from the spool when it is told to stop.
	waitFor(t, "the first message is acknowledged", func() bool {
		select {
		case <-g.entered:
			return true
		default:
			return false
		}
	})
	cancel()
	select {
	case err := <-done:
		// Run is back while its sender is still inside Spool.Remove.
		g.returned.Store(true)
		close(g.release)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the sender goes on after Run returned", func() bool { return g.late.Load() > 0 })
		t.Fatalf("Run returned while its sender was still delivering: %d spool calls after Run returned", g.late.Load())
	case <-time.After(200 * time.Millisecond):
		// Run waits for its sender: let the sender finish.
		close(g.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// runAgainst runs an agent with state st and a memory spool of spool
// messages against srv, saving to dir.
func runAgainst(t *testing.T, srv *httptest.Server, dir string, spool int, st *agent.State) *runningAgent {
	t.Helper()
	m := newMachine()
	r := &runningAgent{machine: m, ledger: &ledger{}, done: make(chan error, 1)}
	r.a = &agent.Agent{Client: mustNewClient(t, srv.URL, ""), State: st, Spool: &recordingSpool{Spool: agent.NewMemorySpool(spool), ledger: r.ledger},
		Sources: m, Dir: dir, Interval: testInterval, MaxBackoff: testMaxBackoff, Paused: &r.paused}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// TestAgentRefusal: State.Refused is what tandem-agent status shows.
func TestAgentRefusal(t *testing.T) {
	t.Run("HTMLAnswerRecorded", func(t *testing.T) {
		// A 401 without the protocol's JSON error (a proxy's login page)
		// stops the agent all the same: the state must say so.
		srv, _ := recordingServer(t, http.StatusUnauthorized, `<!doctype html><title>Sign in</title>`)
		dir := t.TempDir()
		r := runAgainst(t, srv, dir, 10, &agent.State{Server: srv.URL, DeviceID: 1, Credential: "tdagent_1_x"})
		if err := r.wait(t); !errors.Is(err, agent.ErrRefused) {
			t.Fatalf("Run: %v; want ErrRefused", err)
		}
		if saved, err := agent.LoadState(dir); err != nil || saved.Refused == "" {
			t.Fatalf("saved state %+v, %v; want the refusal recorded", saved, err)
		}
	})

	t.Run("ClearedWhenAccepted", func(t *testing.T) {
		// tandem-agent run starts the agent again 15 minutes after a
		// refusal; once the server takes its messages again (the 401 came
		// from a proxy in front of it, since fixed), the refusal is over.
		srv, _ := recordingServer(t, http.StatusOK, `{}`)
		dir := t.TempDir()
		r := runAgainst(t, srv, dir, 10, &agent.State{Server: srv.URL, DeviceID: 1, Credential: "tdagent_1_x", Refused: "The agent's credential is not valid or was revoked."})
		waitFor(t, "messages are acknowledged", func() bool {
			saved, err := agent.LoadState(dir)
			return err == nil && saved.LastAcked >= 2
		})
		r.quiesce(t)
		r.stop(t)
		if saved, _ := agent.LoadState(dir); saved.Refused != "" {
			t.Fatalf("after messages were acknowledged the saved state still says refused: %q", saved.Refused)
		}
	})
}

// TestAgentDroppedInFlight: dropped_metrics counts the check-ins lost.
// One the full spool pushes out while it is being sent, and which the
// server then stores, was not lost.
func TestAgentDroppedInFlight(t *testing.T) {
	var mu sync.Mutex
	var acked []int64
	held, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if r.URL.Path == agentproto.PathCheckin {
			// The first check-in is slow to be answered: a congested link.
			once.Do(func() {
				close(held)
				<-hold
			})
			mu.Lock()
			acked = append(acked, seqOf(raw, r.Header.Get("Content-Encoding")))
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	dir := t.TempDir()
	r := runAgainst(t, srv, dir, 3, &agent.State{Server: srv.URL, DeviceID: 1, Credential: "tdagent_1_x"})
	waitFor(t, "the first check-in is in flight", func() bool {
		select {
		case <-held:
			return true
		default:
			return false
		}
	})
	n := r.machine.made()
	waitFor(t, "the spool of 3 overflows", func() bool { return r.machine.made() >= n+5 })
	release()
	r.quiesce(t)
	r.stop(t)

	made := ofKind(r.ledger.all(), agent.KindCheckin)
	mu.Lock()
	lost := len(made) - len(acked)
	mu.Unlock()
	if saved := droppedIn(t, dir); saved != int64(lost) {
		t.Fatalf("%d check-ins made, %d acknowledged, but %d counted as dropped", len(made), len(made)-lost, saved)
	}
}

func droppedIn(tb testing.TB, dir string) int64 {
	tb.Helper()
	st, err := agent.LoadState(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return st.DroppedMetrics
}
