package http_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// browser is a cookie-keeping HTTP client logged in to the UI.
type browser struct {
	base   string
	client *http.Client
}

// logIn posts the login form as m and keeps the session cookie.
func logIn(t *testing.T, s *testserver.Server, m member) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{base: s.HTTPServer.URL(), client: &http.Client{Jar: jar}}
	res, err := b.client.PostForm(b.base+"/login", url.Values{"email": {m.Email}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u, _ := url.Parse(b.base)
	if !slices.ContainsFunc(jar.Cookies(u), func(c *http.Cookie) bool { return c.Name == "tandem_session" }) {
		t.Fatalf("logging in as %s set no session cookie (status %d)", m.Email, res.StatusCode)
	}
	return b
}

// get fetches a UI path without following redirects.
func (b *browser) get(t *testing.T, path string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}
}

var auditRowID = regexp.MustCompile(`<tr data-id="(\d+)">`)

// pageIDs returns the entry ids of the audit table, in order.
func pageIDs(body []byte) []int64 {
	ids := []int64{}
	for _, m := range auditRowID.FindAllSubmatch(body, -1) {
		id, _ := strconv.ParseInt(string(m[1]), 10, 64)
		ids = append(ids, id)
	}
	return ids
}

// link returns the unescaped href of the element with the given id.
func link(t *testing.T, body []byte, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]*)"[^>]*id="` + id + `"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no link #%s on the page", id)
	}
	return html.UnescapeString(string(m[1]))
}

