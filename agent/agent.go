package agent

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Sources is what an agent reports: a machine's figures, its inventory,
// and its local checks' verdicts.
type Sources interface {
	Metrics(ctx context.Context) (agentproto.Metrics, error)
	Inventory(ctx context.Context) (agentproto.Inventory, error)
	Checks(ctx context.Context, now time.Time, checks []agentproto.Check, m agentproto.Metrics) []agentproto.CheckResult
}

// ErrRefused is returned by Run when the server refused the agent's
// credential: the device was revoked, or deleted.
var ErrRefused = errors.New("the server refused this agent's credential (revoked?): enrol it again with tandem-agent enroll")

// Agent runs one enrolled agent: it makes a check-in every interval (with
// jitter) and an inventory at start and every inventory interval when it
// changed, puts each in the spool, and sends the spool in order, one
// message at a time, forgetting a message only when the server
// acknowledged it.
type Agent struct {
	Client  *Client
	State   *State
	Spool   Spool
	Sources Sources
	// Dir is the state directory the state is saved to; empty keeps it in
	// memory (simulated agents).
	Dir    string
	Logger *slog.Logger
	// Now and Jitter (a number in [0, 1)) are the clock and randomness;
	// nil means the real ones.
	Now    func() time.Time
	Jitter func() float64
	// MaxBackoff bounds the wait between attempts while the server is
	// unreachable; zero means 5 minutes.
	MaxBackoff time.Duration
	// Interval, when set, replaces the configured check-in interval (the
	// load generator's rate).
	Interval time.Duration
	// Sent, when set, hears of every attempt: the kind, how long the
	// server took, and the error.
	Sent func(kind string, took time.Duration, err error)
	// Paused, when set and true, stops new check-ins while the spool is
	// still sent: the load generator drains its fleet with it.
	Paused *atomic.Bool

	// mu guards State, which the loop reads and the sender writes.
	mu         sync.Mutex
	seq        int64
	lastChecks map[int64]agentproto.CheckState
	queued     chan struct{}
	inventory  chan struct{}
}

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Agent) jitter() float64 {
	if a.Jitter != nil {
		return a.Jitter()
	}
	return rand.Float64()
}

func (a *Agent) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Run works until ctx ends (nil) or the server refuses the agent
// (ErrRefused).
func (a *Agent) Run(ctx context.Context) error {
	a.seq = max(a.State.LastAcked, a.Spool.MaxSeq())
	a.queued = make(chan struct{}, 1)
	a.inventory = make(chan struct{}, 1)
	// Messages the server stored before a crash of the agent left them
	// spooled.
	for {
		m, ok, err := a.Spool.Oldest()
		if err != nil {
			return err
		}
		if !ok || m.Seq > a.State.LastAcked {
			break
		}
		if err := a.Spool.Remove(m.Seq); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	sendErr := make(chan error, 1)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		sendErr <- a.send(ctx)
	}()
	// Run returns only once the sender has stopped: nothing touches the
	// spool or the state after it.
	defer func() {
		cancel()
		<-sent
	}()

	a.queueInventory(ctx, false)
	a.queueCheckin(ctx)
	nextCheckin := time.NewTimer(a.interval())
	nextInventory := time.NewTicker(a.config().InventoryInterval())
	defer nextCheckin.Stop()
	defer nextInventory.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-sendErr:
			return err
		case <-nextCheckin.C:
			a.queueCheckin(ctx)
			nextCheckin.Reset(a.interval())
		case <-nextInventory.C:
			a.queueInventory(ctx, false)
		case <-a.inventory:
			a.queueInventory(ctx, true)
		}
	}
}

// interval is the configured check-in interval ±10%, so agents started
// together spread out.
func (a *Agent) interval() time.Duration {
	d := a.config().CheckinInterval()
	if a.Interval > 0 {
		d = a.Interval
	}
	return time.Duration(float64(d) * (0.9 + 0.2*a.jitter()))
}

// queueCheckin measures, runs the local checks and spools a check-in.
func (a *Agent) queueCheckin(ctx context.Context) {
	if a.Paused != nil && a.Paused.Load() {
		return
	}
	now := a.now()
	m, err := a.Sources.Metrics(ctx)
	if err != nil {
		a.logger().Warn("metrics", "err", err)
	}
	cfg := a.config()
	results := a.Sources.Checks(ctx, now, cfg.Checks, m)
	changed := false
	states := make(map[int64]agentproto.CheckState, len(results))
	for _, r := range results {
		states[r.CheckID] = r.State
		if was, ok := a.lastChecks[r.CheckID]; !ok || was != r.State {
			changed = true
		}
	}
	a.lastChecks = states
	a.mu.Lock()
	dropped := a.State.DroppedMetrics
	a.mu.Unlock()
	c := agentproto.Checkin{At: now.UTC(), ConfigRevision: cfg.Revision, Metrics: m, Checks: results, DroppedMetrics: dropped}
	a.spool(KindCheckin, changed, "", func(seq int64) any { c.Seq = seq; return c })
}

