package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// deviceWorld is the standard cast with the device service.
type deviceWorld struct {
	*world
	Devices *sqlstore.DeviceService
	Sched   *sqlstore.Scheduler
}

func newDeviceWorld(t testing.TB, db *sqlstore.DB) *deviceWorld {
	t.Helper()
	return &deviceWorld{world: newWorld(t, db), Devices: sqlstore.NewDeviceService(db), Sched: sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))}
}

// mustToken creates an enrolment token of org as u.
func (w *deviceWorld) mustEnrollment(t testing.TB, u *tandem.User, orgID int64, uses *int) *tandem.EnrollmentToken {
	t.Helper()
	tok := &tandem.EnrollmentToken{OrganizationID: orgID, Description: "laptops", Group: "laptops", MaxUses: uses}
	if err := w.Devices.CreateEnrollmentToken(as(t, u), tok, 7*24*time.Hour); err != nil {
		t.Fatalf("create enrolment token as %s: %v", u.Email, err)
	}
	return tok
}

func (w *deviceWorld) mustEnroll(t testing.TB, token, host string) *agentproto.EnrollResponse {
	t.Helper()
	resp, err := w.Devices.Enroll(context.Background(), &agentproto.EnrollRequest{Token: token, Hostname: host, OS: "linux", Arch: "amd64", AgentVersion: "test"}, "192.0.2.7")
	if err != nil {
		t.Fatalf("enroll %s: %v", host, err)
	}
	return resp
}

func checkin(seq int64, at time.Time, cpu float64, results ...agentproto.CheckResult) *agentproto.Checkin {
	return &agentproto.Checkin{Seq: seq, At: at, Checks: results, Metrics: agentproto.Metrics{CPUPercent: cpu, MemoryUsedBytes: 2 << 30, MemoryTotalBytes: 8 << 30,
		Volumes: []agentproto.Volume{{Mount: "/", FSType: "ext4", TotalBytes: 100 << 30, UsedBytes: 42 << 30}}, Users: []string{"ana"}}}
}

