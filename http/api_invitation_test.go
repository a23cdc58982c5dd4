package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// invitationJSON is an invitation as the API answers it on creation.
type invitationJSON struct {
	tandem.Invitation
	Secret     string `json:"secret"`
	AcceptPath string `json:"accept_path"`
}

func (c client) delete(t *testing.T, path string) *response {
	t.Helper()
	return c.do(t, http.MethodDelete, path, nil)
}

// invite creates an invitation through the API and fails unless it is created.
func (m member) invite(t *testing.T, email string, role tandem.Role, org *int64) invitationJSON {
	t.Helper()
	var inv invitationJSON
	m.post(t, "/api/v1/invitations", map[string]any{"email": email, "role": role, "organization_id": org}).want(t, http.StatusCreated, &inv)
	return inv
}

// accept fills in the invitation page's form as a browser without a session
// would, and returns the answer without following its redirect.
func accept(t *testing.T, s *testserver.Server, acceptPath, name, password string) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(s.HTTPServer.URL()+acceptPath, url.Values{"name": {name}, "password": {password}, "confirm": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// invitationEmails returns the emails of the invitations a member lists.
func invitationEmails(t *testing.T, m member, query string) []string {
	t.Helper()
	var out []string
	for _, inv := range listAll[tandem.Invitation](t, m.client, "/api/v1/invitations"+query) {
		out = append(out, inv.Email)
	}
	slices.Sort(out)
	return out
}

func TestInvitationAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)

		t.Run("ProviderAdminInvitesFirstITAdmin", func(t *testing.T) {
			inv := w.admin.invite(t, "first@gamma.test", tandem.RoleITAdmin, &w.orgC.ID)
			if inv.ID == 0 || inv.Secret == "" || inv.AcceptPath != "/invite/"+inv.Secret || inv.Status != tandem.InvitationPending ||
				inv.OrganizationName != w.orgC.Name || inv.InvitedBy == nil || *inv.InvitedBy != w.admin.ID {
				t.Fatalf("created %+v", inv)
			}
			if got := inv.ExpiresAt.Sub(inv.CreatedAt); got != 7*24*time.Hour {
				t.Errorf("invitation lasts %v, want 7 days", got)
			}
			// Listing never shows the secret again.
			res := w.admin.get(t, "/api/v1/invitations")
			res.want(t, http.StatusOK, nil)
			if strings.Contains(string(res.Body), inv.Secret) {
				t.Error("the list shows the invitation's secret")
			}

			page := anonymous(s).get(t, inv.AcceptPath)
			page.want(t, http.StatusOK, nil)
			if !strings.Contains(string(page.Body), "first@gamma.test") || !strings.Contains(string(page.Body), w.orgC.Name) {
				t.Errorf("the invitation page does not say who is invited where:\n%s", page.Body)
			}
			res2 := accept(t, s, inv.AcceptPath, "Fay First", "a long enough password")
			if res2.StatusCode != http.StatusSeeOther || !slices.ContainsFunc(res2.Cookies(), func(c *http.Cookie) bool { return c.Name == "tandem_session" && c.Value != "" }) {
				t.Fatalf("accepting answered %s with cookies %v, want a redirect starting a session", res2.Status, res2.Cookies())
			}
			u, err := s.Services.Users.Authenticate(testserver.SystemContext(), "first@gamma.test", "a long enough password")
			if err != nil {
				t.Fatalf("the invited it-admin cannot log in: %v", err)
			}
			if u.Role != tandem.RoleITAdmin || u.OrganizationID == nil || *u.OrganizationID != w.orgC.ID || u.Name != "Fay First" {
				t.Errorf("accepted user = %+v", u)
			}
			// The link works once.
			anonymous(s).get(t, inv.AcceptPath).want(t, http.StatusNotFound, nil)
			if res := accept(t, s, inv.AcceptPath, "Mallory", "another long password"); res.StatusCode != http.StatusNotFound {
				t.Errorf("a used link answered %s, want 404", res.Status)
			}

			// The organisation's first it-admin invites their team.
			first := member{User: u, client: client{base: s.HTTPServer.URL(), token: s.MustCreateToken(t, u.ID)}}
			first.invite(t, "second@gamma.test", tandem.RoleITTechnician, &w.orgC.ID)
		})

		t.Run("ITAdminInvitesOwnTeam", func(t *testing.T) {
			inv := w.itAdminB.invite(t, "team@beta.test", tandem.RoleRequester, &w.orgB.ID)
			if !slices.Contains(invitationEmails(t, w.itAdminB, ""), inv.Email) || !slices.Contains(invitationEmails(t, w.admin, ""), inv.Email) {
				t.Error("the invitation is not listed for B's it-admin and the provider admin")
			}
			for _, m := range []member{w.itTechA, w.requesterB, w.tech, w.watcher} {
				if got := invitationEmails(t, m, ""); len(got) != 0 {
					t.Errorf("%s lists invitations %v, want none: they may not manage users", m.Email, got)
				}
			}
			if got := invitationEmails(t, w.itAdminB, fmt.Sprintf("?organization_id=%d", w.orgC.ID)); len(got) != 0 {
				t.Errorf("filtering on C shows B's it-admin %v", got)
			}
		})

		t.Run("Refusals", func(t *testing.T) {
			tests := []struct {
				name   string
				m      member
				body   map[string]any
				status int
				code   string
			}{
				{"ITAdminInvitesIntoOtherOrg", w.itAdminB, map[string]any{"email": "x@acme.test", "role": "it-admin", "organization_id": w.orgA.ID}, 422, tandem.EINVALID},
				{"ITAdminInvitesProviderStaff", w.itAdminB, map[string]any{"email": "x@msp.test", "role": "technician"}, 403, tandem.EFORBIDDEN},
				{"ITAdminInvitesProviderAdmin", w.itAdminB, map[string]any{"email": "x@msp.test", "role": "admin", "organization_id": nil}, 403, tandem.EFORBIDDEN},
				{"ITTechnician", w.itTechA, map[string]any{"email": "x@acme.test", "role": "requester", "organization_id": w.orgA.ID}, 403, tandem.EFORBIDDEN},
				{"Requester", w.requesterB, map[string]any{"email": "x@beta.test", "role": "requester", "organization_id": w.orgB.ID}, 403, tandem.EFORBIDDEN},
				{"ProviderTechnician", w.tech, map[string]any{"email": "x@acme.test", "role": "requester", "organization_id": w.orgA.ID}, 403, tandem.EFORBIDDEN},
				{"ExistingUser", w.admin, map[string]any{"email": w.requesterB.Email, "role": "viewer", "organization_id": w.orgB.ID}, 409, tandem.ECONFLICT},
				{"BadEmail", w.admin, map[string]any{"email": "nobody", "role": "viewer"}, 422, tandem.EINVALID},
				{"ExpiryTooFar", w.admin, map[string]any{"email": "x@msp.test", "role": "viewer", "expires_at": time.Now().Add(60 * 24 * time.Hour)}, 422, tandem.EINVALID},
				{"UnknownField", w.admin, map[string]any{"email": "x@msp.test", "role": "viewer", "password": "set by the admin"}, 400, tandem.EBADREQUEST},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := w.snapshot(t)
					tt.m.post(t, "/api/v1/invitations", tt.body).wantError(t, tt.status, tt.code)
					w.unchanged(t, before)
				})
			}
			w.admin.get(t, "/api/v1/invitations?pending=maybe").wantError(t, 400, tandem.EBADREQUEST)
			w.admin.get(t, "/api/v1/invitations?party=both").wantError(t, 400, tandem.EBADREQUEST)
		})

		t.Run("Revoke", func(t *testing.T) {
			inv := w.itAdminB.invite(t, "revoke@beta.test", tandem.RoleViewer, &w.orgB.ID)
			path := fmt.Sprintf("/api/v1/invitations/%d", inv.ID)
			w.itTechA.delete(t, path).wantError(t, 404, tandem.ENOTFOUND)
			w.requesterB.delete(t, path).wantError(t, 404, tandem.ENOTFOUND)
			w.admin.delete(t, "/api/v1/invitations/999999").wantError(t, 404, tandem.ENOTFOUND)
			w.admin.delete(t, "/api/v1/invitations/x").wantError(t, 404, tandem.ENOTFOUND)

			w.itAdminB.delete(t, path).want(t, http.StatusNoContent, nil)
			w.itAdminB.delete(t, path).want(t, http.StatusNoContent, nil)
			anonymous(s).get(t, inv.AcceptPath).want(t, http.StatusNotFound, nil)
			if got := invitationEmails(t, w.itAdminB, "?pending=true"); slices.Contains(got, inv.Email) {
				t.Error("a revoked invitation is listed as pending")
			}

			used := w.itAdminB.invite(t, "used@beta.test", tandem.RoleViewer, &w.orgB.ID)
			if res := accept(t, s, used.AcceptPath, "", "a long enough password"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("accept: %s", res.Status)
			}
			w.itAdminB.delete(t, fmt.Sprintf("/api/v1/invitations/%d", used.ID)).wantError(t, 422, tandem.EINVALID)
		})

		t.Run("ReadOnlyToken", func(t *testing.T) {
			ro := client{base: s.HTTPServer.URL(), token: s.MustCreateTokenWith(t, w.itAdminB.ID, tandem.TokenOptions{ReadOnly: true})}
			inv := w.itAdminB.invite(t, "ro@beta.test", tandem.RoleViewer, &w.orgB.ID)
			before := w.snapshot(t)
			ro.post(t, "/api/v1/invitations", map[string]any{"email": "ro2@beta.test", "role": "viewer", "organization_id": w.orgB.ID}).wantError(t, 403, tandem.EFORBIDDEN)
			ro.delete(t, fmt.Sprintf("/api/v1/invitations/%d", inv.ID)).wantError(t, 403, tandem.EFORBIDDEN)
			w.unchanged(t, before)
			var list page[tandem.Invitation]
			ro.get(t, "/api/v1/invitations").want(t, http.StatusOK, &list)
			if !slices.ContainsFunc(list.Items, func(x tandem.Invitation) bool { return x.ID == inv.ID }) {
				t.Error("a read-only token does not list its user's invitations")
			}
		})

		t.Run("OrganizationRestrictedToken", func(t *testing.T) {
			onlyA := client{base: s.HTTPServer.URL(), token: s.MustCreateTokenWith(t, w.admin.ID, tandem.TokenOptions{OrganizationID: &w.orgA.ID})}
			inA := w.admin.invite(t, "only-a@acme.test", tandem.RoleViewer, &w.orgA.ID)
			inB := w.admin.invite(t, "only-b@beta.test", tandem.RoleViewer, &w.orgB.ID)
			staff := w.admin.invite(t, "staff@msp.test", tandem.RoleViewer, nil)
			var list page[tandem.Invitation]
			onlyA.get(t, "/api/v1/invitations").want(t, http.StatusOK, &list)
			for _, inv := range list.Items {
				if inv.OrganizationID == nil || *inv.OrganizationID != w.orgA.ID {
					t.Errorf("a token restricted to A lists %+v", inv)
				}
			}
			if !slices.ContainsFunc(list.Items, func(x tandem.Invitation) bool { return x.ID == inA.ID }) {
				t.Error("a token restricted to A does not list A's invitation")
			}
			before := w.snapshot(t)
			for _, id := range []int64{inB.ID, staff.ID} {
				onlyA.delete(t, fmt.Sprintf("/api/v1/invitations/%d", id)).wantError(t, 404, tandem.ENOTFOUND)
			}
			onlyA.post(t, "/api/v1/invitations", map[string]any{"email": "x@beta.test", "role": "viewer", "organization_id": w.orgB.ID}).wantError(t, 422, tandem.EINVALID)
			onlyA.post(t, "/api/v1/invitations", map[string]any{"email": "x@msp.test", "role": "viewer"}).wantError(t, 403, tandem.EFORBIDDEN)
			w.unchanged(t, before)
			onlyA.post(t, "/api/v1/invitations", map[string]any{"email": "x@acme.test", "role": "viewer", "organization_id": w.orgA.ID}).want(t, http.StatusCreated, nil)
		})

		t.Run("Expiry", func(t *testing.T) {
			expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			var inv invitationJSON
			w.itAdminB.post(t, "/api/v1/invitations", map[string]any{"email": "soon@beta.test", "role": "viewer", "organization_id": w.orgB.ID, "expires_at": expires}).
				want(t, http.StatusCreated, &inv)
			if !inv.ExpiresAt.Equal(expires) {
				t.Errorf("expires_at = %v, want %v", inv.ExpiresAt, expires)
			}
			anonymous(s).get(t, inv.AcceptPath).want(t, http.StatusOK, nil)
			s.Services.DB.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			t.Cleanup(func() { s.Services.DB.Now = time.Now })
			anonymous(s).get(t, inv.AcceptPath).want(t, http.StatusNotFound, nil)
			if res := accept(t, s, inv.AcceptPath, "", "a long enough password"); res.StatusCode != http.StatusNotFound {
				t.Errorf("an expired link answered %s, want 404", res.Status)
			}
			var list page[tandem.Invitation]
			w.itAdminB.get(t, fmt.Sprintf("/api/v1/invitations?organization_id=%d", w.orgB.ID)).want(t, http.StatusOK, &list)
			i := slices.IndexFunc(list.Items, func(x tandem.Invitation) bool { return x.ID == inv.ID })
			if i < 0 || list.Items[i].Status != tandem.InvitationExpired {
				t.Errorf("the expired invitation is not listed as expired: %+v", list.Items)
			}
		})
	})
}

