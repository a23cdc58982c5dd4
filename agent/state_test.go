package agent_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agent"
	"github.com/tandemhq/tandem/agentproto"
)

func sampleState() *agent.State {
	return &agent.State{
		Server:     "https://tandem.example.com",
		Pin:        "41df1c88c59f8f084e2f5ec099dea437bdc9666429455a9922d13c0f4eab3510",
		DeviceID:   42,
		Credential: "tdagent_42_x28Loe8e8-6DEPX9NU_13QjZC9xMfMSlw-upiM9M2vw",
		EnrolledAt: time.Date(2026, 3, 3, 9, 14, 5, 123456000, time.UTC),
		Config: agentproto.Config{Revision: 3, CheckinIntervalSeconds: 60, InventoryIntervalSeconds: 3600, Checks: []agentproto.Check{
			{ID: 7, Kind: agentproto.CheckDiskFree, Name: "Disk space", Threshold: 10},
			{ID: 9, Kind: agentproto.CheckFileAge, Name: "Nightly backup fresh", Target: "/var/backups/nightly.tar.gz", Hours: 26},
		}},
		LastAcked:       1842,
		InventoryDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		LastAckAt:       time.Date(2026, 3, 3, 9, 15, 0, 0, time.UTC),
		DroppedMetrics:  17,
		Refused:         "The agent's credential is not valid or was revoked.",
	}
}

// mustEnsureDir makes a state directory as enrolment does.
func mustEnsureDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "state")
	if err := agent.EnsureDir(dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func TestStateSaveLoad(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		dir := mustEnsureDir(t)
		want := sampleState()
		if err := want.Save(dir); err != nil {
			t.Fatal(err)
		}
		got, err := agent.LoadState(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("loaded\n%+v\nwant\n%+v", got, want)
		}
		// A later save replaces the state.
		want.LastAcked, want.Credential, want.Refused = 1900, "tdagent_42_rotated", ""
		if err := want.Save(dir); err != nil {
			t.Fatal(err)
		}
		if got, err := agent.LoadState(dir); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("after a second save: %+v, %v; want %+v", got, err, want)
		}
	})

	t.Run("FreshEnrolment", func(t *testing.T) {
		// The zero values of an agent that has sent nothing yet.
		dir := mustEnsureDir(t)
		want := &agent.State{Server: "http://127.0.0.1:8080", DeviceID: 1, Credential: "tdagent_1_x", EnrolledAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := want.Save(dir); err != nil {
			t.Fatal(err)
		}
		if got, err := agent.LoadState(dir); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("loaded %+v, %v; want %+v", got, err, want)
		}
	})
}

// TestStatePermissions: the state holds the credential, a bearer secret,
// so only the agent's own account may read it.
func TestStatePermissions(t *testing.T) {
	t.Run("NewDirectory", func(t *testing.T) {
		dir := mustEnsureDir(t)
		if err := sampleState().Save(dir); err != nil {
			t.Fatal(err)
		}
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, "state.json"), 0o600)
	})

	t.Run("LooseDirectoryTightened", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := agent.EnsureDir(dir); err != nil {
			t.Fatal(err)
		}
		assertMode(t, dir, 0o700)
	})

	t.Run("LooseFileReplaced", func(t *testing.T) {
		// A state.json someone made world-readable is not kept so.
		dir := mustEnsureDir(t)
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := sampleState().Save(dir); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
	})

	t.Run("ErrDirectoryNotCreatable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		err := agent.EnsureDir(filepath.Join(file, "state"))
		if err == nil || !strings.Contains(err.Error(), "cannot create the state directory") {
			t.Fatalf("EnsureDir under a file: %v; want an error naming the state directory", err)
		}
	})
}

func assertMode(tb testing.TB, path string, want os.FileMode) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		tb.Fatalf("%s has mode %04o; want %04o", path, got, want)
	}
}