// InventoryDigest is what tells an inventory from the one the server has:
// the SHA-256 of its JSON.
func InventoryDigest(inv agentproto.Inventory) string {
	body, _ := json.Marshal(inv)
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// queueInventory spools the inventory when it changed since the one the
// server has, or when forced (the server asked for it).
func (a *Agent) queueInventory(ctx context.Context, force bool) {
	inv, err := a.Sources.Inventory(ctx)
	if err != nil {
		a.logger().Warn("inventory", "err", err)
		return
	}
	digest := InventoryDigest(inv)
	a.mu.Lock()
	known := a.State.InventoryDigest
	a.mu.Unlock()
	if digest == known && !force {
		return
	}
	r := agentproto.InventoryReport{At: a.now().UTC(), Inventory: inv}
	a.spool(KindInventory, true, digest, func(seq int64) any { r.Seq = seq; return r })
}

// spool gives the next message its sequence number and adds it.
func (a *Agent) spool(kind string, keep bool, digest string, build func(seq int64) any) {
	a.seq++
	body, err := json.Marshal(build(a.seq))
	if err != nil {
		a.logger().Error("encode", "kind", kind, "err", err)
		return
	}
	dropped, err := a.Spool.Add(Message{Seq: a.seq, Kind: kind, Body: body, Keep: keep, Digest: digest})
	if err != nil {
		a.logger().Error("spool", "err", err)
		return
	}
	if dropped > 0 {
		a.mu.Lock()
		a.State.DroppedMetrics += int64(dropped)
		total := a.State.DroppedMetrics
		// Saved now: drops happen while the server is away, when no
		// acknowledgement saves the state, and a restart must not forget
		// them.
		if err := a.save(); err != nil {
			a.logger().Error("save state", "err", err)
		}
		a.mu.Unlock()
		a.logger().Warn("spool full: dropped the oldest metrics", "dropped", dropped, "total", total)
	}
	select {
	case a.queued <- struct{}{}:
	default:
	}
}

// send sends the spool's messages in order until ctx ends.
func (a *Agent) send(ctx context.Context) error {
	failures := 0
	for {
		m, ok, err := a.Spool.Oldest()
		if err != nil {
			return err
		}
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-a.queued:
				continue
			}
		}
		start := time.Now()
		err = a.deliver(ctx, m)
		if a.Sent != nil && ctx.Err() == nil {
			a.Sent(m.Kind, time.Since(start), err)
		}
		var se *StatusError
		switch {
		case err == nil:
			failures = 0
			continue
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &se) && se.Status == 401:
			a.mu.Lock()
			// A proxy's 401 may carry no message of the server's.
			a.State.Refused = cmp.Or(se.Message, "HTTP 401 Unauthorized")
			a.save()
			a.mu.Unlock()
			return ErrRefused
		case errors.As(err, &se) && !se.Retry():
			// The server will never take this message: keeping it would
			// block every message after it.
			a.logger().Error("the server refused a message; it is dropped", "kind", m.Kind, "seq", m.Seq, "err", err)
			if err := a.Spool.Remove(m.Seq); err != nil {
				return err
			}
			continue
		}
		failures++
		wait := a.backoff(failures)
		a.logger().Warn("the server is unreachable; the message stays spooled", "err", err, "retry_in", wait.Round(time.Millisecond), "spooled", a.Spool.Len())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// backoff is the wait after n failures in a row: doubling from one
// second up to MaxBackoff, each wait between half and all of it.
func (a *Agent) backoff(n int) time.Duration {
	limit := a.MaxBackoff
	if limit == 0 {
		limit = 5 * time.Minute
	}
	d := time.Second << min(n-1, 20)
	d = min(d, limit)
	return time.Duration(float64(d) * (0.5 + 0.5*a.jitter()))
}

// deliver sends one message and, when the server acknowledged it, takes
// in its answer and forgets the message.
func (a *Agent) deliver(ctx context.Context, m Message) error {
	a.mu.Lock()
	cred := a.State.Credential
	a.mu.Unlock()
	switch m.Kind {
	case KindCheckin:
		resp, err := a.Client.SendCheckin(ctx, cred, m.Body)
		if err != nil {
			return err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if resp.Credential != "" {
			// Saved before anything else is sent with it: the old
			// credential is retired when the server first sees the new.
			a.State.Credential = resp.Credential
		}
		if resp.Config != nil {
			a.State.Config = *resp.Config
		}
		if resp.SendInventory {
			select {
			case a.inventory <- struct{}{}:
			default:
			}
		}
	case KindInventory:
		if _, err := a.Client.SendInventory(ctx, cred, m.Body); err != nil {
			return err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.State.InventoryDigest = m.Digest
	}
	a.State.LastAcked = max(a.State.LastAcked, m.Seq)
	a.State.Refused = "" // accepted again (a credential restored, a server restored)
	a.State.LastAckAt = a.now().UTC()
	if err := a.save(); err != nil {
		return err
	}
	return a.Spool.Remove(m.Seq)
}

// config is a copy of the configuration in force.
func (a *Agent) config() agentproto.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.State.Config
}

// save writes the state; the caller holds mu.
func (a *Agent) save() error {
	if a.Dir == "" {
		return nil
	}
	return a.State.Save(a.Dir)
}
