package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
	"github.com/tandemhq/tandem/internal/secret"
)

// Check-ins are the hot path: 100,000 agents every minute, each check-in
// durable before it is answered. They do not take a transaction each:
// requests queue their check-in for the one ingest loop of this process,
// which writes everything queued in one transaction with a few statements
// (every device row read in one query, samples inserted many rows at a
// time; on PostgreSQL one statement, committed on its own when the batch
// writes only figures), commits once, and answers every request of the
// batch with that commit's result. While a batch commits the next one
// fills, so the batch grows with the load.

// maxCheckinBatch bounds one batch: its statements and its answers' wait.
const maxCheckinBatch = 2000

// A batch smaller than lingerBelow waits up to checkinLinger for more
// check-ins before it is written, as PostgreSQL's commit_delay does: at a
// moderate rate, commits would otherwise be as fast as the disk and hold a
// few check-ins each, and every commit has a cost of its own (the fsync,
// the statements, SQLite's page-cache sweep after a B-tree page split).
// An agent waits 2 ms more at most.
const (
	checkinLinger = 2 * time.Millisecond
	lingerBelow   = 64
)

type checkinJob struct {
	deviceID   int64
	credential string
	m          *agentproto.Checkin
	queued     time.Time
	done       chan checkinResult
}

type checkinResult struct {
	resp *agentproto.CheckinResponse
	err  error
}

// checkinQueue is the ingest loop of one DB.
type checkinQueue struct {
	once sync.Once
	jobs chan *checkinJob
	// batchTimes and waits are for /metrics: each batch's time to store,
	// and each check-in's wait before its batch began.
	batchTimes, waits timeHistogram
}

// Checkin implements tandem.AgentService.
func (s *DeviceService) Checkin(ctx context.Context, credential string, m *agentproto.Checkin) (*agentproto.CheckinResponse, error) {
	id, ok := tandem.ParseAgentCredential(credential)
	if !ok {
		return nil, agentRefused()
	}
	q := &s.db.checkins
	q.once.Do(func() {
		q.jobs = make(chan *checkinJob, 4*maxCheckinBatch)
		go s.db.ingestCheckins(q.jobs)
	})
	job := &checkinJob{deviceID: id, credential: credential, m: m, queued: time.Now(), done: make(chan checkinResult, 1)}
	select {
	case q.jobs <- job:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.db.closing:
		return nil, tandem.Errorf(tandem.EUNAVAILABLE, "The server is shutting down: send the check-in again.")
	}
	select {
	case r := <-job.done:
		return r.resp, r.err
	case <-ctx.Done():
		// The check-in may still be stored: the agent sends it again and
		// hears it was a duplicate.
		return nil, ctx.Err()
	}
}

func agentRefused() error {
	return tandem.Errorf(tandem.EUNAUTHORIZED, "The agent's credential is not valid or was revoked: enrol the agent again (tandem-agent enroll).")
}

// ingestCheckins is the loop: one batch at a time until the DB closes.
func (db *DB) ingestCheckins(jobs chan *checkinJob) {
	var carry []*checkinJob
	for {
		var batch []*checkinJob
		if len(carry) > 0 {
			batch, carry = carry, nil
		} else {
			select {
			case j := <-jobs:
				batch = append(batch, j)
			case <-db.closing:
				return
			}
		}
		batch = fillBatch(batch, jobs, db.closing)
		// A device's second check-in in one batch waits for the next: the
		// agent sends in order, so this is a retry racing its original.
		seen := make(map[int64]bool, len(batch))
		now := batch[:0:0]
		for _, j := range batch {
			if seen[j.deviceID] {
				carry = append(carry, j)
				continue
			}
			seen[j.deviceID] = true
			now = append(now, j)
		}
		start := time.Now()
		for _, j := range now {
			db.checkins.waits.observe(start.Sub(j.queued))
		}
		results, err := db.storeCheckins(context.Background(), now)
		db.checkins.batchTimes.observe(time.Since(start))
		for i, j := range now {
			if err != nil {
				j.done <- checkinResult{err: err}
			} else {
				j.done <- results[i]
			}
		}
	}
}

