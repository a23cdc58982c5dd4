package http_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// browserless is a session of one user driving the pages with plain HTTP,
// not following redirects.
type browserless struct {
	base   string
	cookie *http.Cookie
}

// sessionOf logs u in through the session service.
func sessionOf(t *testing.T, s *testserver.Server, u *tandem.User) browserless {
	t.Helper()
	secret, err := s.Services.Sessions.CreateSession(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("session for %s: %v", u.Email, err)
	}
	return browserless{base: s.HTTPServer.URL(), cookie: &http.Cookie{Name: "tandem_session", Value: secret}}
}

func (b browserless) do(t *testing.T, method, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, data := b.send(t, req)
	return res.StatusCode, string(data), res.Header
}

// send sends req with the session's cookie, without following redirects,
// and returns the answer with its whole body read.
func (b browserless) send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	req.AddCookie(b.cookie)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

// page GETs a page and fails unless it answers with status.
func (b browserless) page(t *testing.T, path string, status int) string {
	t.Helper()
	got, body, _ := b.do(t, http.MethodGet, path, nil)
	if got != status {
		t.Fatalf("GET %s: status %d, want %d", path, got, status)
	}
	return body
}

// post sends a form and fails unless it answers with status; a 303 must
// lead back to back.
func (b browserless) post(t *testing.T, path string, form url.Values, status int, back string) string {
	t.Helper()
	got, body, header := b.do(t, http.MethodPost, path, form)
	if got != status {
		t.Fatalf("POST %s: status %d, want %d\n%.2000s", path, got, status, body)
	}
	if status == http.StatusSeeOther && header.Get("Location") != back {
		t.Fatalf("POST %s: redirected to %q, want %q", path, header.Get("Location"), back)
	}
	return body
}

