package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
	"github.com/tandemhq/tandem/internal/secret"
)

// DeviceService implements tandem.DeviceService, and AgentService the
// agents' side of /agent/v1.
type DeviceService struct {
	db *DB
}

// NewDeviceService returns the device service on db.
func NewDeviceService(db *DB) *DeviceService { return &DeviceService{db: db} }

// deviceOrg finds an organisation in the actor's scope and checks the
// actor may do action on its devices.
func (tx *Tx) deviceOrg(ctx context.Context, a *tandem.Actor, orgID int64, action tandem.Action) error {
	cond, args := orgScope(a, "id")
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE id = ? AND `+cond, append([]any{orgID}, args...)...).Scan(&id); err != nil {
		return notFound(err, "Organisation "+strconv.FormatInt(orgID, 10))
	}
	return a.Can(action, orgID)
}

const enrollmentColumns = `id, organization_id, description, site, device_group, max_uses, uses, expires_at, created_at, created_by, revoked_at`

func scanEnrollment(row scanner) (*tandem.EnrollmentToken, error) {
	t := &tandem.EnrollmentToken{}
	var maxUses sql.NullInt64
	var createdBy sql.NullInt64
	if err := row.Scan(&t.ID, &t.OrganizationID, &t.Description, &t.Site, &t.Group, &maxUses, &t.Uses, scanTime(&t.ExpiresAt),
		scanTime(&t.CreatedAt), &createdBy, scanTimePtr(&t.RevokedAt)); err != nil {
		return nil, err
	}
	if maxUses.Valid {
		n := int(maxUses.Int64)
		t.MaxUses = &n
	}
	if createdBy.Valid {
		t.CreatedBy = &createdBy.Int64
	}
	return t, nil
}

// CreateEnrollmentToken implements tandem.DeviceService.
func (s *DeviceService) CreateEnrollmentToken(ctx context.Context, t *tandem.EnrollmentToken, validFor time.Duration) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.deviceOrg(ctx, a, t.OrganizationID, tandem.ActionDeviceManage); err != nil {
		return err
	}
	if err := t.Validate(validFor); err != nil {
		return err
	}
	t.Token = secret.New(tandem.EnrollmentTokenPrefix)
	t.CreatedAt, t.ExpiresAt, t.Uses = tx.now, tx.now.Add(validFor), 0
	if a.UserID != 0 {
		t.CreatedBy = &a.UserID
	}
	var maxUses any
	if t.MaxUses != nil {
		maxUses = *t.MaxUses
	}
	t.ID, err = tx.insert(ctx, `INSERT INTO enrollment_tokens (organization_id, token_hash, description, site, device_group, max_uses, expires_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.OrganizationID, secret.Hash(t.Token), t.Description, t.Site, t.Group, maxUses, at(t.ExpiresAt), t.CreatedBy, at(t.CreatedAt))
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &t.OrganizationID, "enrollment.create", enrollmentTarget(t.ID), map[string]any{
		"description": t.Description, "site": t.Site, "group": t.Group, "max_uses": t.MaxUses, "expires_at": t.ExpiresAt}); err != nil {
		return err
	}
	return tx.Commit()
}

func enrollmentTarget(id int64) string { return "enrollment:" + strconv.FormatInt(id, 10) }
func deviceTarget(id int64) string     { return "device:" + strconv.FormatInt(id, 10) }

// FindEnrollmentTokens implements tandem.DeviceService: the organisation's
// tokens, newest first, never the tokens themselves.
func (s *DeviceService) FindEnrollmentTokens(ctx context.Context, orgID int64) ([]*tandem.EnrollmentToken, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.deviceOrg(ctx, a, orgID, tandem.ActionDeviceManage); err != nil {
		return nil, err
	}
	var out []*tandem.EnrollmentToken
	err = tx.eachRow(ctx, `SELECT `+enrollmentColumns+` FROM enrollment_tokens WHERE organization_id = ? ORDER BY created_at DESC, id DESC`, []any{orgID},
		func(rows *sql.Rows) error {
			t, err := scanEnrollment(rows)
			out = append(out, t)
			return err
		})
	return out, err
}