// fillBatch adds the check-ins queued to batch, up to maxCheckinBatch; a
// batch still smaller than lingerBelow waits for more until its oldest
// check-in has waited checkinLinger.
func fillBatch(batch []*checkinJob, jobs <-chan *checkinJob, closing <-chan struct{}) []*checkinJob {
	var linger *time.Timer
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for len(batch) < maxCheckinBatch {
		select {
		case j := <-jobs:
			batch = append(batch, j)
			continue
		default:
		}
		if len(batch) >= lingerBelow {
			return batch
		}
		if linger == nil {
			// Counted from the oldest check-in's arrival: those that
			// queued during the last commit have waited already.
			wait := time.Until(batch[0].queued.Add(checkinLinger))
			if wait <= 0 {
				return batch
			}
			linger = time.NewTimer(wait)
		}
		select {
		case j := <-jobs:
			batch = append(batch, j)
		case <-linger.C:
			return batch
		case <-closing:
			return batch
		}
	}
	return batch
}

// deviceRow is what a check-in needs of its device.
type deviceRow struct {
	orgID          int64
	group          string
	hash, pending  string
	rotate         bool
	status         tandem.DeviceStatus
	lastSeq        int64
	interval       int
	hasInventory   bool
	configRevision int64
}

// authenticates says whether credential is the device's (or the new one
// waiting after a rotation, viaPending) and the device is not revoked.
func (d *deviceRow) authenticates(credential string) (viaPending, ok bool) {
	if d == nil || d.status == tandem.DeviceRevoked {
		return false, false
	}
	hash := []byte(secret.Hash(credential))
	if d.pending != "" && subtle.ConstantTimeCompare(hash, []byte(d.pending)) == 1 {
		return true, true
	}
	return false, subtle.ConstantTimeCompare(hash, []byte(d.hash)) == 1
}

