package sqlstore

import (
	"net/url"
	"testing"
)

// poolSize reads pool_max_conns out of any database URL without panicking:
// a size it accepts is from 1 to 1000 and leaves the URL without it.
func FuzzPoolSize(f *testing.F) {
	for _, s := range []string{
		"postgres://u@h/db",
		"postgres://u@h/db?pool_max_conns=3&sslmode=disable",
		"postgres://u:p%40ss@h:5432/db?pool_max_conns=0",
		"postgres://u@h/db?pool_max_conns=abc",
		"postgres://u@h/db?pool_max_conns=1001&pool_max_conns=2",
		"postgres://%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		out, n, err := poolSize(dsn)
		if err != nil {
			return
		}
		if n < 1 || n > 1000 {
			t.Fatalf("poolSize(%q) = %d connections", dsn, n)
		}
		if u, perr := url.Parse(out); perr == nil && u.Query().Has("pool_max_conns") && out != dsn {
			t.Fatalf("poolSize(%q) left pool_max_conns in %q", dsn, out)
		}
	})
}
