package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
)

// UserService implements tandem.UserService.
type UserService struct {
	db *DB
	// PasswordParams are the argon2id costs for new hashes.
	PasswordParams secret.Params
	// Throttle limits failed logins (login.go).
	Throttle LoginThrottle

	dummyOnce sync.Once
	dummyHash string
}

// NewUserService returns the user service on db.
func NewUserService(db *DB) *UserService {
	return &UserService{db: db, PasswordParams: secret.DefaultParams, Throttle: DefaultLoginThrottle}
}

var _ tandem.UserService = (*UserService)(nil)

// FindUserByID implements tandem.UserService.
func (s *UserService) FindUserByID(ctx context.Context, id int64) (*tandem.User, error) {
	return s.findOne(ctx, func(tx *Tx, a *tandem.Actor) (*tandem.User, error) { return findUserByID(ctx, tx, a, id) })
}

// FindUserByEmail implements tandem.UserService.
func (s *UserService) FindUserByEmail(ctx context.Context, email string) (*tandem.User, error) {
	email = tandem.NormalizeEmail(email)
	return s.findOne(ctx, func(tx *Tx, a *tandem.Actor) (*tandem.User, error) {
		list, _, err := findUsers(ctx, tx, a, tandem.UserFilter{Email: &email, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, tandem.Errorf(tandem.ENOTFOUND, "User not found.")
		}
		return list[0], nil
	})
}

func (s *UserService) findOne(ctx context.Context, find func(*Tx, *tandem.Actor) (*tandem.User, error)) (*tandem.User, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return find(tx, a)
}

// FindUsers implements tandem.UserService.
func (s *UserService) FindUsers(ctx context.Context, filter tandem.UserFilter) ([]*tandem.User, string, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	return findUsers(ctx, tx, a, filter)
}

// CreateUser implements tandem.UserService.
func (s *UserService) CreateUser(ctx context.Context, u *tandem.User, password string) error {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := tandem.ValidatePassword(password); err != nil {
		return err
	}
	// In a read transaction, so the slow hash below does not hold the writer;
	// the organisations are checked again in the write transaction.
	rtx, err := s.db.beginRead(ctx)
	if err != nil {
		return err
	}
	err = checkNewMember(ctx, rtx, a, u)
	rtx.Rollback()
	if err != nil {
		return err
	}
	hash, err := secret.HashPassword(password, s.PasswordParams)
	if err != nil {
		return err
	}
	tx, err := s.db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := checkOrganizationsVisible(ctx, tx, a, u); err != nil {
		return err
	}
	if err := createUser(ctx, tx, u, hash); tandem.ErrorCode(err) == tandem.ECONFLICT {
		tx.Rollback()
		return emailInUse(ctx, s.db, a, u.Email)
	} else if err != nil {
		return err
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "user.create", userTarget(u.ID), map[string]any{
		"email": u.Email, "role": u.Role, "party": u.Party, "assigned_organizations": u.Organizations,
	}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateUser implements tandem.UserService.
func (s *UserService) UpdateUser(ctx context.Context, id int64, upd tandem.UserUpdate) (*tandem.User, error) {
	a, tx, err := s.db.writeAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, a, id)
	if err != nil {
		return nil, err
	}
	onlyOwnName := upd.Role == nil && upd.Active == nil && upd.Organizations == nil && a.UserID == u.ID && !a.ReadOnly
	if !onlyOwnName {
		if err := a.CanManageUser(u); err != nil {
			return nil, err
		}
	}
	if a.UserID == u.ID && (upd.Role != nil && *upd.Role != u.Role || upd.Active != nil && !*upd.Active) {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "You cannot change your own role or deactivate yourself; ask another admin.")
	}
	changes := map[string]any{}
	if upd.Name != nil && *upd.Name != u.Name {
		u.Name, changes["name"] = *upd.Name, *upd.Name
	}
	if upd.Role != nil && *upd.Role != u.Role {
		u.Role, changes["role"] = *upd.Role, *upd.Role
	}
	if upd.Active != nil && *upd.Active != u.Active {
		u.Active, changes["active"] = *upd.Active, *upd.Active
	}
	if upd.Organizations != nil {
		next := slices.Clone(*upd.Organizations)
		slices.Sort(next)
		next = slices.Compact(next)
		if !slices.Equal(next, u.Organizations) {
			u.Organizations, changes["assigned_organizations"] = next, next
		}
	}
	if err := u.ValidateProfile(); err != nil {
		return nil, err
	}
	if err := a.CanManageUser(u); err != nil && !onlyOwnName {
		return nil, err
	}
	if len(changes) == 0 {
		return u, nil
	}
	if _, ok := changes["assigned_organizations"]; ok {
		if err := checkOrganizationsVisible(ctx, tx, a, u); err != nil {
			return nil, err
		}
		if err := replaceAssignments(ctx, tx, u); err != nil {
			return nil, err
		}
	}
	u.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, active = ?, updated_at = ? WHERE id = ?`,
		u.Name, u.Role, u.Active, at(u.UpdatedAt), u.ID); err != nil {
		return nil, err
	}
	if !u.Active {
		// Deactivation ends every way in at once.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = ?`, u.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.audit(ctx, a, u.OrganizationID, "user.update", userTarget(u.ID), changes); err != nil {
		return nil, err
	}
	return u, tx.Commit()
}

func userTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// checkOrganizationsVisible makes sure a user's organisation and assignments
// exist and lie in the actor's scope, so nobody links a user to an
// organisation they cannot see.
func checkOrganizationsVisible(ctx context.Context, tx *Tx, a *tandem.Actor, u *tandem.User) error {
	ids := slices.Clone(u.Organizations)
	if u.OrganizationID != nil {
		ids = append(ids, *u.OrganizationID)
	}
	for _, id := range ids {
		list, _, err := findOrganizations(ctx, tx, a, tandem.OrganizationFilter{ID: &id, Limit: 1})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return tandem.Errorf(tandem.EINVALID, "Organisation %d does not exist; list organisations to find its id.", id)
		}
	}
	return nil
}

