package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// maxInventoryEvents bounds the history one inventory writes: a machine
// rebuilt from scratch is told as counts past it, not thousands of rows.
const maxInventoryEvents = 500

// Inventory implements tandem.AgentService: the inventory replaces the
// last one, the device's columns follow it, and its differences from the
// last one enter the device's history, in one transaction.
func (s *DeviceService) Inventory(ctx context.Context, credential string, m *agentproto.InventoryReport) (*agentproto.InventoryResponse, error) {
	id, ok := tandem.ParseAgentCredential(credential)
	if !ok {
		return nil, agentRefused()
	}
	body, err := json.Marshal(m.Inventory)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	devices, err := tx.checkinDevices(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	d := devices[id]
	viaPending, ok := d.authenticates(credential)
	if !ok {
		return nil, agentRefused()
	}
	if m.Seq <= d.lastSeq {
		return &agentproto.InventoryResponse{Duplicate: true}, nil
	}
	var old *agentproto.Inventory
	var oldBody string
	err = tx.QueryRowContext(ctx, `SELECT body FROM device_inventories WHERE device_id = ?`, id).Scan(&oldBody)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		old = &agentproto.Inventory{}
		if err := json.Unmarshal([]byte(oldBody), old); err != nil {
			old = nil // an unreadable old inventory is replaced, its history told as a first one
		}
	}
	inv := &m.Inventory
	changes := tandem.InventoryChanges(old, inv)
	if len(changes) > maxInventoryEvents {
		counts := map[string]any{}
		for _, c := range changes {
			n, _ := counts[c.Kind].(int)
			counts[c.Kind] = n + 1
		}
		changes = []tandem.InventoryChange{{Kind: "inventory_changed", Summary: counts}}
	}
	for _, c := range changes {
		if err := tx.deviceEvent(ctx, id, d.orgID, c.Kind, c.Summary); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO device_inventories (device_id, body, digest, received_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (device_id) DO UPDATE SET body = excluded.body, digest = excluded.digest, received_at = excluded.received_at`,
		id, string(body), digest, at(tx.now)); err != nil {
		return nil, err
	}
	// updates_pending_since is when the device last went from no pending
	// update to some: patch compliance counts from it.
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET last_seq = ?, hostname = ?, os_name = ?, os_version = ?, kernel = ?, arch = ?,
		manufacturer = ?, model = ?, serial = ?, memory_bytes = ?, pending_updates = ?, reboot_required = ?, inventory_at = ?,
		updates_pending_since = CASE WHEN ? = 0 THEN NULL WHEN updates_pending_since IS NULL THEN ? ELSE updates_pending_since END
		WHERE id = ?`,
		m.Seq, inv.Hostname, inv.OSName, inv.OSVersion, inv.Kernel, inv.Arch, inv.Manufacturer, inv.Model, inv.Serial, int64(inv.MemoryBytes),
		len(inv.PendingUpdates), inv.RebootRequired, at(tx.now), len(inv.PendingUpdates), at(tx.now), id); err != nil {
		return nil, err
	}
	if viaPending {
		if err := tx.promoteCredential(ctx, id, d.orgID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &agentproto.InventoryResponse{}, nil
}

// agentConfig is the configuration of an organisation's agents in one
// device group: its revision, intervals and local checks.
func (tx *Tx) agentConfig(ctx context.Context, orgID int64, group string) (*agentproto.Config, error) {
	cfg := &agentproto.Config{
		CheckinIntervalSeconds:   int(agentproto.DefaultCheckinInterval.Seconds()),
		InventoryIntervalSeconds: int(agentproto.DefaultInventoryInterval.Seconds()),
		Checks:                   []agentproto.Check{},
	}
	err := tx.QueryRowContext(ctx, `SELECT revision FROM agent_config_revisions WHERE organization_id = ?`, orgID).Scan(&cfg.Revision)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	err = tx.eachRow(ctx, `SELECT id, kind, name, threshold, minutes, target, hours FROM agent_checks WHERE organization_id = ? AND device_group IN ('', ?) ORDER BY id`,
		[]any{orgID, group}, func(rows *sql.Rows) error {
			var c agentproto.Check
			if err := rows.Scan(&c.ID, &c.Kind, &c.Name, &c.Threshold, &c.Minutes, &c.Target, &c.Hours); err != nil {
				return err
			}
			cfg.Checks = append(cfg.Checks, c)
			return nil
		})
	return cfg, err
}

// jsonText is v as JSON text for a TEXT column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
