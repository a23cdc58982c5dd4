package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/agent"
)

// spoolKinds opens each kind of spool, so that every behaviour both
// promise is tested on both.
var spoolKinds = []struct {
	name string
	open func(t *testing.T, max int) agent.Spool
}{
	{"Memory", func(t *testing.T, max int) agent.Spool { return agent.NewMemorySpool(max) }},
	{"Disk", func(t *testing.T, max int) agent.Spool { return mustOpenDiskSpool(t, t.TempDir(), max) }},
}

func mustOpenDiskSpool(tb testing.TB, dir string, max int) agent.Spool {
	tb.Helper()
	s, err := agent.OpenDiskSpool(dir, max)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// metric is a check-in the spool may drop; kept is a message it may not
// (an inventory, or a check-in carrying a change of a check's state).
func metric(seq int64) agent.Message {
	return agent.Message{Seq: seq, Kind: agent.KindCheckin, Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq))}
}

func kept(seq int64) agent.Message {
	return agent.Message{Seq: seq, Kind: agent.KindInventory, Body: []byte(fmt.Sprintf(`{"seq":%d,"inventory":{}}`, seq)), Keep: true, Digest: fmt.Sprintf("digest-%d", seq)}
}

// mustAdd adds the messages and returns how many the spool dropped.
func mustAdd(tb testing.TB, s agent.Spool, msgs ...agent.Message) int {
	tb.Helper()
	dropped := 0
	for _, m := range msgs {
		n, err := s.Add(m)
		if err != nil {
			tb.Fatalf("add %d: %v", m.Seq, err)
		}
		dropped += n
	}
	return dropped
}

