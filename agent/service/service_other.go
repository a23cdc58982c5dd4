//go:build !linux && !darwin && !windows

package service

import (
	"context"
	"fmt"
	"runtime"
)

// Name is the service's name on operating systems without a supported
// service manager, for messages and for init scripts written by hand.
const Name = "tandem-agent"

// Install returns an error wrapping ErrNoServiceManager: this package knows
// only systemd, the Windows SCM and launchd. The message says how to run the
// agent under the local init system instead.
func Install(ctx context.Context, o Options) error {
	return unsupported()
}

// Uninstall returns an error wrapping ErrNoServiceManager, since Install
// cannot have installed anything here.
func Uninstall(ctx context.Context) error {
	return unsupported()
}

// Status returns an error wrapping ErrNoServiceManager.
func Status(ctx context.Context) (string, error) {
	return "", unsupported()
}

// RunService always returns handled=false: without a supported service
// manager the agent only ever runs in the foreground.
func RunService(run func(ctx context.Context) error) (handled bool, err error) {
	return false, nil
}

func unsupported() error {
	return fmt.Errorf("service: %w on %s; run `tandem-agent run --state DIR` as a boot-time service of this machine's init system, restarting it when it exits",
		ErrNoServiceManager, runtime.GOOS)
}