// promoteCredential retires a device's old credential once its agent used
// the new one.
func (tx *Tx) promoteCredential(ctx context.Context, id, orgID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET credential_hash = pending_credential_hash, pending_credential_hash = NULL, rotate_requested = ? WHERE id = ?`, false, id); err != nil {
		return err
	}
	return tx.deviceEvent(ctx, id, orgID, tandem.DeviceEventRotated, map[string]any{})
}

// acceptedCheckin is a check-in that passed its device's checks.
type acceptedCheckin struct {
	job *checkinJob
	dev *deviceRow
}

// storeCheckins writes one batch in one transaction (or, on PostgreSQL,
// one statement); results[i] answers jobs[i] once it is committed.
func (db *DB) storeCheckins(ctx context.Context, jobs []*checkinJob) ([]checkinResult, error) {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.deviceID
	}
	// On PostgreSQL the devices are read outside a transaction, as READ
	// COMMITTED would read them in one, and a batch that only writes
	// figures (the steady state) writes them in one statement committed
	// on its own: two round trips instead of four, each of which wakes
	// this loop behind the request goroutines of a busy server. A batch
	// with more to write (a device coming online, a credential, a
	// configuration, local checks) takes a transaction.
	var tx *Tx
	var err error
	if db.dialect == Postgres {
		tx = db.autocommit()
	} else if tx, err = db.beginWrite(ctx); err != nil {
		return nil, err
	}
	defer tx.Rollback()
	devices, err := tx.checkinDevices(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Each credential is hashed once: the choice of a transaction and the
	// loop below both need the verdicts.
	verdicts := make([]verdict, len(jobs))
	for i, j := range jobs {
		verdicts[i].viaPending, verdicts[i].ok = devices[j.deviceID].authenticates(j.credential)
	}
	if tx.autocommitted() && !onlyFigures(jobs, devices, verdicts) {
		if tx, err = db.beginWrite(ctx); err != nil {
			return nil, err
		}
		defer tx.Rollback()
	}
	results := make([]checkinResult, len(jobs))
	var accepted []acceptedCheckin
	configs := map[[2]any]*agentproto.Config{}
	for i, j := range jobs {
		d := devices[j.deviceID]
		viaPending := verdicts[i].viaPending
		if !verdicts[i].ok {
			results[i].err = agentRefused()
			continue
		}
		resp := &agentproto.CheckinResponse{}
		results[i].resp = resp
		if j.m.Seq <= d.lastSeq {
			resp.Duplicate = true
			continue
		}
		if j.m.ConfigRevision != d.configRevision {
			key := [2]any{d.orgID, d.group}
			if configs[key] == nil {
				if configs[key], err = tx.agentConfig(ctx, d.orgID, d.group); err != nil {
					return nil, err
				}
			}
			resp.Config = configs[key]
		}
		resp.SendInventory = !d.hasInventory
		switch {
		case viaPending:
			if err := tx.promoteCredential(ctx, j.deviceID, d.orgID); err != nil {
				return nil, err
			}
		case d.rotate:
			// Handed out again at every check-in until the agent uses it:
			// an answer lost on the way loses no credential.
			cred := tandem.AgentCredential(j.deviceID, secret.New(""))
			if _, err := tx.ExecContext(ctx, `UPDATE devices SET pending_credential_hash = ? WHERE id = ?`, secret.Hash(cred), j.deviceID); err != nil {
				return nil, err
			}
			resp.Credential = cred
		}
		accepted = append(accepted, acceptedCheckin{job: j, dev: d})
	}
	if len(accepted) > 0 {
		if err := tx.writeCheckins(ctx, accepted); err != nil {
			return nil, err
		}
		if err := tx.recordCheckStates(ctx, accepted); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return results, nil
}

// verdict is what a check-in's credential says (deviceRow.authenticates).
type verdict struct{ viaPending, ok bool }

// onlyFigures says whether the batch's check-ins, once stored, write
// nothing but the devices' figures, samples and rollups: one statement on
// PostgreSQL, safe without a transaction.
func onlyFigures(jobs []*checkinJob, devices map[int64]*deviceRow, verdicts []verdict) bool {
	for i, j := range jobs {
		d := devices[j.deviceID]
		if !verdicts[i].ok || j.m.Seq <= d.lastSeq {
			continue // refused or a duplicate: nothing written
		}
		if verdicts[i].viaPending || d.rotate || d.status != tandem.DeviceOnline || j.m.ConfigRevision != d.configRevision || len(j.m.Checks) > 0 {
			return false
		}
	}
	return true
}

// checkinDevices reads the devices of a batch in one query.
func (tx *Tx) checkinDevices(ctx context.Context, ids []int64) (map[int64]*deviceRow, error) {
	q := `SELECT d.id, d.organization_id, d.device_group, d.credential_hash, COALESCE(d.pending_credential_hash, ''), d.rotate_requested, d.status,
		d.last_seq, d.checkin_interval_s, d.inventory_at IS NOT NULL, COALESCE(r.revision, 0)
		FROM devices d LEFT JOIN agent_config_revisions r ON r.organization_id = d.organization_id WHERE d.id `
	var args []any
	if tx.db.dialect == Postgres {
		q += `= ANY(?)`
		args = []any{ids}
	} else {
		q += `IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	out := make(map[int64]*deviceRow, len(ids))
	err := tx.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		d := &deviceRow{}
		var id int64
		if err := rows.Scan(&id, &d.orgID, &d.group, &d.hash, &d.pending, &d.rotate, &d.status, &d.lastSeq, &d.interval, &d.hasInventory, &d.configRevision); err != nil {
			return err
		}
		out[id] = d
		return nil
	})
	return out, err
}

// sampleRowsPerInsert is how many samples one INSERT writes on SQLite; a
// fixed size keeps the statement cached.
const sampleRowsPerInsert = 50