func TestDeviceEnrollment(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newDeviceWorld(t, db)
		two := 2
		mark := auditMark(t, db)
		tok := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, &two)
		if !strings.HasPrefix(tok.Token, tandem.EnrollmentTokenPrefix) {
			t.Fatalf("token %q lacks its prefix", tok.Token)
		}
		wantAudit(t, db, mark, "enrollment.create")

		t.Run("WhoMayCreate", func(t *testing.T) {
			for _, u := range []*tandem.User{w.ATech, w.AViewer, w.ARequester, w.Tech} {
				err := w.Devices.CreateEnrollmentToken(as(t, u), &tandem.EnrollmentToken{OrganizationID: w.OrgA.ID}, time.Hour)
				wantCode(t, err, tandem.EFORBIDDEN)
			}
			err := w.Devices.CreateEnrollmentToken(as(t, w.BAdmin), &tandem.EnrollmentToken{OrganizationID: w.OrgA.ID}, time.Hour)
			wantCode(t, err, tandem.ENOTFOUND)
			w.mustEnrollment(t, w.Admin, w.OrgA.ID, nil) // the provider's admin may
		})

		t.Run("UsesAreCounted", func(t *testing.T) {
			a := w.mustEnroll(t, tok.Token, "ws-01")
			b := w.mustEnroll(t, tok.Token, "ws-02")
			if a.DeviceID == b.DeviceID || a.Credential == b.Credential {
				t.Fatal("two enrolments share an identity")
			}
			_, err := w.Devices.Enroll(context.Background(), &agentproto.EnrollRequest{Token: tok.Token, Hostname: "ws-03", OS: "linux", Arch: "amd64"}, "")
			wantCode(t, err, tandem.EUNAUTHORIZED)
			d, err := w.Devices.FindDevice(as(t, w.ATech), a.DeviceID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Hostname != "ws-01" || d.Group != "laptops" || d.OrganizationID != w.OrgA.ID || d.Status != tandem.DeviceOffline {
				t.Fatalf("enrolled device = %+v", d)
			}
		})

		t.Run("ExpiredAndRevoked", func(t *testing.T) {
			revoked := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
			if err := w.Devices.RevokeEnrollmentToken(as(t, w.AAdmin), revoked.ID); err != nil {
				t.Fatal(err)
			}
			_, err := w.Devices.Enroll(context.Background(), &agentproto.EnrollRequest{Token: revoked.Token, Hostname: "x", OS: "linux", Arch: "amd64"}, "")
			wantCode(t, err, tandem.EUNAUTHORIZED)
			expiring := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
			w.Clock.Advance(8 * 24 * time.Hour)
			_, err = w.Devices.Enroll(context.Background(), &agentproto.EnrollRequest{Token: expiring.Token, Hostname: "x", OS: "linux", Arch: "amd64"}, "")
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestDeviceCheckins(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newDeviceWorld(t, db)
		tok := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
		a := w.mustEnroll(t, tok.Token, "ws-a")
		tokB := w.mustEnrollment(t, w.BAdmin, w.OrgB.ID, nil)
		b := w.mustEnroll(t, tokB.Token, "globex-1")
		ctx := context.Background()
		now := w.Clock.Now()

		resp, err := w.Devices.Checkin(ctx, a.Credential, checkin(1, now, 12.5))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Duplicate || !resp.SendInventory {
			t.Fatalf("first check-in answer = %+v, want stored and asking for the inventory", resp)
		}
		d, _ := w.Devices.FindDevice(as(t, w.AAdmin), a.DeviceID)
		if d.Status != tandem.DeviceOnline || d.CPUPercent == nil || *d.CPUPercent != 12.5 || d.LastSeenAt == nil || d.Latest == nil || len(d.Latest.Volumes) != 1 {
			t.Fatalf("device after a check-in = %+v", d)
		}

		t.Run("Idempotent", func(t *testing.T) {
			resp, err := w.Devices.Checkin(ctx, a.Credential, checkin(1, now, 99))
			if err != nil || !resp.Duplicate {
				t.Fatalf("replayed check-in = %+v, %v; want a duplicate", resp, err)
			}
			points, err := w.Devices.DeviceMetrics(as(t, w.AAdmin), a.DeviceID, now.Add(-time.Hour))
			if err != nil || len(points) != 1 || points[0].CPU != 12.5 {
				t.Fatalf("metrics = %+v, %v; want the one sample stored once", points, err)
			}
		})

		t.Run("SecondWriterChangesNothing", func(t *testing.T) {
			// The same check-in written again by a writer that read the
			// device before the first one committed: the device, its
			// sample, its hourly rollup and its events are as they were.
			events := `SELECT COUNT(*) FROM device_events WHERE device_id = ? AND kind = ?`
			before, err := sqlstore.CountRaw(db, events, a.DeviceID, tandem.DeviceEventOnline)
			if err != nil {
				t.Fatal(err)
			}
			if err := sqlstore.StoreCheckinAsStale(ctx, db, a.DeviceID, w.OrgA.ID, checkin(1, now, 99)); err != nil {
				t.Fatal(err)
			}
			samples, err := sqlstore.CountRaw(db, `SELECT samples FROM device_rollups WHERE device_id = ?`, a.DeviceID)
			if err != nil || samples != 1 {
				t.Errorf("rollup holds %d samples, %v; want the check-in counted once", samples, err)
			}
			after, err := sqlstore.CountRaw(db, events, a.DeviceID, tandem.DeviceEventOnline)
			if err != nil || after != before {
				t.Errorf("%d online events after the second write, %v; want %d", after, err, before)
			}
			d, err := w.Devices.FindDevice(as(t, w.AAdmin), a.DeviceID)
			if err != nil || d.CPUPercent == nil || *d.CPUPercent != 12.5 {
				t.Fatalf("device after the second write = %+v, %v; want the first write's figures", d, err)
			}
		})

		t.Run("CredentialIsBoundToItsDevice", func(t *testing.T) {
			// Device A's secret with device B's id: refused, B unchanged.
			_, secretA, _ := strings.Cut(strings.TrimPrefix(a.Credential, tandem.AgentCredentialPrefix), "_")
			forged := tandem.AgentCredential(b.DeviceID, secretA)
			_, err := w.Devices.Checkin(ctx, forged, checkin(5, now, 50))
			wantCode(t, err, tandem.EUNAUTHORIZED)
			_, err = w.Devices.Inventory(ctx, forged, &agentproto.InventoryReport{Seq: 6, At: now, Inventory: agentproto.Inventory{Hostname: "evil", OS: "linux"}})
			wantCode(t, err, tandem.EUNAUTHORIZED)
			db, err := w.Devices.FindDevice(as(t, w.BAdmin), b.DeviceID)
			if err != nil || db.Status != tandem.DeviceOffline || db.Hostname != "globex-1" {
				t.Fatalf("device B after a forged check-in = %+v, %v", db, err)
			}
			_, err = w.Devices.Checkin(ctx, "tdagent_1_short", checkin(7, now, 1))
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})

		t.Run("Scope", func(t *testing.T) {
			_, err := w.Devices.FindDevice(as(t, w.BAdmin), a.DeviceID)
			wantCode(t, err, tandem.ENOTFOUND)
			_, _, err = w.Devices.FindDevices(as(t, w.ARequester), tandem.DeviceFilter{})
			wantCode(t, err, tandem.EFORBIDDEN)
			list, _, err := w.Devices.FindDevices(as(t, w.Tech), tandem.DeviceFilter{})
			if err != nil || len(list) != 1 || list[0].ID != a.DeviceID {
				t.Fatalf("the technician assigned to A lists %v, %v; want A's device only", list, err)
			}
			list, _, _ = w.Devices.FindDevices(as(t, w.Admin), tandem.DeviceFilter{Search: "GLOBEX"})
			if len(list) != 1 || list[0].ID != b.DeviceID {
				t.Fatalf("search GLOBEX found %v", list)
			}
			// The counts the device list's tabs show, in the same scope.
			if c, err := w.Devices.CountDevices(as(t, w.Admin), nil); err != nil || c != (tandem.DeviceCounts{Total: 2, Online: 1, Offline: 1}) {
				t.Errorf("the provider admin counts %+v, %v; want A online and B offline", c, err)
			}
			if c, err := w.Devices.CountDevices(as(t, w.Tech), nil); err != nil || c.Total != 1 || c.Online != 1 {
				t.Errorf("the technician assigned to A counts %+v, %v; want A's device only", c, err)
			}
			if c, err := w.Devices.CountDevices(as(t, w.BAdmin), &w.OrgA.ID); err != nil || c.Total != 0 {
				t.Errorf("B's admin counts %+v of A's devices, %v; want none", c, err)
			}
			_, err = w.Devices.CountDevices(as(t, w.ARequester), nil)
			wantCode(t, err, tandem.EFORBIDDEN)
		})

		t.Run("ManyAtOnce", func(t *testing.T) {
			// Concurrent check-ins share batches; each is stored once.
			var creds []string
			for i := range 40 {
				creds = append(creds, w.mustEnroll(t, tok.Token, fmt.Sprintf("bulk-%02d", i)).Credential)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 40*5)
			for _, c := range creds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for seq := int64(1); seq <= 5; seq++ {
						if _, err := w.Devices.Checkin(ctx, c, checkin(seq, now.Add(time.Duration(seq)*time.Minute), float64(seq))); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM device_samples`); err != nil || n != 40*5+1 {
				t.Fatalf("samples = %d, %v; want %d", n, err, 40*5+1)
			}
		})

		t.Run("BatchesAndWaitsAreTimed", func(t *testing.T) {
			// /metrics shows the ingest on either database: one wait per
			// check-in, one time per batch, each batch holding at least one.
			c := w.mustEnroll(t, tok.Token, "ws-timed")
			waits0, _, _ := db.CheckinWaits()
			batches0, _, _ := db.CheckinBatchTimes()
			const sent = 3
			for seq := int64(1); seq <= sent; seq++ {
				if _, err := w.Devices.Checkin(ctx, c.Credential, checkin(seq, now, 10)); err != nil {
					t.Fatal(err)
				}
			}
			waits, waited, buckets := db.CheckinWaits()
			batches, took, _ := db.CheckinBatchTimes()
			if waits-waits0 != sent || waited <= 0 {
				t.Errorf("%d check-in waits counted (%v s in all), want %d", waits-waits0, waited, sent)
			}
			if batches-batches0 != sent || took <= 0 {
				t.Errorf("%d batches timed (%v s in all), want %d: each check-in waited for the one before it", batches-batches0, took, sent)
			}
			if buckets[2.5] > waits || buckets[.001] > buckets[2.5] {
				t.Errorf("wait buckets %v of %d are not cumulative", buckets, waits)
			}
		})

		t.Run("Revoked", func(t *testing.T) {
			mark := auditMark(t, db)
			if err := w.Devices.RevokeDevice(as(t, w.ATech), a.DeviceID); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Fatalf("an it-technician revoked a device: %v", err)
			}
			if err := w.Devices.RevokeDevice(as(t, w.AAdmin), a.DeviceID); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "device.revoke")
			_, err := w.Devices.Checkin(ctx, a.Credential, checkin(2, now, 1))
			wantCode(t, err, tandem.EUNAUTHORIZED)
		})
	})
}

func TestDeviceCredentialRotation(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newDeviceWorld(t, db)
		tok := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
		a := w.mustEnroll(t, tok.Token, "ws-a")
		ctx := context.Background()
		now := w.Clock.Now()
		if err := w.Devices.RotateDeviceCredential(as(t, w.Admin), a.DeviceID); err != nil {
			t.Fatal(err)
		}
		// The answer carrying the new credential is lost: the old one still
		// works and the next answer carries another.
		first, err := w.Devices.Checkin(ctx, a.Credential, checkin(1, now, 1))
		if err != nil || first.Credential == "" {
			t.Fatalf("check-in after rotation = %+v, %v; want a new credential", first, err)
		}
		second, err := w.Devices.Checkin(ctx, a.Credential, checkin(2, now, 1))
		if err != nil || second.Credential == "" || second.Credential == first.Credential {
			t.Fatalf("check-in after a lost answer = %+v, %v; want another new credential", second, err)
		}
		_, err = w.Devices.Checkin(ctx, first.Credential, checkin(3, now, 1))
		wantCode(t, err, tandem.EUNAUTHORIZED) // replaced by the second
		third, err := w.Devices.Checkin(ctx, second.Credential, checkin(3, now, 1))
		if err != nil || third.Credential != "" {
			t.Fatalf("check-in with the new credential = %+v, %v", third, err)
		}
		_, err = w.Devices.Checkin(ctx, a.Credential, checkin(4, now, 1))
		wantCode(t, err, tandem.EUNAUTHORIZED) // the old one is retired
	})
}

func TestDeviceInventoryAndChecks(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newDeviceWorld(t, db)
		tok := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
		a := w.mustEnroll(t, tok.Token, "ws-a")
		ctx := context.Background()
		now := w.Clock.Now()
		inv := agentproto.Inventory{Hostname: "ws-a", OS: "linux", OSName: "Debian GNU/Linux 12 (bookworm)", MemoryBytes: 8 << 30, Serial: "SN123",
			Software:       []agentproto.Software{{Name: "curl", Version: "7.88", Source: "dpkg"}, {Name: "vim", Version: "9.0", Source: "dpkg"}},
			PendingUpdates: []agentproto.PendingUpdate{{Name: "openssl", Version: "3.0.13"}}, UpdatesKnown: true}
		if _, err := w.Devices.Inventory(ctx, a.Credential, &agentproto.InventoryReport{Seq: 1, At: now, Inventory: inv}); err != nil {
			t.Fatal(err)
		}
		inv.Software = append(inv.Software[:1], agentproto.Software{Name: "htop", Version: "3.2", Source: "dpkg"})
		inv.MemoryBytes = 16 << 30
		if _, err := w.Devices.Inventory(ctx, a.Credential, &agentproto.InventoryReport{Seq: 2, At: now, Inventory: inv}); err != nil {
			t.Fatal(err)
		}
		d, _ := w.Devices.FindDevice(as(t, w.AAdmin), a.DeviceID)
		if d.Serial != "SN123" || d.PendingUpdates != 1 || d.UpdatesPendingSince == nil || d.MemoryBytes != 16<<30 {
			t.Fatalf("device after inventory = %+v", d)
		}
		got, err := w.Devices.DeviceInventory(as(t, w.ATech), a.DeviceID)
		if err != nil || len(got.Software) != 2 || got.Software[1].Name != "htop" {
			t.Fatalf("inventory = %+v, %v", got, err)
		}
		events, _ := w.Devices.DeviceEvents(as(t, w.AAdmin), a.DeviceID, 0)
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "software_removed,software_added,memory_changed,inventory,enrolled" {
			t.Fatalf("history = %v", kinds)
		}

		// A check configured for the organisation reaches the agent with the
		// next check-in, and only its state changes are kept.
		c := &tandem.AgentCheck{OrganizationID: w.OrgA.ID, Check: agentproto.Check{Kind: agentproto.CheckFileAge, Name: "Backup fresh", Target: "/var/backups/x.tar", Hours: 26}}
		if err := w.Devices.CreateAgentCheck(as(t, w.AAdmin), c); err != nil {
			t.Fatal(err)
		}
		resp, err := w.Devices.Checkin(ctx, a.Credential, checkin(3, now, 1))
		if err != nil || resp.Config == nil || len(resp.Config.Checks) != 1 || resp.Config.Checks[0].ID != c.ID || resp.SendInventory {
			t.Fatalf("answer = %+v, %v; want the new configuration", resp, err)
		}
		rev := resp.Config.Revision
		for i, st := range []agentproto.CheckState{agentproto.CheckOK, agentproto.CheckOK, agentproto.CheckFailing, agentproto.CheckFailing} {
			m := checkin(int64(4+i), now, 1, agentproto.CheckResult{CheckID: c.ID, State: st, Output: "age " + fmt.Sprint(i)})
			m.ConfigRevision = rev
			resp, err := w.Devices.Checkin(ctx, a.Credential, m)
			if err != nil || resp.Config != nil {
				t.Fatalf("check-in %d = %+v, %v; want no configuration (unchanged)", i, resp, err)
			}
		}
		checks, _ := w.Devices.DeviceChecks(as(t, w.AAdmin), a.DeviceID)
		if len(checks) != 1 || checks[0].State != agentproto.CheckFailing || checks[0].Output != "age 2" || checks[0].Name != "Backup fresh" {
			t.Fatalf("checks = %+v; want failing since the first failure", checks)
		}
		events, _ = w.Devices.DeviceEvents(as(t, w.AAdmin), a.DeviceID, 2)
		if len(events) != 2 || events[0].Kind != tandem.DeviceEventCheck || events[0].Summary["to"] != "failing" || events[1].Summary["to"] != "ok" {
			t.Fatalf("latest history = %+v; want ok then failing, once each", events)
		}
		d, _ = w.Devices.FindDevice(as(t, w.AAdmin), a.DeviceID)
		if d.ChecksFailing != 1 {
			t.Fatalf("checks failing = %d", d.ChecksFailing)
		}
		list, _, _ := w.Devices.FindDevices(as(t, w.AAdmin), tandem.DeviceFilter{Status: tandem.DeviceFilterFailing})
		if len(list) != 1 {
			t.Fatalf("failing filter found %d devices", len(list))
		}
		if c, _ := w.Devices.CountDevices(as(t, w.AAdmin), &w.OrgA.ID); c.Failing != 1 {
			t.Fatalf("counts %+v: want one device failing", c)
		}
	})
}

func TestDeviceOfflineAndRetention(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newDeviceWorld(t, db)
		tok := w.mustEnrollment(t, w.AAdmin, w.OrgA.ID, nil)
		a := w.mustEnroll(t, tok.Token, "ws-a")
		ctx := context.Background()
		start := w.Clock.Now()
		if _, err := w.Devices.Checkin(ctx, a.Credential, checkin(1, start, 1)); err != nil {
			t.Fatal(err)
		}
		// The retention runs at once (nothing to delete yet), then every 10
		// minutes; the deadline comes first.
		if _, err := w.Sched.RunDue(systemCtx(t), start); err != nil {
			t.Fatal(err)
		}
		wantNext := func(deadline time.Time) {
			t.Helper()
			next, err := w.Sched.NextDue(systemCtx(t))
			if err != nil || next.Before(deadline) || !next.Before(deadline.Add(5*time.Second)) {
				t.Fatalf("next due %v, %v; want within 5 s after %v", next, err, deadline)
			}
		}
		wantNext(start.Add(3 * time.Minute))
		// A check-in after 2 minutes: past the first deadline the device
		// stays online, its deadline 3 intervals after that check-in.
		w.Clock.Advance(2 * time.Minute)
		if _, err := w.Devices.Checkin(ctx, a.Credential, checkin(2, w.Clock.Now(), 1.5)); err != nil {
			t.Fatal(err)
		}
		if fired, _ := w.Sched.RunDue(systemCtx(t), start.Add(3*time.Minute)); fired["offline devices"] != 0 {
			t.Fatalf("marked offline though seen a minute ago: %v", fired)
		}
		wantNext(start.Add(5 * time.Minute))
		if fired, _ := w.Sched.RunDue(systemCtx(t), start.Add(4*time.Minute)); fired["offline devices"] != 0 {
			t.Fatalf("marked offline early: %v", fired)
		}
		// After the deadline it is marked; a second scheduler after it
		// finds nothing left to mark.
		fired, err := w.Sched.RunDue(systemCtx(t), start.Add(5*time.Minute))
		if err != nil || fired["offline devices"] != 1 {
			t.Fatalf("fired %v, %v; want the device offline", fired, err)
		}
		other := sqlstore.NewScheduler(db, sqlstore.NewSLAService(db))
		if fired, _ := other.RunDue(systemCtx(t), start.Add(6*time.Minute)); fired["offline devices"] != 0 {
			t.Fatalf("a second scheduler marked it again: %v", fired)
		}
		d, _ := w.Devices.FindDevice(as(t, w.AAdmin), a.DeviceID)
		if d.Status != tandem.DeviceOffline {
			t.Fatalf("status %s", d.Status)
		}
		w.Clock.Advance(5 * time.Minute)
		if _, err := w.Devices.Checkin(ctx, a.Credential, checkin(3, w.Clock.Now(), 2)); err != nil {
			t.Fatal(err)
		}
		events, _ := w.Devices.DeviceEvents(as(t, w.AAdmin), a.DeviceID, 3)
		if events[0].Kind != tandem.DeviceEventOnline || events[1].Kind != tandem.DeviceEventOffline {
			t.Fatalf("history = %+v", events)
		}

		// Three days on: the first samples are past the raw retention and
		// go, their hourly rollup stays and answers the chart.
		later := start.Add(72 * time.Hour)
		w.Clock.Advance(72 * time.Hour)
		if _, err := w.Devices.Checkin(ctx, a.Credential, checkin(4, later, 3)); err != nil {
			t.Fatal(err)
		}
		fired, err = w.Sched.RunDue(systemCtx(t), later)
		if err != nil || fired["metrics retention"] != 3 {
			t.Fatalf("retention fired %v, %v; want the 3 old samples deleted", fired, err)
		}
		if fired, _ := other.RunDue(systemCtx(t), later); fired["metrics retention"] != 0 {
			t.Fatalf("retention ran twice within its period: %v", fired)
		}
		points, err := w.Devices.DeviceMetrics(as(t, w.AAdmin), a.DeviceID, start.Add(-time.Hour))
		if err != nil || len(points) != 2 || points[0].CPU != 1.5 || points[0].CPUMax != 2 || points[1].CPU != 3 {
			t.Fatalf("metrics = %+v, %v; want the hour's rollup (avg 1.5, max 2) then the raw sample", points, err)
		}
	})
}
