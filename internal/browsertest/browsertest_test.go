package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem/internal/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// site serves small pages under a strict Content-Security-Policy, each
// provoking one kind of page error or none.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
			fmt.Fprintf(w, "<!doctype html><html><head><link rel=icon href=data:,><title>t</title></head><body>%s</body></html>", body)
		}
	}
	script := func(js string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, js)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /clean", page(`<p id=ok>ok</p><script src="/ok.js"></script>`))
	mux.Handle("GET /ok.js", script(`document.title = "loaded"`))
	mux.Handle("GET /inline", page(`<script>document.title = "inline ran"</script>`))
	mux.Handle("GET /missing", page(`<script src="/missing.js"></script>`))
	mux.Handle("GET /console", page(`<script src="/console.js"></script>`))
	mux.Handle("GET /console.js", script(`console.error("boom", 42)`))
	mux.Handle("GET /throw", page(`<script src="/throw.js"></script>`))
	mux.Handle("GET /throw.js", script(`throw new Error("thrown on purpose")`))
	// A page without an icon link (like /gone) makes Chromium ask for
	// /favicon.ico in the background; answer it so that request never counts
	// as a page error, whenever it lands.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /gone", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
		http.Error(w, "gone", http.StatusNotFound)
	})
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: "first-tab", Path: "/"})
		page(`<p>cookie set</p>`)(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTakeErrors(t *testing.T) {
	srv := site(t)
	ctx := browsertest.New(t)
	open := func(t *testing.T, path string) []string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		return browsertest.TakeErrors(t, ctx)
	}
	mustHave := func(t *testing.T, errs []string, want string) {
		t.Helper()
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("errors = %q, want one containing %q", errs, want)
		}
	}

	t.Run("OK", func(t *testing.T) {
		if errs := open(t, "/clean"); len(errs) != 0 {
			t.Errorf("errors = %q, want none", errs)
		}
		if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "loaded" {
			t.Errorf("title = %q, %v; want the script to have run", title, err)
		}
	})
	t.Run("ErrorPageIsNoError", func(t *testing.T) {
		// A 404 page is an answer the test checks itself, not a page error.
		if errs := open(t, "/gone"); len(errs) != 0 {
			t.Errorf("errors = %q, want none", errs)
		}
	})
	t.Run("ContentSecurityPolicy", func(t *testing.T) {
		mustHave(t, open(t, "/inline"), "Content Security Policy")
	})
	t.Run("MissingScript", func(t *testing.T) {
		mustHave(t, open(t, "/missing"), "404")
	})
	t.Run("ConsoleError", func(t *testing.T) {
		mustHave(t, open(t, "/console"), "console.error: boom 42")
	})
	t.Run("Exception", func(t *testing.T) {
		mustHave(t, open(t, "/throw"), "thrown on purpose")
	})
}

// Two tabs never share cookies, though every test server is on 127.0.0.1.
func TestNewIsolatesTabs(t *testing.T) {
	srv := site(t)
	first, second := browsertest.New(t), browsertest.New(t)
	cookies := func(ctx context.Context) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := chromedp.Do(first, chromedp.Navigate(srv.URL+"/cookie")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(second, chromedp.Navigate(srv.URL+"/clean")); err != nil {
		t.Fatal(err)
	}
	if got := cookies(first); got != "who=first-tab" {
		t.Errorf("first tab cookies = %q, want who=first-tab", got)
	}
	if got := cookies(second); got != "" {
		t.Errorf("second tab cookies = %q, want none", got)
	}
}
