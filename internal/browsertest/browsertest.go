// Package browsertest gives end-to-end tests of the web interface a tab in a
// real headless Chromium, driven through chromedp.
//
// A test calls New and drives the returned context with chromedp or with the
// helpers Do, Fill, Text, Eval and WaitPath. Each test gets a fresh browser
// context (its own cookies, storage and cache), so two tests never share a
// session even though every test server listens on 127.0.0.1. Every page
// error (console.error, an uncaught exception, a Content-Security-Policy
// violation, a script or style sheet that failed to load) fails the test.
//
// A package whose TestMain calls Main shares one Chromium process among all
// its tests, so only the first pays its start (about 2 s on a 2-core CI
// machine); without Main each test starts its own, which works but is slower.
//
// When no Chromium is found the test is skipped with a hint to install one,
// unless TANDEM_TEST_BROWSER=required, which CI sets so that a missing browser
// fails the run instead of silently dropping the UI tests.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// ChromiumEnv names the variable that picks the browser binary: a path,
	// or a name looked up on PATH.
	ChromiumEnv = "TANDEM_CHROMIUM"
	// RequiredEnv names the variable that, set to "required", turns a
	// missing browser from a skip into a failure.
	RequiredEnv = "TANDEM_TEST_BROWSER"
)

// Timeout bounds one test's use of its tab; actions after it fail with
// context.DeadlineExceeded rather than hanging the test binary.
const Timeout = 60 * time.Second

// startTimeout bounds starting Chromium and opening a tab.
const startTimeout = 30 * time.Second

// defaultChromium lists where to look when ChromiumEnv is unset: Debian's
// package first, then the usual names on PATH.
var defaultChromium = []string{"/usr/bin/chromium", "chromium", "chromium-browser"}

// findChromium returns the browser to run, or an error saying where it looked.
func findChromium() (string, error) {
	if name := os.Getenv(ChromiumEnv); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s=%s is not an executable (%v)", ChromiumEnv, name, err)
		}
		return path, nil
	}
	for _, name := range defaultChromium {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no Chromium found at %s", strings.Join(defaultChromium, ", "))
}

// allocatorOptions are the Chromium flags of every test browser: chromedp's
// defaults (headless, no first run, no background networking, no sync, a
// fresh temporary user-data-dir that chromedp deletes after the browser exits)
// plus what a container needs and what keeps a test run quiet and offline.
func allocatorOptions(path string, output *lockedBuffer) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(output),
	)
}

// browser is one running Chromium.
type browser struct {
	ctx    context.Context // a chromedp context whose browser has started
	cancel context.CancelFunc
	output *lockedBuffer
}

// start runs Chromium at path and waits until it answers.
func start(path string) (*browser, error) {
	output := &lockedBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(path, output)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &browser{ctx: ctx, output: output, cancel: func() {
		cancelCtx()
		cancelAlloc()
	}}
	// The first Do binds the browser's life to ctx, so it must not carry a
	// deadline; a timer stops a browser that never answers instead.
	timer := time.AfterFunc(startTimeout, b.cancel)
	err := chromedp.Do(ctx)
	if !timer.Stop() && err == nil {
		err = context.DeadlineExceeded
	}
	if err != nil {
		b.cancel()
		return nil, fmt.Errorf("start %s: %w%s", path, err, output.tail(err))
	}
	return b, nil
}

// pool holds the browser that Main shares among the tests of a package. It is
// package state because one test binary has one TestMain and one browser.
var pool struct {
	mu      sync.Mutex
	managed bool // Main is running the tests
	browser *browser
	err     error
}

// Main runs the tests of a package with one Chromium for all of them, started
// by the first test that asks for a tab and stopped after the last test. Call
// it from TestMain:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
func Main(m *testing.M) {
	pool.mu.Lock()
	pool.managed = true
	pool.mu.Unlock()
	defer func() {
		pool.mu.Lock()
		defer pool.mu.Unlock()
		if pool.browser != nil {
			pool.browser.cancel()
		}
		pool.managed, pool.browser, pool.err = false, nil, nil
	}()
	m.Run() // testing passes m's exit code to os.Exit when TestMain returns
}

// shared returns the pooled browser, starting it on first use, or nil when
// Main is not running.
func shared(path string) (*browser, error) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if !pool.managed {
		return nil, nil
	}
	if pool.browser == nil && pool.err == nil {
		pool.browser, pool.err = start(path)
	}
	return pool.browser, pool.err
}

// New opens a tab for the test in a fresh browser context and returns the
// chromedp context to drive it, valid for Timeout. The tab closes when the
// test ends; before that, the test fails if a page logged an error (see
// TakeErrors).
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := findChromium()
	if err != nil {
		msg := fmt.Sprintf("browser tests need Chromium: %v. Install it with `apt-get install chromium`, or set %s to a Chromium or Chrome binary.", err, ChromiumEnv)
		if os.Getenv(RequiredEnv) == "required" {
			t.Fatalf("%s (%s=required makes this a failure.)", msg, RequiredEnv)
		}
		t.Skipf("%s (Set %s=required to fail instead of skipping.)", msg, RequiredEnv)
	}

	b, err := shared(path)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	if b == nil {
		if b, err = start(path); err != nil {
			t.Fatalf("browsertest: %v", err)
		}
		t.Cleanup(b.cancel)
	}

	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	timer := time.AfterFunc(startTimeout, closeTab)
	err = chromedp.Do(tab) // opens the tab; like start, without a deadline
	if !timer.Stop() && err == nil {
		err = context.DeadlineExceeded
	}
	if err != nil {
		t.Fatalf("browsertest: open a tab: %v%s", err, b.output.tail(err))
	}

	log := &consoleLog{}
	if err := chromedp.Listen(tab, log.record); err != nil {
		t.Fatalf("browsertest: listen to the console: %v", err)
	}
	tab = context.WithValue(tab, consoleKey{}, log)

	ctx, cancel := context.WithTimeout(tab, Timeout)
	t.Cleanup(func() {
		defer cancel()
		for _, e := range takeErrors(tab, log) {
			t.Errorf("browser: %s", e)
		}
	})
	return ctx
}

// lockedBuffer keeps the last of Chromium's output, written from another
// goroutine, to explain a failure.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// outputKept bounds what a browser shared by a long test run remembers.
const outputKept = 64 << 10

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len()+len(p) > outputKept {
		b.buf.Next(b.buf.Len() / 2)
	}
	return b.buf.Write(p)
}

// tail returns the last lines Chromium printed, to explain err, unless err
// already quotes them.
func (b *lockedBuffer) tail(err error) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := strings.TrimSpace(b.buf.String())
	if out == "" || strings.Contains(err.Error(), out) {
		return ""
	}
	lines := strings.Split(out, "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "\nChromium printed:\n\t" + strings.Join(lines, "\n\t")
}
