package http

import (
	"net/http"
	"net/url"
	"strings"
)

// After signing in, a visitor lands where they were going — the ticket an
// email linked to, the acknowledgement link of a chat message — not on the
// home page: the page that sent them to /login remembers its path in a
// short-lived cookie, and the login (after its second factor, when there
// is one) takes it.

// ReturnCookie holds the local path to go to after signing in.
const ReturnCookie = "tandem_return"

// rememberReturn keeps path for after the login, if it is a local path.
func (s *Server) rememberReturn(w http.ResponseWriter, path string) {
	if !localReturn(path) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ReturnCookie, Value: url.QueryEscape(path), Path: "/", MaxAge: 15 * 60,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// takeReturn returns the remembered path, or "/", and forgets it.
func (s *Server) takeReturn(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(ReturnCookie)
	if err != nil {
		return "/"
	}
	http.SetCookie(w, &http.Cookie{Name: ReturnCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	path, err := url.QueryUnescape(c.Value)
	if err != nil || !localReturn(path) {
		return "/"
	}
	return path
}

// localReturn reports whether path is a path of this server worth
// returning to: absolute, with no scheme or host (no open redirect, "//"
// and "/\" included), and not the login pages themselves.
func localReturn(path string) bool {
	if len(path) > 2000 || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
		return false
	}
	// Browsers drop tabs and newlines from a URL ("/\t/evil" is "//evil"):
	// a path of this server's is escaped and holds no control or space.
	for i := 0; i < len(path); i++ {
		if path[i] <= ' ' || path[i] == 0x7f {
			return false
		}
	}
	u, err := url.Parse(path)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return false
	}
	for _, p := range []string{"/login", "/logout", "/password", "/setup"} {
		if u.Path == p || strings.HasPrefix(u.Path, p+"/") {
			return false
		}
	}
	return true
}
