package http_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// tokenJSON is a token as the API answers it on creation.
type tokenJSON struct {
	tandem.Token
	Secret string `json:"secret"`
}

// createToken creates a token through the API and returns it with a client
// acting through it.
func (m member) createToken(t *testing.T, body map[string]any) (tokenJSON, client) {
	t.Helper()
	var tok tokenJSON
	m.post(t, "/api/v1/tokens", body).want(t, http.StatusCreated, &tok)
	if !strings.HasPrefix(tok.Secret, "tdm_") {
		t.Fatalf("created token %+v has no tdm_ secret", tok)
	}
	return tok, client{base: m.base, token: tok.Secret}
}

func TestTokenAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)

		t.Run("CreateListRevoke", func(t *testing.T) {
			expires := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
			tok, c := w.itTechA.createToken(t, map[string]any{"name": "ci", "expires_at": expires})
			if tok.UserID != w.itTechA.ID || tok.Name != "ci" || tok.ReadOnly || tok.OrganizationID != nil || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(expires) {
				t.Fatalf("created %+v", tok)
			}
			var me tandem.User
			c.get(t, "/api/v1/me").want(t, http.StatusOK, &me)
			if me.ID != w.itTechA.ID {
				t.Errorf("the new token acts as %d, want %d", me.ID, w.itTechA.ID)
			}

			res := c.get(t, "/api/v1/tokens")
			var list page[tandem.Token]
			res.want(t, http.StatusOK, &list)
			if strings.Contains(string(res.Body), tok.Secret) || strings.Contains(string(res.Body), `"secret"`) {
				t.Error("the token list shows secrets")
			}
			if len(list.Items) != 2 || list.Items[0].ID != tok.ID || list.Items[0].LastUsedAt == nil {
				t.Errorf("tokens = %+v, want the new one first, marked used, then the fixture's", list.Items)
			}

			path := fmt.Sprintf("/api/v1/tokens/%d", tok.ID)
			// Another user's token is not there for anyone but provider admins.
			for _, m := range []member{w.itAdminB, w.tech, w.requesterB} {
				m.delete(t, path).wantError(t, 404, tandem.ENOTFOUND)
			}
			w.itTechA.delete(t, path).want(t, http.StatusNoContent, nil)
			c.get(t, "/api/v1/me").wantError(t, 401, tandem.EUNAUTHORIZED)
			w.itTechA.delete(t, path).wantError(t, 404, tandem.ENOTFOUND)
		})

		t.Run("ForAnotherUser", func(t *testing.T) {
			tok, c := w.admin.createToken(t, map[string]any{"user_id": w.tech.ID, "name": "on behalf"})
			var me tandem.User
			c.get(t, "/api/v1/me").want(t, http.StatusOK, &me)
			if me.ID != w.tech.ID || tok.UserID != w.tech.ID {
				t.Errorf("token for the technician acts as %d", me.ID)
			}
			var list page[tandem.Token]
			w.admin.get(t, fmt.Sprintf("/api/v1/tokens?user_id=%d", w.tech.ID)).want(t, http.StatusOK, &list)
			if !slices.ContainsFunc(list.Items, func(x tandem.Token) bool { return x.ID == tok.ID }) {
				t.Error("the provider admin does not see the technician's token")
			}
			w.admin.delete(t, fmt.Sprintf("/api/v1/tokens/%d", tok.ID)).want(t, http.StatusNoContent, nil)

			before := w.snapshot(t)
			w.itAdminB.post(t, "/api/v1/tokens", map[string]any{"user_id": w.requesterB.ID}).wantError(t, 403, tandem.EFORBIDDEN)
			w.itAdminB.post(t, "/api/v1/tokens", map[string]any{"user_id": w.itTechA.ID}).wantError(t, 404, tandem.ENOTFOUND)
			w.itAdminB.get(t, fmt.Sprintf("/api/v1/tokens?user_id=%d", w.requesterB.ID)).wantError(t, 403, tandem.EFORBIDDEN)
			w.itAdminB.get(t, fmt.Sprintf("/api/v1/tokens?user_id=%d", w.itTechA.ID)).wantError(t, 404, tandem.ENOTFOUND)
			w.unchanged(t, before)
		})

		t.Run("NeverExceedsItsUser", func(t *testing.T) {
			before := w.snapshot(t)
			for _, tt := range []struct {
				name string
				m    member
				org  int64
			}{
				{"ITTechnicianOnOtherOrg", w.itTechA, w.orgB.ID},
				{"TechnicianOnUnassignedOrg", w.tech, w.orgB.ID},
				{"UnknownOrg", w.admin, 999999},
			} {
				t.Run(tt.name, func(t *testing.T) {
					tt.m.post(t, "/api/v1/tokens", map[string]any{"organization_id": tt.org}).wantError(t, 422, tandem.EINVALID)
				})
			}
			w.admin.post(t, "/api/v1/tokens", map[string]any{"expires_at": time.Now().Add(-time.Hour)}).wantError(t, 422, tandem.EINVALID)
			w.admin.post(t, "/api/v1/tokens", map[string]any{"scope": "all"}).wantError(t, 400, tandem.EBADREQUEST)
			w.admin.get(t, "/api/v1/tokens?user_id=me").wantError(t, 400, tandem.EBADREQUEST)
			w.unchanged(t, before)
		})

		t.Run("ReadOnlyRefusedOnEveryWrite", func(t *testing.T) {
			_, ro := w.admin.createToken(t, map[string]any{"name": "reader", "read_only": true})
			victim, _ := w.admin.createToken(t, map[string]any{"name": "victim"})
			inv := w.admin.invite(t, "ro-target@beta.test", tandem.RoleViewer, &w.orgB.ID)
			desk := newDeskRecords(t, w)
			ticket := fmt.Sprintf("/api/v1/tickets/%d", desk.ticket)
			calendar := fmt.Sprintf("/api/v1/orgs/%d/calendars/%d", w.orgA.ID, desk.calendar)
			writes := map[string]struct{ path, body string }{
				"POST /api/v1/orgs":               {"/api/v1/orgs", `{"name": "Read Only Inc"}`},
				"PATCH /api/v1/orgs/{id}":         {fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID), `{"name": "Renamed"}`},
				"POST /api/v1/users":              {"/api/v1/users", fmt.Sprintf(`{"email": "ro@beta.test", "role": "viewer", "organization_id": %d, "password": "long enough secret"}`, w.orgB.ID)},
				"PATCH /api/v1/users/{id}":        {fmt.Sprintf("/api/v1/users/%d", w.admin.ID), `{"name": "Renamed"}`},
				"POST /api/v1/invitations":        {"/api/v1/invitations", fmt.Sprintf(`{"email": "ro2@beta.test", "role": "viewer", "organization_id": %d}`, w.orgB.ID)},
				"DELETE /api/v1/invitations/{id}": {fmt.Sprintf("/api/v1/invitations/%d", inv.ID), ""},
				"POST /api/v1/tokens":             {"/api/v1/tokens", `{"name": "escalate"}`},
				"DELETE /api/v1/tokens/{id}":      {fmt.Sprintf("/api/v1/tokens/%d", victim.ID), ""},

				"POST /api/v1/orgs/{id}/areas":                        {fmt.Sprintf("/api/v1/orgs/%d/areas", w.orgA.ID), `{"name": "Planted"}`},
				"PATCH /api/v1/orgs/{id}/areas/{area}":                {fmt.Sprintf("/api/v1/orgs/%d/areas/1", w.orgA.ID), `{"name": "Renamed"}`},
				"POST /api/v1/orgs/{id}/matrix/versions":              {fmt.Sprintf("/api/v1/orgs/%d/matrix/versions", w.orgA.ID), `{"assignments": []}`},
				"POST /api/v1/orgs/{id}/matrix/versions/{n}/sign":     {fmt.Sprintf("/api/v1/orgs/%d/matrix/versions/1/sign", w.orgA.ID), ""},
				"POST /api/v1/orgs/{id}/matrix/versions/{n}/withdraw": {fmt.Sprintf("/api/v1/orgs/%d/matrix/versions/1/withdraw", w.orgA.ID), ""},

				"POST /api/v1/orgs/{id}/tickets":                       {fmt.Sprintf("/api/v1/orgs/%d/tickets", w.orgA.ID), `{"title": "Planted"}`},
				"PATCH /api/v1/tickets/{id}":                           {ticket, `{"status": "open"}`},
				"POST /api/v1/tickets/{id}/comments":                   {ticket + "/comments", `{"body": "Planted"}`},
				"POST /api/v1/tickets/{id}/handoffs":                   {ticket + "/handoffs", `{"reason": "Planted"}`},
				"POST /api/v1/tickets/{id}/handoffs/{handoff}/accept":  {fmt.Sprintf("%s/handoffs/%d/accept", ticket, desk.handoff), ""},
				"POST /api/v1/tickets/{id}/handoffs/{handoff}/decline": {fmt.Sprintf("%s/handoffs/%d/decline", ticket, desk.handoff), `{"reason": "No"}`},
				"PUT /api/v1/tickets/{id}/watchers/{user}":             {ticket + "/watchers/me", ""},
				"DELETE /api/v1/tickets/{id}/watchers/{user}":          {fmt.Sprintf("%s/watchers/%d", ticket, w.itTechA.ID), ""},
				"POST /api/v1/tickets/{id}/time-entries":               {ticket + "/time-entries", `{"minutes": 5}`},
				"POST /api/v1/tickets/{id}/attachments":                {ticket + "/attachments", plantedUpload},
				"POST /api/v1/orgs/{id}/calendars":                     {fmt.Sprintf("/api/v1/orgs/%d/calendars", w.orgA.ID), `{"name": "Planted", "definition": {"timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}}`},
				"PUT /api/v1/orgs/{id}/calendars/{calendar}":           {calendar, `{"name": "Renamed", "definition": {"timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}}`},
				"DELETE /api/v1/orgs/{id}/calendars/{calendar}":        {calendar, ""},
				"POST /api/v1/orgs/{id}/calendars/{calendar}/holidays": {calendar + "/holidays", plantedICS},
				"PUT /api/v1/orgs/{id}/sla-policy":                     {fmt.Sprintf("/api/v1/orgs/%d/sla-policy", w.orgA.ID), `{"warn_percent": 50}`},
				"POST /api/v1/orgs/{id}/enrollment-tokens":             {fmt.Sprintf("/api/v1/orgs/%d/enrollment-tokens", w.orgA.ID), `{"description": "Planted"}`},
				"POST /api/v1/orgs/{id}/agent-checks":                  {fmt.Sprintf("/api/v1/orgs/%d/agent-checks", w.orgA.ID), `{"kind": "process", "name": "Planted", "target": "sshd"}`},
			}
			// Every write route of the identity API and the service desk has
			// a case; routes other packages add are theirs to cover.
			for _, pattern := range s.HTTPServer.Routes() {
				method, path, _ := strings.Cut(pattern, " ")
				if method == "GET" || !strings.HasPrefix(path, "/api/v1/") {
					continue
				}
				if _, ok := writes[pattern]; !ok && slices.ContainsFunc([]string{"/api/v1/orgs", "/api/v1/users", "/api/v1/invitations", "/api/v1/tokens", "/api/v1/tickets"}, func(p string) bool { return strings.HasPrefix(path, p) }) {
					t.Errorf("write route %s has no read-only case", pattern)
				}
			}
			for pattern, tt := range writes {
				t.Run(pattern, func(t *testing.T) {
					method, _, _ := strings.Cut(pattern, " ")
					before := w.snapshot(t)
					sendBody(t, ro, method, tt.path, tt.body).wantError(t, 403, tandem.EFORBIDDEN)
					w.unchanged(t, before)
				})
			}
			for _, path := range []string{"/api/v1/me", "/api/v1/orgs", "/api/v1/users", "/api/v1/invitations", "/api/v1/tokens",
				fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID), fmt.Sprintf("/api/v1/users/%d", w.tech.ID)} {
				ro.get(t, path).want(t, http.StatusOK, nil)
			}
		})

		t.Run("OrganizationRestricted", func(t *testing.T) {
			tok, onlyA := w.admin.createToken(t, map[string]any{"name": "acme", "organization_id": w.orgA.ID})
			if tok.OrganizationID == nil || *tok.OrganizationID != w.orgA.ID {
				t.Fatalf("created %+v", tok)
			}
			if got := orgIDs(listAll[tandem.Organization](t, onlyA, "/api/v1/orgs")); !slices.Equal(got, []int64{w.orgA.ID}) {
				t.Errorf("a token restricted to A lists organisations %v", got)
			}
			for _, u := range listAll[tandem.User](t, onlyA, "/api/v1/users") {
				if u.OrganizationID != nil && *u.OrganizationID != w.orgA.ID {
					t.Errorf("a token restricted to A lists %s of organisation %d", u.Email, *u.OrganizationID)
				}
			}
			before := w.snapshot(t)
			for _, path := range []string{fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), fmt.Sprintf("/api/v1/users/%d", w.itAdminB.ID)} {
				onlyA.get(t, path).wantError(t, 404, tandem.ENOTFOUND)
			}
			onlyA.patch(t, fmt.Sprintf("/api/v1/orgs/%d", w.orgB.ID), map[string]any{"name": "Hijacked"}).wantError(t, 404, tandem.ENOTFOUND)
			onlyA.post(t, "/api/v1/orgs", map[string]any{"name": "Sprawl"}).wantError(t, 403, tandem.EFORBIDDEN)
			onlyA.post(t, "/api/v1/tokens", map[string]any{"organization_id": w.orgB.ID}).wantError(t, 422, tandem.EINVALID)
			w.unchanged(t, before)

			// A token made with it is as narrow.
			child, _ := member{User: w.admin.User, client: onlyA}.createToken(t, map[string]any{"name": "child"})
			if child.OrganizationID == nil || *child.OrganizationID != w.orgA.ID {
				t.Errorf("a token made through an A-only token is %+v, want A-only too", child)
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			_, c := w.requesterB.createToken(t, map[string]any{"expires_at": time.Now().Add(time.Hour)})
			c.get(t, "/api/v1/me").want(t, http.StatusOK, nil)
			s.Services.DB.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			t.Cleanup(func() { s.Services.DB.Now = time.Now })
			c.get(t, "/api/v1/me").wantError(t, 401, tandem.EUNAUTHORIZED)
			w.requesterB.get(t, "/api/v1/me").want(t, http.StatusOK, nil)
		})
	})
}