// writeCheckins updates the devices' latest figures and inserts their
// samples.
func (tx *Tx) writeCheckins(ctx context.Context, cs []acceptedCheckin) error {
	type row struct {
		id, seq, uptime, dropped  int64
		at, offline               time.Time
		cpu, mem, swap, disk, ld1 float64
		latest                    string
		failing                   int
		cameOnline                bool
		orgID                     int64
	}
	rows := make([]row, len(cs))
	for i, c := range cs {
		m := c.job.m
		latest, err := json.Marshal(m.Metrics)
		if err != nil {
			return err
		}
		failing := 0
		for _, r := range m.Checks {
			if r.State != agentproto.CheckOK {
				failing++
			}
		}
		// The deadline counts from when the server heard the agent, not
		// from the agent's clock.
		rows[i] = row{id: c.job.deviceID, seq: m.Seq, uptime: m.Metrics.UptimeSeconds, dropped: m.DroppedMetrics,
			at: m.At.UTC().Truncate(time.Microsecond), offline: tx.now.Add(time.Duration(agentproto.OfflineAfterIntervals*c.dev.interval) * time.Second),
			cpu: m.Metrics.CPUPercent, mem: m.Metrics.MemoryPercent(), swap: m.Metrics.SwapPercent(), disk: m.Metrics.FullestVolume(), ld1: m.Metrics.Load1,
			latest: string(latest), failing: failing, cameOnline: c.dev.status != tandem.DeviceOnline, orgID: c.dev.orgID}
	}
	// A device came online when its row changed: another writer may have
	// stored the same check-in first.
	recordOnline := func(updated map[int64]bool) error {
		for _, r := range rows {
			if r.cameOnline && updated[r.id] {
				if err := tx.deviceEvent(ctx, r.id, r.orgID, tandem.DeviceEventOnline, map[string]any{}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if tx.db.dialect == Postgres {
		n := len(rows)
		ids, seqs, uptimes, dropped := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ats, offs := make([]time.Time, n), make([]time.Time, n)
		cpus, mems, swaps, disks, loads := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		latests, failing := make([]string, n), make([]int64, n)
		for i, r := range rows {
			ids[i], seqs[i], uptimes[i], dropped[i] = r.id, r.seq, r.uptime, r.dropped
			ats[i], offs[i] = r.at, r.offline
			cpus[i], mems[i], swaps[i], disks[i], loads[i] = r.cpu, r.mem, r.swap, r.disk, r.ld1
			latests[i], failing[i] = r.latest, int64(r.failing)
		}
		// One statement, one round trip, the arrays sent once: the device
		// rows, then a sample for each device updated, then the hourly
		// rollup of each sample inserted. The deadline is set only when a
		// device comes online (see device_offline.go); an unchanged value
		// keeps the update HOT. Each step is guarded, so a check-in that
		// another writer (an agent's retry on another replica) stored first
		// changes nothing: the device's sequence moved past it, its sample
		// exists, and its rollup is not counted twice.
		updated := make(map[int64]bool, n)
		err := tx.eachRow(ctx, `WITH m AS (
				SELECT * FROM unnest(?::bigint[], ?::timestamptz[], ?::timestamptz[], ?::bigint[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])
					AS m(id, at, offline, seq, cpu, mem, swap, disk, ld1, uptime, latest, dropped, failing)),
			u AS (UPDATE devices d SET status = 'online', last_seen_at = ?,
				offline_at = CASE WHEN d.status = 'online' AND d.offline_at IS NOT NULL THEN d.offline_at ELSE m.offline END, last_seq = m.seq,
				cpu_pct = m.cpu, memory_pct = m.mem, disk_pct = m.disk, uptime_s = m.uptime, latest = m.latest, dropped_metrics = m.dropped, checks_failing = m.failing
				FROM m WHERE d.id = m.id AND d.status <> 'revoked' AND d.last_seq < m.seq RETURNING d.id),
			s AS (INSERT INTO device_samples (device_id, seq, at, cpu_pct, memory_pct, swap_pct, disk_pct, load1)
				SELECT m.id, m.seq, m.at, m.cpu, m.mem, m.swap, m.disk, m.ld1 FROM m JOIN u ON u.id = m.id
				ON CONFLICT DO NOTHING RETURNING device_id, at, cpu_pct, memory_pct, disk_pct),
			rolled AS (INSERT INTO device_rollups AS r (device_id, hour, samples, cpu_sum, cpu_max, memory_sum, memory_max, disk_max)
				SELECT device_id, date_trunc('hour', at), 1, cpu_pct, cpu_pct, memory_pct, memory_pct, disk_pct FROM s
				ON CONFLICT (device_id, hour) DO UPDATE SET `+rollupAdd+`)
			SELECT id FROM u`,
			[]any{ids, ats, offs, seqs, cpus, mems, swaps, disks, loads, uptimes, latests, dropped, failing, tx.now},
			func(rs *sql.Rows) error {
				var id int64
				err := rs.Scan(&id)
				updated[id] = true
				return err
			})
		if err != nil {
			return err
		}
		return recordOnline(updated)
	}
	updated, stored := make(map[int64]bool, len(rows)), rows[:0:0]
	for _, r := range rows {
		// An online device's update names neither its status nor its
		// deadline, so SQLite leaves the deadline's index alone: the
		// scheduler moves deadlines (device_offline.go). The status was
		// read in this transaction, and SQLite has one writer; the
		// guards are PostgreSQL's, kept so both store the same.
		q, args := `UPDATE devices SET last_seen_at = ?, last_seq = ?`, []any{at(tx.now), r.seq}
		if r.cameOnline {
			q, args = `UPDATE devices SET status = 'online', offline_at = ?, last_seen_at = ?, last_seq = ?`, []any{at(r.offline), at(tx.now), r.seq}
		}
		res, err := tx.ExecContext(ctx, q+`, cpu_pct = ?, memory_pct = ?, disk_pct = ?, uptime_s = ?, latest = ?, dropped_metrics = ?, checks_failing = ?
			WHERE id = ? AND status <> 'revoked' AND last_seq < ?`,
			append(args, r.cpu, r.mem, r.disk, r.uptime, r.latest, r.dropped, r.failing, r.id, r.seq)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			updated[r.id] = true
			stored = append(stored, r)
		}
	}
	if err := recordOnline(updated); err != nil {
		return err
	}
	rows = stored
	const cols = 8
	all := rows
	insert := func(rs []row) error {
		q := `INSERT INTO device_samples (device_id, seq, at, cpu_pct, memory_pct, swap_pct, disk_pct, load1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?)`, len(rs)-1) + ` ON CONFLICT DO NOTHING`
		args := make([]any, 0, len(rs)*cols)
		for _, r := range rs {
			args = append(args, r.id, r.seq, at(r.at), r.cpu, r.mem, r.swap, r.disk, r.ld1)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	for len(rows) >= sampleRowsPerInsert {
		if err := insert(rows[:sampleRowsPerInsert]); err != nil {
			return err
		}
		rows = rows[sampleRowsPerInsert:]
	}
	for i := range rows {
		if err := insert(rows[i : i+1]); err != nil {
			return err
		}
	}
	for _, r := range all {
		if _, err := tx.ExecContext(ctx, `INSERT INTO device_rollups AS r (device_id, hour, samples, cpu_sum, cpu_max, memory_sum, memory_max, disk_max)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT (device_id, hour) DO UPDATE SET `+rollupAdd,
			r.id, at(r.at.Truncate(time.Hour)), r.cpu, r.cpu, r.mem, r.mem, r.disk); err != nil {
			return err
		}
	}
	return nil
}

// rollupAdd adds a sample (excluded) to its device's hourly rollup (r).
const rollupAdd = `samples = r.samples + 1, cpu_sum = r.cpu_sum + excluded.cpu_sum, memory_sum = r.memory_sum + excluded.memory_sum,
	cpu_max = CASE WHEN excluded.cpu_max > r.cpu_max THEN excluded.cpu_max ELSE r.cpu_max END,
	memory_max = CASE WHEN excluded.memory_max > r.memory_max THEN excluded.memory_max ELSE r.memory_max END,
	disk_max = CASE WHEN excluded.disk_max > r.disk_max THEN excluded.disk_max ELSE r.disk_max END`

// recordCheckStates keeps the local checks' states: a row and a history
// entry only when a check's state changes, not for every result.
func (tx *Tx) recordCheckStates(ctx context.Context, cs []acceptedCheckin) error {
	var ids []any
	for _, c := range cs {
		if len(c.job.m.Checks) > 0 {
			ids = append(ids, c.job.deviceID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type key struct{ device, check int64 }
	current := map[key]agentproto.CheckState{}
	err := tx.eachRow(ctx, `SELECT device_id, check_id, state FROM device_checks WHERE device_id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`)`, ids,
		func(rows *sql.Rows) error {
			var k key
			var st agentproto.CheckState
			if err := rows.Scan(&k.device, &k.check, &st); err != nil {
				return err
			}
			current[k] = st
			return nil
		})
	if err != nil {
		return err
	}
	for _, c := range cs {
		for _, r := range c.job.m.Checks {
			old, known := current[key{c.job.deviceID, r.CheckID}]
			if known && old == r.State {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO device_checks (device_id, check_id, state, output, since) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (device_id, check_id) DO UPDATE SET state = excluded.state, output = excluded.output, since = excluded.since`,
				c.job.deviceID, r.CheckID, r.State, r.Output, at(tx.now)); err != nil {
				return err
			}
			from := ""
			if known {
				from = string(old)
			}
			if err := tx.deviceEvent(ctx, c.job.deviceID, c.dev.orgID, tandem.DeviceEventCheck, map[string]any{
				"check": r.CheckID, "from": from, "to": r.State, "output": r.Output}); err != nil {
				return err
			}
		}
	}
	return nil
}
