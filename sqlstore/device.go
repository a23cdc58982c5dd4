package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// deviceColumns are the columns of devices d that scanDevice reads.
const deviceColumns = `d.id, d.organization_id, d.hostname, d.os, d.os_name, d.os_version, d.kernel, d.arch, d.manufacturer, d.model, d.serial,
	d.memory_bytes, d.site, d.device_group, d.agent_version, d.status, d.enrolled_at, d.last_seen_at, d.revoked_at,
	d.cpu_pct, d.memory_pct, d.disk_pct, d.uptime_s, d.latest, d.checks_failing, d.dropped_metrics,
	d.pending_updates, d.updates_pending_since, d.reboot_required, d.inventory_at, d.checkin_interval_s`

func scanDevice(row scanner) (*tandem.Device, error) {
	d := &tandem.Device{}
	var cpu, mem, disk sql.NullFloat64
	var uptime sql.NullInt64
	var latest string
	var memBytes int64
	if err := row.Scan(&d.ID, &d.OrganizationID, &d.Hostname, &d.OS, &d.OSName, &d.OSVersion, &d.Kernel, &d.Arch, &d.Manufacturer, &d.Model, &d.Serial,
		&memBytes, &d.Site, &d.Group, &d.AgentVersion, &d.Status, scanTime(&d.EnrolledAt), scanTimePtr(&d.LastSeenAt), scanTimePtr(&d.RevokedAt),
		&cpu, &mem, &disk, &uptime, &latest, &d.ChecksFailing, &d.DroppedMetrics,
		&d.PendingUpdates, scanTimePtr(&d.UpdatesPendingSince), &d.RebootRequired, scanTimePtr(&d.InventoryAt), &d.CheckinInterval); err != nil {
		return nil, err
	}
	d.MemoryBytes = uint64(max(memBytes, 0))
	if cpu.Valid {
		d.CPUPercent, d.MemoryPercent, d.DiskPercent = &cpu.Float64, &mem.Float64, &disk.Float64
	}
	if uptime.Valid {
		d.UptimeSeconds = &uptime.Int64
	}
	if latest != "{}" && latest != "" {
		d.Latest = &agentproto.Metrics{}
		if err := json.Unmarshal([]byte(latest), d.Latest); err != nil {
			d.Latest = nil
		}
	}
	return d, nil
}

// deviceReadScope is the condition on devices d the actor may read: its
// organisations, and staff only (requesters see no devices).
func deviceReadScope(a *tandem.Actor) (string, []any, error) {
	if err := a.Can(tandem.ActionDeviceRead, a.OrganizationID); err != nil {
		return "", nil, err
	}
	cond, args := orgScope(a, "d.organization_id")
	return cond, args, nil
}

// findDevice reads a device in the actor's scope.
func (tx *Tx) findDevice(ctx context.Context, a *tandem.Actor, id int64) (*tandem.Device, error) {
	cond, args, err := deviceReadScope(a)
	if err != nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Device %d not found.", id)
	}
	d, err := scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices d WHERE d.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "Device "+strconv.FormatInt(id, 10))
	}
	return d, nil
}

