package http_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// Bad input: every malformed or rule-breaking request gets a 4xx naming the
// problem, and leaves the data as it was.
func TestAPI_BadInput(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		orgA := fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID)
		userB := fmt.Sprintf("/api/v1/users/%d", w.requesterB.ID)
		user := func(fields string) string {
			return fmt.Sprintf(`{"email":"new@acme.test","role":"requester","organization_id":%d,"password":"long enough secret"%s}`, w.orgA.ID, fields)
		}
		huge := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
		var tk tandem.Ticket
		w.admin.post(t, orgA+"/tickets", map[string]any{"title": "Input checks"}).want(t, http.StatusCreated, &tk)
		ticket := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)

		tests := []struct {
			name        string
			method      string
			path        string
			contentType string // application/json when empty
			body        string
			status      int
			code        string
			mention     string // the message must name this
		}{
			// Malformed bodies: 400.
			{"MalformedJSON", "POST", "/api/v1/orgs", "", `{"name" "x"}`, 400, tandem.EBADREQUEST, "not valid JSON"},
			{"TruncatedJSON", "POST", "/api/v1/orgs", "", `{"name": "x"`, 400, tandem.EBADREQUEST, "incomplete"},
			{"WrongType", "POST", "/api/v1/orgs", "", `{"name": 5}`, 400, tandem.EBADREQUEST, `"name"`},
			{"WrongTypeOnPatch", "PATCH", userB, "", `{"active": "yes"}`, 400, tandem.EBADREQUEST, `"active"`},
			{"WrongTypeOrganizationID", "POST", "/api/v1/users", "", `{"email":"new@acme.test","role":"requester","organization_id":"acme","password":"long enough secret"}`, 400, tandem.EBADREQUEST, `"organization_id"`},
			{"UnknownField", "POST", "/api/v1/orgs", "", `{"name": "Delta", "owner": "me"}`, 400, tandem.EBADREQUEST, `"owner"`},
			{"UnknownFieldOnPatch", "PATCH", orgA, "", `{"nmae": "Acme 2"}`, 400, tandem.EBADREQUEST, `"nmae"`},
			{"UnknownFieldOnUser", "POST", "/api/v1/users", "", user(`,"admin":true`), 400, tandem.EBADREQUEST, `"admin"`},
			// encoding/json matches keys regardless of case and keeps the
			// last of duplicates; the API does not, so that a proxy checking
			// "role" reads the same request as the server.
			{"FieldNameInOtherCase", "POST", "/api/v1/orgs", "", `{"Name": "Delta"}`, 400, tandem.EBADREQUEST, `"Name"`},
			{"FieldTwiceInOtherCase", "POST", "/api/v1/users", "", user(`,"ROLE":"it-admin"`), 400, tandem.EBADREQUEST, `"ROLE"`},
			{"FieldTwice", "PATCH", userB, "", `{"name": "Ann", "name": "Bob"}`, 400, tandem.EBADREQUEST, `"name"`},
			{"NotAnObject", "POST", "/api/v1/orgs", "", `["Delta"]`, 400, tandem.EBADREQUEST, "object"},
			{"EmptyBody", "POST", "/api/v1/orgs", "", ``, 400, tandem.EBADREQUEST, "empty"},
			{"EmptyBodyOnPatch", "PATCH", orgA, "", ``, 400, tandem.EBADREQUEST, "empty"},
			{"TwoValues", "POST", "/api/v1/orgs", "", `{"name": "Delta"} {"name": "Echo"}`, 400, tandem.EBADREQUEST, "more than one"},
			{"TrailingGarbage", "POST", "/api/v1/orgs", "", `{"name": "Delta"} x`, 400, tandem.EBADREQUEST, "JSON"},
			{"TooLarge", "POST", "/api/v1/orgs", "", huge, 413, tandem.ETOOLARGE, "larger than"},
			{"TooLargeOnPatch", "PATCH", orgA, "", huge, 413, tandem.ETOOLARGE, "larger than"},
			{"TextContentType", "POST", "/api/v1/orgs", "text/plain", `{"name": "Delta"}`, 400, tandem.EBADREQUEST, "Content-Type"},
			{"FormContentType", "POST", "/api/v1/orgs", "application/x-www-form-urlencoded", `name=Delta`, 400, tandem.EBADREQUEST, "Content-Type"},
			{"JSONLookalikeContentType", "POST", "/api/v1/orgs", "application/jsonp", `{"name": "Delta"}`, 400, tandem.EBADREQUEST, "Content-Type"},

			// Well-formed but breaking a rule: 422.
			{"EmptyName", "POST", "/api/v1/orgs", "", `{"name": "  "}`, 422, tandem.EINVALID, "name"},
			{"BadSlug", "POST", "/api/v1/orgs", "", `{"name": "Delta", "slug": "Not A Slug"}`, 422, tandem.EINVALID, "Not A Slug"},
			{"EmptySlugOnPatch", "PATCH", orgA, "", `{"slug": ""}`, 422, tandem.EINVALID, "slug"},
			{"InvalidEmail", "POST", "/api/v1/users", "", `{"email":"not-an-email","role":"viewer","password":"long enough secret"}`, 422, tandem.EINVALID, "not-an-email"},
			{"InvalidRole", "POST", "/api/v1/users", "", `{"email":"new@msp.test","role":"overlord","password":"long enough secret"}`, 422, tandem.EINVALID, "overlord"},
			{"RoleOfOtherParty", "POST", "/api/v1/users", "", strings.Replace(user(""), `"requester"`, `"admin"`, 1), 422, tandem.EINVALID, "admin"},
			{"InvalidRoleOnPatch", "PATCH", userB, "", `{"role": "overlord"}`, 422, tandem.EINVALID, "overlord"},
			{"ShortPassword", "POST", "/api/v1/users", "", strings.Replace(user(""), "long enough secret", "short", 1), 422, tandem.EINVALID, "Password"},
			{"UnknownOrganization", "POST", "/api/v1/users", "", strings.Replace(user(""), fmt.Sprint(w.orgA.ID), "999999", 1), 422, tandem.EINVALID, "999999"},

			// Collisions: 409.
			{"DuplicateSlug", "POST", "/api/v1/orgs", "", `{"name": "Acme Again", "slug": "acme"}`, 409, tandem.ECONFLICT, "acme"},
			{"DuplicateSlugFromName", "POST", "/api/v1/orgs", "", `{"name": "BETA"}`, 409, tandem.ECONFLICT, "beta"},
			{"DuplicateSlugOnPatch", "PATCH", orgA, "", `{"slug": "beta"}`, 409, tandem.ECONFLICT, "beta"},
			{"DuplicateEmail", "POST", "/api/v1/users", "", strings.Replace(user(""), "new@acme.test", "it-tech@acme.test", 1), 409, tandem.ECONFLICT, "it-tech@acme.test"},
			{"DuplicateEmailOtherCase", "POST", "/api/v1/users", "", strings.Replace(user(""), "new@acme.test", " IT-Tech@Acme.test", 1), 409, tandem.ECONFLICT, "it-tech@acme.test"},

			// Query parameters: 400.
			{"LimitNotANumber", "GET", "/api/v1/orgs?limit=ten", "", "", 400, tandem.EBADREQUEST, "limit"},
			{"LimitZero", "GET", "/api/v1/orgs?limit=0", "", "", 400, tandem.EBADREQUEST, "limit"},
			{"LimitNegative", "GET", "/api/v1/users?limit=-1", "", "", 400, tandem.EBADREQUEST, "limit"},
			{"LimitTooLarge", "GET", "/api/v1/users?limit=501", "", "", 400, tandem.EBADREQUEST, "limit"},
			{"CursorNotANumber", "GET", "/api/v1/orgs?cursor=abc", "", "", 400, tandem.EBADREQUEST, "cursor"},
			{"CursorNegative", "GET", "/api/v1/users?cursor=-5", "", "", 400, tandem.EBADREQUEST, "cursor"},
			{"OrganizationIDNotANumber", "GET", "/api/v1/users?organization_id=acme", "", "", 400, tandem.EBADREQUEST, "organization_id"},
			{"UnknownParty", "GET", "/api/v1/users?party=both", "", "", 400, tandem.EBADREQUEST, "both"},

			// Ids in the path: anything but a positive integer is not found.
			{"OrgIDNotANumber", "GET", "/api/v1/orgs/acme", "", "", 404, tandem.ENOTFOUND, "acme"},
			{"OrgIDZero", "GET", "/api/v1/orgs/0", "", "", 404, tandem.ENOTFOUND, "0"},
			{"OrgIDOverflow", "GET", "/api/v1/orgs/99999999999999999999", "", "", 404, tandem.ENOTFOUND, "99999999999999999999"},
			{"OrgIDNotANumberOnPatch", "PATCH", "/api/v1/orgs/acme", "", `{"name": "x"}`, 404, tandem.ENOTFOUND, "acme"},
			{"UserIDNotANumber", "GET", "/api/v1/users/me", "", "", 404, tandem.ENOTFOUND, "me"},
			{"UserIDNegativeOnPatch", "PATCH", "/api/v1/users/-1", "", `{"name": "x"}`, 404, tandem.ENOTFOUND, "-1"},
			{"UnknownRoute", "GET", "/api/v1/organisations", "", "", 404, tandem.ENOTFOUND, "/api/v1/organisations"},

			// The service desk.
			{"TicketOrganizationInBody", "POST", orgA + "/tickets", "", `{"title": "x", "organization_id": 1}`, 400, tandem.EBADREQUEST, `"organization_id"`},
			{"TicketAreaWrongType", "POST", orgA + "/tickets", "", `{"title": "x", "area_id": "printers"}`, 400, tandem.EBADREQUEST, `"area_id"`},
			{"TicketTitleMissing", "POST", orgA + "/tickets", "", `{"description": "It broke."}`, 422, tandem.EINVALID, "Title"},
			{"TicketBadImpact", "POST", orgA + "/tickets", "", `{"title": "x", "impact": "extreme"}`, 422, tandem.EINVALID, "extreme"},
			{"TicketImpactNotAString", "POST", orgA + "/tickets", "", `{"title": "x", "impact": 3}`, 400, tandem.EBADREQUEST, `"impact" must be a string, not number`},
			{"TicketTagsNotAnArray", "POST", orgA + "/tickets", "", `{"title": "x", "tags": "printer"}`, 400, tandem.EBADREQUEST, `"tags" must be an array, not string`},
			{"TicketUnknownArea", "POST", orgA + "/tickets", "", `{"title": "x", "area_id": 999999}`, 422, tandem.EINVALID, "999999"},
			{"TicketBadStatus", "PATCH", ticket, "", `{"status": "done"}`, 422, tandem.EINVALID, "done"},
			{"TicketMoveNotAllowed", "PATCH", ticket, "", `{"status": "closed"}`, 422, tandem.EINVALID, "closed"},
			{"TicketTagsWrongType", "PATCH", ticket, "", `{"tags": "urgent"}`, 400, tandem.EBADREQUEST, `"tags"`},
			{"TicketBadTag", "PATCH", ticket, "", `{"tags": ["no spaces"]}`, 422, tandem.EINVALID, "no spaces"},
			{"TicketIDNotANumber", "GET", "/api/v1/tickets/abc", "", "", 404, tandem.ENOTFOUND, "abc"},
			{"TicketIDZeroOnPatch", "PATCH", "/api/v1/tickets/0", "", `{"title": "x"}`, 404, tandem.ENOTFOUND, "0"},
			{"HandoffIDNotANumber", "POST", ticket + "/handoffs/first/accept", "", "", 404, tandem.ENOTFOUND, "first"},
			{"WatcherNotAUser", "PUT", ticket + "/watchers/someone", "", "", 404, tandem.ENOTFOUND, "someone"},
			{"AttachmentIDNotANumber", "GET", ticket + "/attachments/logo.png", "", "", 404, tandem.ENOTFOUND, "logo.png"},
			{"CommentEmpty", "POST", ticket + "/comments", "", `{"body": "   "}`, 422, tandem.EINVALID, "empty"},
			{"CommentBadVisibility", "POST", ticket + "/comments", "", `{"body": "x", "visibility": "secret"}`, 422, tandem.EINVALID, "secret"},
			{"TimeEntryZero", "POST", ticket + "/time-entries", "", `{"minutes": 0}`, 422, tandem.EINVALID, "Minutes"},
			{"TimeEntryBadDate", "POST", ticket + "/time-entries", "", `{"minutes": 5, "spent_on": "yesterday"}`, 422, tandem.EINVALID, "yesterday"},
			{"UploadAsJSON", "POST", ticket + "/attachments", "", `{"file": "x"}`, 400, tandem.EBADREQUEST, "multipart/form-data"},
			{"UploadWithoutFile", "POST", ticket + "/attachments", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\npublic\r\n--b--\r\n", 400, tandem.EBADREQUEST, `"file"`},
			{"UploadUnknownField", "POST", ticket + "/attachments", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"owner\"\r\n\r\nme\r\n--b--\r\n", 400, tandem.EBADREQUEST, `"owner"`},
			{"TicketFilterStatus", "GET", "/api/v1/tickets?status=done", "", "", 400, tandem.EBADREQUEST, "status"},
			{"TicketFilterAssignee", "GET", "/api/v1/tickets?assignee_id=you", "", "", 400, tandem.EBADREQUEST, "assignee_id"},
			{"TicketFilterPriority", "GET", "/api/v1/tickets?priority=9", "", "", 400, tandem.EBADREQUEST, "priority"},
			{"TicketFilterCursor", "GET", "/api/v1/tickets?cursor=abc", "", "", 400, tandem.EBADREQUEST, "cursor"},
			{"CalendarWithoutDefinition", "POST", orgA + "/calendars", "", `{"name": "Office"}`, 422, tandem.EINVALID, "definition"},
			{"CalendarBadZone", "POST", orgA + "/calendars", "", `{"name": "Office", "definition": {"timezone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}}}`, 422, tandem.EINVALID, "Mars/Olympus"},
			{"CalendarOverlap", "POST", orgA + "/calendars", "", `{"name": "Office", "definition": {"timezone": "UTC", "hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}}`, 422, tandem.EINVALID, "mon"},
			{"CalendarIDNotANumber", "GET", orgA + "/calendars/office", "", "", 404, tandem.ENOTFOUND, "office"},
			{"SLAPolicyUnknownField", "PUT", orgA + "/sla-policy", "", `{"warn": 50}`, 400, tandem.EBADREQUEST, `"warn"`},
			{"SLAPolicyBadWarn", "PUT", orgA + "/sla-policy", "", `{"warn_percent": 150}`, 422, tandem.EINVALID, "warn_percent"},
			{"SLAPolicyBadPriority", "PUT", orgA + "/sla-policy", "", `{"targets": [{"priority": 7, "response_minutes": 10, "resolution_minutes": 60}]}`, 422, tandem.EINVALID, "7"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				var body io.Reader
				if tt.method != "GET" {
					body = strings.NewReader(tt.body)
				}
				req := w.admin.newRequest(t, tt.method, tt.path, body)
				if body != nil {
					ct := tt.contentType
					if ct == "" {
						ct = "application/json"
					}
					req.Header.Set("Content-Type", ct)
				}
				msg := send(t, req).wantError(t, tt.status, tt.code)
				if !strings.Contains(msg, tt.mention) {
					t.Errorf("message %q does not mention %q", msg, tt.mention)
				}
				w.unchanged(t, before)
			})
		}

		// The same bodies in acceptable dress still work, so the refusals
		// above are about the input and not the route.
		t.Run("AcceptedContentTypes", func(t *testing.T) {
			for i, ct := range []string{"", "application/json", "application/json; charset=utf-8", "Application/JSON"} {
				req := w.admin.newRequest(t, "POST", "/api/v1/orgs", strings.NewReader(fmt.Sprintf(`{"name": "Accepted %d"}`, i)))
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				if res := send(t, req); res.Status != http.StatusCreated {
					t.Errorf("Content-Type %q: status = %d, want 201; body: %s", ct, res.Status, res.Body)
				}
			}
		})
	})
}

