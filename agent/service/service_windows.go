//go:build windows

package service

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// Name is the service's name on this OS: the Windows service TandemAgent
// (display name "Tandem Agent"), as in `sc query TandemAgent`.
const Name = windowsServiceName

// stopTimeout is how long Install and Uninstall wait for a running agent to
// stop; RunService's handler gives run the same time to return.
const stopTimeout = 20 * time.Second

// Install creates the TandemAgent service, or updates it when it exists, to
// run `o.Executable run --state o.StateDir` as LocalSystem, started
// automatically at boot, with recovery actions that restart it 10 s after
// each failure (three times, the count reset after a day without one). It
// registers an event-log source for the agent's service messages, then
// starts the service, restarting it when it was running so the update takes
// effect. It needs Administrator rights; a permission failure says so.
func Install(ctx context.Context, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return privileged("installing the service", fmt.Errorf("service: connecting to the service control manager: %w", err))
	}
	defer m.Disconnect()

	s, err := createOrUpdate(m, o)
	if err != nil {
		return privileged("installing the service", err)
	}
	defer s.Close()

	restart := make([]mgr.RecoveryAction, 3)
	for i := range restart {
		restart[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: 10 * time.Second}
	}
	if err := s.SetRecoveryActions(restart, uint32((24 * time.Hour).Seconds())); err != nil {
		return privileged("installing the service", fmt.Errorf("service: setting recovery actions: %w", err))
	}
	// Without this flag the actions apply only when the process dies; with
	// it they also apply when run fails and the service stops with an error.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return privileged("installing the service", fmt.Errorf("service: setting recovery actions: %w", err))
	}

	// Remove-then-install makes the event source idempotent; Remove fails
	// harmlessly when there is none.
	_ = eventlog.Remove(Name)
	if err := eventlog.InstallAsEventCreate(Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		return privileged("installing the service", fmt.Errorf("service: registering the event-log source: %w", err))
	}

	if err := stopAndWait(ctx, s); err != nil {
		return privileged("installing the service", err)
	}
	if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
		return privileged("installing the service", fmt.Errorf("service: starting %s: %w", Name, err))
	}
	return nil
}

// createOrUpdate returns the service configured for o, creating it when it
// does not exist.
func createOrUpdate(m *mgr.Mgr, o Options) (*mgr.Service, error) {
	args := o.runArgs()
	s, err := m.OpenService(Name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		s, err = m.CreateService(Name, o.Executable, mgr.Config{
			StartType:    mgr.StartAutomatic,
			ErrorControl: mgr.ErrorNormal,
			DisplayName:  displayName,
			Description:  description,
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("service: creating %s: %w", Name, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("service: opening %s: %w", Name, err)
	}
	c, err := s.Config()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("service: reading the configuration of %s: %w", Name, err)
	}
	// The command line is built as CreateService builds it, so an update
	// and a fresh install give the same service.
	c.BinaryPathName = syscall.EscapeArg(o.Executable)
	for _, a := range args {
		c.BinaryPathName += " " + syscall.EscapeArg(a)
	}
	c.StartType = mgr.StartAutomatic
	c.DelayedAutoStart = false
	c.DisplayName = displayName
	c.Description = description
	if err := s.UpdateConfig(c); err != nil {
		s.Close()
		return nil, fmt.Errorf("service: updating %s: %w", Name, err)
	}
	return s, nil
}

// stopAndWait stops s unless it is already stopped and waits up to
// stopTimeout for the SCM to report it Stopped.
func stopAndWait(ctx context.Context, s *mgr.Service) error {
	st, err := s.Query()
	if err != nil {
		return fmt.Errorf("service: querying %s: %w", Name, err)
	}
	if st.State == svc.Stopped {
		return nil
	}
	if st.State != svc.StopPending {
		_, err := s.Control(svc.Stop)
		if err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			return fmt.Errorf("service: stopping %s: %w", Name, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("service: querying %s: %w", Name, err)
		}
		if st.State == svc.Stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service: %s did not stop within %s (state %s): %w", Name, stopTimeout, stateName(st.State), ctx.Err())
		case <-tick.C:
		}
	}
}

// Uninstall stops the service (waiting up to 20 s for it to stop), deletes
// it and removes its event-log source. The state directory (identity,
// credential, spool) is kept, so installing again brings back the same
// device without enrolling it anew. It returns an error wrapping
// ErrNotInstalled when there is no such service, and needs Administrator
// rights.
func Uninstall(ctx context.Context) error {
	m, err := mgr.Connect()
	if err != nil {
		return privileged("removing the service", fmt.Errorf("service: connecting to the service control manager: %w", err))
	}
	defer m.Disconnect()
	s, err := m.OpenService(Name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return fmt.Errorf("service: %w (no Windows service %s)", ErrNotInstalled, Name)
	}
	if err != nil {
		return privileged("removing the service", fmt.Errorf("service: opening %s: %w", Name, err))
	}
	defer s.Close()
	if err := stopAndWait(ctx, s); err != nil {
		return privileged("removing the service", err)
	}
	if err := s.Delete(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_MARKED_FOR_DELETE) {
		return privileged("removing the service", fmt.Errorf("service: deleting %s: %w", Name, err))
	}
	_ = eventlog.Remove(Name) // absent when an older install did not register it
	return nil
}

// Status says in one line whether the service is installed and running,
// such as "installed, running (pid 1234)" or "not installed", for a person
// at a terminal. It asks only for query rights, so it works without
// elevation.
func Status(ctx context.Context) (string, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return "", fmt.Errorf("service: connecting to the service control manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	name, err := windows.UTF16PtrFromString(Name)
	if err != nil {
		return "", fmt.Errorf("service: %w", err)
	}
	sh, err := windows.OpenService(h, name, windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return "not installed", nil
	}
	if err != nil {
		return "", fmt.Errorf("service: opening %s: %w", Name, err)
	}
	s := &mgr.Service{Name: Name, Handle: sh}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return "", fmt.Errorf("service: querying %s: %w", Name, err)
	}
	if st.State == svc.Running {
		return fmt.Sprintf("installed, running (pid %d)", st.ProcessId), nil
	}
	return "installed, " + stateName(st.State), nil
}

// stateName words an SCM state for Status and errors.
func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	case svc.ContinuePending:
		return "resuming"
	case svc.PausePending:
		return "pausing"
	case svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("in state %d", s)
}
