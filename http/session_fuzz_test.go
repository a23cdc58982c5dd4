package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tandemhq/tandem"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/internal/testserver"
)

// FuzzSessionCookie sends arbitrary Cookie headers to a page. Whatever the
// header holds, the server must not fail, and it must show the page only for
// a cookie whose value, as net/http parses it, is a session secret it issued;
// anything else is sent to the login page.
func FuzzSessionCookie(f *testing.F) {
	s := cheap(testserver.Start(f))
	org := s.MustCreateOrganization(f, "Acme")
	u := s.MustCreateUser(f, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)
	issued, err := s.Services.Sessions.CreateSession(context.Background(), u.ID)
	if err != nil {
		f.Fatal(err)
	}
	handler := s.HTTPServer.Handler()

	for _, seed := range []string{
		tandemhttp.SessionCookie + "=" + issued,
		tandemhttp.SessionCookie + "=" + issued + "; other=1",
		"other=1; " + tandemhttp.SessionCookie + "=" + issued,
		tandemhttp.SessionCookie + "=" + issued[:len(issued)-1],
		tandemhttp.SessionCookie + "=" + issued + "x",
		tandemhttp.SessionCookie + `="` + issued + `"`,
		tandemhttp.SessionCookie + "=",
		tandemhttp.SessionCookie + "=%00",
		tandemhttp.SessionCookie + "=" + string(make([]byte, 200)),
		"",
		";;;=;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest(http.MethodGet, "/account", nil)
		req.Header["Cookie"] = []string{header}
		parsed := ""
		if c, err := req.Cookie(tandemhttp.SessionCookie); err == nil {
			parsed = c.Value
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch {
		case parsed == issued:
			if rec.Code != http.StatusOK {
				t.Fatalf("issued session answered %d", rec.Code)
			}
		case rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login":
			t.Fatalf("Cookie %q (session %q) answered %d, Location %q; want a redirect to /login", header, parsed, rec.Code, rec.Header().Get("Location"))
		}
	})
}
