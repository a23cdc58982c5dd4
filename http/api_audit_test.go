package http_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// storedAudit returns the ids of the stored entries for which keep is true,
// newest first, as the API lists them.
func storedAudit(t *testing.T, s *testserver.Server, keep func(e tandem.AuditEntry) bool) []int64 {
	t.Helper()
	all, err := s.Services.DB.AuditEntries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for i := len(all) - 1; i >= 0; i-- {
		if keep(all[i]) {
			ids = append(ids, all[i].ID)
		}
	}
	return ids
}

func ofOrg(id int64) func(e tandem.AuditEntry) bool {
	return func(e tandem.AuditEntry) bool { return e.OrganizationID != nil && *e.OrganizationID == id }
}

func entryIDs(list []tandem.AuditEntry) []int64 {
	ids := []int64{}
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	return ids
}

// getAccept sends a GET with an Accept header.
func (c client) getAccept(t *testing.T, path, accept string) *response {
	t.Helper()
	req := c.newRequest(t, http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return send(t, req)
}

// jsonLines decodes a JSON lines export.
func jsonLines(t *testing.T, body []byte) []tandem.AuditEntry {
	t.Helper()
	list := []tandem.AuditEntry{}
	for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e tandem.AuditEntry
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		list = append(list, e)
	}
	return list
}

// csvIDs reads a CSV export and returns the ids of its rows.
func csvIDs(t *testing.T, body []byte) []int64 {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export %q: %v", body, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], tandem.AuditCSVHeader) {
		t.Fatalf("CSV export starts with %q, want the header", rows)
	}
	ids := []int64{}
	for _, row := range rows[1:] {
		var id int64
		fmt.Sscan(row[0], &id)
		ids = append(ids, id)
	}
	return ids
}

// wantDownload fails unless the answer is a download of the given type.
func wantDownload(t *testing.T, res *response, contentType, ext string) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", res.Status, res.Body)
	}
	if got := res.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, `attachment; filename="tandem-audit-`) || !strings.HasSuffix(got, ext+`"`) {
		t.Errorf("Content-Disposition = %q, want an attachment named tandem-audit-….%s", got, ext)
	}
}

func TestAuditAPI_Scope(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		all := storedAudit(t, s, func(tandem.AuditEntry) bool { return true })
		a, b := storedAudit(t, s, ofOrg(w.orgA.ID)), storedAudit(t, s, ofOrg(w.orgB.ID))
		if len(a) == 0 || len(b) == 0 || len(all) <= len(a)+len(b) {
			t.Fatalf("fixture: %d entries, %d of A, %d of B; want some in each chain and the provider's", len(all), len(a), len(b))
		}
		tests := []struct {
			name  string
			m     member
			query string
			want  []int64
		}{
			{"ProviderAdminSeesEveryChain", w.admin, "", all},
			{"TechnicianSeesAssigned", w.tech, "", a},
			{"ProviderViewerSeesAssigned", w.watcher, "", b},
			{"ITAdminSeesOwn", w.itAdminB, "", b},
			{"ITTechnicianSeesOwn", w.itTechA, "", a},
			{"ITAdminFiltersOtherOrganization", w.itAdminB, fmt.Sprintf("&organization_id=%d", w.orgA.ID), []int64{}},
			{"TechnicianFiltersUnassigned", w.tech, fmt.Sprintf("&organization_id=%d", w.orgB.ID), []int64{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := entryIDs(listAll[tandem.AuditEntry](t, tt.m.client, "/api/v1/audit?limit=3"+tt.query))
				if !slices.Equal(got, tt.want) {
					t.Errorf("ids = %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("ProviderChainOnlyForAdmins", func(t *testing.T) {
			for _, m := range []member{w.tech, w.watcher} {
				for _, e := range listAll[tandem.AuditEntry](t, m.client, "/api/v1/audit") {
					if e.Chain == tandem.ProviderChain {
						t.Errorf("%s sees provider entry %d (%s)", m.Email, e.ID, e.Action)
					}
				}
			}
		})
		t.Run("RequesterForbidden", func(t *testing.T) {
			w.requesterB.get(t, "/api/v1/audit").wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
			w.requesterB.get(t, "/api/v1/audit?format=csv").wantError(t, http.StatusForbidden, tandem.EFORBIDDEN)
		})
		t.Run("NoToken", func(t *testing.T) {
			anonymous(s).get(t, "/api/v1/audit").wantError(t, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		})
		t.Run("ReadOnly", func(t *testing.T) {
			// There is no way to change or remove an entry.
			for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
				if res := w.admin.do(t, method, "/api/v1/audit", `{}`); res.Status != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s /api/v1/audit answered %d (Allow %q), want 405 allowing only GET and HEAD", method, res.Status, res.Header.Get("Allow"))
				}
				if res := w.admin.do(t, method, fmt.Sprintf("/api/v1/audit/%d", all[0]), `{}`); res.Status != http.StatusNotFound {
					t.Errorf("%s /api/v1/audit/{id} answered %d, want 404", method, res.Status)
				}
			}
			if got := storedAudit(t, s, func(tandem.AuditEntry) bool { return true }); !slices.Equal(got, all) {
				t.Errorf("the log changed: %v, was %v", got, all)
			}
		})
	})
}

