package agent

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Enroll exchanges token for this machine's identity on server and saves
// it in dir. A machine already enrolled is refused unless force, which
// starts over (a new device on the server; the old one stays until an
// admin revokes it).
func Enroll(ctx context.Context, dir, server, token, pin string, force bool) (*State, error) {
	if old, err := LoadState(dir); err == nil && !force {
		return nil, fmt.Errorf("this machine is already enrolled with %s as device %d: pass --force to enrol it again", old.Server, old.DeviceID)
	}
	if err := EnsureDir(dir); err != nil {
		return nil, err
	}
	c, err := NewClient(server, pin)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	resp, err := c.Enroll(ctx, &agentproto.EnrollRequest{Token: token, Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, AgentVersion: Version})
	if err != nil {
		return nil, fmt.Errorf("enrolment failed: %w", err)
	}
	s := &State{Server: c.Server, Pin: pin, DeviceID: resp.DeviceID, Credential: resp.Credential, EnrolledAt: time.Now().UTC(), Config: resp.Config}
	if err := os.RemoveAll(SpoolDir(dir)); err != nil {
		return nil, err
	}
	return s, s.Save(dir)
}

// SpoolDir is the spool's directory inside the state directory.
func SpoolDir(dir string) string { return dir + string(os.PathSeparator) + "spool" }