// drain takes every message out of s the way the agent does, oldest
// first, and returns them.
func drain(tb testing.TB, s agent.Spool) []agent.Message {
	tb.Helper()
	var out []agent.Message
	for range 10000 {
		m, ok, err := s.Oldest()
		if err != nil {
			tb.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m)
		if err := s.Remove(m.Seq); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Fatal("the spool never ran empty")
	return nil
}

func seqsOf(msgs []agent.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

func TestSpool(t *testing.T) {
	for _, k := range spoolKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Run("Empty", func(t *testing.T) {
				s := k.open(t, 10)
				if _, ok, err := s.Oldest(); ok || err != nil {
					t.Fatalf("Oldest of an empty spool: ok %v, err %v", ok, err)
				}
				if s.Len() != 0 || s.MaxSeq() != 0 {
					t.Fatalf("empty spool: Len %d, MaxSeq %d; want 0, 0", s.Len(), s.MaxSeq())
				}
				if err := s.Remove(7); err != nil {
					t.Fatalf("Remove of an absent message: %v", err)
				}
			})

			t.Run("OldestFirst", func(t *testing.T) {
				s := k.open(t, 10)
				// Gaps are allowed, and 9 → 10 → 100 catches an order by name.
				want := []agent.Message{metric(1), kept(2), metric(9), metric(10), kept(100)}
				mustAdd(t, s, want...)
				if s.Len() != 5 || s.MaxSeq() != 100 {
					t.Fatalf("Len %d, MaxSeq %d; want 5, 100", s.Len(), s.MaxSeq())
				}
				// Oldest does not take the message: the agent removes it once
				// acknowledged.
				for range 2 {
					if m, ok, err := s.Oldest(); !ok || err != nil || m.Seq != 1 {
						t.Fatalf("Oldest: seq %d, ok %v, err %v; want 1", m.Seq, ok, err)
					}
				}
				if got := drain(t, s); !reflect.DeepEqual(got, want) {
					t.Fatalf("drained\n%+v\nwant\n%+v", got, want)
				}
				if s.Len() != 0 || s.MaxSeq() != 0 {
					t.Fatalf("drained spool: Len %d, MaxSeq %d; want 0, 0", s.Len(), s.MaxSeq())
				}
			})

			t.Run("Remove", func(t *testing.T) {
				s := k.open(t, 10)
				mustAdd(t, s, metric(1), metric(2), metric(3), metric(4))
				for _, seq := range []int64{3, 4, 99} { // the newest, then one never spooled
					if err := s.Remove(seq); err != nil {
						t.Fatal(err)
					}
				}
				if s.Len() != 2 || s.MaxSeq() != 2 {
					t.Fatalf("after removing 3 and 4: Len %d, MaxSeq %d; want 2, 2", s.Len(), s.MaxSeq())
				}
				if got := seqsOf(drain(t, s)); !slices.Equal(got, []int64{1, 2}) {
					t.Fatalf("left %v; want [1 2]", got)
				}
			})

			t.Run("Bound", func(t *testing.T) {
				for _, tc := range []struct {
					name    string
					max     int
					adds    []agent.Message
					dropped int
					left    []int64
				}{
					{"BelowTheBound", 3, []agent.Message{metric(1), kept(2), metric(3)}, 0, []int64{1, 2, 3}},
					// The oldest metric after the head goes: the head may be
					// in flight, and dropping it would count it as lost
					// while the server stores it.
					{"OldestMetricGoes", 3, []agent.Message{metric(1), metric(2), metric(3), metric(4), metric(5)}, 2, []int64{1, 4, 5}},
					{"KeptOnesSkipped", 3, []agent.Message{kept(1), metric(2), kept(3), metric(4), metric(5)}, 2, []int64{1, 3, 5}},
					{"KeptPushesOutAMetric", 3, []agent.Message{metric(1), kept(2), metric(3), kept(4), kept(5)}, 1, []int64{1, 2, 4, 5}},
					// Only kept messages: the bound gives way rather than
					// lose an inventory or a check's transition.
					{"OnlyKept", 2, []agent.Message{kept(1), kept(2), kept(3), kept(4)}, 0, []int64{1, 2, 3, 4}},
					// A metric still gets into a spool over its bound with
					// kept messages, and the next metric pushes it out.
					{"MetricsAmongKept", 2, []agent.Message{kept(1), kept(2), kept(3), metric(4), metric(5)}, 1, []int64{1, 2, 3, 5}},
				} {
					t.Run(tc.name, func(t *testing.T) {
						s := k.open(t, tc.max)
						if n := mustAdd(t, s, tc.adds...); n != tc.dropped {
							t.Fatalf("dropped %d; want %d", n, tc.dropped)
						}
						if s.Len() != len(tc.left) || s.MaxSeq() != tc.adds[len(tc.adds)-1].Seq {
							t.Fatalf("Len %d, MaxSeq %d; want %d, %d", s.Len(), s.MaxSeq(), len(tc.left), tc.adds[len(tc.adds)-1].Seq)
						}
						got := drain(t, s)
						if !slices.Equal(seqsOf(got), tc.left) {
							t.Fatalf("left %v; want %v", seqsOf(got), tc.left)
						}
						for _, m := range got {
							if want := tc.adds[slices.IndexFunc(tc.adds, func(a agent.Message) bool { return a.Seq == m.Seq })]; !reflect.DeepEqual(m, want) {
								t.Fatalf("message %d came out as %+v; want %+v", m.Seq, m, want)
							}
						}
					})
				}
			})

			t.Run("Concurrent", func(t *testing.T) {
				// The agent's loop adds while its sender takes messages out.
				s := k.open(t, 1000)
				const n = 200
				added := make(chan error, 1)
				go func() {
					for i := range int64(n) {
						if _, err := s.Add(metric(i + 1)); err != nil {
							added <- err
							return
						}
					}
					added <- nil
				}()
				var got []int64
				for range 1_000_000 {
					if len(got) == n {
						break
					}
					m, ok, err := s.Oldest()
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						runtime.Gosched()
						continue
					}
					got = append(got, m.Seq)
					if err := s.Remove(m.Seq); err != nil {
						t.Fatal(err)
					}
				}
				if err := <-added; err != nil {
					t.Fatal(err)
				}
				want := make([]int64, n)
				for i := range want {
					want[i] = int64(i + 1)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("taken out %v; want 1 to %d in order", got, n)
				}
			})
		})
	}
}

