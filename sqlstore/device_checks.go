package sqlstore

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/tandemhq/tandem"
)

const agentCheckColumns = `id, organization_id, device_group, kind, name, threshold, minutes, target, hours, created_at, updated_at`

func scanAgentCheck(row scanner) (*tandem.AgentCheck, error) {
	c := &tandem.AgentCheck{}
	err := row.Scan(&c.ID, &c.OrganizationID, &c.Group, &c.Kind, &c.Name, &c.Threshold, &c.Minutes, &c.Target, &c.Hours, scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt))
	c.Check.ID = c.ID
	return c, err
}

// FindAgentChecks implements tandem.DeviceService.
func (s *DeviceService) FindAgentChecks(ctx context.Context, orgID int64) ([]*tandem.AgentCheck, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.deviceOrg(ctx, a, orgID, tandem.ActionDeviceRead); err != nil {
		return nil, err
	}
	var out []*tandem.AgentCheck
	err = tx.eachRow(ctx, `SELECT `+agentCheckColumns+` FROM agent_checks WHERE organization_id = ? ORDER BY device_group, name, id`, []any{orgID},
		func(rows *sql.Rows) error {
			c, err := scanAgentCheck(rows)
			out = append(out, c)
			return err
		})
	return out, err
}

// CreateAgentCheck implements tandem.DeviceService; the organisation's
// agents get it with their next check-in.
func (s *DeviceService) CreateAgentCheck(ctx context.Context, c *tandem.AgentCheck) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.deviceOrg(ctx, a, c.OrganizationID, tandem.ActionDeviceManage); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	c.ID, err = tx.insert(ctx, `INSERT INTO agent_checks (organization_id, device_group, kind, name, threshold, minutes, target, hours, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.OrganizationID, c.Group, c.Kind, c.Name, c.Threshold, c.Minutes, c.Target, c.Hours, at(c.CreatedAt), at(c.UpdatedAt))
	if err != nil {
		return err
	}
	c.Check.ID = c.ID
	if err := tx.bumpAgentConfig(ctx, c.OrganizationID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &c.OrganizationID, "agent_check.create", "agent_check:"+strconv.FormatInt(c.ID, 10), map[string]any{
		"name": c.Name, "kind": c.Kind, "group": c.Group, "threshold": c.Threshold, "minutes": c.Minutes, "target": c.Target, "hours": c.Hours}); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteAgentCheck implements tandem.DeviceService.
func (s *DeviceService) DeleteAgentCheck(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cond, args := orgScope(a, "organization_id")
	c, err := scanAgentCheck(tx.QueryRowContext(ctx, `SELECT `+agentCheckColumns+` FROM agent_checks WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return notFound(err, "Local check "+strconv.FormatInt(id, 10))
	}
	if err := a.Can(tandem.ActionDeviceManage, c.OrganizationID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_checks WHERE id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM device_checks WHERE check_id = ?`, id); err != nil {
		return err
	}
	if err := tx.bumpAgentConfig(ctx, c.OrganizationID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &c.OrganizationID, "agent_check.delete", "agent_check:"+strconv.FormatInt(id, 10), map[string]any{"name": c.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

// bumpAgentConfig gives the organisation's agent configuration a new
// revision, so every agent takes it at its next check-in.
func (tx *Tx) bumpAgentConfig(ctx context.Context, orgID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_config_revisions (organization_id, revision) VALUES (?, 1)
		ON CONFLICT (organization_id) DO UPDATE SET revision = agent_config_revisions.revision + 1`, orgID)
	return err
}
