package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// InvitationService implements tandem.InvitationService.
type InvitationService struct {
	db *DB
	// users lends its password hashing parameters to accepted invitations.
	users *UserService
}

// NewInvitationService returns the invitation service on db.
func NewInvitationService(db *DB, users *UserService) *InvitationService {
	return &InvitationService{db: db, users: users}
}

var _ tandem.InvitationService = (*InvitationService)(nil)

// CreateInvitation implements tandem.InvitationService.
func (s *InvitationService) CreateInvitation(ctx context.Context, inv *tandem.Invitation) (string, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return "", err
	}
	u := inv.User()
	if err := u.Validate(); err != nil {
		return "", err
	}
	inv.Email, inv.Name, inv.Party = u.Email, u.Name, u.Party
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if err := checkNewMember(ctx, tx, a, u); err != nil {
		return "", err
	}
	if inv.ExpiresAt.IsZero() {
		inv.ExpiresAt = tx.now.Add(tandem.DefaultInvitationTTL)
	}
	inv.ExpiresAt = inv.ExpiresAt.UTC().Truncate(time.Microsecond)
	if !inv.ExpiresAt.After(tx.now) {
		return "", tandem.Errorf(tandem.EINVALID, "Invitation expiry %s is in the past; choose a future time.", inv.ExpiresAt.Format(time.RFC3339))
	}
	if inv.ExpiresAt.After(tx.now.Add(tandem.MaxInvitationTTL)) {
		return "", tandem.Errorf(tandem.EINVALID, "Invitation expiry %s is too far ahead; an invitation lasts at most %d days.",
			inv.ExpiresAt.Format(time.RFC3339), int(tandem.MaxInvitationTTL/(24*time.Hour)))
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = ?`, inv.Email).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return "", emailInUse(ctx, s.db, a, inv.Email)
	}
	same, args := "i.organization_id IS NULL", []any{inv.Email, at(tx.now)}
	if inv.OrganizationID != nil {
		same, args = "i.organization_id = ?", append(args, *inv.OrganizationID)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitations i WHERE i.email = ? AND `+pendingInvitation+` AND `+same, args...).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return "", tandem.Errorf(tandem.ECONFLICT, "An invitation to %s is already pending; revoke it to send a new one.", inv.Email)
	}
	plain := secret.New("")
	inv.InvitedBy, inv.CreatedAt, inv.AcceptedAt, inv.RevokedAt = nil, tx.now, nil, nil
	if a.UserID != 0 {
		by := a.UserID
		inv.InvitedBy = &by
	}
	inv.ID, err = tx.insert(ctx, `INSERT INTO invitations (secret_hash, email, name, organization_id, role, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		secret.Hash(plain), inv.Email, inv.Name, inv.OrganizationID, inv.Role, inv.InvitedBy, at(inv.CreatedAt), at(inv.ExpiresAt))
	if err != nil {
		return "", err
	}
	inv.Status, inv.OrganizationName = inv.StatusAt(tx.now), ""
	if inv.OrganizationID != nil {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM organizations WHERE id = ?`, *inv.OrganizationID).Scan(&inv.OrganizationName); err != nil {
			return "", err
		}
	}
	if err := tx.audit(ctx, a, inv.OrganizationID, "invitation.create", invitationTarget(inv.ID), map[string]any{
		"email": inv.Email, "role": inv.Role, "party": inv.Party, "expires_at": inv.ExpiresAt.Format(time.RFC3339),
	}); err != nil {
		return "", err
	}
	return plain, tx.Commit()
}

// FindInvitationByID implements tandem.InvitationService.
func (s *InvitationService) FindInvitationByID(ctx context.Context, id int64) (*tandem.Invitation, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findInvitationByID(ctx, tx, a, id)
}

// FindInvitations implements tandem.InvitationService.
func (s *InvitationService) FindInvitations(ctx context.Context, filter tandem.InvitationFilter) ([]*tandem.Invitation, string, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	return findInvitations(ctx, tx, a, filter)
}