// checkNewMember checks that the actor may add u, a new user or the user an
// invitation would create, once u.Validate has passed. Scope comes before
// rights: an organisation outside the actor's scope is absent for them, as
// one that does not exist (EINVALID), never EFORBIDDEN.
func checkNewMember(ctx context.Context, tx *Tx, a *tandem.Actor, u *tandem.User) error {
	if err := checkOrganizationsVisible(ctx, tx, a, u); err != nil {
		return err
	}
	return a.CanManageUser(u)
}

// emailInUse answers a collision with an existing account: by name when the
// actor can see that account, and without confirming it when the account lies
// outside their scope (another client's user, provider staff), so an it-admin
// cannot probe who has an account elsewhere.
func emailInUse(ctx context.Context, db *DB, a *tandem.Actor, email string) error {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	list, _, err := findUsers(ctx, tx, a, tandem.UserFilter{Email: &email, Limit: 1})
	if err != nil {
		return err
	}
	if len(list) > 0 {
		return tandem.Errorf(tandem.ECONFLICT, "A user with email %s already exists.", email)
	}
	return tandem.Errorf(tandem.ECONFLICT, "The email address %s cannot be used here; if this person works with several organisations, ask your provider.", email)
}

func createUser(ctx context.Context, tx *Tx, u *tandem.User, hash string) error {
	u.CreatedAt, u.UpdatedAt, u.Active = tx.now, tx.now, true
	id, err := tx.insert(ctx, `INSERT INTO users (email, name, role, organization_id, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Email, u.Name, u.Role, u.OrganizationID, hash, true, at(u.CreatedAt), at(u.UpdatedAt))
	if isUniqueViolation(err) {
		return tandem.Errorf(tandem.ECONFLICT, "A user with email %s already exists.", u.Email)
	} else if err != nil {
		return err
	}
	u.ID = id
	slices.Sort(u.Organizations)
	u.Organizations = slices.Compact(u.Organizations)
	return replaceAssignments(ctx, tx, u)
}

func replaceAssignments(ctx context.Context, tx *Tx, u *tandem.User) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_organizations WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	for _, org := range u.Organizations {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_organizations (user_id, organization_id) VALUES (?, ?)`, u.ID, org); err != nil {
			return err
		}
	}
	return nil
}

