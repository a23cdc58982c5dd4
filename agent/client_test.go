package agent_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tandemhq/tandem/agent"
	"github.com/tandemhq/tandem/agentproto"
)

func mustNewClient(tb testing.TB, server, pin string) *agent.Client {
	tb.Helper()
	c, err := agent.NewClient(server, pin)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestNewClient(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for in, want := range map[string]string{
			"https://tandem.example.com":      "https://tandem.example.com",
			" https://tandem.example.com/ \n": "https://tandem.example.com",
			"http://127.0.0.1:8080//":         "http://127.0.0.1:8080",
		} {
			if c := mustNewClient(t, in, ""); c.Server != want {
				t.Errorf("NewClient(%q).Server = %q; want %q", in, c.Server, want)
			}
		}
	})

	t.Run("ErrNotAURL", func(t *testing.T) {
		for _, server := range []string{"", "tandem.example.com", "ftp://tandem.example.com", "tandem.example.com:443"} {
			if _, err := agent.NewClient(server, ""); err == nil || !strings.Contains(err.Error(), "--server") {
				t.Errorf("NewClient(%q): %v; want an error naming --server", server, err)
			}
		}
	})

	t.Run("ErrBadPin", func(t *testing.T) {
		good := strings.Repeat("ab", 32)
		for _, pin := range []string{
			"not hex at all",
			good[:62],        // 31 bytes
			good + "ab",      // 33 bytes
			"sha256:" + good, // a prefix it does not know
			strings.Repeat("g", 64),
		} {
			if _, err := agent.NewClient("https://tandem.example.com", pin); err == nil || !strings.Contains(err.Error(), "--pin") {
				t.Errorf("NewClient with pin %q: %v; want an error naming --pin", pin, err)
			}
		}
	})
}

