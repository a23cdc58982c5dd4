package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/sqlstore"
)

// testPassword is the password of every fixture user. Tests look for it in
// audit summaries and error messages, where it must never appear.
const testPassword = "correct horse battery staple"

// fastParams keep argon2id cheap in tests: the suite checks storage, not
// hashing cost, and creates a few dozen users per database.
var fastParams = secret.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

// clock is a settable time source installed as DB.Now, so expiry and timeouts
// are tested without sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's current time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// services holds every service of one test database and the clock it runs on.
type services struct {
	DB       *sqlstore.DB
	Clock    *clock
	Orgs     *sqlstore.OrganizationService
	Users    *sqlstore.UserService
	Tokens   *sqlstore.TokenService
	Sessions *sqlstore.SessionService
	Setup    *sqlstore.SetupService
	Invites  *sqlstore.InvitationService
}

// newServices wires the services on db and replaces its clock with a fake one
// starting at a fixed instant.
func newServices(tb testing.TB, db *sqlstore.DB) *services {
	tb.Helper()
	c := &clock{now: time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	users := sqlstore.NewUserService(db)
	users.PasswordParams = fastParams
	return &services{
		DB:       db,
		Clock:    c,
		Orgs:     sqlstore.NewOrganizationService(db),
		Users:    users,
		Tokens:   sqlstore.NewTokenService(db),
		Sessions: sqlstore.NewSessionService(db),
		Setup:    sqlstore.NewSetupService(db, users),
		Invites:  sqlstore.NewInvitationService(db, users),
	}
}

// world is the standard cast: a provider with an admin and a technician
// assigned to organisation A, organisation A with one user of each internal
// role, and organisation B with its own it-admin.
type world struct {
	*services
	OrgA, OrgB *tandem.Organization

	Admin *tandem.User // provider admin
	Tech  *tandem.User // provider technician, assigned to OrgA

	AAdmin     *tandem.User // it-admin of OrgA
	ATech      *tandem.User // it-technician of OrgA
	AViewer    *tandem.User // viewer of OrgA
	ARequester *tandem.User // requester of OrgA

	BAdmin *tandem.User // it-admin of OrgB
}

// newWorld creates the standard cast on db.
func newWorld(tb testing.TB, db *sqlstore.DB) *world {
	tb.Helper()
	w := &world{services: newServices(tb, db)}
	if _, err := w.Setup.EnsureProvider(systemCtx(tb), "Northwind MSP"); err != nil {
		tb.Fatal(err)
	}
	w.OrgA = w.mustCreateOrg(tb, "Acme Corp")
	w.OrgB = w.mustCreateOrg(tb, "Globex")
	w.Admin = w.mustCreateUser(tb, "admin@msp.test", nil, tandem.RoleAdmin)
	w.Tech = w.mustCreateUser(tb, "tech@msp.test", nil, tandem.RoleTechnician)
	w.AAdmin = w.mustCreateUser(tb, "admin@acme.test", &w.OrgA.ID, tandem.RoleITAdmin)
	w.ATech = w.mustCreateUser(tb, "tech@acme.test", &w.OrgA.ID, tandem.RoleITTechnician)
	w.AViewer = w.mustCreateUser(tb, "viewer@acme.test", &w.OrgA.ID, tandem.RoleViewer)
	w.ARequester = w.mustCreateUser(tb, "requester@acme.test", &w.OrgA.ID, tandem.RoleRequester)
	w.BAdmin = w.mustCreateUser(tb, "admin@globex.test", &w.OrgB.ID, tandem.RoleITAdmin)
	w.assign(tb, w.Tech, w.OrgA.ID)
	return w
}

// users returns every user of the cast, in creation order.
func (w *world) users() []*tandem.User {
	return []*tandem.User{w.Admin, w.Tech, w.AAdmin, w.ATech, w.AViewer, w.ARequester, w.BAdmin}
}

// assign sets a provider user's organisation assignments, as the provider admin.
func (w *world) assign(tb testing.TB, u *tandem.User, ids ...int64) {
	tb.Helper()
	ids = append([]int64{}, ids...) // never nil: no ids clears the assignments
	got, err := w.Users.UpdateUser(as(tb, w.Admin), u.ID, tandem.UserUpdate{Organizations: &ids})
	if err != nil {
		tb.Fatalf("assign user %d to %v: %v", u.ID, ids, err)
	}
	*u = *got
}

// mustCreateOrg creates an organisation as the system.
func (s *services) mustCreateOrg(tb testing.TB, name string) *tandem.Organization {
	tb.Helper()
	org := &tandem.Organization{Name: name}
	if err := s.Orgs.CreateOrganization(systemCtx(tb), org); err != nil {
		tb.Fatalf("create organisation %q: %v", name, err)
	}
	return org
}

// mustCreateUser creates a user with testPassword as the system; orgID nil
// makes a provider user.
func (s *services) mustCreateUser(tb testing.TB, email string, orgID *int64, role tandem.Role) *tandem.User {
	tb.Helper()
	u := &tandem.User{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: orgID, Role: role}
	if err := s.Users.CreateUser(systemCtx(tb), u, testPassword); err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// mustToken issues an API token for u, acting as u.
func (s *services) mustToken(tb testing.TB, u *tandem.User) string {
	tb.Helper()
	_, plain, err := s.Tokens.CreateToken(as(tb, u), u.ID, tandem.TokenOptions{Name: "test"})
	if err != nil {
		tb.Fatalf("create token for %s: %v", u.Email, err)
	}
	return plain
}

// mustSession logs u in and returns the session secret.
func (s *services) mustSession(tb testing.TB, u *tandem.User) string {
	tb.Helper()
	plain, err := s.Sessions.CreateSession(tb.Context(), u.ID)
	if err != nil {
		tb.Fatalf("create session for %s: %v", u.Email, err)
	}
	return plain
}

// systemCtx returns a context acting as the system actor.
func systemCtx(tb testing.TB) context.Context {
	return tandem.NewContextWithActor(tb.Context(), tandem.SystemActor)
}

// as returns a context acting as u, built the way sessions and tokens build it.
func as(tb testing.TB, u *tandem.User) context.Context {
	return tandem.NewContextWithActor(tb.Context(), actorOf(u))
}

// asActor returns a context acting as a.
func asActor(tb testing.TB, a *tandem.Actor) context.Context {
	return tandem.NewContextWithActor(tb.Context(), a)
}

// actorOf returns the actor a session or token of u resolves to.
func actorOf(u *tandem.User) *tandem.Actor {
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return a
}

// wantCode fails the test unless err carries code; code "" means no error.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := tandem.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
}

// auditLog returns every audit entry.
func auditLog(tb testing.TB, db *sqlstore.DB) []tandem.AuditEntry {
	tb.Helper()
	list, err := db.AuditEntries(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

// auditMark returns the number of audit entries so far, for auditSince.
func auditMark(tb testing.TB, db *sqlstore.DB) int {
	tb.Helper()
	return len(auditLog(tb, db))
}

// auditSince returns the audit entries written after mark.
func auditSince(tb testing.TB, db *sqlstore.DB, mark int) []tandem.AuditEntry {
	tb.Helper()
	return auditLog(tb, db)[mark:]
}

// wantAudit fails unless exactly the given actions were audited after mark,
// in order, and returns those entries.
func wantAudit(tb testing.TB, db *sqlstore.DB, mark int, actions ...string) []tandem.AuditEntry {
	tb.Helper()
	entries := auditSince(tb, db, mark)
	got := make([]string, len(entries))
	for i, e := range entries {
		got[i] = e.Action
	}
	if !slices.Equal(got, actions) {
		tb.Fatalf("audited actions = %q, want %q", got, actions)
	}
	return entries
}

// orgIDs returns the ids of orgs in order.
func orgIDs(orgs []*tandem.Organization) []int64 {
	ids := make([]int64, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	return ids
}

// userIDs returns the ids of users in order.
func userIDs(users []*tandem.User) []int64 {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}