// TestDiskSpoolReopen: what the disk spool holds survives the agent
// stopping (a crash, a reboot): a spool opened on the same directory
// afterwards holds the same messages, in the same order, still marked
// kept or not.
func TestDiskSpoolReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	first := mustOpenDiskSpool(t, dir, 4)
	if n := mustAdd(t, first, kept(1), metric(2), metric(3), metric(10), kept(11)); n != 1 {
		t.Fatalf("dropped %d; want 1", n)
	}
	if err := first.Remove(3); err != nil {
		t.Fatal(err)
	}

	again := mustOpenDiskSpool(t, dir, 3)
	if again.Len() != 3 || again.MaxSeq() != 11 {
		t.Fatalf("reopened: Len %d, MaxSeq %d; want 3, 11", again.Len(), again.MaxSeq())
	}
	// Full: the oldest metric, 10, goes, not the kept 1 before it: the
	// reopened spool still knows which messages are kept.
	if n := mustAdd(t, again, metric(12)); n != 1 {
		t.Fatalf("adding to the reopened full spool dropped %d; want 1", n)
	}
	got := drain(t, mustOpenDiskSpool(t, dir, 3))
	if want := []agent.Message{kept(1), kept(11), metric(12)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening\n%+v\nwant\n%+v", got, want)
	}
}

// TestDiskSpoolFiles: one owner-only file per message in an owner-only
// directory (check-ins tell who is logged in), and files that are not
// messages, such as a temporary file a crash left mid-write, are not
// taken for messages.
func TestDiskSpoolFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s := mustOpenDiskSpool(t, dir, 10)
	mustAdd(t, s, metric(1), kept(2))
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool directory: %v, %v; want mode 0700", fi.Mode().Perm(), err)
	}
	names := spoolFiles(t, dir)
	if len(names) != 2 {
		t.Fatalf("files %v; want one per message", names)
	}
	for _, name := range names {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, %v; want mode 0600", name, fi.Mode().Perm(), err)
		}
	}

	for name, data := range map[string]string{
		".tmp-123456": `{"seq":3,"kind":"checkin","body":{"se`, // a crash before the rename
		"notes.txt":   "left by an admin",
		"abc.json":    `{"seq":4,"kind":"checkin","body":{}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	again := mustOpenDiskSpool(t, dir, 10)
	if again.Len() != 2 || again.MaxSeq() != 2 {
		t.Fatalf("with stray files: Len %d, MaxSeq %d; want 2, 2", again.Len(), again.MaxSeq())
	}
	if got := seqsOf(drain(t, again)); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("messages %v; want [1 2]", got)
	}
	if names := spoolFiles(t, dir); len(names) != 0 {
		t.Fatalf("files left after every message was removed: %v", names)
	}
}

// spoolFiles is the message files of a spool directory, oldest first.
func spoolFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && strings.Trim(name, "0123456789") == "" {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// TestDiskSpoolDamagedFile pins down what the disk spool does with a
// message file it cannot read (a disk error; the atomic write rules out a
// half-written one): it still counts it (Len, MaxSeq, so its sequence
// number is never given out again) until it reaches the head, and then
// deletes it and serves the next message, rather than block every message
// behind it. The damaged message is lost without error, even a kept one.
func TestDiskSpoolDamagedFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string) error
	}{
		{"Truncated", func(path string) error {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(path, data[:len(data)/2], 0o600)
		}},
		{"Empty", func(path string) error { return os.WriteFile(path, nil, 0o600) }},
		{"NotJSON", func(path string) error { return os.WriteFile(path, []byte("\x00\x01garbage"), 0o600) }},
		{"Directory", func(path string) error {
			if err := os.Remove(path); err != nil {
				return err
			}
			return os.Mkdir(path, 0o700)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpenDiskSpool(t, dir, 10)
			mustAdd(t, s, metric(1), kept(2), metric(3), kept(4))
			names := spoolFiles(t, dir)
			// Damage the kept 2 and the newest, 4.
			for _, name := range []string{names[1], names[3]} {
				if err := tc.damage(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}

			for _, sp := range []struct {
				name  string
				spool agent.Spool
			}{{"SameSpool", s}, {"Reopened", mustOpenDiskSpool(t, dir, 10)}} {
				if sp.spool.Len() != 4 || sp.spool.MaxSeq() != 4 {
					t.Fatalf("%s: Len %d, MaxSeq %d; want 4, 4 (the damaged messages still counted)", sp.name, sp.spool.Len(), sp.spool.MaxSeq())
				}
			}
			got := drain(t, mustOpenDiskSpool(t, dir, 10))
			if want := []agent.Message{metric(1), metric(3)}; !reflect.DeepEqual(got, want) {
				t.Fatalf("served\n%+v\nwant\n%+v", got, want)
			}
			if left := spoolFiles(t, dir); len(left) != 0 {
				t.Fatalf("damaged files left behind: %v", left)
			}
		})
	}
}