// RevokeEnrollmentToken implements tandem.DeviceService. Agents enrolled
// with it stay enrolled.
func (s *DeviceService) RevokeEnrollmentToken(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cond, args := orgScope(a, "organization_id")
	t, err := scanEnrollment(tx.QueryRowContext(ctx, `SELECT `+enrollmentColumns+` FROM enrollment_tokens WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return notFound(err, "Enrolment token "+strconv.FormatInt(id, 10))
	}
	if err := a.Can(tandem.ActionDeviceManage, t.OrganizationID); err != nil {
		return err
	}
	if t.RevokedAt != nil {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ?`, at(tx.now), id); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, &t.OrganizationID, "enrollment.revoke", enrollmentTarget(id), map[string]any{"description": t.Description}); err != nil {
		return err
	}
	return tx.Commit()
}

// Enroll implements tandem.AgentService: one use of the token, a device
// row, its credential (only the hash kept), an audit entry and the first
// configuration, in one transaction.
func (s *DeviceService) Enroll(ctx context.Context, req *agentproto.EnrollRequest, sourceAddr string) (*agentproto.EnrollResponse, error) {
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	refused := tandem.Errorf(tandem.EUNAUTHORIZED, "The enrolment token is not valid: ask an admin for a new one (it may be mistyped, expired, used up or revoked).")
	t, err := scanEnrollment(tx.QueryRowContext(ctx, `SELECT `+enrollmentColumns+` FROM enrollment_tokens WHERE token_hash = ?`, secret.Hash(req.Token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	if t.Usable(tx.now) != "" {
		return nil, refused
	}
	// The use is counted under the guard, so concurrent enrolments never
	// exceed max_uses.
	res, err := tx.ExecContext(ctx, `UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ? AND (max_uses IS NULL OR uses < max_uses)`, t.ID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, refused
	}
	secretPart := secret.New("")
	id, err := tx.insert(ctx, `INSERT INTO devices (organization_id, enrollment_token_id, hostname, os, arch, agent_version, site, device_group, credential_hash, status, enrolled_at, checkin_interval_s)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'offline', ?, ?)`, t.OrganizationID, t.ID, req.Hostname, req.OS, req.Arch, req.AgentVersion, t.Site, t.Group,
		"pending", at(tx.now), int(agentproto.DefaultCheckinInterval/time.Second))
	if err != nil {
		return nil, err
	}
	cred := tandem.AgentCredential(id, secretPart)
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET credential_hash = ? WHERE id = ?`, secret.Hash(cred), id); err != nil {
		return nil, err
	}
	if err := tx.deviceEvent(ctx, id, t.OrganizationID, tandem.DeviceEventEnrolled, map[string]any{"hostname": req.Hostname, "os": req.OS, "token": t.ID}); err != nil {
		return nil, err
	}
	agent := &tandem.Actor{Email: "agent " + req.Hostname, SourceAddr: sourceAddr}
	if err := tx.audit(ctx, agent, &t.OrganizationID, "device.enroll", deviceTarget(id), map[string]any{
		"hostname": req.Hostname, "os": req.OS, "arch": req.Arch, "agent_version": req.AgentVersion, "enrollment": t.ID}); err != nil {
		return nil, err
	}
	cfg, err := tx.agentConfig(ctx, t.OrganizationID, t.Group)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &agentproto.EnrollResponse{DeviceID: id, Credential: cred, Config: *cfg}, nil
}

// deviceEvent records an entry of a device's history.
func (tx *Tx) deviceEvent(ctx context.Context, deviceID, orgID int64, kind string, summary map[string]any) error {
	body, err := jsonText(summary)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO device_events (device_id, organization_id, at, kind, summary) VALUES (?, ?, ?, ?, ?)`,
		deviceID, orgID, at(tx.now), kind, body)
	return err
}
