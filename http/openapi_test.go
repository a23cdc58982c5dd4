package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

// apiPrefix is the server URL of the API document; its paths are relative to it.
const apiPrefix = "/api/v1"

// loadAPIDocument fetches the served document without a token and checks it
// is valid OpenAPI 3.1.
func loadAPIDocument(t *testing.T, s *testserver.Server) *openapi3.T {
	t.Helper()
	res := anonymous(s).get(t, apiPrefix+"/openapi.json")
	res.want(t, http.StatusOK, nil)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(res.Body, tandemhttp.OpenAPIDocument()) {
		t.Error("served document differs from the embedded one")
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		doc := loadAPIDocument(t, s)

		t.Run("Version31", func(t *testing.T) {
			if !strings.HasPrefix(doc.OpenAPI, "3.1.") || !doc.IsOpenAPI31OrLater() {
				t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
			}
			if len(doc.Servers) != 1 || doc.Servers[0].URL != apiPrefix {
				t.Errorf("servers = %v, want one with url %s", doc.Servers, apiPrefix)
			}
		})

		t.Run("RoutesMatchDocument", func(t *testing.T) {
			var documented []string
			for path, item := range doc.Paths.Map() {
				// The agents' protocol has its own server URL, /agent/v1.
				prefix := apiPrefix
				if len(item.Servers) > 0 {
					prefix = item.Servers[0].URL
				}
				for method := range item.Operations() {
					documented = append(documented, method+" "+prefix+path)
				}
			}
			var registered []string
			for _, pattern := range s.HTTPServer.Routes() {
				method, path, ok := strings.Cut(pattern, " ")
				if !ok {
					// A pattern without a method would answer every method.
					method, path = "ANY", pattern
				}
				if strings.HasPrefix(path, apiPrefix+"/") || strings.HasPrefix(path, agentproto.PathPrefix+"/") {
					registered = append(registered, method+" "+path)
				}
			}
			slices.Sort(documented)
			slices.Sort(registered)
			for _, r := range registered {
				if !slices.Contains(documented, r) {
					t.Errorf("route %s is not in the document", r)
				}
			}
			for _, d := range documented {
				if !slices.Contains(registered, d) {
					t.Errorf("document describes %s, which the server does not serve", d)
				}
			}
			if !slices.ContainsFunc(registered, func(r string) bool { return strings.Contains(r, " "+apiPrefix+"/") }) {
				t.Error("no /api/v1 routes registered")
			}
			if !slices.ContainsFunc(registered, func(r string) bool { return strings.Contains(r, " "+agentproto.PathPrefix+"/") }) {
				t.Error("no /agent/v1 routes registered")
			}
		})
	})
}

