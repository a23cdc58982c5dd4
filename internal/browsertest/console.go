package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

type consoleKey struct{}

// consoleLog collects what a tab reports as an error: console.error calls,
// uncaught exceptions and error entries of the browser log, which is where
// Chromium reports Content-Security-Policy violations and sub-resources that
// failed to load.
type consoleLog struct {
	mu     sync.Mutex
	errors []string
	// pages are the requests whose error status a test asserts itself: page
	// loads and htmx requests. A 404 page is an answer; a 404 script is a bug.
	pages map[network.RequestID]bool
	// streams are EventSource requests (the bell's): a stream outlives its
	// page's load, so the test's server stops while it is open, and the
	// browser's retry is then refused. That refusal alone is no bug.
	streams map[network.RequestID]bool
}

// record is a chromedp.Listen func; it runs on the tab's reader goroutine,
// so it only files the event.
func (l *consoleLog) record(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Type == network.ResourceTypeEventSource {
			if l.streams == nil {
				l.streams = map[network.RequestID]bool{}
			}
			l.streams[ev.RequestID] = true
		}
	case *network.EventResponseReceived:
		switch ev.Type {
		case network.ResourceTypeDocument, network.ResourceTypeXHR, network.ResourceTypeFetch:
			if l.pages == nil {
				l.pages = map[network.RequestID]bool{}
			}
			l.pages[ev.RequestID] = true
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			l.errors = append(l.errors, "console."+string(ev.Type)+": "+remoteText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(d.Exception.Description, "\n")
			text += " " + desc
		}
		l.errors = append(l.errors, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError || e.Source == log.EntrySourceNetwork && l.pages[e.NetworkRequestID] {
			return
		}
		if e.Source == log.EntrySourceNetwork && l.streams[e.NetworkRequestID] && strings.Contains(e.Text, "ERR_CONNECTION_REFUSED") {
			return
		}
		l.errors = append(l.errors, fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, e.URL))
	}
}

// remoteText renders console arguments roughly as the DevTools console does.
func remoteText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		if len(a.Value) > 0 && json.Unmarshal(a.Value, &s) == nil {
			parts = append(parts, s)
		} else if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// TakeErrors returns the errors the tab of ctx has logged so far and forgets
// them, so that a test which provokes one on purpose can check it and still
// pass the check New runs when the test ends. It fails on a context that did
// not come from New.
func TakeErrors(t testing.TB, ctx context.Context) []string {
	t.Helper()
	l, ok := ctx.Value(consoleKey{}).(*consoleLog)
	if !ok {
		t.Fatal("browsertest.TakeErrors: the context does not come from browsertest.New")
	}
	return takeErrors(ctx, l)
}

// takeErrors first makes a round trip to the tab: Listen funcs see every event
// sent before a command's reply, so the log is then complete up to now.
func takeErrors(ctx context.Context, l *consoleLog) []string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void]("0"))
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := l.errors
	l.errors = nil
	return errs
}
