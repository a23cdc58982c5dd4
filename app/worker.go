package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
)

// DefaultTimerInterval is how often the timer worker looks for SLA warnings
// and breaches to fire when Main.TimerInterval is zero.
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

// startTimerWorker processes the timers at once and then every interval,
// as the system, until stop.
func startTimerWorker(svc tandem.SLAService, interval time.Duration, now func() time.Time, logger *slog.Logger) *timerWorker {
	ctx, cancel := context.WithCancel(tandem.NewContextWithActor(context.Background(), tandem.SystemActor))
	w := &timerWorker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			n, err := svc.ProcessTimers(ctx, now())
			switch {
			case err != nil && ctx.Err() == nil:
				// Logged and retried at the next tick; the timers wait.
				logger.Error("processing SLA timers failed", "err", err)
			case n > 0:
				logger.Info("SLA timers fired", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the worker and waits for a round in progress to finish.
func (w *timerWorker) stop() {
	w.cancel()
	<-w.done
}