// Every answer, success or error, has a status the document lists for its
// operation and a body its schema accepts; successful requests also match the
// documented request schema.
func TestOpenAPI_ResponsesMatchDocument(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		doc := loadAPIDocument(t, s)
		router, err := legacy.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, s)
		orgA := fmt.Sprintf("/orgs/%d", w.orgA.ID)
		orgB := fmt.Sprintf("/orgs/%d", w.orgB.ID)
		people := newPeopleFixture(t, s, w)
		future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		if err := sqlstore.EnqueueForTest(context.Background(), s.Services.DB,
			&tandem.Notification{OrganizationID: &w.orgA.ID, UserID: &w.tech.ID, Channel: tandem.ChannelInApp, Kind: tandem.NotifyAssigned, Subject: "Assigned", Body: "A ticket", Link: "/tickets/1"},
			&tandem.Notification{OrganizationID: &w.orgA.ID, UserID: &w.tech.ID, Address: w.tech.Email, Channel: tandem.ChannelEmail, Kind: tandem.NotifyAssigned, Subject: "Assigned", Body: "A ticket"}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			m      member
			method string
			path   string
			body   string
			status int
		}{
			{"ListOrgs", w.admin, "GET", "/orgs", "", 200},
			{"ListOrgsPaged", w.admin, "GET", "/orgs?limit=1", "", 200},
			{"ListOrgsBySlug", w.admin, "GET", "/orgs?slug=acme", "", 200},
			{"ListOrgsEmpty", w.admin, "GET", "/orgs?slug=none", "", 200},
			{"ListOrgsBadLimit", w.admin, "GET", "/orgs?limit=x", "", 400},
			{"ListOrgsNoToken", member{}, "GET", "/orgs", "", 401},
			{"GetOrg", w.tech, "GET", orgA, "", 200},
			{"GetOrgOutsideScope", w.itAdminB, "GET", orgA, "", 404},
			{"CreateOrg", w.admin, "POST", "/orgs", `{"name": "Delta", "slug": "delta"}`, 201},
			{"CreateOrgBadJSON", w.admin, "POST", "/orgs", `{"name":`, 400},
			{"CreateOrgForbidden", w.tech, "POST", "/orgs", `{"name": "Echo"}`, 403},
			{"CreateOrgConflict", w.admin, "POST", "/orgs", `{"name": "Acme"}`, 409},
			{"CreateOrgTooLarge", w.admin, "POST", "/orgs", `{"name": "` + strings.Repeat("x", 2<<20) + `"}`, 413},
			{"CreateOrgInvalid", w.admin, "POST", "/orgs", `{"name": ""}`, 422},
			{"UpdateOrg", w.itAdminB, "PATCH", orgB, `{"name": "Beta Corp"}`, 200},
			{"UpdateOrgForbidden", w.tech, "PATCH", orgA, `{"name": "Acme Corp"}`, 403},
			{"UpdateOrgConflict", w.admin, "PATCH", orgA, `{"slug": "beta"}`, 409},
			{"ListUsers", w.admin, "GET", "/users", "", 200},
			{"ListUsersFiltered", w.admin, "GET", fmt.Sprintf("/users?party=internal&organization_id=%d", w.orgB.ID), "", 200},
			{"ListUsersBadCursor", w.admin, "GET", "/users?cursor=x", "", 400},
			{"GetProviderUser", w.admin, "GET", fmt.Sprintf("/users/%d", w.tech.ID), "", 200},
			{"GetInternalUser", w.admin, "GET", fmt.Sprintf("/users/%d", w.itTechA.ID), "", 200},
			{"GetUserOutsideScope", w.requesterB, "GET", fmt.Sprintf("/users/%d", w.itAdminB.ID), "", 404},
			{"Me", w.watcher, "GET", "/me", "", 200},
			{"MeNoToken", member{}, "GET", "/me", "", 401},
			{"CreateUser", w.itAdminB, "POST", "/users",
				fmt.Sprintf(`{"email": "new@beta.test", "name": "New", "role": "requester", "organization_id": %d, "password": "long enough secret"}`, w.orgB.ID), 201},
			{"CreateProviderUser", w.admin, "POST", "/users",
				fmt.Sprintf(`{"email": "new@msp.test", "role": "technician", "organization_id": null, "assigned_organizations": [%d], "password": "long enough secret"}`, w.orgC.ID), 201},
			{"CreateUserInvalid", w.admin, "POST", "/users", `{"email": "nobody", "role": "viewer", "password": "long enough secret"}`, 422},
			{"CreateUserForbidden", w.itAdminB, "POST", "/users", `{"email": "x@msp.test", "role": "viewer", "password": "long enough secret"}`, 403},
			{"CreateUserConflict", w.admin, "POST", "/users", `{"email": "tech@msp.test", "role": "viewer", "password": "long enough secret"}`, 409},
			{"UpdateUser", w.admin, "PATCH", fmt.Sprintf("/users/%d", w.watcher.ID), fmt.Sprintf(`{"name": "Walt", "assigned_organizations": [%d, %d]}`, w.orgB.ID, w.orgC.ID), 200},
			{"UpdateUserForbidden", w.itAdminB, "PATCH", fmt.Sprintf("/users/%d", w.itAdminB.ID), `{"role": "viewer"}`, 403},
			{"UpdateUserUnknownField", w.admin, "PATCH", fmt.Sprintf("/users/%d", w.watcher.ID), `{"email": "x@msp.test"}`, 400},
			{"UpdateUserOutsideScope", w.tech, "PATCH", fmt.Sprintf("/users/%d", w.itAdminB.ID), `{"name": "x"}`, 404},
			{"ListInvitations", w.admin, "GET", "/invitations", "", 200},
			{"ListInvitationsFiltered", w.itAdminB, "GET", fmt.Sprintf("/invitations?pending=true&party=internal&organization_id=%d&limit=5", w.orgB.ID), "", 200},
			{"ListInvitationsBadFilter", w.admin, "GET", "/invitations?pending=maybe", "", 400},
			{"CreateInvitation", w.itAdminB, "POST", "/invitations", fmt.Sprintf(`{"email": "invitee@beta.test", "name": "In Vitee", "role": "viewer", "organization_id": %d}`, w.orgB.ID), 201},
			{"CreateProviderInvitation", w.admin, "POST", "/invitations", `{"email": "staff@msp.test", "role": "technician", "organization_id": null, "expires_at": "` + future + `"}`, 201},
			{"CreateInvitationForbidden", w.itAdminB, "POST", "/invitations", `{"email": "mole@msp.test", "role": "technician"}`, 403},
			{"CreateInvitationConflict", w.admin, "POST", "/invitations", `{"email": "tech@msp.test", "role": "viewer"}`, 409},
			{"CreateInvitationInvalid", w.admin, "POST", "/invitations", `{"email": "nobody", "role": "viewer"}`, 422},
			{"RevokeInvitationReadOnly", people.readOnly, "DELETE", fmt.Sprintf("/invitations/%d", people.invitation), "", 403},
			{"RevokeInvitationOutsideScope", w.itTechA, "DELETE", fmt.Sprintf("/invitations/%d", people.invitation), "", 404},
			{"RevokeInvitation", w.itAdminB, "DELETE", fmt.Sprintf("/invitations/%d", people.invitation), "", 204},
			{"RevokeAcceptedInvitation", w.itAdminB, "DELETE", fmt.Sprintf("/invitations/%d", people.accepted), "", 422},
			{"ListTokens", w.tech, "GET", "/tokens", "", 200},
			{"ListTokensOfUser", w.admin, "GET", fmt.Sprintf("/tokens?user_id=%d", w.watcher.ID), "", 200},
			{"ListTokensBadUser", w.admin, "GET", "/tokens?user_id=x", "", 400},
			{"ListTokensForbidden", w.itAdminB, "GET", fmt.Sprintf("/tokens?user_id=%d", w.requesterB.ID), "", 403},
			{"ListTokensOutsideScope", w.itAdminB, "GET", fmt.Sprintf("/tokens?user_id=%d", w.itTechA.ID), "", 404},
			{"CreateToken", w.itTechA, "POST", "/tokens", fmt.Sprintf(`{"name": "ci", "read_only": true, "organization_id": %d, "expires_at": "%s"}`, w.orgA.ID, future), 201},
			{"CreateTokenForUser", w.admin, "POST", "/tokens", fmt.Sprintf(`{"user_id": %d, "name": "on behalf", "expires_at": null}`, w.tech.ID), 201},
			{"CreateTokenUnknownField", w.admin, "POST", "/tokens", `{"scope": "all"}`, 400},
			{"CreateTokenForbidden", w.itAdminB, "POST", "/tokens", fmt.Sprintf(`{"user_id": %d}`, w.requesterB.ID), 403},
			{"CreateTokenOutsideScope", w.itAdminB, "POST", "/tokens", fmt.Sprintf(`{"user_id": %d}`, w.itTechA.ID), 404},
			{"CreateTokenInvalid", w.itAdminB, "POST", "/tokens", fmt.Sprintf(`{"organization_id": %d}`, w.orgA.ID), 422},
			{"RevokeTokenReadOnly", people.readOnly, "DELETE", fmt.Sprintf("/tokens/%d", people.token), "", 403},
			{"RevokeTokenNotFound", w.itAdminB, "DELETE", fmt.Sprintf("/tokens/%d", people.token), "", 404},
			{"RevokeToken", w.admin, "DELETE", fmt.Sprintf("/tokens/%d", people.token), "", 204},
			{"CreateEscalationPolicy", w.admin, "POST", "/escalation-policies", `{"name":"P1 everywhere","party":"provider","priorities":[1],"triggers":["ticket"],"levels":[{"targets":[{"kind":"queue","party":"provider"}],"timeout_minutes":15}],"repeats":1}`, 201},
			{"CreateEscalationPolicyInvalid", w.admin, "POST", "/escalation-policies", `{"name":"No levels","party":"provider","triggers":["ticket"],"levels":[]}`, 422},
			{"CreateEscalationPolicyForbidden", w.itAdminB, "POST", "/escalation-policies", `{"name":"Not mine","party":"provider","triggers":["ticket"],"levels":[{"targets":[{"kind":"queue","party":"provider"}],"timeout_minutes":15}]}`, 403},
			{"ListEscalationPolicies", w.admin, "GET", "/escalation-policies", "", 200},
			{"ListNotifications", w.tech, "GET", "/notifications?unread=true&limit=5", "", 200},
			{"ListNotificationsBadCursor", w.tech, "GET", "/notifications?cursor=x", "", 400},
			{"CountUnreadNotifications", w.tech, "GET", "/notifications/unread-count", "", 200},
			{"MarkNotificationsRead", w.tech, "POST", "/notifications/read", `{"ids": [1, 2]}`, 200},
			{"MarkAllNotificationsRead", w.tech, "POST", "/notifications/read", `{}`, 200},
			{"MarkNotificationsReadTooMany", w.tech, "POST", "/notifications/read", `{"ids": [` + strings.TrimSuffix(strings.Repeat("1,", 501), ",") + `]}`, 422},
			{"ListOutbox", w.admin, "GET", "/outbox?channel=email&state=pending", "", 200},
			{"ListOutboxOfOrganization", w.itAdminB, "GET", "/outbox", "", 200},
			{"ListOutboxBadChannel", w.admin, "GET", "/outbox?channel=fax", "", 422},
			{"ListOutboxForbidden", w.requesterB, "GET", "/outbox", "", 403},
			{"Document", member{}, "GET", "/openapi.json", "", 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.m.client
				c.base = s.HTTPServer.URL()
				var body io.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				req := c.newRequest(t, tt.method, apiPrefix+tt.path, body)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				res := send(t, req)
				if res.Status != tt.status {
					t.Fatalf("status = %d, want %d; body: %s", res.Status, tt.status, res.Body)
				}

				route, params := findRoute(t, router, tt.method, tt.path)
				in := &openapi3filter.RequestValidationInput{
					Request:    documentRequest(t, tt.method, tt.path, tt.body),
					PathParams: params,
					Route:      route,
					Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
				}
				if res.Status < 300 {
					if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
						t.Errorf("the server accepted a request the document refuses: %v", err)
					}
				}
				out := &openapi3filter.ResponseValidationInput{
					RequestValidationInput: in,
					Status:                 res.Status,
					Header:                 res.Header,
					Options:                &openapi3filter.Options{IncludeResponseStatus: true},
				}
				out.SetBodyBytes(res.Body)
				if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
					t.Errorf("response does not match the document: %v\nbody: %.500s", err, res.Body)
				}
				if res.Status >= 400 {
					var e apiError
					res.want(t, res.Status, &e)
					if tandemhttp.ErrorStatus(e.Error.Code) != res.Status {
						t.Errorf("code %q maps to %d, answered %d", e.Error.Code, tandemhttp.ErrorStatus(e.Error.Code), res.Status)
					}
				}
			})
		}

		// The checks above would pass vacuously if the validator let
		// anything through; it must not.
		t.Run("ValidatorRejectsMismatch", func(t *testing.T) {
			jsonHeader := http.Header{"Content-Type": {"application/json"}}
			for _, tt := range []struct {
				name, method, path string
				status             int
				body               string
			}{
				{"WrongItemType", "GET", "/orgs", 200, `{"items": [{"id": "one"}], "next_cursor": ""}`},
				{"MissingCursor", "GET", "/users", 200, `{"items": []}`},
				{"NullOrganization", "GET", orgA, 200, `null`},
				{"UndocumentedStatus", "GET", orgA, 418, `{"error": {"code": "not_found", "message": "x"}}`},
				{"ErrorWithoutMessage", "GET", orgA, 404, `{"error": {"code": "not_found"}}`},
				{"UnknownErrorCode", "POST", "/orgs", 400, `{"error": {"code": "config", "message": "x"}}`},
			} {
				t.Run(tt.name, func(t *testing.T) {
					route, params := findRoute(t, router, tt.method, tt.path)
					out := &openapi3filter.ResponseValidationInput{
						RequestValidationInput: &openapi3filter.RequestValidationInput{
							Request: documentRequest(t, tt.method, tt.path, ""), PathParams: params, Route: route,
						},
						Status:  tt.status,
						Header:  jsonHeader,
						Options: &openapi3filter.Options{IncludeResponseStatus: true},
					}
					out.SetBodyBytes([]byte(tt.body))
					if err := openapi3filter.ValidateResponse(context.Background(), out); err == nil {
						t.Errorf("%d %s passed validation", tt.status, tt.body)
					}
				})
			}
		})

		t.Run("ErrorCodesDocumented", func(t *testing.T) {
			codes := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
			for _, code := range []string{tandem.EBADREQUEST, tandem.EUNAUTHORIZED, tandem.EFORBIDDEN, tandem.ENOTFOUND,
				tandem.ECONFLICT, tandem.ETOOLARGE, tandem.EINVALID, tandem.EINTERNAL, tandem.EUNAVAILABLE} {
				if !slices.Contains(codes, any(code)) {
					t.Errorf("error code %q is not in the Error schema", code)
				}
			}
		})
	})
}

// findRoute finds the document's operation for a method and a path relative
// to the API prefix.
func findRoute(t *testing.T, router routers.Router, method, path string) (*routers.Route, map[string]string) {
	t.Helper()
	route, params, err := router.FindRoute(documentRequest(t, method, path, ""))
	if err != nil {
		t.Fatalf("%s %s: no operation in the document: %v", method, path, err)
	}
	return route, params
}

// documentRequest builds a request as the document addresses it: on the
// server URL /api/v1.
func documentRequest(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, apiPrefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}