func TestAuditAPI_FiltersAndExports(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		w.itAdminB.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), map[string]any{"name": "Beta Corp"}).want(t, http.StatusOK, nil)
		renames := storedAudit(t, s, func(e tandem.AuditEntry) bool { return e.Action == "organization.update" })
		if len(renames) != 1 {
			t.Fatalf("%d organization.update entries, want 1", len(renames))
		}
		var rename tandem.AuditEntry
		entries, _ := s.Services.DB.AuditEntries(context.Background())
		for _, e := range entries {
			if e.ID == renames[0] {
				rename = e
			}
		}
		time.Sleep(time.Millisecond)
		w.admin.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID), map[string]any{"name": "Acme Corp"}).want(t, http.StatusOK, nil)
		at := url.QueryEscape(rename.At.Format(time.RFC3339Nano))

		tests := []struct {
			name  string
			query string
			keep  func(e tandem.AuditEntry) bool
		}{
			{"Organization", fmt.Sprintf("organization_id=%d", w.orgB.ID), ofOrg(w.orgB.ID)},
			{"ActionExact", "action=organization.update", func(e tandem.AuditEntry) bool { return e.Action == "organization.update" }},
			{"ActionPrefix", "action=token.", func(e tandem.AuditEntry) bool { return strings.HasPrefix(e.Action, "token.") }},
			{"Party", "party=internal", func(e tandem.AuditEntry) bool { return e.ActorParty == "internal" }},
			{"Actor", fmt.Sprintf("actor_user_id=%d", w.itAdminB.ID), func(e tandem.AuditEntry) bool {
				return e.ActorUserID != nil && *e.ActorUserID == w.itAdminB.ID
			}},
			{"Since", "since=" + at, func(e tandem.AuditEntry) bool { return !e.At.Before(rename.At) }},
			{"Until", "until=" + at, func(e tandem.AuditEntry) bool { return e.At.Before(rename.At) }},
			{"Combined", fmt.Sprintf("organization_id=%d&action=organization.&since=%s", w.orgB.ID, at), func(e tandem.AuditEntry) bool {
				return ofOrg(w.orgB.ID)(e) && strings.HasPrefix(e.Action, "organization.") && !e.At.Before(rename.At)
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := storedAudit(t, s, tt.keep)
				if len(want) == 0 {
					t.Fatal("the filter selects nothing; the case proves little")
				}
				// Pages of two, one big page, and both exports agree.
				if got := entryIDs(listAll[tandem.AuditEntry](t, w.admin.client, "/api/v1/audit?limit=2&"+tt.query)); !slices.Equal(got, want) {
					t.Errorf("pages: ids = %v, want %v", got, want)
				}
				res := w.admin.get(t, "/api/v1/audit?format=jsonl&"+tt.query)
				wantDownload(t, res, "application/x-ndjson", "jsonl")
				lines := jsonLines(t, res.Body)
				if got := entryIDs(lines); !slices.Equal(got, want) {
					t.Errorf("JSON lines: ids = %v, want %v", got, want)
				}
				for _, e := range lines {
					if e.ComputeHash() != e.Hash {
						t.Errorf("entry %d: the hash cannot be recomputed from its line", e.ID)
					}
				}
				res = w.admin.get(t, "/api/v1/audit?format=csv&"+tt.query)
				wantDownload(t, res, "text/csv; charset=utf-8", "csv")
				if got := csvIDs(t, res.Body); !slices.Equal(got, want) {
					t.Errorf("CSV: ids = %v, want %v", got, want)
				}
			})
		}

		t.Run("AcceptHeader", func(t *testing.T) {
			want := storedAudit(t, s, ofOrg(w.orgB.ID))
			path := fmt.Sprintf("/api/v1/audit?organization_id=%d", w.orgB.ID)
			res := w.itAdminB.getAccept(t, path, "application/x-ndjson")
			wantDownload(t, res, "application/x-ndjson", "jsonl")
			if got := entryIDs(jsonLines(t, res.Body)); !slices.Equal(got, want) {
				t.Errorf("ids = %v, want %v", got, want)
			}
			res = w.itAdminB.getAccept(t, path, "application/json;q=0.5, text/csv")
			wantDownload(t, res, "text/csv; charset=utf-8", "csv")
			for _, accept := range []string{"", "*/*", "application/json, text/csv", "text/csv;q=0.1, application/json"} {
				res := w.itAdminB.getAccept(t, path, accept)
				if ct := res.Header.Get("Content-Type"); res.Status != http.StatusOK || ct != "application/json" {
					t.Errorf("Accept %q: %d %s, want a JSON page", accept, res.Status, ct)
				}
			}
		})

		t.Run("BadFilter", func(t *testing.T) {
			for _, tt := range []struct{ query, param string }{
				{"organization_id=x", "organization_id"},
				{"actor_user_id=1.5", "actor_user_id"},
				{"party=robots", "party"},
				{"action=User.Create", "action"},
				{"since=yesterday", "since"},
				{"until=2030-13-01T00:00:00Z", "until"},
				{"since=2030-03-14T10:00:00Z&until=2030-03-14T09:00:00Z", "until"},
				{"limit=0", "limit"},
				{"limit=501", "limit"},
				{"cursor=x", "cursor"},
				{"format=xml", "format"},
			} {
				t.Run(tt.param, func(t *testing.T) {
					for _, extra := range []string{"", "&format=csv"} {
						if (tt.param == "format" || tt.param == "limit") && extra != "" {
							continue // an export has no pages to size
						}
						msg := w.admin.get(t, "/api/v1/audit?"+tt.query+extra).wantError(t, http.StatusBadRequest, tandem.EBADREQUEST)
						if !strings.HasPrefix(msg, tt.param+" ") {
							t.Errorf("%s: message %q does not start with the parameter", tt.query+extra, msg)
						}
					}
				})
			}
		})
	})
}