// pinOf is the pin of srv's certificate as openssl prints it.
func pinOf(srv *httptest.Server) string {
	sum := sha256.Sum256(srv.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}

// colonUpper writes a pin as some tools print it: AB:CD:….
func colonUpper(pin string) string {
	var parts []string
	for i := 0; i < len(pin); i += 2 {
		parts = append(parts, strings.ToUpper(pin[i:i+2]))
	}
	return strings.Join(parts, ":")
}

// TestClientPin: with a pin the agent talks to the server holding that
// very certificate, self-signed as httptest's is, and to no other.
func TestClientPin(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// The pin of another certificate.
	otherSum := sha256.Sum256([]byte("another server's certificate"))
	otherPin := hex.EncodeToString(otherSum[:])

	checkin := []byte(`{"seq":1}`)
	t.Run("OK", func(t *testing.T) {
		for name, pin := range map[string]string{"Hex": pinOf(srv), "ColonsUpperCase": colonUpper(pinOf(srv))} {
			before := reached.Load()
			if _, err := mustNewClient(t, srv.URL, pin).SendCheckin(context.Background(), "tdagent_1_x", checkin); err != nil {
				t.Errorf("%s pin: %v", name, err)
			}
			if reached.Load() != before+1 {
				t.Errorf("%s pin: the request did not reach the server", name)
			}
		}
	})

	t.Run("ErrWrongPin", func(t *testing.T) {
		before := reached.Load()
		_, err := mustNewClient(t, srv.URL, otherPin).SendCheckin(context.Background(), "tdagent_1_x", checkin)
		if err == nil {
			t.Fatal("a server with another certificate was accepted")
		}
		for _, want := range []string{"not the pinned one", pinOf(srv)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		// A transport failure, which the agent retries, not an answer.
		var se *agent.StatusError
		if errors.As(err, &se) {
			t.Errorf("a pin mismatch reported as an answer %d", se.Status)
		}
		if reached.Load() != before {
			t.Error("the request reached the server despite the mismatch")
		}
	})

	t.Run("ErrNoPinUntrusted", func(t *testing.T) {
		// Without a pin the usual verification applies: the self-signed
		// certificate is not trusted.
		_, err := mustNewClient(t, srv.URL, "").SendCheckin(context.Background(), "tdagent_1_x", checkin)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("an untrusted certificate without a pin: %v; want a certificate error", err)
		}
	})
}

// received is what a test server saw of one request.
type received struct {
	path, encoding, contentType, authorization, userAgent string
	sent                                                  int    // bytes as sent
	body                                                  []byte // after gzip is undone
}

// recordingServer answers every POST with answer and keeps what it saw.
func recordingServer(t *testing.T, status int, answer string) (*httptest.Server, func() []received) {
	t.Helper()
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		rec := received{path: r.URL.Path, encoding: r.Header.Get("Content-Encoding"), contentType: r.Header.Get("Content-Type"),
			authorization: r.Header.Get("Authorization"), userAgent: r.Header.Get("User-Agent"), sent: len(raw), body: raw}
		if rec.encoding == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err == nil {
				rec.body, err = io.ReadAll(zr)
			}
			if err != nil {
				t.Errorf("the body is not valid gzip: %v", err)
			}
		}
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

// bodyOf is a JSON object of exactly n bytes.
func bodyOf(n int) []byte {
	const head, tail = `{"seq":1,"pad":"`, `"}`
	return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
}

// TestClientGzip: bodies above 2 KiB go gzipped, smaller ones as they
// are (compressing a few hundred bytes costs more than it saves), and the
// server gets back exactly what was sent either way.
func TestClientGzip(t *testing.T) {
	srv, got := recordingServer(t, http.StatusOK, `{}`)
	c := mustNewClient(t, srv.URL, "")
	for _, tc := range []struct {
		size   int
		zipped bool
	}{
		{100, false},
		{2048, false},
		{2049, true},
		{1 << 20, true},
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			body := bodyOf(tc.size)
			before := len(got())
			if _, err := c.SendInventory(context.Background(), "tdagent_7_secret", body); err != nil {
				t.Fatal(err)
			}
			all := got()
			if len(all) != before+1 {
				t.Fatalf("the server saw %d requests; want 1", len(all)-before)
			}
			r := all[len(all)-1]
			if zipped := r.encoding == "gzip"; zipped != tc.zipped {
				t.Fatalf("Content-Encoding %q for %d bytes; want gzip %v", r.encoding, tc.size, tc.zipped)
			}
			if !tc.zipped && r.encoding != "" {
				t.Fatalf("Content-Encoding %q on a body sent as it is", r.encoding)
			}
			if !bytes.Equal(r.body, body) {
				t.Fatalf("the server got %d bytes, not the %d sent", len(r.body), len(body))
			}
			if tc.zipped && r.sent >= tc.size {
				t.Fatalf("gzipped, %d bytes went as %d", tc.size, r.sent)
			}
			if r.path != agentproto.PathInventory || r.contentType != "application/json" || r.authorization != "Bearer tdagent_7_secret" ||
				r.userAgent != "tandem-agent/"+agent.Version {
				t.Fatalf("request %+v", r)
			}
		})
	}
}