// FindDevices implements tandem.DeviceService.
func (s *DeviceService) FindDevices(ctx context.Context, f tandem.DeviceFilter) ([]*tandem.Device, string, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	after, err := parseCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	cond, args, err := deviceReadScope(a)
	if err != nil {
		return nil, "", err
	}
	where := []string{cond, "d.id > ?"}
	args = append(args, after)
	if f.OrganizationID != nil {
		where, args = append(where, "d.organization_id = ?"), append(args, *f.OrganizationID)
	}
	switch f.Status {
	case "":
	case tandem.DeviceFilterFailing:
		where = append(where, "d.checks_failing > 0 AND d.status <> 'revoked'")
	default:
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	}
	if f.OS != "" {
		where, args = append(where, "d.os = ?"), append(args, f.OS)
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
		where = append(where, `(LOWER(d.hostname) LIKE ? ESCAPE '\' OR LOWER(d.serial) LIKE ? ESCAPE '\' OR LOWER(d.model) LIKE ? ESCAPE '\' OR LOWER(d.os_name) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	var out []*tandem.Device
	err = tx.eachRow(ctx, `SELECT `+deviceColumns+` FROM devices d WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id LIMIT `+strconv.Itoa(limit+1), args,
		func(rows *sql.Rows) error {
			d, err := scanDevice(rows)
			out = append(out, d)
			return err
		})
	if err != nil {
		return nil, "", err
	}
	page, next := cutPage(out, limit, func(d *tandem.Device) int64 { return d.ID })
	return page, next, nil
}

// CountDevices implements tandem.DeviceService.
func (s *DeviceService) CountDevices(ctx context.Context, orgID *int64) (tandem.DeviceCounts, error) {
	var c tandem.DeviceCounts
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	cond, args, err := deviceReadScope(a)
	if err != nil {
		return c, err
	}
	if orgID != nil {
		cond, args = cond+" AND d.organization_id = ?", append(args, *orgID)
	}
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN d.status = 'online' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN d.status = 'offline' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN d.status = 'revoked' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN d.checks_failing > 0 AND d.status <> 'revoked' THEN 1 ELSE 0 END), 0)
		FROM devices d WHERE `+cond, args...).Scan(&c.Total, &c.Online, &c.Offline, &c.Revoked, &c.Failing)
	return c, err
}

// FindDevice implements tandem.DeviceService.
func (s *DeviceService) FindDevice(ctx context.Context, id int64) (*tandem.Device, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.findDevice(ctx, a, id)
}

// DeviceInventory implements tandem.DeviceService: the last inventory
// stored, ENOTFOUND before the first.
func (s *DeviceService) DeviceInventory(ctx context.Context, id int64) (*agentproto.Inventory, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.findDevice(ctx, a, id); err != nil {
		return nil, err
	}
	var body string
	if err := tx.QueryRowContext(ctx, `SELECT body FROM device_inventories WHERE device_id = ?`, id).Scan(&body); err != nil {
		return nil, notFound(err, "The inventory of device "+strconv.FormatInt(id, 10))
	}
	inv := &agentproto.Inventory{}
	return inv, json.Unmarshal([]byte(body), inv)
}

// DeviceEvents implements tandem.DeviceService: the newest first.
func (s *DeviceService) DeviceEvents(ctx context.Context, id int64, limit int) ([]*tandem.DeviceEvent, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.findDevice(ctx, a, id); err != nil {
		return nil, err
	}
	if limit, err = pageLimit(limit); err != nil {
		return nil, err
	}
	var out []*tandem.DeviceEvent
	err = tx.eachRow(ctx, `SELECT id, at, kind, summary FROM device_events WHERE device_id = ? ORDER BY id DESC LIMIT `+strconv.Itoa(limit), []any{id},
		func(rows *sql.Rows) error {
			e := &tandem.DeviceEvent{}
			var summary string
			if err := rows.Scan(&e.ID, scanTime(&e.At), &e.Kind, &summary); err != nil {
				return err
			}
			out = append(out, e)
			return json.Unmarshal([]byte(summary), &e.Summary)
		})
	return out, err
}

// DeviceChecks implements tandem.DeviceService: each configured check's
// standing, named as configured.
func (s *DeviceService) DeviceChecks(ctx context.Context, id int64) ([]*tandem.DeviceCheck, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.findDevice(ctx, a, id); err != nil {
		return nil, err
	}
	var out []*tandem.DeviceCheck
	err = tx.eachRow(ctx, `SELECT c.check_id, COALESCE(k.name, ''), COALESCE(k.kind, ''), c.state, c.output, c.since
		FROM device_checks c LEFT JOIN agent_checks k ON k.id = c.check_id WHERE c.device_id = ? ORDER BY c.check_id`, []any{id},
		func(rows *sql.Rows) error {
			c := &tandem.DeviceCheck{}
			if err := rows.Scan(&c.CheckID, &c.Name, &c.Kind, &c.State, &c.Output, scanTime(&c.Since)); err != nil {
				return err
			}
			if c.Name == "" {
				c.Name = "check " + strconv.FormatInt(c.CheckID, 10) + " (deleted)"
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// DeviceMetrics implements tandem.DeviceService: raw samples where they
// are kept, hourly rollups before them, oldest first.
func (s *DeviceService) DeviceMetrics(ctx context.Context, id int64, since time.Time) ([]tandem.MetricPoint, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.findDevice(ctx, a, id); err != nil {
		return nil, err
	}
	var out []tandem.MetricPoint
	var firstRaw *time.Time
	if err := tx.QueryRowContext(ctx, `SELECT MIN(at) FROM device_samples WHERE device_id = ?`, id).Scan(scanTimePtr(&firstRaw)); err != nil {
		return nil, err
	}
	rawFrom := since
	if firstRaw == nil || firstRaw.After(since) {
		until := tx.now
		if firstRaw != nil {
			until = *firstRaw
			rawFrom = *firstRaw
		}
		err = tx.eachRow(ctx, `SELECT hour, cpu_sum / samples, cpu_max, memory_sum / samples, memory_max, disk_max FROM device_rollups WHERE device_id = ? AND hour >= ? AND hour < ? ORDER BY hour`,
			[]any{id, at(since.Truncate(time.Hour)), at(until)}, func(rows *sql.Rows) error {
				var p tandem.MetricPoint
				if err := rows.Scan(scanTime(&p.At), &p.CPU, &p.CPUMax, &p.Memory, &p.MemoryMax, &p.Disk); err != nil {
					return err
				}
				out = append(out, p)
				return nil
			})
		if err != nil || firstRaw == nil {
			return out, err
		}
	}
	err = tx.eachRow(ctx, `SELECT at, cpu_pct, memory_pct, disk_pct FROM device_samples WHERE device_id = ? AND at >= ? ORDER BY at`, []any{id, at(rawFrom)},
		func(rows *sql.Rows) error {
			var p tandem.MetricPoint
			if err := rows.Scan(scanTime(&p.At), &p.CPU, &p.Memory, &p.Disk); err != nil {
				return err
			}
			p.CPUMax, p.MemoryMax = p.CPU, p.Memory
			out = append(out, p)
			return nil
		})
	return out, err
}

// manageDevice finds a device the actor may manage.
func (tx *Tx) manageDevice(ctx context.Context, a *tandem.Actor, id int64) (*tandem.Device, error) {
	d, err := tx.findDevice(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return d, a.Can(tandem.ActionDeviceManage, d.OrganizationID)
}

// RevokeDevice implements tandem.DeviceService. The device, its history
// and metrics stay; its agent is refused from its next message.
func (s *DeviceService) RevokeDevice(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d, err := tx.manageDevice(ctx, a, id)
	if err != nil {
		return err
	}
	if d.Status == tandem.DeviceRevoked {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET status = 'revoked', revoked_at = ?, offline_at = NULL, pending_credential_hash = NULL, rotate_requested = ? WHERE id = ?`,
		at(tx.now), false, id); err != nil {
		return err
	}
	if err := tx.deviceEvent(ctx, id, d.OrganizationID, tandem.DeviceEventRevoked, map[string]any{"by": a.Email}); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &d.OrganizationID, "device.revoke", deviceTarget(id), map[string]any{"hostname": d.Hostname}); err != nil {
		return err
	}
	return tx.Commit()
}

// RotateDeviceCredential implements tandem.DeviceService.
func (s *DeviceService) RotateDeviceCredential(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d, err := tx.manageDevice(ctx, a, id)
	if err != nil {
		return err
	}
	if d.Status == tandem.DeviceRevoked {
		return tandem.Errorf(tandem.ECONFLICT, "Device %s is revoked: enrol its agent again rather than rotating a credential it no longer has.", d.Hostname)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET rotate_requested = ? WHERE id = ?`, true, id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &d.OrganizationID, "device.rotate_credential", deviceTarget(id), map[string]any{"hostname": d.Hostname}); err != nil {
		return err
	}
	return tx.Commit()
}