// An export holds every matching entry, however many pages the service
// needs for them.
func TestAuditAPI_ExportEveryPage(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		for i := range tandem.ExportPageSize + 20 {
			name := fmt.Sprintf("Acme %d", i)
			if _, err := s.Services.Organizations.UpdateOrganization(testserver.SystemContext(), w.orgA.ID, tandem.OrganizationUpdate{Name: &name}); err != nil {
				t.Fatal(err)
			}
		}
		want := storedAudit(t, s, ofOrg(w.orgA.ID))
		res := w.tech.get(t, "/api/v1/audit?format=jsonl&limit=1")
		wantDownload(t, res, "application/x-ndjson", "jsonl")
		if got := entryIDs(jsonLines(t, res.Body)); !slices.Equal(got, want) {
			t.Errorf("exported %d entries, want %d", len(got), len(want))
		}
		res = w.tech.getAccept(t, "/api/v1/audit", "text/csv")
		wantDownload(t, res, "text/csv; charset=utf-8", "csv")
		if got := csvIDs(t, res.Body); !slices.Equal(got, want) {
			t.Errorf("exported %d CSV rows, want %d", len(got), len(want))
		}
	})
}

var registerNDJSON sync.Once

// The audit route's answers — a page, both downloads, errors — match the
// API document, each exported line its AuditEntry schema.
func TestAuditAPI_MatchesDocument(t *testing.T) {
	t.Parallel()
	// kin-openapi decodes no JSON lines; the document types the body as a
	// string, and each line is checked against AuditEntry below.
	registerNDJSON.Do(func() { openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder) })
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		doc := loadAPIDocument(t, s)
		router, err := legacy.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, s)
		entrySchema := doc.Components.Schemas["AuditEntry"].Value
		for _, tt := range []struct {
			name   string
			m      member
			path   string
			accept string
			status int
		}{
			{"Page", w.admin, "/audit?limit=2", "", 200},
			{"Filtered", w.itAdminB, fmt.Sprintf("/audit?organization_id=%d&party=system&action=user.&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z", w.orgB.ID), "", 200},
			{"JSONLines", w.admin, "/audit?format=jsonl", "", 200},
			{"CSV", w.tech, "/audit?format=csv", "", 200},
			{"AcceptCSV", w.tech, "/audit", "text/csv", 200},
			{"BadFilter", w.admin, "/audit?party=robots", "", 400},
			{"NoToken", member{}, "/audit", "", 401},
			{"Requester", w.requesterB, "/audit", "", 403},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.m.client
				c.base = s.HTTPServer.URL()
				res := c.getAccept(t, apiPrefix+tt.path, tt.accept)
				if res.Status != tt.status {
					t.Fatalf("status = %d, want %d; body: %s", res.Status, tt.status, res.Body)
				}
				route, params := findRoute(t, router, "GET", tt.path)
				in := &openapi3filter.RequestValidationInput{
					Request: documentRequest(t, "GET", tt.path, ""), PathParams: params, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
				}
				if res.Status < 300 {
					if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
						t.Errorf("the server accepted a request the document refuses: %v", err)
					}
				}
				out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.Status, Header: res.Header,
					Options: &openapi3filter.Options{IncludeResponseStatus: true}}
				out.SetBodyBytes(res.Body)
				if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
					t.Errorf("response does not match the document: %v\nbody: %.500s", err, res.Body)
				}
				var items []any
				switch res.Header.Get("Content-Type") {
				case "application/x-ndjson":
					for _, line := range bytes.Split(bytes.TrimSpace(res.Body), []byte("\n")) {
						var v any
						json.Unmarshal(line, &v)
						items = append(items, v)
					}
				case "application/json":
					var pg struct{ Items []any }
					json.Unmarshal(res.Body, &pg)
					items = pg.Items
				}
				for _, v := range items {
					if err := entrySchema.VisitJSON(v); err != nil {
						t.Errorf("entry %v does not match AuditEntry: %v", v, err)
					}
				}
				if res.Status == 200 && strings.HasPrefix(tt.name, "JSON") && len(items) == 0 {
					t.Error("no lines to check")
				}
			})
		}
	})
}
