package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemhq/tandem"
)

// Scheduler runs every kind of durable background work from its rows: the
// SLA and OLA timers, escalation steps, and the deliveries of the outbox
// (first attempts and retries). Each kind keeps its due instants in its
// own table and fires under a guard, so the scheduler holds no state: a
// restart, or a second replica with its own scheduler, neither loses nor
// repeats a timer, a step or a delivery. Heartbeat deadlines join as a
// further kind (timerKind).
type Scheduler struct {
	db  *DB
	sla *SLAService
	// Deliverers send each channel's deliveries; an email with no
	// deliverer (no SMTP server configured) is held in the outbox.
	Deliverers map[tandem.Channel]tandem.Deliverer
	// BaseURL is the server's public URL, for the links of emails and
	// messages.
	BaseURL string
	// Owner names this process in its claims; unique per replica.
	Owner string
	// statisticsLooked is when this process last looked whether the
	// planner statistics' upkeep was due (statistics.go), in Unix ns.
	statisticsLooked atomic.Int64
	// Workers is how many deliveries are sent at once.
	Workers int
	// Jitter returns a number in [0, 1) spreading retries (tests fix it).
	Jitter func() float64
	// Retention is how long devices' metrics are kept; zero is
	// DefaultMetricsRetention.
	Retention MetricsRetention
}

// NewScheduler returns the scheduler of db's work.
func NewScheduler(db *DB, sla *SLAService) *Scheduler {
	return &Scheduler{db: db, sla: sla, Deliverers: map[tandem.Channel]tandem.Deliverer{}, Owner: tandem.NewOwnerID(), Workers: 16,
		Jitter: rand.Float64}
}

// Wake receives a signal after a transaction of this process wrote work
// due at once (a notification to deliver).
func (s *Scheduler) Wake() <-chan struct{} { return s.db.wake }

// timerKind is one kind of durable work: next is the earliest instant one
// of its rows comes due (zero when none), run fires every row due by now
// and returns how many it fired.
type timerKind struct {
	name string
	next func(ctx context.Context) (time.Time, error)
	run  func(ctx context.Context, now time.Time) (int, error)
}

func (s *Scheduler) kinds() []timerKind {
	return []timerKind{
		{name: "SLA timers", next: s.sla.NextTimer, run: s.sla.ProcessTimers},
		s.escalationSteps(),
		{name: "deliveries", next: s.nextDelivery, run: s.deliver},
		s.offlineKind(),
		s.retentionKind(),
		s.statisticsKind(),
	}
}

// RunDue fires everything due by now, kind after kind, as the system
// actor in ctx, and returns how many of each it fired. An error of one
// kind does not keep the others from running.
func (s *Scheduler) RunDue(ctx context.Context, now time.Time) (map[string]int, error) {
	fired := map[string]int{}
	var errs []error
	for _, k := range s.kinds() {
		if k.run == nil {
			continue
		}
		n, err := k.run(ctx, now)
		if n > 0 {
			fired[k.name] = n
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.name, err))
		}
	}
	if len(errs) > 0 {
		return fired, errs[0]
	}
	return fired, nil
}

// NextDue is the earliest instant any kind has work due; zero when none.
func (s *Scheduler) NextDue(ctx context.Context) (time.Time, error) {
	var next time.Time
	for _, k := range s.kinds() {
		if k.next == nil {
			continue
		}
		t, err := k.next(ctx)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w", k.name, err)
		}
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, nil
}

// nextDelivery is the earliest instant a pending delivery is due.
func (s *Scheduler) nextDelivery(ctx context.Context) (time.Time, error) {
	var next *time.Time
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT MIN(next_attempt_at) FROM notifications WHERE state = 'pending'`)).
		Scan(scanTimePtr(&next))
	if err != nil || next == nil {
		return time.Time{}, err
	}
	return *next, nil
}

// deliveryBatch is how many deliveries one claim takes.
const deliveryBatch = 200

// deliver sends every delivery due by now: claimed a batch at a time,
// sent by Workers at once, each attempt recorded as it ends.
func (s *Scheduler) deliver(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireSystem(ctx); err != nil {
		return 0, err
	}
	sent := 0
	for {
		batch, err := s.db.claimDeliveries(ctx, now, s.Owner, deliveryBatch)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		var mu sync.Mutex
		var firstErr error
		work := make(chan *tandem.Delivery)
		var wg sync.WaitGroup
		for range max(1, min(s.Workers, len(batch))) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for d := range work {
					err := s.attempt(ctx, d)
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					} else if err == nil {
						sent++
					}
					mu.Unlock()
				}
			}()
		}
		for _, d := range batch {
			work <- d
		}
		close(work)
		wg.Wait()
		if firstErr != nil {
			return sent, firstErr
		}
		if len(batch) < deliveryBatch {
			return sent, nil
		}
	}
}

// attempt sends one claimed delivery and records the attempt. Only an
// error recording it is returned: a failed send is recorded and retried.
func (s *Scheduler) attempt(ctx context.Context, d *tandem.Delivery) error {
	d.BaseURL = s.BaseURL
	d.MessageID, d.ThreadID = threadIDs(d.Notification, s.BaseURL)
	var err error
	switch dl := s.Deliverers[d.Channel]; {
	case d.Webhook != nil && !d.Webhook.Active && d.Kind != tandem.NotifyWebhookTest:
		// Its admins turned it off: kept unsent, not a failure to tell of.
		err = &heldError{"The webhook was turned off before this was delivered: it is kept in the outbox, unsent."}
	case dl != nil:
		err = dl.Deliver(ctx, d)
	case d.Channel == tandem.ChannelEmail:
		err = &heldError{"No SMTP server is configured (--smtp-url): the email is kept in the outbox, unsent."}
	default:
		err = &heldError{"Nothing delivers the " + string(d.Channel) + " channel in this process."}
	}
	return s.db.recordAttempt(context.WithoutCancel(ctx), d, s.Owner, s.db.Now(), d.Status, err, s.Jitter())
}

// requireSystem returns the actor in ctx when it is the system.
func requireSystem(ctx context.Context) (*tandem.Actor, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.System {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Only the scheduler runs background work.")
	}
	return a, nil
}

// escalationSteps is the kind of the escalation policies' steps (sqlstore/escalation_step.go).
func (s *Scheduler) escalationSteps() timerKind { return s.escalationKind() }
