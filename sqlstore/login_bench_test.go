package sqlstore_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkLogin measures what one login attempt costs the server:
//
//   - argon2id: verifying one password hash at secret.DefaultParams, the
//     cost every attempt pays, whether the email exists or not. The
//     param-KiB/op metric is the memory the parameters ask for; -benchmem's
//     B/op is what the Go runtime measured.
//   - Authenticate/<dialect>/ok: the whole service call for a right password:
//     throttle check and failure reserved (one write transaction), the hash,
//     the failure forgiven and the user read (a second one).
//   - Authenticate/<dialect>/wrong: a wrong password, with its audit entry
//     instead of the user read (the throttle is off so the loop can run).
//
// Run: go test -run '^$' -bench Login -benchmem -count 5 ./sqlstore/
// (with TANDEM_TEST_POSTGRES set for the PostgreSQL rows).
func BenchmarkLogin(b *testing.B) {
	b.Run("argon2id", func(b *testing.B) {
		hash, err := secret.HashPassword(testPassword, secret.DefaultParams)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := secret.VerifyPassword(hash, testPassword); !ok || err != nil {
				b.Fatal("verify failed")
			}
		}
		b.ReportMetric(float64(secret.DefaultParams.MemoryKiB), "param-KiB/op")
	})
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{
		{"sqlite", testdb.MustOpenSQLite},
		{"postgres", testdb.MustOpenPostgres},
	} {
		b.Run("Authenticate/"+d.name, func(b *testing.B) {
			db := d.open(b)
			users := sqlstore.NewUserService(db) // secret.DefaultParams: real cost
			orgs := sqlstore.NewOrganizationService(db)
			ctx := tandem.NewContextWithActor(context.Background(), tandem.SystemActor)
			org := &tandem.Organization{Name: "Acme"}
			if err := orgs.CreateOrganization(ctx, org); err != nil {
				b.Fatal(err)
			}
			u := &tandem.User{Email: "bench@acme.test", OrganizationID: &org.ID, Role: tandem.RoleITTechnician}
			if err := users.CreateUser(ctx, u, testPassword); err != nil {
				b.Fatal(err)
			}
			client := tandem.NewContextWithClient(context.Background(), tandem.Client{Addr: "192.0.2.1"})
			b.Run("ok", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := users.Authenticate(client, u.Email, testPassword); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("wrong", func(b *testing.B) {
				users.Throttle = sqlstore.LoginThrottle{}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := users.Authenticate(client, u.Email, "wrong password!"); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