func findUserByID(ctx context.Context, tx *Tx, a *tandem.Actor, id int64) (*tandem.User, error) {
	list, _, err := findUsers(ctx, tx, a, tandem.UserFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "User not found.")
	}
	return list[0], nil
}

func findUsers(ctx context.Context, tx *Tx, a *tandem.Actor, filter tandem.UserFilter) ([]*tandem.User, string, error) {
	scope, args := userScope(a)
	limit, where, args, err := memberPage("u", scope, args, memberFilter{filter.ID, filter.OrganizationID, filter.Party, filter.Limit, filter.Cursor})
	if err != nil {
		return nil, "", err
	}
	if filter.Email != nil {
		keys := tandem.EmailKeys(*filter.Email)
		where = append(where, "u.email IN ("+marks(len(keys))+")")
		for _, k := range keys {
			args = append(args, k)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, u.name, u.role, u.organization_id, u.active, u.mfa_enabled, u.created_at, u.updated_at FROM users u WHERE `+
		strings.Join(where, " AND ")+` ORDER BY u.id LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var list []*tandem.User
	for rows.Next() {
		u := &tandem.User{}
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.OrganizationID, &u.Active, &u.MFAEnabled, scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt)); err != nil {
			return nil, "", err
		}
		u.Party = tandem.PartyOf(u.OrganizationID)
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	list, cursor := cutPage(list, limit, func(u *tandem.User) int64 { return u.ID })
	for _, u := range list {
		if u.Party != tandem.PartyProvider {
			continue
		}
		if u.Organizations, err = assignedOrganizations(ctx, tx, a, u.ID); err != nil {
			return nil, "", err
		}
	}
	return list, cursor, nil
}

// memberFilter holds the filters users and invitations share.
type memberFilter struct {
	ID, OrganizationID *int64
	Party              *tandem.PartyKind
	Limit              int
	Cursor             string
}

// memberPage starts the WHERE of a page of users or invitations, which are
// listed alike: the actor's scope (scope with its args), the cursor, and the
// id, organisation and party filters, on table alias t. It returns the page
// size to fetch one more than.
func memberPage(t, scope string, args []any, f memberFilter) (int, []string, []any, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return 0, nil, nil, err
	}
	after, err := parseCursor(f.Cursor)
	if err != nil {
		return 0, nil, nil, err
	}
	where := []string{scope, t + ".id > ?"}
	args = append(args, after)
	if f.ID != nil {
		where, args = append(where, t+".id = ?"), append(args, *f.ID)
	}
	if f.OrganizationID != nil {
		where, args = append(where, t+".organization_id = ?"), append(args, *f.OrganizationID)
	}
	switch {
	case f.Party == nil:
	case *f.Party == tandem.PartyProvider:
		where = append(where, t+".organization_id IS NULL")
	default:
		where = append(where, t+".organization_id IS NOT NULL")
	}
	return limit, where, args, nil
}

// assignedOrganizations lists a provider user's assignments among the
// organisations the actor may see: an organisation's team learns which
// provider staff work on it, not which other clients they serve.
func assignedOrganizations(ctx context.Context, tx *Tx, a *tandem.Actor, userID int64) ([]int64, error) {
	scope, args := orgScope(a, "organization_id")
	return tx.queryIDs(ctx, `SELECT organization_id FROM user_organizations WHERE user_id = ? AND `+scope+` ORDER BY organization_id`,
		append([]any{userID}, args...)...)
}
