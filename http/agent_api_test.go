package http_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
	"github.com/tandemhq/tandem/internal/testserver"
)

// plantDevice enrols a device into orgID through the services, with a
// check-in, an inventory and a local check, all named after marker; it
// returns the device, the enrolment token and the check.
func plantDevice(t *testing.T, ctx context.Context, s *testserver.Server, orgID int64, marker string) (device, enrollment, check int64) {
	t.Helper()
	tok := &tandem.EnrollmentToken{OrganizationID: orgID, Description: marker + " laptops"}
	if err := s.Services.Devices.CreateEnrollmentToken(ctx, tok, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Services.Devices.Enroll(context.Background(), &agentproto.EnrollRequest{Token: tok.Token, Hostname: marker + "-ws01", OS: "linux", Arch: "amd64"}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := s.Services.Devices.Checkin(context.Background(), resp.Credential, &agentproto.Checkin{Seq: 1, At: now, Metrics: agentproto.Metrics{CPUPercent: 5}}); err != nil {
		t.Fatal(err)
	}
	inv := agentproto.Inventory{Hostname: marker + "-ws01", OS: "linux", OSName: marker + " Linux", Software: []agentproto.Software{{Name: marker + "-payroll", Version: "1", Source: "dpkg"}}}
	if _, err := s.Services.Devices.Inventory(context.Background(), resp.Credential, &agentproto.InventoryReport{Seq: 2, At: now, Inventory: inv}); err != nil {
		t.Fatal(err)
	}
	c := &tandem.AgentCheck{OrganizationID: orgID, Check: agentproto.Check{Kind: agentproto.CheckProcess, Name: marker + " payroll daemon", Target: "payrolld"}}
	if err := s.Services.Devices.CreateAgentCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	return resp.DeviceID, tok.ID, c.ID
}

// agentPost sends a message as an agent would, gzipped when zip.
func agentPost(t *testing.T, s *testserver.Server, path, credential string, body []byte, zip bool) (int, string) {
	t.Helper()
	var r bytes.Buffer
	if zip {
		zw := gzip.NewWriter(&r)
		zw.Write(body)
		zw.Close()
	} else {
		r.Write(body)
	}
	req, _ := http.NewRequest(http.MethodPost, s.HTTPServer.URL()+path, &r)
	req.Header.Set("Content-Type", "application/json")
	if zip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp := send(t, req)
	return resp.Status, string(resp.Body)
}

func enrollOverHTTP(t *testing.T, s *testserver.Server, token, host string) agentproto.EnrollResponse {
	t.Helper()
	body, _ := json.Marshal(agentproto.EnrollRequest{Token: token, Hostname: host, OS: "linux", Arch: "amd64"})
	status, text := agentPost(t, s, agentproto.PathEnroll, "", body, true)
	if status != http.StatusCreated {
		t.Fatalf("enroll: %d %s", status, text)
	}
	var resp agentproto.EnrollResponse
	if err := json.Unmarshal([]byte(text), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func checkinBody(seq int64, cpu float64) []byte {
	b, _ := json.Marshal(agentproto.Checkin{Seq: seq, At: time.Now().UTC(), Metrics: agentproto.Metrics{CPUPercent: cpu,
		MemoryTotalBytes: 8 << 30, MemoryUsedBytes: 1 << 30, Volumes: []agentproto.Volume{{Mount: "/", TotalBytes: 1 << 40, UsedBytes: 1 << 39}}}})
	return b
}

// TestAgentCredentialIsolation: an agent's credential writes its own
// device only; another organisation's device, a forged credential and a
// revoked one are refused and change nothing.
func TestAgentCredentialIsolation(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		sys := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
		orgA := s.MustCreateOrganization(t, "Agent Victim")
		orgB := s.MustCreateOrganization(t, "Agent Outsider")
		deviceA, _, _ := plantDevice(t, sys, s, orgA.ID, "Victim")
		tokB := &tandem.EnrollmentToken{OrganizationID: orgB.ID}
		if err := s.Services.Devices.CreateEnrollmentToken(sys, tokB, time.Hour); err != nil {
			t.Fatal(err)
		}
		b := enrollOverHTTP(t, s, tokB.Token, "outsider")
		if status, text := agentPost(t, s, agentproto.PathCheckin, b.Credential, checkinBody(1, 10), true); status != http.StatusOK {
			t.Fatalf("own check-in: %d %s", status, text)
		}
		before := fingerprint(t, s)
		_, secretB, _ := strings.Cut(strings.TrimPrefix(b.Credential, tandem.AgentCredentialPrefix), "_")
		for name, cred := range map[string]string{
			"B's secret with A's id": tandem.AgentCredential(deviceA, secretB),
			"no credential":          "",
			"not a credential":       "tdm_abc",
			"B's id, made-up secret": tandem.AgentCredential(b.DeviceID, strings.Repeat("A", 43)),
		} {
			for _, path := range []string{agentproto.PathCheckin, agentproto.PathInventory} {
				body := checkinBody(99, 99)
				if path == agentproto.PathInventory {
					body, _ = json.Marshal(agentproto.InventoryReport{Seq: 99, At: time.Now(), Inventory: agentproto.Inventory{Hostname: "hijacked", OS: "linux"}})
				}
				if status, text := agentPost(t, s, path, cred, body, true); status != http.StatusUnauthorized {
					t.Errorf("%s to %s: %d %s; want 401", name, path, status, text)
				}
			}
		}
		if after := fingerprint(t, s); after != before {
			t.Fatal("a refused agent message changed the database")
		}
		// Revoked: refused at once.
		if err := s.Services.Devices.RevokeDevice(sys, b.DeviceID); err != nil {
			t.Fatal(err)
		}
		if status, _ := agentPost(t, s, agentproto.PathCheckin, b.Credential, checkinBody(2, 10), true); status != http.StatusUnauthorized {
			t.Fatalf("a revoked agent's check-in answered %d", status)
		}
	})
}

// TestAgentProtocolRefusals: bad messages get a 4xx naming what is wrong
// and store nothing.
func TestAgentProtocolRefusals(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		sys := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
		org := s.MustCreateOrganization(t, "Refusals")
		tok := &tandem.EnrollmentToken{OrganizationID: org.ID}
		if err := s.Services.Devices.CreateEnrollmentToken(sys, tok, time.Hour); err != nil {
			t.Fatal(err)
		}
		a := enrollOverHTTP(t, s, tok.Token, "ws-1")
		before := fingerprint(t, s)
		huge := `{"seq":1,"at":"2026-01-01T00:00:00Z","config_revision":0,"metrics":{"cpu_pct":1,"users":["` + strings.Repeat("x", agentproto.MaxCheckinBytes) + `"]}}`
		for _, tt := range []struct {
			name, body string
			zip        bool
			status     int
			says       string
		}{
			{"NotJSON", `seq=1`, true, 400, "not a valid JSON object"},
			{"UnknownField", `{"seq":1,"at":"2026-01-01T00:00:00Z","gpu_pct":3}`, true, 400, "gpu_pct"},
			{"NoSeq", `{"at":"2026-01-01T00:00:00Z"}`, true, 400, "seq"},
			{"CPUOver100", `{"seq":1,"at":"2026-01-01T00:00:00Z","metrics":{"cpu_pct":140}}`, true, 400, "metrics.cpu_pct"},
			{"WrongType", `{"seq":"one","at":"2026-01-01T00:00:00Z"}`, false, 400, "seq"},
			{"TwoObjects", `{"seq":1,"at":"2026-01-01T00:00:00Z"}{}`, true, 400, "more than one"},
			{"BadState", `{"seq":1,"at":"2026-01-01T00:00:00Z","checks":[{"check_id":1,"state":"meh","output":""}]}`, true, 400, "checks[0].state"},
			{"FutureTime", `{"seq":1,"at":"2099-01-01T00:00:00Z"}`, true, 400, "at"},
			{"TooLarge", huge, true, 413, "larger than"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				status, text := agentPost(t, s, agentproto.PathCheckin, a.Credential, []byte(tt.body), tt.zip)
				if status != tt.status || !strings.Contains(text, tt.says) {
					t.Fatalf("answered %d %s; want %d naming %q", status, text, tt.status, tt.says)
				}
			})
		}
		t.Run("NotGzip", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.HTTPServer.URL()+agentproto.PathCheckin, strings.NewReader("plain"))
			req.Header.Set("Content-Encoding", "gzip")
			req.Header.Set("Authorization", "Bearer "+a.Credential)
			if resp := send(t, req); resp.Status != 400 || !strings.Contains(string(resp.Body), "gzip") {
				t.Fatalf("answered %d %s", resp.Status, resp.Body)
			}
		})
		if after := fingerprint(t, s); after != before {
			t.Fatal("a refused message changed the database")
		}
		// Good ones are stored; a replay is a duplicate.
		for range 2 {
			status, text := agentPost(t, s, agentproto.PathCheckin, a.Credential, checkinBody(1, 10), false)
			if status != http.StatusOK {
				t.Fatalf("check-in: %d %s", status, text)
			}
		}
		status, text := agentPost(t, s, agentproto.PathCheckin, a.Credential, checkinBody(1, 10), true)
		if status != http.StatusOK || !strings.Contains(text, `"duplicate":true`) {
			t.Fatalf("replay: %d %s", status, text)
		}
		if n := countRows(t, s, fmt.Sprintf("SELECT COUNT(*) FROM device_samples WHERE device_id = %d", a.DeviceID)); n != 1 {
			t.Fatalf("%d samples stored, want 1", n)
		}
		status, text = agentPost(t, s, agentproto.PathEnroll, "", []byte(`{"token":"tdenroll_nope","hostname":"x","os":"linux","arch":"amd64","agent_version":""}`), false)
		if status != http.StatusUnauthorized || !strings.Contains(text, "enrolment token is not valid") {
			t.Fatalf("enrol with a bad token: %d %s", status, text)
		}
	})
}

func countRows(t *testing.T, s *testserver.Server, q string) int {
	t.Helper()
	db := openRaw(t, s)
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