// The people pages without a browser: who gets which forms, and that every
// action checks the team in its address as well as the user's rights.
func TestPeoplePages(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		// Provider staff would be sent to set up MFA first; these tests are
		// about the people pages.
		if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
			t.Fatal(err)
		}
		admin, tech, itAdminB, itTechA := sessionOf(t, s, w.admin.User), sessionOf(t, s, w.tech.User), sessionOf(t, s, w.itAdminB.User), sessionOf(t, s, w.itTechA.User)
		peopleA, peopleB := "/orgs/"+w.orgA.Slug+"/people", "/orgs/"+w.orgB.Slug+"/people"
		user := func(id int64) *tandem.User {
			t.Helper()
			u, err := s.Services.Users.FindUserByID(testserver.SystemContext(), id)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}

		t.Run("InvitationLinkUsesPublicURL", func(t *testing.T) {
			// A Host header passed through by a proxy must not decide where
			// the shown invitation link points once a public URL is set.
			s.HTTPServer.PublicURL = "https://tandem.example.com/"
			defer func() { s.HTTPServer.PublicURL = "" }()
			form := url.Values{"email": {"public-url@msp.test"}, "role": {"viewer"}}
			req, err := http.NewRequest(http.MethodPost, admin.base+"/provider/people", strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "evil.example"
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(admin.cookie)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if !strings.Contains(string(body), "https://tandem.example.com/invite/") || strings.Contains(string(body), "evil.example") {
				t.Fatalf("status %d; the invitation link does not use the public URL", res.StatusCode)
			}
		})

		t.Run("ProviderAdminManagesStaff", func(t *testing.T) {
			body := admin.page(t, "/provider/people", http.StatusOK)
			for _, want := range []string{w.tech.Email, w.watcher.Email, `id="invite-form"`, fmt.Sprintf(`action="/provider/people/%d/organizations"`, w.watcher.ID)} {
				if !strings.Contains(body, want) {
					t.Errorf("the provider people page lacks %s", want)
				}
			}
			if strings.Contains(body, w.itAdminB.Email) {
				t.Error("the provider people page lists an organisation's user")
			}

			body = admin.post(t, "/provider/people", url.Values{"email": {"new-staff@msp.test"}, "name": {"New Staff"}, "role": {"viewer"}}, http.StatusOK, "")
			if !strings.Contains(body, `id="invitation-url"`) || !strings.Contains(body, "/invite/") {
				t.Error("creating an invitation does not show its link")
			}
			list, _, err := s.Services.Invitations.FindInvitations(testserver.SystemContext(), tandem.InvitationFilter{Pending: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(list, func(inv *tandem.Invitation) bool {
				return inv.Email == "new-staff@msp.test" && inv.OrganizationID == nil && inv.Role == tandem.RoleViewer
			}) {
				t.Errorf("no provider viewer invitation stored: %+v", list)
			}

			admin.post(t, fmt.Sprintf("/provider/people/%d/organizations", w.watcher.ID), url.Values{"org": {fmt.Sprint(w.orgA.ID), fmt.Sprint(w.orgC.ID)}},
				http.StatusSeeOther, "/provider/people")
			if got := user(w.watcher.ID).Organizations; !slices.Equal(got, []int64{w.orgA.ID, w.orgC.ID}) {
				t.Errorf("watcher works on %v, want A and C", got)
			}
			admin.post(t, fmt.Sprintf("/provider/people/%d/organizations", w.watcher.ID), url.Values{"org": {fmt.Sprint(w.orgB.ID)}}, http.StatusSeeOther, "/provider/people")
			admin.post(t, fmt.Sprintf("/provider/people/%d/role", w.watcher.ID), url.Values{"role": {"technician"}}, http.StatusSeeOther, "/provider/people")
			admin.post(t, fmt.Sprintf("/provider/people/%d/role", w.watcher.ID), url.Values{"role": {"viewer"}}, http.StatusSeeOther, "/provider/people")
			if u := user(w.watcher.ID); u.Role != tandem.RoleViewer || !slices.Equal(u.Organizations, []int64{w.orgB.ID}) {
				t.Errorf("watcher = %+v", u)
			}

			// A refusal shows on the page: an internal role for provider staff.
			body = admin.post(t, fmt.Sprintf("/provider/people/%d/role", w.watcher.ID), url.Values{"role": {"requester"}}, http.StatusUnprocessableEntity, "")
			if !strings.Contains(body, `class="error"`) {
				t.Error("a refused role change shows no error")
			}
			// The provider admin may also invite an organisation's first it-admin.
			body = admin.post(t, "/orgs/"+w.orgC.Slug+"/people", url.Values{"email": {"first@gamma.test"}, "role": {"it-admin"}}, http.StatusOK, "")
			if !strings.Contains(body, `id="invitation-url"`) {
				t.Error("no invitation link for the organisation's first it-admin")
			}
		})

		t.Run("TechnicianReadsOnly", func(t *testing.T) {
			body := tech.page(t, "/provider/people", http.StatusOK)
			if !strings.Contains(body, w.admin.Email) || strings.Contains(body, `<form method="post" action="/provider/people`) || strings.Contains(body, `id="invite-form"`) {
				t.Errorf("a provider technician's view of the staff offers forms or misses colleagues:\n%s", body)
			}
			before := w.snapshot(t)
			tech.post(t, "/provider/people", url.Values{"email": {"mole@msp.test"}, "role": {"admin"}}, http.StatusForbidden, "")
			tech.post(t, fmt.Sprintf("/provider/people/%d/active", w.watcher.ID), url.Values{"active": {"false"}}, http.StatusForbidden, "")
			tech.post(t, peopleA, url.Values{"email": {"mole@acme.test"}, "role": {"it-admin"}}, http.StatusForbidden, "")
			w.unchanged(t, before)
		})

		t.Run("InternalUsersHaveNoProviderPage", func(t *testing.T) {
			before := w.snapshot(t)
			itAdminB.page(t, "/provider/people", http.StatusNotFound)
			itAdminB.post(t, "/provider/people", url.Values{"email": {"mole@msp.test"}, "role": {"admin"}}, http.StatusNotFound, "")
			itAdminB.post(t, fmt.Sprintf("/provider/people/%d/active", w.tech.ID), url.Values{"active": {"false"}}, http.StatusNotFound, "")
			w.unchanged(t, before)
		})

		t.Run("OtherOrganizationIsNotFound", func(t *testing.T) {
			before := w.snapshot(t)
			itAdminB.page(t, peopleA, http.StatusNotFound)
			for _, path := range []string{
				fmt.Sprintf("%s/%d/active", peopleA, w.itTechA.ID), // A's page: not in B's scope
				fmt.Sprintf("%s/%d/active", peopleB, w.itTechA.ID), // B's page: not B's user
				fmt.Sprintf("%s/%d/active", peopleB, w.tech.ID),    // B's page: provider staff
			} {
				itAdminB.post(t, path, url.Values{"active": {"false"}}, http.StatusNotFound, "")
			}
			itAdminB.post(t, peopleA, url.Values{"email": {"mole@acme.test"}, "role": {"viewer"}}, http.StatusNotFound, "")
			w.unchanged(t, before)
		})

		t.Run("ITAdminManagesOwnTeam", func(t *testing.T) {
			body := itAdminB.page(t, peopleB, http.StatusOK)
			for _, want := range []string{w.requesterB.Email, `id="invite-form"`, fmt.Sprintf(`action="%s/%d/role"`, peopleB, w.requesterB.ID)} {
				if !strings.Contains(body, want) {
					t.Errorf("B's people page lacks %s", want)
				}
			}
			if strings.Contains(body, fmt.Sprintf(`action="%s/%d/role"`, peopleB, w.itAdminB.ID)) {
				t.Error("the it-admin is offered to change their own role")
			}
			itAdminB.post(t, fmt.Sprintf("%s/%d/role", peopleB, w.requesterB.ID), url.Values{"role": {"viewer"}}, http.StatusSeeOther, peopleB)
			itAdminB.post(t, fmt.Sprintf("%s/%d/role", peopleB, w.requesterB.ID), url.Values{"role": {"requester"}}, http.StatusSeeOther, peopleB)
			// Internal roles only.
			itAdminB.post(t, fmt.Sprintf("%s/%d/role", peopleB, w.requesterB.ID), url.Values{"role": {"admin"}}, http.StatusUnprocessableEntity, "")
			if u := user(w.requesterB.ID); u.Role != tandem.RoleRequester {
				t.Errorf("requester's role = %s", u.Role)
			}

			inv := &tandem.Invitation{Email: "pending@beta.test", Role: tandem.RoleViewer, OrganizationID: &w.orgB.ID}
			if _, err := s.Services.Invitations.CreateInvitation(testserver.SystemContext(), inv); err != nil {
				t.Fatal(err)
			}
			revoke := fmt.Sprintf("/invitations/%d/revoke", inv.ID)
			admin.post(t, "/provider/people"+revoke, nil, http.StatusNotFound, "") // not a provider invitation
			itTechA.post(t, peopleA+revoke, nil, http.StatusNotFound, "")
			itAdminB.post(t, peopleB+revoke, nil, http.StatusSeeOther, peopleB)
			if got, err := s.Services.Invitations.FindInvitationByID(testserver.SystemContext(), inv.ID); err != nil || got.Status != tandem.InvitationRevoked {
				t.Errorf("invitation after revoking = %+v, %v", got, err)
			}
		})

		t.Run("ITTechnicianReadsOnly", func(t *testing.T) {
			body := itTechA.page(t, peopleA, http.StatusOK)
			if !strings.Contains(body, w.itTechA.Email) || strings.Contains(body, `id="invite-form"`) || strings.Contains(body, "/role\"") {
				t.Errorf("an it-technician's people page offers forms:\n%s", body)
			}
			before := w.snapshot(t)
			body = itTechA.post(t, peopleA, url.Values{"email": {"friend@acme.test"}, "role": {"viewer"}}, http.StatusForbidden, "")
			if !strings.Contains(body, "does not allow") {
				t.Error("a refused invitation does not say why")
			}
			w.unchanged(t, before)
		})

		t.Run("Tokens", func(t *testing.T) {
			body := itTechA.post(t, "/account/tokens", url.Values{"name": {"script"}, "expires": {"never"}, "organization": {fmt.Sprint(w.orgB.ID)}}, http.StatusUnprocessableEntity, "")
			if !strings.Contains(body, fmt.Sprintf("Organisation %d does not exist", w.orgB.ID)) {
				t.Error("a token restricted to another organisation is not refused with a reason")
			}
			itTechA.post(t, "/account/tokens", url.Values{"name": {"script"}, "expires": {"forever"}}, http.StatusUnprocessableEntity, "")
			body = itTechA.post(t, "/account/tokens", url.Values{"name": {"script"}, "expires": {"never"}}, http.StatusOK, "")
			if !strings.Contains(body, `id="token-value"`) {
				t.Fatal("no secret shown for the new token")
			}
			list, err := s.Services.Tokens.ListTokens(testserver.SystemContext(), w.itTechA.ID)
			if err != nil {
				t.Fatal(err)
			}
			if list[0].Name != "script" || list[0].ExpiresAt != nil || list[0].ReadOnly {
				t.Fatalf("stored token %+v", list[0])
			}
			// Someone else's token is not theirs to revoke.
			itAdminB.post(t, fmt.Sprintf("/account/tokens/%d/revoke", list[0].ID), nil, http.StatusNotFound, "")
			itTechA.post(t, fmt.Sprintf("/account/tokens/%d/revoke", list[0].ID), nil, http.StatusSeeOther, "/account/tokens")
		})
	})
}

