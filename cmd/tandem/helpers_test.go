package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// result is what one in-process run of the command line printed and returned.
type result struct {
	Stdout, Stderr string
	Code           int
}

// runCLI runs the command line in-process, as main does, with stdin as the
// standard input.
func runCLI(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}

// mustRunCLI is runCLI for commands that must succeed; it returns stdout.
func mustRunCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	r := runCLI(t, stdin, args...)
	if r.Code != 0 {
		t.Fatalf("tandem %s: exit status %d, stderr %q", strings.Join(args, " "), r.Code, r.Stderr)
	}
	return r.Stdout
}

// clearEnv unsets every variable the command line reads, so a developer's own
// TANDEM_* settings cannot leak into a test. The commands treat empty as unset.
// databaseArgs are the flags that point a command at the test's database
// (the data directory, and PostgreSQL when databaseURL is set) and the
// environment that points tandem serve at it.
func databaseArgs(dir, databaseURL string) (args, env []string) {
	args = []string{"--data", dir}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL)
		env = []string{"TANDEM_DATABASE_URL=" + databaseURL}
	}
	return args, env
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"TANDEM_DATA", "TANDEM_DATABASE_URL", "TANDEM_ADDR", "TANDEM_PUBLIC_URL",
		"TANDEM_LOG_FORMAT", "TANDEM_LOG_LEVEL", "TANDEM_PROVIDER_NAME", "TANDEM_SECURE_COOKIES",
		"TANDEM_SMTP_URL", "TANDEM_SMTP_FROM", "TANDEM_SMTP_PASSWORD_FILE"} {
		t.Setenv(name, "")
	}
}

// adminToken creates a provider admin on the database dbArgs name (--data,
// --database-url) through the command line and returns an API token acting as it.
func adminToken(t testing.TB, dbArgs ...string) string {
	t.Helper()
	mustRunCLI(t, "admin-password-1\n", append([]string{"user", "add", "--email", "admin@msp.example", "--role", "admin"}, dbArgs...)...)
	out := mustRunCLI(t, "", append([]string{"token", "create", "--user", "admin@msp.example"}, dbArgs...)...)
	return strings.TrimSpace(out)
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	// runningAt matches the line serve prints once it listens.
	runningAt = regexp.MustCompile(`is running at (https?://\S+)`)
	// greeted matches the last line of serve's greeting: where to log in, or
	// how else to create the first admin.
	greeted = regexp.MustCompile(`(?m)^(Log in at |\(Or create one with)`)
)

// waitForURL polls out until serve has listened and finished its greeting,
// and returns the URL it printed. It fails the test when done is closed first
// or the time is up.
func waitForURL(t testing.TB, out, logs *syncBuffer, done <-chan struct{}) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s := out.String()
		if m := runningAt.FindStringSubmatch(s); m != nil && greeted.MatchString(s) {
			return m[1]
		}
		select {
		case <-done:
			t.Fatalf("tandem serve ended before listening; stdout %q, stderr %q", out.String(), logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("tandem serve printed no URL within 15 s; stdout %q, stderr %q", out.String(), logs.String())
	return ""
}

// binary is the tandem executable, built once per test run.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// tandemBinary builds cmd/tandem with the go command of the running toolchain
// and returns the executable's path. It skips the test under -short.
func tandemBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: builds the tandem binary and runs it as a child process")
	}
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "tandem-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "tandem")
		gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gocmd); err != nil {
			gocmd = "go"
		}
		out, err := exec.Command(gocmd, "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// process is tandem serve running as a child process.
type process struct {
	cmd    *exec.Cmd
	URL    string
	Stdout *syncBuffer
	Stderr *syncBuffer
	done   chan struct{}
	err    error // the result of Wait, set when done is closed
}

// startServe runs the tandem binary's serve command on a free loopback port
// with args and the extra environment variables env, waits until it listens,
// and kills it when the test ends if it still runs.
func startServe(t testing.TB, env []string, args ...string) *process {
	t.Helper()
	bin := tandemBinary(t)
	p := &process{
		cmd:    exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...),
		Stdout: &syncBuffer{},
		Stderr: &syncBuffer{},
		done:   make(chan struct{}),
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TANDEM_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.Stdout, p.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	p.URL = waitForURL(t, p.Stdout, p.Stderr, p.done)
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// wait waits up to timeout for the process to end and returns Wait's error.
func (p *process) wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("tandem serve still runs %v after the signal; stdout %q", timeout, p.Stdout.String())
		return nil
	}
}

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	http  *http.Client
	base  string
	token string
}

func newAPIClient(base, token string) *apiClient {
	return &apiClient{
		http:  &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		base:  base,
		token: token,
	}
}

// do sends one request with an optional JSON body and reads the whole answer.
// Its error is a transport error; HTTP statuses are the caller's business.
func (c *apiClient) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustGet GETs path and fails the test unless the answer has the wanted status.
func (c *apiClient) mustGet(t testing.TB, path string, want int) []byte {
	t.Helper()
	status, body, err := c.do(http.MethodGet, path, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if status != want {
		t.Fatalf("GET %s: status %d, want %d; body %s", path, status, want, body)
	}
	return body
}

// orgJSON is the part of an organisation the tests read.
type orgJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// orgList is the body of GET /api/v1/orgs.
type orgList struct {
	Items      []orgJSON `json:"items"`
	NextCursor string    `json:"next_cursor"`
}
