// Package loadgen drives simulated agents against Tandem servers: each
// one enrols with a token, then runs the real agent runtime (spool,
// backoff, replay) on simulated figures, so the load is what real agents
// send, and a server outage is ridden out as real agents ride it out.
package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemhq/tandem/agent"
	"github.com/tandemhq/tandem/agentproto"
)

// Options say what load to drive.
type Options struct {
	URLs     []string
	Token    string
	Agents   int
	Interval time.Duration
	Duration time.Duration
	// Enrolling is how many agents enrol at once.
	Enrolling int
	// Progress, when set, hears of the enrolment and the run.
	Progress func(format string, args ...any)
}

// Result is what a run achieved.
type Result struct {
	Agents       int     `json:"agents"`
	Seconds      float64 `json:"duration_s"`
	Checkins     int64   `json:"checkins"`
	CheckinsPerS float64 `json:"checkins_per_s"`
	Inventories  int64   `json:"inventories"`
	P50          float64 `json:"p50_ms"`
	P95          float64 `json:"p95_ms"`
	P99          float64 `json:"p99_ms"`
	Errors       int64   `json:"errors"`
	// Spooled is how many messages the agents still held at the end.
	Spooled int `json:"spooled"`
	// SchedP99 is the 99th percentile of how long the load generator's
	// own goroutines waited for a CPU over the run: when it nears P99,
	// the tail is the load generator's, not the server's.
	SchedP99 float64 `json:"sched_p99_ms"`
}

// Fleet is a set of enrolled simulated agents.
type Fleet struct {
	Agents    []*agent.Agent
	mu        sync.Mutex
	latencies []time.Duration
	checkins  atomic.Int64
	invs      atomic.Int64
	errors    atomic.Int64
	paused    atomic.Bool
}

// Enroll enrols o.Agents simulated agents, spread over o.URLs.
func Enroll(ctx context.Context, o Options) (*Fleet, error) {
	if len(o.URLs) == 0 || o.Agents <= 0 {
		return nil, fmt.Errorf("give at least one --url and --agents above 0")
	}
	clients := make([]*agent.Client, len(o.URLs))
	for i, u := range o.URLs {
		c, err := agent.NewClient(u, "")
		if err != nil {
			return nil, err
		}
		tr := c.HTTP.Transport.(*http.Transport)
		// One kept-alive connection per agent, as each real agent has its
		// own: a smaller pool makes the agents beyond it connect anew for
		// every message, a cost the load generator would add to the
		// server's latency.
		tr.MaxIdleConnsPerHost, tr.MaxIdleConns = o.Agents/len(o.URLs)+64, o.Agents+64
		clients[i] = c
	}
	f := &Fleet{Agents: make([]*agent.Agent, o.Agents)}
	inventory := simulatedSoftware()
	work := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	var done atomic.Int64
	for range max(1, o.Enrolling) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := clients[i%len(clients)]
				host := fmt.Sprintf("sim-%06d", i)
				resp, err := c.Enroll(ctx, &agentproto.EnrollRequest{Token: o.Token, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: agent.Version + "-sim"})
				if err != nil {
					select {
					case errs <- fmt.Errorf("enrolling agent %d: %w", i, err):
					default:
					}
					continue
				}
				st := &agent.State{Server: c.Server, DeviceID: resp.DeviceID, Credential: resp.Credential, Config: resp.Config}
				src := newSimulated(host, inventory)
				// The first inventory goes with the enrolment, as a machine
				// installed today sends it: a fleet enrolled over weeks does
				// not send 100,000 inventories in its first minute, and the
				// run measures the steady state.
				if err := firstInventory(ctx, c, st, src); err != nil {
					select {
					case errs <- fmt.Errorf("first inventory of agent %d: %w", i, err):
					default:
					}
					continue
				}
				a := &agent.Agent{Client: c, State: st, Spool: agent.NewMemorySpool(agent.DefaultSpoolMessages),
					Sources: src, MaxBackoff: 5 * time.Second, Sent: f.record, Paused: &f.paused}
				f.Agents[i] = a
				if n := done.Add(1); o.Progress != nil && n%5000 == 0 {
					o.Progress("enrolled %d of %d agents", n, o.Agents)
				}
			}
		}()
	}
	for i := range o.Agents {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			wg.Wait()
			return nil, err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return f, nil
}

// firstInventory sends a simulated agent's first inventory (seq 1) and
// records it in the agent's state as sent.
func firstInventory(ctx context.Context, c *agent.Client, st *agent.State, src *simulated) error {
	inv, err := src.Inventory(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(agentproto.InventoryReport{Seq: 1, At: time.Now().UTC(), Inventory: inv})
	if err != nil {
		return err
	}
	if _, err := c.SendInventory(ctx, st.Credential, body); err != nil {
		return err
	}
	st.LastAcked, st.InventoryDigest = 1, agent.InventoryDigest(inv)
	return nil
}

func (f *Fleet) record(kind string, took time.Duration, err error) {
	if err != nil {
		f.errors.Add(1)
		return
	}
	if kind == agent.KindInventory {
		f.invs.Add(1)
		return
	}
	f.checkins.Add(1)
	f.mu.Lock()
	f.latencies = append(f.latencies, took)
	f.mu.Unlock()
}

// Spooled is how many messages the fleet's agents hold unacknowledged.
func (f *Fleet) Spooled() int {
	n := 0
	for _, a := range f.Agents {
		n += a.Spool.Len()
	}
	return n
}

// Pause stops the fleet's new check-ins; the agents go on sending what
// they hold, so the spools drain.
func (f *Fleet) Pause() { f.paused.Store(true) }

// Backlog is the most messages one agent holds unacknowledged: 1 while
// the server keeps up (the message in flight), more while it is away.
func (f *Fleet) Backlog() int {
	most := 0
	for _, a := range f.Agents {
		most = max(most, a.Spool.Len())
	}
	return most
}

// Run runs the fleet for o.Duration at o.Interval (each agent's first
// check-in at a random instant of the first interval) and reports.
func (f *Fleet) Run(ctx context.Context, o Options) Result {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	interval := o.Interval
	if interval <= 0 {
		interval = agentproto.DefaultCheckinInterval
	}
	start, sched := time.Now(), readSched()
	var wg sync.WaitGroup
	for _, a := range f.Agents {
		a.Interval = interval
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(rand.Int64N(int64(interval)))):
			}
			a.Run(ctx)
		}()
	}
	wg.Wait()
	elapsed, schedP99 := time.Since(start).Seconds(), schedQuantile(sched, readSched(), 0.99)
	f.mu.Lock()
	lat := f.latencies
	f.latencies = nil
	f.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	spooled := f.Spooled()
	n := f.checkins.Swap(0)
	return Result{Agents: len(f.Agents), Seconds: elapsed, Checkins: n, CheckinsPerS: float64(n) / elapsed, Inventories: f.invs.Swap(0),
		P50: q(0.50), P95: q(0.95), P99: q(0.99), Errors: f.errors.Swap(0), Spooled: spooled, SchedP99: schedP99}
}