// peopleFixture holds records the API document's cases act on.
type peopleFixture struct {
	invitation, accepted int64 // a pending invitation to B, an accepted one
	token                int64 // a spare token of the provider viewer
	readOnly             member
}

func newPeopleFixture(t *testing.T, s *testserver.Server, w *world) peopleFixture {
	t.Helper()
	ctx := testserver.SystemContext()
	pending := &tandem.Invitation{Email: "pending@beta.test", Role: tandem.RoleViewer, OrganizationID: &w.orgB.ID}
	if _, err := s.Services.Invitations.CreateInvitation(ctx, pending); err != nil {
		t.Fatal(err)
	}
	accepted := &tandem.Invitation{Email: "accepted@beta.test", Role: tandem.RoleViewer, OrganizationID: &w.orgB.ID}
	secret, err := s.Services.Invitations.CreateInvitation(ctx, accepted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Services.Invitations.AcceptInvitation(ctx, secret, "Accepted", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.Services.Tokens.CreateToken(ctx, w.watcher.ID, tandem.TokenOptions{Name: "spare"})
	if err != nil {
		t.Fatal(err)
	}
	ro := member{User: w.admin.User, client: client{base: s.HTTPServer.URL(), token: s.MustCreateTokenWith(t, w.admin.ID, tandem.TokenOptions{ReadOnly: true})}}
	return peopleFixture{invitation: pending.ID, accepted: accepted.ID, token: tok.ID, readOnly: ro}
}
