package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqlstore"
)

// DefaultTimerInterval is how often, at the longest, the scheduler looks
// for work come due when Main.TimerInterval is zero.
const DefaultTimerInterval = 15 * time.Second

// schedulerLoop runs the one durable scheduler (sqlstore.Scheduler): SLA
// timers, escalation steps, deliveries. All its work is rows fired under
// guards, so the loop keeps no state: a restart, or a second replica
// running its own loop, neither loses nor repeats anything.
type schedulerLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startScheduler runs what is due at once and then again when the next
// row comes due, when a transaction of this process wrote work due now
// (Scheduler.Wake), or after interval at the latest (another replica may
// have written work meanwhile), as the system, until stop.
func startScheduler(s *sqlstore.Scheduler, interval time.Duration, now func() time.Time, logger *slog.Logger) *schedulerLoop {
	ctx, cancel := context.WithCancel(tandem.NewContextWithActor(context.Background(), tandem.SystemActor))
	l := &schedulerLoop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		wait := time.NewTimer(interval)
		defer wait.Stop()
		for {
			fired, err := s.RunDue(ctx, now())
			if err != nil && ctx.Err() == nil {
				// Logged and retried within the interval; the rows wait.
				logger.Error("running scheduled work failed", "err", err)
			}
			for kind, n := range fired {
				logger.Debug("scheduled work done", "kind", kind, "count", n)
			}
			wait.Reset(nextWake(ctx, s, interval, now, logger))
			select {
			case <-ctx.Done():
				return
			case <-s.Wake():
				if !wait.Stop() {
					<-wait.C
				}
			case <-wait.C:
			}
		}
	}()
	return l
}

// nextWake is how long the loop sleeps: until the next row comes due, and
// interval at most. Work still due after a round (it failed) waits the
// interval rather than spinning.
func nextWake(ctx context.Context, s *sqlstore.Scheduler, interval time.Duration, now func() time.Time, logger *slog.Logger) time.Duration {
	next, err := s.NextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("reading the next scheduled work failed", "err", err)
		}
		return interval
	}
	if next.IsZero() {
		return interval
	}
	if d := next.Sub(now()); d > 0 && d < interval {
		return d
	}
	return interval
}

// stop ends the loop and waits for a round in progress to finish.
func (l *schedulerLoop) stop() {
	l.cancel()
	<-l.done
}
