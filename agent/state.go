// Package agent is tandem-agent's runtime: enrolment, the state directory
// (identity, credential, spool), the check-in and inventory loop with its
// spool, backoff and replay, and the HTTP client of the /agent/v1
// protocol with optional certificate pinning. What it reports comes from
// a Sources (agent/collect on a real machine, simulated ones in the load
// generator).
package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Version is the agent's version, reported at enrolment.
var Version = "0.12.0"

// State is what the agent keeps between runs, in state.json of its state
// directory (owner-only permissions: it holds the credential).
type State struct {
	Server     string            `json:"server"`
	Pin        string            `json:"pin,omitempty"`
	DeviceID   int64             `json:"device_id"`
	Credential string            `json:"credential"`
	EnrolledAt time.Time         `json:"enrolled_at"`
	Config     agentproto.Config `json:"config"`
	// LastAcked is the highest sequence number the server acknowledged;
	// spooled messages at or below it were stored and are deleted.
	LastAcked int64 `json:"last_acked"`
	// InventoryDigest is the digest of the last inventory the server
	// stored: an inventory is sent only when it differs.
	InventoryDigest string    `json:"inventory_digest,omitempty"`
	LastAckAt       time.Time `json:"last_ack_at,omitzero"`
	DroppedMetrics  int64     `json:"dropped_metrics"`
	// Refused is set when the server refused the credential (revoked).
	Refused string `json:"refused,omitempty"`
}

const stateFile = "state.json"

// ErrNotEnrolled is returned when the state directory holds no identity.
var ErrNotEnrolled = errors.New("this machine is not enrolled: run tandem-agent enroll --server URL --token TOKEN first")

// LoadState reads the state in dir.
func LoadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotEnrolled
	} else if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): enrol again", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}

// Save writes the state atomically and durably: a crash leaves the old
// state or the new one, never half of one.
func (s *State) Save(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), data)
}

// EnsureDir creates the state directory with owner-only permissions, and
// tightens them when it exists.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the state directory %s: %w", dir, err)
	}
	return os.Chmod(dir, 0o700)
}

// writeFileAtomic writes data to path through a synced temporary file and
// a rename, mode 0600.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
