package agentproto_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// The decoders take whatever a network peer sends: they must never panic,
// must accept only what passes Validate, and what they accept must encode
// and decode to the same message.

func FuzzDecodeCheckin(f *testing.F) {
	f.Add([]byte(`{"seq":1,"at":"2026-01-01T00:00:00Z","config_revision":0,"metrics":{"cpu_pct":5,"memory_used_bytes":1,"memory_total_bytes":2,"volumes":[{"mount":"/","fs_type":"ext4","total_bytes":10,"used_bytes":5}],"users":["ana"]},"checks":[{"check_id":3,"state":"failing","output":"x"}],"dropped_metrics":0}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`{"seq":1,"at":"2026-01-01T00:00:00Z","metrics":{"cpu_pct":1e400}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := agentproto.DecodeCheckin(data)
		if err != nil {
			var perr *agentproto.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not an agentproto.Error", err)
			}
			return
		}
		again, _ := json.Marshal(m)
		if _, err := agentproto.DecodeCheckin(again); err != nil {
			t.Fatalf("accepted %q, refused its re-encoding %q: %v", data, again, err)
		}
	})
}

func FuzzDecodeInventory(f *testing.F) {
	f.Add([]byte(`{"seq":2,"at":"2026-01-01T00:00:00Z","inventory":{"hostname":"ws","os":"linux","software":[{"name":"curl","version":"7","source":"dpkg"}],"interfaces":[{"name":"eth0","mac":"aa","addresses":["10.0.0.1/24"]}]}}`))
	f.Add([]byte(`{"seq":2,"at":"2026-01-01T00:00:00Z","inventory":{"hostname":"ws","os":"plan9"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := agentproto.DecodeInventory(data)
		if err != nil {
			return
		}
		again, _ := json.Marshal(m)
		if _, err := agentproto.DecodeInventory(again); err != nil {
			t.Fatalf("accepted %q, refused its re-encoding: %v", data, err)
		}
	})
}

func FuzzDecodeEnroll(f *testing.F) {
	f.Add([]byte(`{"token":"tdenroll_x","hostname":"ws","os":"windows","arch":"arm64","agent_version":"1"}`))
	f.Add([]byte(`{"token":"","hostname":"\u0000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := agentproto.DecodeEnroll(data)
		if err != nil {
			return
		}
		if m.Token == "" || m.Hostname == "" {
			t.Fatalf("accepted an enrolment without token or hostname: %q", data)
		}
	})
}

// FuzzBody: any body, gzipped or not, is read within its limits or
// refused; a gzip bomb never yields more than the limit.
func FuzzBody(f *testing.F) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	f.Add(bomb.Bytes(), true)
	f.Add([]byte(`{"seq":1}`), false)
	f.Add([]byte{0x1f, 0x8b, 8, 0}, true)
	f.Fuzz(func(t *testing.T, data []byte, zipped bool) {
		enc := ""
		if zipped {
			enc = "gzip"
		}
		const limit = 64 << 10
		out, err := agentproto.Body(bytes.NewReader(data), enc, limit)
		if err == nil && len(out) > limit {
			t.Fatalf("read %d bytes, over the limit %d", len(out), limit)
		}
		if err == nil && !zipped && !bytes.Equal(out, data) {
			t.Fatal("a plain body came back changed")
		}
	})
}

func TestBodyLimits(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	if _, err := agentproto.Body(bytes.NewReader(bomb.Bytes()), "gzip", 64<<10); !errors.Is(err, agentproto.ErrTooLarge) {
		t.Fatalf("a 1 MiB gzip bomb against a 64 KiB limit: %v, want ErrTooLarge", err)
	}
	big := bytes.Repeat([]byte("x"), agentproto.MaxCompressedBytes+10)
	if _, err := agentproto.Body(bytes.NewReader(big), "", agentproto.MaxInventoryBytes); !errors.Is(err, agentproto.ErrTooLarge) {
		t.Fatalf("a body over MaxCompressedBytes as sent: %v, want ErrTooLarge", err)
	}
	if _, err := agentproto.Body(bytes.NewReader(nil), "br", 10); err == nil {
		t.Fatal("an unknown Content-Encoding was accepted")
	}
}