// TestStateSaveAtomic: a save leaves the old state or the new one, never
// part of one, and no temporary file behind.
func TestStateSaveAtomic(t *testing.T) {
	t.Run("ReaderNeverSeesHalfAFile", func(t *testing.T) {
		// Saves of states of different sizes race a reader: a save that
		// truncated and rewrote state.json in place would show the reader
		// an empty or cut file.
		dir := mustEnsureDir(t)
		first := sampleState()
		first.Refused = ""
		if err := first.Save(dir); err != nil {
			t.Fatal(err)
		}
		const saves = 100
		saved := make(chan error, 1)
		go func() {
			for i := range saves {
				s := sampleState()
				s.LastAcked = int64(i)
				s.Refused = strings.Repeat("x", (i%7)*1000)
				if err := s.Save(dir); err != nil {
					saved <- err
					return
				}
			}
			saved <- nil
		}()
		reads := 0
		for done := false; !done; reads++ {
			select {
			case err := <-saved:
				if err != nil {
					t.Fatal(err)
				}
				done = true
			default:
			}
			s, err := agent.LoadState(dir)
			if err != nil {
				t.Fatalf("read %d while saving: %v", reads, err)
			}
			if s.DeviceID != 42 || len(s.Refused)%1000 != 0 {
				t.Fatalf("read %d while saving: a mixed state %+v", reads, s)
			}
		}
		t.Logf("%d reads during %d saves", reads, saves)
		if s, err := agent.LoadState(dir); err != nil || s.LastAcked != saves-1 {
			t.Fatalf("after the saves: %+v, %v; want the last one", s, err)
		}
		assertOnlyStateFile(t, dir)
	})

	t.Run("FailedSaveLeavesNoTemporaryFile", func(t *testing.T) {
		// The rename fails (state.json is a directory): Save says so, and
		// the temporary file it wrote is gone.
		dir := mustEnsureDir(t)
		if err := os.MkdirAll(filepath.Join(dir, "state.json", "in-the-way"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := sampleState().Save(dir); err == nil {
			t.Fatal("Save over a directory succeeded")
		}
		assertOnlyStateFile(t, dir)
	})

	t.Run("CrashLeftovers", func(t *testing.T) {
		// A crash between writing the temporary file and renaming it
		// leaves the temporary file: the state read is the old, whole one.
		dir := mustEnsureDir(t)
		want := sampleState()
		if err := want.Save(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".tmp-2841937"), []byte(`{"server": "https://tandem.exa`), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := agent.LoadState(dir); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("loaded %+v, %v; want the state saved before the crash", got, err)
		}
	})
}

// assertOnlyStateFile fails unless dir holds state.json (a file) and
// nothing else but the spool.
func assertOnlyStateFile(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "state.json" && e.Name() != "spool" {
			tb.Errorf("%s left in the state directory", e.Name())
		}
	}
}

func TestLoadState(t *testing.T) {
	t.Run("ErrNotEnrolled", func(t *testing.T) {
		for name, dir := range map[string]string{
			"EmptyDirectory":   t.TempDir(),
			"MissingDirectory": filepath.Join(t.TempDir(), "never-made"),
		} {
			if s, err := agent.LoadState(dir); !errors.Is(err, agent.ErrNotEnrolled) {
				t.Errorf("%s: %+v, %v; want ErrNotEnrolled", name, s, err)
			}
		}
		if !strings.Contains(agent.ErrNotEnrolled.Error(), "tandem-agent enroll") {
			t.Errorf("ErrNotEnrolled %q does not say how to enrol", agent.ErrNotEnrolled)
		}
	})

	full := func() string {
		dir := mustEnsureDir(t)
		if err := sampleState().Save(dir); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}()
	for _, tc := range []struct{ name, data string }{
		{"Empty", ""},
		{"Truncated", full[:len(full)/2]},
		{"NotJSON", "server=https://tandem.example.com\n"},
		{"WrongType", `{"device_id": "forty-two"}`},
	} {
		t.Run("ErrDamaged"+tc.name, func(t *testing.T) {
			dir := mustEnsureDir(t)
			path := filepath.Join(dir, "state.json")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := agent.LoadState(dir)
			if err == nil {
				t.Fatalf("loaded %+v from a damaged state.json", s)
			}
			if errors.Is(err, agent.ErrNotEnrolled) {
				t.Fatalf("%v: a damaged state is not a missing one", err)
			}
			for _, want := range []string{path, "damaged", "enrol again"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}

	t.Run("ErrUnreadable", func(t *testing.T) {
		// state.json is a directory: an error, not ErrNotEnrolled, which
		// would have the operator enrol a new device.
		dir := mustEnsureDir(t)
		if err := os.Mkdir(filepath.Join(dir, "state.json"), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := agent.LoadState(dir); err == nil || errors.Is(err, agent.ErrNotEnrolled) {
			t.Fatalf("LoadState: %v; want an error other than ErrNotEnrolled", err)
		}
	})
}
