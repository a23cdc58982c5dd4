package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// FuzzActorForToken checks that no string resolves to an actor unless it is
// a secret that was issued, and that none makes ActorForToken panic or fail
// with anything but EUNAUTHORIZED. One SQLite database serves the whole run.
func FuzzActorForToken(f *testing.F) {
	s := newServices(f, testdb.MustOpenSQLite(f))
	if _, err := s.Setup.EnsureProvider(systemCtx(f), "Northwind MSP"); err != nil {
		f.Fatal(err)
	}
	u := s.mustCreateUser(f, "fuzz@msp.test", nil, tandem.RoleAdmin)
	issued := s.mustToken(f, u)
	for _, seed := range []string{
		issued, issued + "x", issued[:len(issued)-1], strings.ToUpper(issued), " " + issued, issued + "\n",
		issued[len(sqlstore.TokenPrefix):], sqlstore.TokenPrefix, "", "tdm_\x00", "tdm_' OR '1'='1", "Bearer " + issued,
		sqlstore.TokenPrefix + strings.Repeat("A", 43), sqlstore.TokenPrefix + strings.Repeat("é", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, plain string) {
		a, err := s.Tokens.ActorForToken(t.Context(), plain)
		if plain == issued {
			if err != nil || a == nil || a.UserID != u.ID {
				t.Fatalf("the issued token resolves to %+v, %v", a, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("ActorForToken(%q) resolved to %+v; only the issued secret may", plain, a)
		}
		if code := tandem.ErrorCode(err); code != tandem.EUNAUTHORIZED {
			t.Fatalf("ActorForToken(%q): error code %q, want %q (error: %v)", plain, code, tandem.EUNAUTHORIZED, err)
		}
	})
}
