package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/internal/testserver"
)

// eachServer runs fn against a fresh server on SQLite and another on
// PostgreSQL; the PostgreSQL subtest skips unless TANDEM_TEST_POSTGRES is set.
// The two run in parallel, each with its own database.
func eachServer(t *testing.T, fn func(t *testing.T, s *testserver.Server)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, cheap(testserver.Start(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, cheap(testserver.StartPostgres(t)))
	})
}

// cheap lowers the argon2id cost of new password hashes so that fixtures and
// API calls creating users take microseconds instead of ~50 ms each. Hashes
// carry their parameters, so logging in still works.
func cheap(s *testserver.Server) *testserver.Server {
	s.Services.Users.PasswordParams = secret.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}
	return s
}

// client calls the JSON API with one bearer token ("" sends none).
type client struct {
	base  string
	token string
}

func anonymous(s *testserver.Server) client { return client{base: s.HTTPServer.URL()} }

// response is an API answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (c client) get(t *testing.T, path string) *response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil)
}

func (c client) post(t *testing.T, path string, body any) *response {
	t.Helper()
	return c.do(t, http.MethodPost, path, body)
}

func (c client) patch(t *testing.T, path string, body any) *response {
	t.Helper()
	return c.do(t, http.MethodPatch, path, body)
}

// do sends body as JSON; a string body is sent as is, so tests can send
// malformed JSON.
func (c client) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := c.newRequest(t, method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

// newRequest builds a request carrying the client's token.
func (c client) newRequest(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req
}

// send performs req and reads the whole answer.
func send(t *testing.T, req *http.Request) *response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// want fails the test unless the answer has the given status, and decodes the
// body into v when v is not nil.
func (r *response) want(t *testing.T, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

// apiError is the body of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError fails the test unless the answer is an API error with the given
// status and code, and returns its message.
func (r *response) wantError(t *testing.T, status int, code string) string {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e apiError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body %s: %v", r.Body, err)
	}
	if e.Error.Code != code {
		t.Fatalf("error code = %q, want %q; message: %s", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("error %q has no message", code)
	}
	return e.Error.Message
}

// page is the body of every list answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listAll walks every page of a list route and returns all items in order.
func listAll[T any](t *testing.T, c client, path string) []T {
	t.Helper()
	var all []T
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor := ""
	for range 1000 {
		p := path
		if cursor != "" {
			p += sep + "cursor=" + cursor
		}
		var pg page[T]
		c.get(t, p).want(t, http.StatusOK, &pg)
		all = append(all, pg.Items...)
		if pg.NextCursor == "" {
			return all
		}
		cursor = pg.NextCursor
	}
	t.Fatalf("%s: no last page after 1000 pages", path)
	return nil
}

// world is the tenancy fixture shared by the subtests of one server:
// organisations A, B and C and a user of each kind.
type world struct {
	s                *testserver.Server
	orgA, orgB, orgC *tandem.Organization

	admin      member // provider admin
	tech       member // provider technician assigned to A
	watcher    member // provider viewer assigned to B
	itAdminB   member // it-admin of B
	requesterB member // requester of B
	itTechA    member // it-technician of A
}

// member is a fixture user and a client acting as them.
type member struct {
	*tandem.User
	client
}

func newWorld(t *testing.T, s *testserver.Server) *world {
	t.Helper()
	w := &world{
		s:    s,
		orgA: s.MustCreateOrganization(t, "Acme"),
		orgB: s.MustCreateOrganization(t, "Beta"),
		orgC: s.MustCreateOrganization(t, "Gamma"),
	}
	w.admin = w.newMember(t, "admin@msp.test", tandem.RoleAdmin, nil, nil)
	w.tech = w.newMember(t, "tech@msp.test", tandem.RoleTechnician, nil, []int64{w.orgA.ID})
	w.watcher = w.newMember(t, "watcher@msp.test", tandem.RoleViewer, nil, []int64{w.orgB.ID})
	w.itAdminB = w.newMember(t, "it-admin@beta.test", tandem.RoleITAdmin, &w.orgB.ID, nil)
	w.requesterB = w.newMember(t, "requester@beta.test", tandem.RoleRequester, &w.orgB.ID, nil)
	w.itTechA = w.newMember(t, "it-tech@acme.test", tandem.RoleITTechnician, &w.orgA.ID, nil)
	return w
}

func (w *world) newMember(t *testing.T, email string, role tandem.Role, org *int64, assigned []int64) member {
	t.Helper()
	u := w.s.MustCreateUser(t, &tandem.User{Email: email, Name: email, Role: role, OrganizationID: org, Organizations: assigned}, "correct horse battery")
	return member{User: u, client: client{base: w.s.HTTPServer.URL(), token: w.s.MustCreateToken(t, u.ID)}}
}

// state is everything a refused request must leave as it was.
type state struct {
	Orgs  []json.RawMessage
	Users []json.RawMessage
	Audit int
}

// snapshot reads every organisation and user through the API as the provider
// admin, and counts the audit entries.
func (w *world) snapshot(t *testing.T) state {
	t.Helper()
	entries, err := w.s.Services.DB.AuditEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return state{
		Orgs:  listAll[json.RawMessage](t, w.admin.client, "/api/v1/orgs"),
		Users: listAll[json.RawMessage](t, w.admin.client, "/api/v1/users"),
		Audit: len(entries),
	}
}

// unchanged fails the test when the stored data differs from before.
func (w *world) unchanged(t *testing.T, before state) {
	t.Helper()
	after := w.snapshot(t)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("data changed:\nbefore: %d orgs, %d users, %d audit entries\nafter:  %d orgs, %d users, %d audit entries",
			len(before.Orgs), len(before.Users), before.Audit, len(after.Orgs), len(after.Users), after.Audit)
	}
}

// orgIDs returns the ids of organisations in order.
func orgIDs(orgs []tandem.Organization) []int64 {
	out := []int64{}
	for _, o := range orgs {
		out = append(out, o.ID)
	}
	return out
}

// emails returns the sorted email addresses of users.
func emails(users []tandem.User) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, u.Email)
	}
	slices.Sort(out)
	return out
}
