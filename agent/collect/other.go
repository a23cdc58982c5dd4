//go:build !linux && !windows && !darwin

package collect

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/tandemhq/tandem/agentproto"
)

// The agent runs on Linux, Windows and macOS. Elsewhere the package
// builds, so tools that vet every platform stay quiet, and reports only
// what the standard library can tell.

var errUnsupported = fmt.Errorf("%s: %w", runtime.GOOS, errors.ErrUnsupported)

func (s *Sampler) cpuPercent(context.Context) (float64, error) { return 0, errUnsupported }
func readMemory(context.Context, *agentproto.Metrics) error    { return errUnsupported }
func readLoadAndUptime(context.Context, *agentproto.Metrics)   {}
func readVolumes(context.Context) []agentproto.Volume          { return nil }
func readUsers(context.Context) []string                       { return nil }
func gatherOS(context.Context, *agentproto.Inventory)          {}

// ServiceRunning is not supported on this OS.
func (Probe) ServiceRunning(context.Context, string) (bool, error) { return false, errUnsupported }

// ProcessRunning is not supported on this OS.
func (Probe) ProcessRunning(context.Context, string) (bool, error) { return false, errUnsupported }
