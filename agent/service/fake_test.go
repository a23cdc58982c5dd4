package service

import (
	"context"
	"strings"
	"sync"
)

// fakeRunner records the commands it is asked to run and answers from a
// script keyed by the command line; an unscripted command succeeds with no
// output. A line scripted with several replies gets them in turn, the last
// one repeating.
type fakeRunner struct {
	mu      sync.Mutex
	replies map[string][]fakeReply
	calls   []string
}

type fakeReply struct {
	out string
	err error
}

func newFakeRunner(replies map[string][]fakeReply) *fakeRunner {
	if replies == nil {
		replies = map[string][]fakeReply{}
	}
	return &fakeRunner{replies: replies}
}

func (f *fakeRunner) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, line)
	rs := f.replies[line]
	if len(rs) == 0 {
		return nil, nil
	}
	r := rs[0]
	if len(rs) > 1 {
		f.replies[line] = rs[1:]
	}
	return []byte(r.out), r.err
}

// commands returns the command lines run so far and forgets them, so a test
// can assert each step's commands on their own.
func (f *fakeRunner) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}