// An organisation's it-admin browses their organisation's audit trail in the
// UI, filters and pages it, and exports what they see; another organisation's
// trail does not exist for them.
func TestAuditUI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		w.itAdminB.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), map[string]any{"name": "Beta Corp"}).want(t, http.StatusOK, nil)
		b := logIn(t, s, w.itAdminB)
		own := storedAudit(t, s, ofOrg(w.orgB.ID))

		t.Run("OwnOrganization", func(t *testing.T) {
			res := b.get(t, "/audit")
			if res.Status != http.StatusOK {
				t.Fatalf("GET /audit: %d %s", res.Status, res.Body)
			}
			// The login itself is an entry of the organisation's chain now.
			own = storedAudit(t, s, ofOrg(w.orgB.ID))
			if got := pageIDs(res.Body); !slices.Equal(got, own) {
				t.Errorf("table ids = %v, want %v (organisation B's, newest first)", got, own)
			}
			body := string(res.Body)
			for _, want := range []string{"<h1>Audit trail</h1>", "organization.update", "it-admin@beta.test", "Beta Corp", `href="/audit"`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, absent := range []string{"it-tech@acme.test", "Acme", "watcher@msp.test"} {
				if strings.Contains(body, absent) {
					t.Errorf("page shows %q, which belongs to another organisation or the provider", absent)
				}
			}
		})

		// Entries read as sentences whose targets link to what they name,
		// with the other fields as a list, never as raw JSON.
		t.Run("ReadableEntries", func(t *testing.T) {
			body := string(b.get(t, "/audit").Body)
			for _, want := range []string{
				`<a href="/audit?actor_user_id=` + strconv.FormatInt(w.itAdminB.ID, 10) + `" class="actor" title="Show only this actor's changes">it-admin@beta.test</a> set <a href="/orgs/` + w.orgB.Slug + `" class="target">Beta Corp</a>’s name to Beta Corp.`,
				`<span class="actor">Tandem</span> created <a href="/orgs/` + w.orgB.Slug + `/people" class="target">requester@beta.test</a>.`,
				`<dt>Role</dt><dd>requester</dd>`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			table := body[strings.Index(body, `<table class="list audit"`):]
			if strings.Contains(table, `{&#34;`) || strings.Contains(table, `{"`) {
				t.Error("the table shows a summary as raw JSON")
			}
			if !regexp.MustCompile(`<td class="when" data-label="Time"><time datetime="[^"]+Z">\w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d [A-Z]+</time></td>`).MatchString(body) {
				t.Error("times are not shown through when, in the viewer's zone with its name")
			}
		})

		// A filter keeps its values in the form on the filtered page and on
		// the pages after it, the page size too.
		t.Run("FilterKeepsState", func(t *testing.T) {
			res := b.get(t, "/audit?limit=1&party=system&action=user.")
			for page := range 2 {
				if page > 0 {
					res = b.get(t, link(t, res.Body, "audit-next"))
				}
				body := string(res.Body)
				for _, want := range []string{`<option value="system" selected>`, `name="action" value="user."`, `<input type="hidden" name="limit" value="1">`} {
					if !strings.Contains(body, want) {
						t.Errorf("page %d: the form lacks %s", page+1, want)
					}
				}
			}
		})

		t.Run("OtherOrganizationNotFound", func(t *testing.T) {
			res := b.get(t, fmt.Sprintf("/audit?organization_id=%d", w.orgA.ID))
			if res.Status != http.StatusNotFound || strings.Contains(string(res.Body), "Acme") {
				t.Errorf("another organisation's trail: %d, want 404 without its name; body %s", res.Status, res.Body)
			}
			res = b.get(t, fmt.Sprintf("/audit/export?format=csv&organization_id=%d", w.orgA.ID))
			if got := csvIDs(t, res.Body); len(got) != 0 {
				t.Errorf("export of another organisation's trail holds %v", got)
			}
		})

		t.Run("FilterPageAndExport", func(t *testing.T) {
			q := fmt.Sprintf("organization_id=%d&action=user.&party=system", w.orgB.ID)
			want := storedAudit(t, s, func(e tandem.AuditEntry) bool {
				return ofOrg(w.orgB.ID)(e) && strings.HasPrefix(e.Action, "user.") && e.ActorParty == "system"
			})
			if len(want) < 2 {
				t.Fatalf("the filter selects %v; want at least two entries to page", want)
			}
			res := b.get(t, "/audit?limit=1&"+q)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			got := pageIDs(res.Body)
			for range len(want) - 1 {
				next := link(t, res.Body, "audit-next")
				if !strings.Contains(next, "action=user.") || !strings.Contains(next, "limit=1") || !strings.Contains(next, "cursor=") {
					t.Fatalf("next page link %q drops the filter", next)
				}
				res = b.get(t, next)
				got = append(got, pageIDs(res.Body)...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages show %v, want %v", got, want)
			}
			if strings.Contains(string(res.Body), `id="audit-next"`) {
				t.Error("the last page links to a next one")
			}

			for _, format := range []string{"csv", "jsonl"} {
				href := link(t, res.Body, "audit-export-"+format)
				if !strings.HasPrefix(href, "/audit/export?") || strings.Contains(href, "cursor=") || !strings.Contains(href, "format="+format) {
					t.Errorf("export link %q; want /audit/export with the format and without the cursor", href)
				}
				exp := b.get(t, href)
				if format == "csv" {
					wantDownload(t, exp, "text/csv; charset=utf-8", "csv")
					if ids := csvIDs(t, exp.Body); !slices.Equal(ids, want) {
						t.Errorf("CSV export ids = %v, want %v", ids, want)
					}
				} else {
					wantDownload(t, exp, "application/x-ndjson", "jsonl")
					if ids := entryIDs(jsonLines(t, exp.Body)); !slices.Equal(ids, want) {
						t.Errorf("JSON lines export ids = %v, want %v", ids, want)
					}
				}
			}
			if !strings.Contains(string(res.Body), `hx-boost="false"`) {
				t.Error("export links are boosted: htmx would fetch the download into the page")
			}
		})

		t.Run("ActorFilter", func(t *testing.T) {
			res := b.get(t, "/audit")
			href := regexp.MustCompile(`<a href="([^"]*actor_user_id=` + strconv.FormatInt(w.itAdminB.ID, 10) + `[^"]*)"`).FindSubmatch(res.Body)
			if href == nil {
				t.Fatal("no link filtering by the it-admin's changes")
			}
			res = b.get(t, html.UnescapeString(string(href[1])))
			want := storedAudit(t, s, func(e tandem.AuditEntry) bool {
				return ofOrg(w.orgB.ID)(e) && e.ActorUserID != nil && *e.ActorUserID == w.itAdminB.ID
			})
			if got := pageIDs(res.Body); !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("actor's changes: %v, want %v", got, want)
			}
			if !strings.Contains(string(res.Body), "Changes by it-admin@beta.test only") {
				t.Error("the page does not say whose changes it shows")
			}
		})

		t.Run("DateFilter", func(t *testing.T) {
			if got := pageIDs(b.get(t, "/audit?until=2000-01-01").Body); len(got) != 0 {
				t.Errorf("entries until 2000: %v", got)
			}
			if got := pageIDs(b.get(t, "/audit?since=2000-01-01").Body); len(got) == 0 {
				t.Error("no entries since 2000")
			}
			res := b.get(t, "/audit?since=yesterday")
			if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "since &#34;yesterday&#34; is neither a date") {
				t.Errorf("a bad date: %d; want 400 saying what is wrong; body %s", res.Status, res.Body)
			}
		})

		t.Run("RequesterForbidden", func(t *testing.T) {
			r := logIn(t, s, w.requesterB)
			for _, path := range []string{"/audit", "/audit/export?format=csv"} {
				if res := r.get(t, path); res.Status != http.StatusForbidden {
					t.Errorf("requester GET %s: %d, want 403", path, res.Status)
				}
			}
			if res := r.get(t, "/orgs/"+w.orgB.Slug); res.Status != http.StatusOK || strings.Contains(string(res.Body), `href="/audit"`) {
				t.Error("the requester's navigation links to the audit trail")
			}
		})

		t.Run("NoSession", func(t *testing.T) {
			anon := &browser{base: s.HTTPServer.URL(), client: &http.Client{}}
			if res := anon.get(t, "/audit/export?format=csv"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Errorf("export without a session: %d to %q, want a redirect to /login", res.Status, res.Header.Get("Location"))
			}
		})
	})
}
