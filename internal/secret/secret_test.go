package secret_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/secret"
)

// cheap keeps tests fast; the parameters travel inside the hash.
var cheap = secret.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestHashPassword(t *testing.T) {
	hash, err := secret.HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters in PHC form", hash)
	}
	t.Run("OK", func(t *testing.T) {
		if ok, err := secret.VerifyPassword(hash, "correct horse battery"); err != nil || !ok {
			t.Fatalf("VerifyPassword = %v, %v; want true", ok, err)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		if ok, err := secret.VerifyPassword(hash, "correct horse batterY"); err != nil || ok {
			t.Fatalf("VerifyPassword = %v, %v; want false", ok, err)
		}
	})
	t.Run("SaltedDifferently", func(t *testing.T) {
		again, _ := secret.HashPassword("correct horse battery", cheap)
		if again == hash {
			t.Fatal("two hashes of one password are equal: salt missing")
		}
	})
	t.Run("DefaultParamsMeetOWASP", func(t *testing.T) {
		p := secret.DefaultParams
		if p.MemoryKiB < 19*1024 || p.Iterations < 2 || p.Parallelism != 1 {
			t.Fatalf("DefaultParams %+v below argon2id m=19 MiB, t=2, p=1", p)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
			"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$"} {
			if _, err := secret.VerifyPassword(bad, "x"); err == nil {
				t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
			}
		}
	})
}

func TestNew(t *testing.T) {
	a, b := secret.New("tdm_"), secret.New("tdm_")
	if a == b || !strings.HasPrefix(a, "tdm_") || len(a) != 4+43 {
		t.Fatalf("New gave %q and %q; want distinct tdm_ + 43 base64url characters", a, b)
	}
	if secret.Hash(a) == a || len(secret.Hash(a)) != 64 || secret.Hash(a) != secret.Hash(a) {
		t.Fatal("Hash is not a stable hex SHA-256")
	}
}

// FuzzVerifyPassword feeds arbitrary stored hashes to the PHC parser: it must
// never panic nor accept a hash it did not make, and must not be talked into
// huge memory or iteration costs.
func FuzzVerifyPassword(f *testing.F) {
	good, _ := secret.HashPassword("pw", cheap)
	f.Add(good, "pw")
	f.Add("$argon2id$v=19$m=4194304,t=64,p=1$c2FsdA$a2V5", "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		var m, it uint32
		if n, _ := fmtSscan(hash, &m, &it); n == 2 && (m > 1<<16 || it > 4) {
			t.Skip("expensive parameters are valid but slow to fuzz")
		}
		ok, err := secret.VerifyPassword(hash, password)
		if err != nil && ok {
			t.Fatal("VerifyPassword returned ok with an error")
		}
	})
}

// fmtSscan reads the m= and t= parameters of a PHC string, if any.
func fmtSscan(hash string, m, t *uint32) (int, error) {
	parts := strings.Split(hash, "$")
	if len(parts) < 4 {
		return 0, nil
	}
	return fmt.Sscanf(parts[3], "m=%d,t=%d", m, t)
}
