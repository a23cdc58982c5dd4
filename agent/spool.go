package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Message kinds in the spool.
const (
	KindCheckin   = "checkin"
	KindInventory = "inventory"
)

// Message is one message waiting for the server's acknowledgement.
type Message struct {
	Seq  int64           `json:"seq"`
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
	// Keep marks a message the spool never drops when full: an inventory,
	// or a check-in carrying a change of a local check's state.
	Keep bool `json:"keep"`
	// Digest is an inventory's digest, recorded as the server's once it
	// acknowledges the message.
	Digest string `json:"digest,omitempty"`
}

// Spool holds the messages not yet acknowledged, oldest first. Every
// message enters it before it is sent, so one the server never
// acknowledged survives a restart of the agent and is sent again.
type Spool interface {
	// Add appends m; when the spool is full it first drops the oldest
	// message it may drop and reports how many it dropped.
	Add(m Message) (dropped int, err error)
	// Oldest is the oldest message; ok false when the spool is empty.
	Oldest() (m Message, ok bool, err error)
	// Remove deletes the message with seq.
	Remove(seq int64) error
	// Len is how many messages wait.
	Len() int
	// MaxSeq is the highest sequence number spooled, 0 when empty.
	MaxSeq() int64
}

// DefaultSpoolMessages bounds the spool: a week of check-ins at one a minute.
const DefaultSpoolMessages = 7 * 24 * 60

// memorySpool keeps the messages in memory: for simulated agents.
type memorySpool struct {
	mu   sync.Mutex
	max  int
	msgs []Message
}

// NewMemorySpool returns a spool of at most max messages in memory.
func NewMemorySpool(max int) Spool { return &memorySpool{max: max} }

func (s *memorySpool) Add(m Message) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := 0
	for len(s.msgs) >= s.max {
		// The oldest is never dropped: it may be in flight, stored by
		// the server as it is dropped, and then counted as lost too.
		i := slices.IndexFunc(s.msgs[min(1, len(s.msgs)):], func(m Message) bool { return !m.Keep }) + 1
		if i == 0 {
			break // only messages never dropped: the bound gives way
		}
		s.msgs = slices.Delete(s.msgs, i, i+1)
		dropped++
	}
	s.msgs = append(s.msgs, m)
	return dropped, nil
}

func (s *memorySpool) Oldest() (Message, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		return Message{}, false, nil
	}
	return s.msgs[0], true, nil
}

func (s *memorySpool) Remove(seq int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = slices.DeleteFunc(s.msgs, func(m Message) bool { return m.Seq == seq })
	return nil
}

func (s *memorySpool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func (s *memorySpool) MaxSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		return 0
	}
	return s.msgs[len(s.msgs)-1].Seq
}

// diskSpool keeps each message in a file of the spool directory named by
// its sequence number, written durably before it is sent.
type diskSpool struct {
	mu   sync.Mutex
	dir  string
	max  int
	seqs []int64 // sorted
	keep map[int64]bool
}

// OpenDiskSpool opens (creating) the spool directory dir, bounded to max
// messages.
func OpenDiskSpool(dir string, max int) (Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s := &diskSpool{dir: dir, max: max, keep: map[int64]bool{}}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		seq, err := strconv.ParseInt(name, 10, 64)
		if !ok || err != nil {
			continue // a temporary file a crash left
		}
		s.seqs = append(s.seqs, seq)
		if m, err := s.read(seq); err == nil && m.Keep {
			s.keep[seq] = true
		}
	}
	slices.Sort(s.seqs)
	return s, nil
}

func (s *diskSpool) path(seq int64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.json", seq))
}

func (s *diskSpool) read(seq int64) (Message, error) {
	var m Message
	data, err := os.ReadFile(s.path(seq))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}

func (s *diskSpool) Add(m Message) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropped := 0
	for len(s.seqs) >= s.max {
		i := slices.IndexFunc(s.seqs[min(1, len(s.seqs)):], func(seq int64) bool { return !s.keep[seq] }) + 1 // never the oldest, as above
		if i == 0 {
			break
		}
		if err := os.Remove(s.path(s.seqs[i])); err != nil && !os.IsNotExist(err) {
			return dropped, err
		}
		s.seqs = slices.Delete(s.seqs, i, i+1)
		dropped++
	}
	data, err := json.Marshal(m)
	if err != nil {
		return dropped, err
	}
	if err := writeFileAtomic(s.path(m.Seq), data); err != nil {
		return dropped, err
	}
	s.seqs = append(s.seqs, m.Seq)
	if m.Keep {
		s.keep[m.Seq] = true
	}
	return dropped, nil
}

func (s *diskSpool) Oldest() (Message, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.seqs) > 0 {
		m, err := s.read(s.seqs[0])
		if err == nil {
			return m, true, nil
		}
		// A file that cannot be read (a crash mid-rename, a disk error)
		// would block every message after it.
		os.Remove(s.path(s.seqs[0]))
		s.seqs = s.seqs[1:]
	}
	return Message{}, false, nil
}

func (s *diskSpool) Remove(seq int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.path(seq)); err != nil && !os.IsNotExist(err) {
		return err
	}
	s.seqs = slices.DeleteFunc(s.seqs, func(q int64) bool { return q == seq })
	delete(s.keep, seq)
	return nil
}

func (s *diskSpool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs)
}

func (s *diskSpool) MaxSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seqs) == 0 {
		return 0
	}
	return s.seqs[len(s.seqs)-1]
}
