package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemhq/tandem/internal/testdb"
)

// BenchmarkProcessColdStart measures a real restart: exec the tandem binary
// on an existing, migrated database and poll /readyz until it answers 200.
// Process start, Go runtime init, database open and the migration check are
// all inside the figure.
func BenchmarkProcessColdStart(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchColdStart(b, []string{"--data", b.TempDir()}) })
	b.Run("postgres", func(b *testing.B) { benchColdStart(b, []string{"--database-url", testdb.PostgresURL(b)}) })
}

func benchColdStart(b *testing.B, dbArgs []string) {
	bin := tandemBinary(b)
	mustRunCLI(b, "", append([]string{"migrate"}, dbArgs...)...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TANDEM_") {
			env = append(env, kv)
		}
	}
	client := &http.Client{Timeout: time.Second}
	b.ResetTimer()
	for b.Loop() {
		addr := freeAddr(b)
		cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "error"}, dbArgs...)...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := client.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(500 * time.Microsecond)
		}
		b.StopTimer()
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.StartTimer()
	}
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
