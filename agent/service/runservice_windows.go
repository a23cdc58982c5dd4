//go:build windows

package service

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
)

// RunService runs run as the TandemAgent service when the Service Control
// Manager started this process, and returns handled=false (doing nothing)
// when it did not, so the caller then runs run in the foreground with its
// own signal handling. Under the SCM there are no signals: Stop and Shutdown
// arrive as control requests, which cancel run's context; the service
// reports StopPending until run returns. A service has no console either,
// so start, stop and failure are written to the Application event log.
// When run fails on its own the service stops with an error, which makes the
// recovery actions set by Install restart it.
func RunService(run func(ctx context.Context) error) (handled bool, err error) {
	isService, err := svc.IsWindowsService()
	if err != nil {
		return false, fmt.Errorf("service: detecting the Windows service manager: %w", err)
	}
	if !isService {
		return false, nil
	}
	h := &handler{run: run, done: make(chan error, 1)}
	if l, err := eventlog.Open(Name); err == nil {
		h.log = l
		defer l.Close()
	}
	if err := svc.Run(Name, h); err != nil {
		return true, fmt.Errorf("service: running as the %s service: %w", Name, err)
	}
	select {
	case err := <-h.done:
		return true, err
	default:
		return true, nil
	}
}

// handler adapts run to svc.Handler.
type handler struct {
	run  func(ctx context.Context) error
	log  *eventlog.Log // nil when the event log could not be opened
	done chan error    // run's error, for RunService to return
}

// Event IDs in the Application log.
const (
	eventStarted = 1
	eventStopped = 2
	eventFailed  = 3
)

func (h *handler) logInfo(id uint32, msg string) {
	if h.log != nil {
		_ = h.log.Info(id, msg)
	}
}

func (h *handler) logError(id uint32, msg string) {
	if h.log != nil {
		_ = h.log.Error(id, msg)
	}
}

// Execute is called by svc.Run on the SCM's behalf; the service is stopped
// once it returns.
func (h *handler) Execute(args []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (svcSpecificEC bool, exitCode uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	changes <- svc.Status{State: svc.StartPending}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- h.run(ctx) }()

	running := svc.Status{State: svc.Running, Accepts: accepts}
	changes <- running
	h.logInfo(eventStarted, Name+" started")

	for {
		select {
		case err := <-result:
			// run returned without being asked to: a failure, unless it
			// reports none.
			h.done <- err
			if err != nil {
				h.logError(eventFailed, Name+" failed: "+err.Error())
				return true, 1
			}
			h.logInfo(eventStopped, Name+" stopped")
			return false, 0
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- running
			case svc.Stop, svc.Shutdown:
				return h.stop(cancel, result, r, changes)
			}
		}
	}
}

// stop cancels run and waits for it to return, answering the SCM's
// interrogations meanwhile so its control thread is never left blocked.
func (h *handler) stop(cancel context.CancelFunc, result <-chan error, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	stopping := svc.Status{State: svc.StopPending, WaitHint: uint32(stopTimeout.Milliseconds())}
	changes <- stopping
	cancel()
	for {
		select {
		case err := <-result:
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			h.done <- err
			if err != nil {
				h.logError(eventFailed, Name+" failed while stopping: "+err.Error())
			} else {
				h.logInfo(eventStopped, Name+" stopped")
			}
			// A requested stop is never a failure, so the recovery actions
			// do not start the agent again behind the administrator's back.
			return false, 0
		case c := <-r:
			if c.Cmd == svc.Interrogate {
				changes <- stopping
			}
		}
	}
}
