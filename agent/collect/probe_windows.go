package collect

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// ServiceRunning says the Windows service name (its service name, such
// as "Spooler", not the display name "Print Spooler") is running. It asks
// the service manager for no more than the right to read the state, so
// it works without administrator rights. A service that does not exist
// is an error.
func (Probe) ServiceRunning(_ context.Context, name string) (bool, error) {
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return false, fmt.Errorf("connect to the service manager: %w", err)
	}
	m := &mgr.Mgr{Handle: scm}
	defer m.Disconnect()
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return false, fmt.Errorf("%q is not a service name", name)
	}
	h, err := windows.OpenService(scm, p, windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return false, fmt.Errorf("there is no Windows service %q (use its service name, not its display name)", name)
	}
	if err != nil {
		return false, fmt.Errorf("open service %q: %w", name, err)
	}
	s := &mgr.Service{Name: name, Handle: h}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return false, fmt.Errorf("query service %q: %w", name, err)
	}
	return st.State == svc.Running, nil
}

// ProcessRunning says a process whose executable is name runs, compared
// without case and with or without ".exe".
func (Probe) ProcessRunning(_ context.Context, name string) (bool, error) {
	if name == "" {
		return false, errors.New("no process name given")
	}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	defer windows.CloseHandle(snap)
	var pe windows.ProcessEntry32
	pe.Size = uint32(unsafe.Sizeof(pe))
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if windowsProcessMatches(windows.UTF16ToString(pe.ExeFile[:]), name) {
			return true, nil
		}
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return false, fmt.Errorf("list processes: %w", err)
	}
	return false, nil
}
