// Command screenshot runs the demo in-process and saves full-page PNGs of
// pages as a demo user sees them, at each width asked for, so a change to a
// page is looked at before it is committed:
//
//	go run ./internal/tools/screenshot --as tech@northwind-msp.example --out /tmp/shots / /tickets /tickets/1
//
// Each page is saved as DIR/<user>_<path>_<width>.png. It also prints, per
// page and width, whether the page is wider than the window (horizontal
// overflow), the first thing to look for on a phone.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/demo"
)

func main() {
	as := flag.String("as", "owner@northwind-msp.example", "demo user to log in as (see the demo's logins)")
	out := flag.String("out", "shots", "directory for the PNG files")
	widths := flag.String("widths", "1400,390", "window widths in CSS pixels, comma-separated")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium's path")
	url := flag.String("url", "", "a running server to shoot (with the demo's logins) instead of a fresh in-process demo")
	flag.Parse()
	if err := run(*as, *out, *widths, *chromium, *url, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

func run(as, out, widthList, chromium, base string, paths []string) error {
	if len(paths) == 0 {
		paths = []string{"/"}
	}
	var widths []int
	for _, w := range strings.Split(widthList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 200 {
			return fmt.Errorf("--widths: %q is not a width in pixels (200 or more)", w)
		}
		widths = append(widths, n)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if base == "" {
		dir, err := os.MkdirTemp("", "tandem-screenshot-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		m := &app.Main{DataDir: dir, Addr: "127.0.0.1:0", Demo: true, Stdout: io.Discard}
		if err := m.Run(context.Background()); err != nil {
			return err
		}
		defer m.Close()
		base = m.HTTPServer.URL()
	}

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1400, 900),
		chromedp.Navigate(base+"/login"),
		chromedp.SetValue(chromedp.CSS(`input[name=email]`), as),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), demo.Password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=password]`)),
	); err != nil {
		return fmt.Errorf("log in as %s: %w", as, err)
	}
	user := strings.SplitN(as, "@", 2)[0]
	for _, p := range paths {
		for _, w := range widths {
			if err := chromedp.Do(ctx,
				chromedp.EmulateViewport(int64(w), 900),
				chromedp.Navigate(base+p),
				chromedp.Sleep(300*time.Millisecond),
			); err != nil {
				return fmt.Errorf("%s at %d px: %w", p, w, err)
			}
			wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > innerWidth`))
			if err != nil {
				return fmt.Errorf("%s at %d px: %w", p, w, err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return fmt.Errorf("%s at %d px: %w", p, w, err)
			}
			name := filepath.Join(out, fmt.Sprintf("%s_%s_%d.png", user, slug(p), w))
			if err := os.WriteFile(name, png, 0o644); err != nil {
				return err
			}
			note := ""
			if wide {
				note = "  OVERFLOWS horizontally"
			}
			fmt.Printf("%s%s\n", name, note)
		}
	}
	return nil
}

// slug turns a path into a file-name part: /orgs/a/matrix → orgs-a-matrix.
func slug(p string) string {
	s := strings.Trim(strings.NewReplacer("/", "-", "?", "_", "&", "_", "=", "-").Replace(p), "-")
	if s == "" {
		return "home"
	}
	return s
}
