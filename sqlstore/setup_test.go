package sqlstore_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

func TestSetupService_EnsureProvider(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)

		t.Run("ErrNameRequired", func(t *testing.T) {
			_, err := w.Setup.EnsureProvider(t.Context(), "  ")
			wantCode(t, err, tandem.EINVALID)
		})

		t.Run("Idempotent", func(t *testing.T) {
			first, err := w.Setup.EnsureProvider(t.Context(), " Northwind MSP ")
			if err != nil {
				t.Fatal(err)
			}
			if first.ID == 0 || first.Name != "Northwind MSP" || !first.CreatedAt.Equal(w.Clock.Now()) {
				t.Fatalf("provider = %+v", first)
			}
			mark := auditMark(t, db)
			w.Clock.Advance(time.Hour)
			again, err := w.Setup.EnsureProvider(t.Context(), "Another Name")
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != first.ID || again.Name != first.Name || !again.CreatedAt.Equal(first.CreatedAt) {
				t.Fatalf("second EnsureProvider returned %+v, want the existing %+v", again, first)
			}
			wantAudit(t, db, mark)
		})
	})
}

func TestSetupService_CompleteSetup(t *testing.T) {
	t.Parallel()
	const ttl = 15 * time.Minute
	admin := func() *tandem.User { return &tandem.User{Email: "Founder@MSP.test", Name: "Founder"} }

	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		t.Run("OK", func(t *testing.T) {
			w := newServices(t, db)
			if _, err := w.Setup.EnsureProvider(t.Context(), "Northwind MSP"); err != nil {
				t.Fatal(err)
			}
			needs, err := w.Setup.NeedsSetup(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !needs {
				t.Fatal("NeedsSetup = false on an empty database")
			}
			plain, err := w.Setup.CreateSetupToken(t.Context(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Setup.CheckSetupToken(t.Context(), plain); err != nil {
				t.Fatalf("fresh setup token refused: %v", err)
			}

			mark := auditMark(t, db)
			// Whatever role or organisation is asked for, setup makes a provider admin.
			u := admin()
			u.Role, u.OrganizationID = tandem.RoleRequester, new(int64(42))
			if err := w.Setup.CompleteSetup(t.Context(), plain, u, testPassword); err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Email != "founder@msp.test" || u.Role != tandem.RoleAdmin || u.Party != tandem.PartyProvider || u.OrganizationID != nil {
				t.Fatalf("setup created %+v, want an active provider admin", u)
			}
			e := wantAudit(t, db, mark, "setup.complete")[0]
			if e.ActorUserID == nil || *e.ActorUserID != u.ID || strings.Contains(string(e.Summary), testPassword) ||
				strings.Contains(string(e.Summary), plain) || strings.Contains(string(e.Summary), secret.Hash(plain)) {
				t.Fatalf("audit entry %+v: want the new admin as actor and no secret", e)
			}

			needs, err = w.Setup.NeedsSetup(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if needs {
				t.Fatal("NeedsSetup = true after CompleteSetup")
			}
			got, err := w.Users.Authenticate(t.Context(), u.Email, testPassword)
			if err != nil {
				t.Fatalf("the new admin cannot log in: %v", err)
			}
			if got.ID != u.ID || got.Role != tandem.RoleAdmin {
				t.Fatalf("logged in as %+v", got)
			}

			t.Run("ErrUsedTwice", func(t *testing.T) {
				wantCode(t, w.Setup.CheckSetupToken(t.Context(), plain), tandem.ENOTFOUND)
				second := &tandem.User{Email: "second@msp.test"}
				wantCode(t, w.Setup.CompleteSetup(t.Context(), plain, second, testPassword), tandem.ENOTFOUND)
				_, err := w.Users.FindUserByEmail(systemCtx(t), second.Email)
				wantCode(t, err, tandem.ENOTFOUND)
			})
		})
	})
}

// TestSetupService_SpentAfterSetup checks that completing setup spends every
// outstanding link. Several may exist before anyone uses one (tandem serve
// prints a new one at every start while there is no admin); any left valid
// could mint another provider admin later.
func TestSetupService_SpentAfterSetup(t *testing.T) {
	t.Parallel()
	const ttl = 15 * time.Minute
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		t.Run("ErrAfterSetup", func(t *testing.T) {
			w := newServices(t, db)
			first, err := w.Setup.CreateSetupToken(t.Context(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			spare, err := w.Setup.CreateSetupToken(t.Context(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Setup.CompleteSetup(t.Context(), first, &tandem.User{Email: "first@msp.test"}, testPassword); err != nil {
				t.Fatal(err)
			}
			wantCode(t, w.Setup.CheckSetupToken(t.Context(), spare), tandem.ENOTFOUND)
			late := &tandem.User{Email: "late@msp.test"}
			wantCode(t, w.Setup.CompleteSetup(t.Context(), spare, late, testPassword), tandem.ENOTFOUND)
			_, err = w.Users.FindUserByEmail(systemCtx(t), late.Email)
			wantCode(t, err, tandem.ENOTFOUND)
		})
	})

}

func TestSetupService_CheckSetupToken(t *testing.T) {
	t.Parallel()
	const ttl = 15 * time.Minute
	admin := func() *tandem.User { return &tandem.User{Email: "Founder@MSP.test", Name: "Founder"} }
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newServices(t, db)

		t.Run("ErrExpired", func(t *testing.T) {
			plain, err := w.Setup.CreateSetupToken(t.Context(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			w.Clock.Advance(ttl - time.Second)
			if err := w.Setup.CheckSetupToken(t.Context(), plain); err != nil {
				t.Fatalf("setup token refused before its ttl: %v", err)
			}
			w.Clock.Advance(2 * time.Second)
			wantCode(t, w.Setup.CheckSetupToken(t.Context(), plain), tandem.ENOTFOUND)
			wantCode(t, w.Setup.CompleteSetup(t.Context(), plain, admin(), testPassword), tandem.ENOTFOUND)
			needs, err := w.Setup.NeedsSetup(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !needs {
				t.Fatal("an expired setup token created an admin")
			}
		})

		t.Run("ErrUnknownToken", func(t *testing.T) {
			for _, s := range []string{"", "unknown"} {
				wantCode(t, w.Setup.CheckSetupToken(t.Context(), s), tandem.ENOTFOUND)
				wantCode(t, w.Setup.CompleteSetup(t.Context(), s, admin(), testPassword), tandem.ENOTFOUND)
			}
		})

		t.Run("ErrInvalidKeepsToken", func(t *testing.T) {
			// A typo in the form must not spend the one-time link.
			plain, err := w.Setup.CreateSetupToken(t.Context(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			mark := auditMark(t, db)
			wantCode(t, w.Setup.CompleteSetup(t.Context(), plain, &tandem.User{Email: "not an email"}, testPassword), tandem.EINVALID)
			err = w.Setup.CompleteSetup(t.Context(), plain, admin(), "Zq9#xK")
			wantCode(t, err, tandem.EINVALID)
			if strings.Contains(tandem.ErrorMessage(err), "Zq9#xK") {
				t.Fatalf("error message %q echoes the password", tandem.ErrorMessage(err))
			}
			wantAudit(t, db, mark)
			if err := w.Setup.CheckSetupToken(t.Context(), plain); err != nil {
				t.Fatalf("invalid input spent the setup token: %v", err)
			}
			if err := w.Setup.CompleteSetup(t.Context(), plain, admin(), testPassword); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestSetupService_Concurrent checks that a link racing against itself, or
// two links racing against each other, still yield exactly one admin.
func TestSetupService_Concurrent(t *testing.T) {
	t.Parallel()
	const racers = 6
	tests := []struct {
		name   string
		tokens int // distinct links among the racers
	}{
		{"SameLink", 1},
		{"DistinctLinks", racers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
				w := newServices(t, db)
				links := make([]string, tt.tokens)
				for i := range links {
					var err error
					if links[i], err = w.Setup.CreateSetupToken(t.Context(), time.Hour); err != nil {
						t.Fatal(err)
					}
				}
				errs := make([]error, racers)
				var wg sync.WaitGroup
				for i := range racers {
					wg.Go(func() {
						u := &tandem.User{Email: fmt.Sprintf("racer%d@msp.test", i)}
						errs[i] = w.Setup.CompleteSetup(t.Context(), links[i%len(links)], u, testPassword)
					})
				}
				wg.Wait()
				won := 0
				for i, err := range errs {
					switch tandem.ErrorCode(err) {
					case "":
						won++
					case tandem.ENOTFOUND:
					default:
						t.Errorf("racer %d: %v", i, err)
					}
				}
				if won != 1 {
					t.Fatalf("%d racers completed setup, want exactly 1", won)
				}
				admin := tandem.RoleAdmin
				list, _, err := w.Users.FindUsers(systemCtx(t), tandem.UserFilter{})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, u := range list {
					if u.Role == admin {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d provider admins stored, want 1", n)
				}
			})
		})
	}
}
