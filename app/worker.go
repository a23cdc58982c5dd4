package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
)

// DefaultTimerInterval is how often, at the longest, the timer worker
// looks for SLA warnings and breaches to fire when Main.TimerInterval is
// zero.
const DefaultTimerInterval = 15 * time.Second

// timerWorker fires the SLA and OLA warnings and breaches that have come
// due. The timers are durable rows and each fires under a guard
// (sqlstore.SLAService.ProcessTimers), so the worker keeps no state: a
// restart, or a second replica running its own worker, neither loses nor
// repeats an event.
type timerWorker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startTimerWorker processes the timers at once and then again when the
// next one comes due, or after interval at the latest (a timer planned
// meanwhile may come due sooner than the one it waited for), as the
// system, until stop.
func startTimerWorker(svc tandem.SLAService, interval time.Duration, now func() time.Time, logger *slog.Logger) *timerWorker {
	ctx, cancel := context.WithCancel(tandem.NewContextWithActor(context.Background(), tandem.SystemActor))
	w := &timerWorker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		wait := time.NewTimer(interval)
		defer wait.Stop()
		for {
			n, err := svc.ProcessTimers(ctx, now())
			switch {
			case err != nil && ctx.Err() == nil:
				// Logged and retried within the interval; the timers wait.
				logger.Error("processing SLA timers failed", "err", err)
			case n > 0:
				logger.Info("SLA timers fired", "count", n)
			}
			wait.Reset(nextWake(ctx, svc, interval, now, logger))
			select {
			case <-ctx.Done():
				return
			case <-wait.C:
			}
		}
	}()
	return w
}

// nextWake is how long the worker sleeps: until the next timer comes due,
// and interval at most. A timer still due after a round (it failed to
// fire) waits the interval rather than spinning.
func nextWake(ctx context.Context, svc tandem.SLAService, interval time.Duration, now func() time.Time, logger *slog.Logger) time.Duration {
	next, err := svc.NextTimer(ctx)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("reading the next SLA timer failed", "err", err)
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

// stop ends the worker and waits for a round in progress to finish.
func (w *timerWorker) stop() {
	w.cancel()
	<-w.done
}
