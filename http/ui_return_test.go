package http

import (
	"strings"
	"testing"
)

func TestLocalReturn(t *testing.T) {
	for path, want := range map[string]bool{
		"/tickets/42":              true,
		"/ack/abc?x=1":             true,
		"/":                        true,
		"":                         false,
		"tickets/42":               false,
		"//evil.example/x":         false,
		"/\\evil.example":          false,
		"https://evil.example/":    false,
		"/login":                   false,
		"/login/mfa":               false,
		"/logout":                  false,
		"/password/reset?t=1":      false,
		"/setup/abc":               false,
		"/loginx":                  true,
		"/tickets/1\r\nSet-Cookie": false,
		"/\t/evil.example":         false,
		"/ /evil.example":          false,
	} {
		if got := localReturn(path); got != want {
			t.Errorf("localReturn(%q) = %v, want %v", path, got, want)
		}
	}
}

func FuzzLocalReturn(f *testing.F) {
	for _, s := range []string{"/tickets/1", "//x", "/\\x", "/a?b=//c", "/%2f%2fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if !localReturn(path) {
			return
		}
		// Whatever passes is a path a browser resolves on this server.
		if path[0] != '/' || len(path) > 1 && (path[1] == '/' || path[1] == '\\') || strings.ContainsAny(path, "\t\r\n ") {
			t.Fatalf("localReturn(%q) let a path leave the server", path)
		}
	})
}