// Authentication: no token, a bogus one or an expired one is 401 with a
// challenge, and changes nothing.
func TestAPI_Authentication(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		tests := []struct {
			name          string
			authorization string
			method        string
			path          string
		}{
			{"NoToken", "", "GET", "/api/v1/orgs"},
			{"NoTokenOnWrite", "", "POST", "/api/v1/orgs"},
			{"NoTokenOnMe", "", "GET", "/api/v1/me"},
			{"BogusToken", "Bearer tdm_bogus", "GET", "/api/v1/orgs"},
			{"BogusTokenOnWrite", "Bearer tdm_bogus", "PATCH", fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID)},
			{"NotOurPrefix", "Bearer " + strings.TrimPrefix(w.admin.token, "tdm_"), "GET", "/api/v1/users"},
			{"EmptyBearer", "Bearer ", "GET", "/api/v1/orgs"},
			{"BasicAuth", "Basic YWRtaW46cGFzc3dvcmQ=", "GET", "/api/v1/orgs"},
			{"TokenWithoutScheme", w.admin.token, "GET", "/api/v1/orgs"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.snapshot(t)
				var body io.Reader
				if tt.method != "GET" {
					body = strings.NewReader(`{"name": "Intruder"}`)
				}
				req := anonymous(s).newRequest(t, tt.method, tt.path, body)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				if tt.authorization != "" {
					req.Header.Set("Authorization", tt.authorization)
				}
				res := send(t, req)
				res.wantError(t, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
				if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
				w.unchanged(t, before)
			})
		}

		t.Run("SchemeIsCaseInsensitive", func(t *testing.T) {
			req := anonymous(s).newRequest(t, "GET", "/api/v1/me", nil)
			req.Header.Set("Authorization", "bearer "+w.admin.token)
			send(t, req).want(t, http.StatusOK, nil)
		})

		t.Run("ExpiredToken", func(t *testing.T) {
			now := time.Now()
			expires := now.Add(time.Hour)
			_, secret, err := s.Services.Tokens.CreateToken(testserver.SystemContext(), w.admin.ID, tandem.TokenOptions{Name: "short-lived", ExpiresAt: &expires})
			if err != nil {
				t.Fatal(err)
			}
			c := client{base: s.HTTPServer.URL(), token: secret}
			c.get(t, "/api/v1/orgs").want(t, http.StatusOK, nil)

			s.Services.DB.Now = func() time.Time { return now.Add(2 * time.Hour) }
			t.Cleanup(func() { s.Services.DB.Now = time.Now })
			res := c.get(t, "/api/v1/orgs")
			res.wantError(t, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate challenge")
			}
			// A token without expiry still works at that time.
			w.admin.get(t, "/api/v1/orgs").want(t, http.StatusOK, nil)
		})

		t.Run("DeactivatedUser", func(t *testing.T) {
			var u tandem.User
			w.admin.patch(t, fmt.Sprintf("/api/v1/users/%d", w.requesterB.ID), map[string]any{"active": false}).want(t, http.StatusOK, &u)
			if u.Active {
				t.Fatal("user still active")
			}
			w.requesterB.get(t, "/api/v1/me").wantError(t, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		})
	})
}