// TestClientAnswers: the answers of the protocol as the agent reads them.
func TestClientAnswers(t *testing.T) {
	t.Run("Checkin", func(t *testing.T) {
		// Fields the agent does not know are ignored: the server may add
		// some in a later version.
		srv, got := recordingServer(t, http.StatusOK, `{"config": {"revision": 4, "checkin_interval_s": 60, "checks": [{"id": 12, "kind": "service", "name": "nginx", "target": "nginx.service"}]},
			"credential": "tdagent_42_new", "send_inventory": true, "added_in_a_later_version": [1, 2]}`)
		resp, err := mustNewClient(t, srv.URL, "").SendCheckin(context.Background(), "tdagent_42_old", []byte(`{"seq":5}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Credential != "tdagent_42_new" || !resp.SendInventory || resp.Duplicate || resp.Config == nil || resp.Config.Revision != 4 ||
			len(resp.Config.Checks) != 1 || resp.Config.Checks[0].Target != "nginx.service" {
			t.Fatalf("answer %+v (config %+v)", resp, resp.Config)
		}
		if r := got(); len(r) != 1 || r[0].path != agentproto.PathCheckin || string(r[0].body) != `{"seq":5}` || r[0].authorization != "Bearer tdagent_42_old" {
			t.Fatalf("requests %+v", r)
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		srv, _ := recordingServer(t, http.StatusOK, `{"duplicate": true}`)
		resp, err := mustNewClient(t, srv.URL, "").SendInventory(context.Background(), "tdagent_42_x", []byte(`{"seq":5}`))
		if err != nil || !resp.Duplicate {
			t.Fatalf("%+v, %v; want a duplicate", resp, err)
		}
	})

	t.Run("Enroll", func(t *testing.T) {
		srv, got := recordingServer(t, http.StatusCreated, `{"device_id": 42, "credential": "tdagent_42_x", "config": {"revision": 3, "checks": []}}`)
		resp, err := mustNewClient(t, srv.URL, "").Enroll(context.Background(), &agentproto.EnrollRequest{Token: "tdenroll_x", Hostname: "web-01", OS: "linux", Arch: "amd64"})
		if err != nil || resp.DeviceID != 42 || resp.Credential != "tdagent_42_x" || resp.Config.Revision != 3 {
			t.Fatalf("%+v, %v", resp, err)
		}
		// The token is in the body; there is no credential yet.
		if r := got(); len(r) != 1 || r[0].path != agentproto.PathEnroll || r[0].authorization != "" || !bytes.Contains(r[0].body, []byte(`"token":"tdenroll_x"`)) {
			t.Fatalf("requests %+v", r)
		}
	})

	t.Run("ErrStatus", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			status        int
			answer        string
			code, message string
		}{
			{"ProtocolError", 400, `{"error": {"code": "bad_request", "message": "metrics.cpu_pct: must be a percentage from 0 to 100, not 140."}}`,
				"bad_request", "metrics.cpu_pct: must be a percentage from 0 to 100, not 140."},
			{"Refused", 401, `{"error": {"code": "unauthorized", "message": "The agent's credential is not valid or was revoked."}}`,
				"unauthorized", "The agent's credential is not valid or was revoked."},
			// A proxy's or the web UI's HTML page: the status alone.
			{"HTML", 404, `<!doctype html><title>Not found</title>`, "", ""},
			{"Empty", 502, ``, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv, _ := recordingServer(t, tc.status, tc.answer)
				_, err := mustNewClient(t, srv.URL, "").SendCheckin(context.Background(), "tdagent_1_x", []byte(`{"seq":1}`))
				var se *agent.StatusError
				if !errors.As(err, &se) {
					t.Fatalf("%v; want a StatusError", err)
				}
				if se.Status != tc.status || se.Code != tc.code || se.Message != tc.message {
					t.Fatalf("%+v; want %d %q %q", se, tc.status, tc.code, tc.message)
				}
				if want := fmt.Sprintf("the server answered %d", tc.status); !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.message) {
					t.Fatalf("error %q; want %q and the message", err, want)
				}
			})
		}
	})
}

// TestStatusErrorRetry: a message is given up only when the server
// refused the message itself; any other answer (a proxy, a wrong URL, an
// overloaded server) may pass, and the message is sent again.
func TestStatusErrorRetry(t *testing.T) {
	for _, tc := range []struct {
		status int
		retry  bool
	}{
		{http.StatusBadRequest, false},
		{http.StatusRequestEntityTooLarge, false},
		{http.StatusUnprocessableEntity, false},
		{http.StatusUnauthorized, true}, // the agent stops on it (ErrRefused) before asking
		{http.StatusForbidden, true},
		{http.StatusNotFound, true},
		{http.StatusMethodNotAllowed, true},
		{http.StatusRequestTimeout, true},
		{http.StatusConflict, true},
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
		{http.StatusGatewayTimeout, true},
		{http.StatusMovedPermanently, true},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			if got := (&agent.StatusError{Status: tc.status}).Retry(); got != tc.retry {
				t.Fatalf("Retry() of %d = %v; want %v", tc.status, got, tc.retry)
			}
		})
	}
}