// RevokeInvitation implements tandem.InvitationService.
func (s *InvitationService) RevokeInvitation(ctx context.Context, id int64) error {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	inv, err := findInvitationByID(ctx, tx, a, id)
	if err != nil {
		return err
	}
	if err := a.CanManageUser(inv.User()); err != nil {
		return err
	}
	switch inv.Status {
	case tandem.InvitationAccepted:
		return tandem.Errorf(tandem.EINVALID, "The invitation to %s was already accepted; deactivate the user instead.", inv.Email)
	case tandem.InvitationRevoked:
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = ? WHERE id = ?`, at(tx.now), inv.ID); err != nil {
		return err
	}
	if err := tx.audit(ctx, a, inv.OrganizationID, "invitation.revoke", invitationTarget(inv.ID), map[string]any{"email": inv.Email, "role": inv.Role}); err != nil {
		return err
	}
	return tx.Commit()
}

// CheckInvitation implements tandem.InvitationService.
func (s *InvitationService) CheckInvitation(ctx context.Context, plain string) (*tandem.Invitation, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return validInvitation(ctx, tx, plain)
}

// AcceptInvitation implements tandem.InvitationService. The audit entry is the
// new user's, from the address of the client in ctx.
func (s *InvitationService) AcceptInvitation(ctx context.Context, plain, name, password string) (*tandem.User, error) {
	// Checked before the slow hash, in a read transaction that does not hold
	// the writer, and again below in the write transaction.
	rtx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := validInvitation(ctx, rtx, plain)
	rtx.Rollback()
	if err != nil {
		return nil, err
	}
	// The address is the invitation's, checked when it was sent (under the
	// rules of its day, for one sent before CanonicalEmail): the person
	// invited cannot change it, so it is not checked again here.
	u := inv.User()
	u.Name = name
	if err := u.ValidateProfile(); err != nil {
		return nil, err
	}
	if err := tandem.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := secret.HashPassword(password, s.users.PasswordParams)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if inv, err = validInvitation(ctx, tx, plain); err != nil {
		return nil, err
	}
	// Spending the invitation first makes two acceptances racing on
	// PostgreSQL yield one user: the second waits for this row, then finds it
	// spent.
	res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL`, at(tx.now), inv.ID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n != 1 {
		return nil, errInvitationLink()
	}
	if err := createUser(ctx, tx, u, hash); err != nil {
		return nil, err
	}
	a := userActor(u)
	a.SourceAddr = tandem.ClientFromContext(ctx).Addr
	summary := map[string]any{"invitation": inv.ID, "email": u.Email, "role": u.Role, "party": u.Party}
	if inv.InvitedBy != nil {
		summary["invited_by"] = *inv.InvitedBy
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "invitation.accept", userTarget(u.ID), summary); err != nil {
		return nil, err
	}
	return u, tx.Commit()
}

func invitationTarget(id int64) string { return "invitation:" + strconv.FormatInt(id, 10) }

func errInvitationLink() error {
	return tandem.Errorf(tandem.ENOTFOUND, "This invitation link is invalid, used, revoked or expired. Ask whoever invited you to send a new one.")
}

// pendingInvitation is the SQL condition (on alias i, with the current time
// as its one argument) of an invitation that can still be accepted.
const pendingInvitation = `i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?`

// validInvitation returns the pending invitation of a secret. The secret is
// the credential, so no scope applies; but the person who sent it must still
// be active and allowed to create that user, so a demoted or deactivated
// admin's invitations die with their rights.
func validInvitation(ctx context.Context, tx *Tx, plain string) (*tandem.Invitation, error) {
	if plain == "" || len(plain) > 100 {
		return nil, errInvitationLink()
	}
	list, err := queryInvitations(ctx, tx, []string{"i.secret_hash = ?", pendingInvitation}, []any{secret.Hash(plain), at(tx.now)}, 1)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errInvitationLink()
	}
	inv := list[0]
	if inv.InvitedBy != nil {
		inviter, err := findUserByID(ctx, tx, tandem.SystemActor, *inv.InvitedBy)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return nil, errInvitationLink()
		} else if err != nil {
			return nil, err
		}
		if !inviter.Active || userActor(inviter).CanManageUser(inv.User()) != nil {
			return nil, errInvitationLink()
		}
	}
	return inv, nil
}

// invitationScope returns a SQL condition on the invitations table (alias i)
// limiting rows to those the actor may see. Invitations belong to managing
// users: provider admins see every one (provider staff invitations only
// they, and not through an organisation-restricted credential), an
// organisation's it-admins their organisation's, everyone else none.
func invitationScope(a *tandem.Actor) (string, []any) {
	manager := *a
	manager.ReadOnly = false // a read-only credential still reads what its user manages
	switch {
	case a.SeesAllOrganizations() && a.OnlyOrganizationID != 0:
		return "i.organization_id = ?", []any{a.OnlyOrganizationID}
	case a.SeesAllOrganizations():
		return "1=1", nil
	case a.Party == tandem.PartyInternal && manager.Can(tandem.ActionUserManage, a.OrganizationID) == nil:
		return orgScope(a, "i.organization_id")
	}
	return "1=0", nil
}

func findInvitationByID(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.Invitation, error) {
	list, _, err := findInvitations(ctx, tx, a, tandem.InvitationFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Invitation not found.")
	}
	return list[0], nil
}

func findInvitations(ctx context.Context, tx *Tx, a *tandem.Actor, filter tandem.InvitationFilter) ([]*tandem.Invitation, string, error) {
	scope, args := invitationScope(a)
	limit, where, args, err := memberPage("i", scope, args, memberFilter{filter.ID, filter.OrganizationID, filter.Party, filter.Limit, filter.Cursor})
	if err != nil {
		return nil, "", err
	}
	if filter.Pending {
		where, args = append(where, pendingInvitation), append(args, at(tx.now))
	}
	list, err := queryInvitations(ctx, tx, where, args, limit+1)
	if err != nil {
		return nil, "", err
	}
	list, cursor := cutPage(list, limit, func(inv *tandem.Invitation) int64 { return inv.ID })
	return list, cursor, nil
}

// queryInvitations runs the invitation query with the given conditions; it
// applies no scope of its own.
func queryInvitations(ctx context.Context, tx *Tx, where []string, args []any, limit int) ([]*tandem.Invitation, error) {
	rows, err := tx.QueryContext(ctx, `SELECT i.id, i.email, i.name, i.organization_id, COALESCE(o.name, ''), i.role, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at
		FROM invitations i LEFT JOIN organizations o ON o.id = i.organization_id WHERE `+strings.Join(where, " AND ")+` ORDER BY i.id LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*tandem.Invitation
	for rows.Next() {
		inv := &tandem.Invitation{}
		if err := rows.Scan(&inv.ID, &inv.Email, &inv.Name, &inv.OrganizationID, &inv.OrganizationName, &inv.Role, &inv.InvitedBy,
			scanTime(&inv.CreatedAt), scanTime(&inv.ExpiresAt), scanTimePtr(&inv.AcceptedAt), scanTimePtr(&inv.RevokedAt)); err != nil {
			return nil, err
		}
		inv.Party = tandem.PartyOf(inv.OrganizationID)
		inv.Status = inv.StatusAt(tx.now)
		list = append(list, inv)
	}
	return list, rows.Err()
}