// Resetting a lost second factor from the people pages: offered to those who
// may manage the user, refused by address and by right, and followed by a
// notice on the page.
func TestPeoplePages_ResetMFA(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
			t.Fatal(err)
		}
		// Sessions first: once enrolled, a new session awaits the second factor.
		admin, tech, itAdminB, itTechA := sessionOf(t, s, w.admin.User), sessionOf(t, s, w.tech.User), sessionOf(t, s, w.itAdminB.User), sessionOf(t, s, w.itTechA.User)
		requester := sessionOf(t, s, w.requesterB.User)
		requester.page(t, "/account", http.StatusOK)
		for _, m := range []member{w.requesterB, w.watcher, w.itAdminB, w.itTechA} {
			enrolMFA(t, s, m.User)
		}
		peopleA, peopleB := "/orgs/"+w.orgA.Slug+"/people", "/orgs/"+w.orgB.Slug+"/people"
		reset := func(prefix string, m member) string { return fmt.Sprintf("%s/%d/mfa-reset", prefix, m.ID) }
		mfaOn := func(t *testing.T, m member) bool {
			t.Helper()
			u, err := s.Services.Users.FindUserByID(testserver.SystemContext(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			return u.MFAEnabled
		}

		t.Run("Offered", func(t *testing.T) {
			body := itAdminB.page(t, peopleB, http.StatusOK)
			if !strings.Contains(body, `action="`+reset(peopleB, w.requesterB)+`"`) || !strings.Contains(body, "Reset MFA (turns it off and signs them out)") {
				t.Error("B's it-admin is not offered to reset the requester's MFA")
			}
			if strings.Contains(body, reset(peopleB, w.itAdminB)) {
				t.Error("the it-admin is offered to reset their own MFA")
			}
			if !strings.Contains(body, `<th>MFA</th>`) || !strings.Contains(body, `<td class="mfa">on</td>`) {
				t.Error("the people page does not show who has MFA on")
			}
			if body := itTechA.page(t, peopleA, http.StatusOK); strings.Contains(body, "mfa-reset") {
				t.Error("an it-technician is offered to reset MFA")
			}
			if body := tech.page(t, "/provider/people", http.StatusOK); strings.Contains(body, "mfa-reset") {
				t.Error("a provider technician is offered to reset MFA")
			}
			if body := admin.page(t, "/provider/people", http.StatusOK); !strings.Contains(body, reset("/provider/people", w.watcher)) || strings.Contains(body, reset("/provider/people", w.tech)) {
				t.Error("the provider admin is not offered the reset for staff with MFA on, or is for staff without")
			}
		})

		t.Run("Refused", func(t *testing.T) {
			before := w.snapshot(t)
			itAdminB.post(t, reset(peopleA, w.itTechA), nil, http.StatusNotFound, "")            // A: not in B's scope
			itAdminB.post(t, reset(peopleB, w.itTechA), nil, http.StatusNotFound, "")            // B's page: not B's user
			itAdminB.post(t, reset(peopleB, w.watcher), nil, http.StatusNotFound, "")            // B's page: provider staff working on B
			itAdminB.post(t, reset("/provider/people", w.watcher), nil, http.StatusNotFound, "") // no provider page for internal users
			tech.post(t, reset("/provider/people", w.watcher), nil, http.StatusForbidden, "")
			itTechA.post(t, reset(peopleA, w.itTechA), nil, http.StatusForbidden, "")
			body := itAdminB.post(t, reset(peopleB, w.itAdminB), nil, http.StatusForbidden, "")
			if !strings.Contains(body, "/account/mfa") {
				t.Error("resetting one's own MFA is refused without pointing to /account/mfa")
			}
			w.unchanged(t, before)
		})

		t.Run("OK", func(t *testing.T) {
			body := itAdminB.post(t, reset(peopleB, w.requesterB), nil, http.StatusOK, "")
			if !strings.Contains(body, `class="notice"`) || !strings.Contains(body, "Two-factor authentication of "+w.requesterB.Email+" is reset") {
				t.Errorf("no notice after the reset:\n%.2000s", body)
			}
			if strings.Contains(body, reset(peopleB, w.requesterB)) {
				t.Error("the reset is still offered for a user whose MFA is off")
			}
			if mfaOn(t, w.requesterB) {
				t.Error("the requester's MFA is still on")
			}
			if status, _, header := requester.do(t, http.MethodGet, "/account", nil); status != http.StatusSeeOther || header.Get("Location") != "/login" {
				t.Errorf("the requester's session goes on after the reset: status %d, Location %q", status, header.Get("Location"))
			}

			admin.post(t, reset("/provider/people", w.watcher), nil, http.StatusOK, "")
			if mfaOn(t, w.watcher) {
				t.Error("the watcher's MFA is still on")
			}
			if !mfaOn(t, w.itAdminB) || !mfaOn(t, w.itTechA) {
				t.Error("a reset turned off someone else's MFA")
			}
		})
	})
}
