package http_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The frame every page shares: error pages for what no route serves, the
// navigation by role, the organisation switcher, the viewer's zone.

// frameLogin signs a new UI client in as u (the provider requiring no MFA).
func frameLogin(t *testing.T, s *testserver.Server, u *tandem.User) *uiClient {
	t.Helper()
	c := newUIClient(t, s)
	c.login(t, u.Email, uiPassword)
	return c
}

// noProviderMFA lets provider staff log in with a password alone.
func noProviderMFA(t *testing.T, s *testserver.Server) {
	t.Helper()
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
}

func TestNoRouteHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		org := s.MustCreateOrganization(t, "Acme")
		u := s.MustCreateUser(t, &tandem.User{Email: "tech@acme.test", Role: tandem.RoleITTechnician, OrganizationID: &org.ID}, uiPassword)
		visitor, signed := newUIClient(t, s), frameLogin(t, s, u)

		wantHTML := func(t *testing.T, res *response, status int, texts ...string) {
			t.Helper()
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q, want the HTML error page; body:\n%s", ct, res.Body)
			}
			res.wantPage(t, status, append([]string{`id="error-page"`, `href="/" id="error-home"`}, texts...)...)
		}
		wantJSON := func(t *testing.T, res *response, status int, code string) string {
			t.Helper()
			var body struct {
				Error struct{ Code, Message string }
			}
			if res.Status != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(res.Body, &body) != nil {
				t.Fatalf("status %d, Content-Type %q, body %s; want %d and a JSON error", res.Status, res.Header.Get("Content-Type"), res.Body, status)
			}
			if body.Error.Code != code || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %q with a message", body.Error, code)
			}
			return body.Error.Message
		}

		t.Run("PageNotFound", func(t *testing.T) {
			wantHTML(t, visitor.get(t, "/no/such/page"), http.StatusNotFound, "Not Found", "There is no page at /no/such/page.", `href="/login"`)
			// A signed-in viewer keeps their frame: navigation and account.
			res := signed.get(t, "/no/such/page")
			wantHTML(t, res, http.StatusNotFound, "There is no page at /no/such/page.", `aria-label="Main"`, "tech@acme.test")
			if strings.Count(string(res.Body), "There is no page") != 1 {
				t.Errorf("the message is shown more than once:\n%s", res.Body)
			}
		})
		t.Run("StaticFileNotFound", func(t *testing.T) {
			wantHTML(t, signed.get(t, "/static/tandem.0000000000.css"), http.StatusNotFound, "There is no file at /static/tandem.0000000000.css")
		})
		t.Run("MethodNotAllowed", func(t *testing.T) {
			res := visitor.do(t, http.MethodPut, "/login", nil)
			wantHTML(t, res, http.StatusMethodNotAllowed, "Method Not Allowed", "PUT is not allowed on /login; use GET, HEAD or POST.")
			if allow := res.Header.Get("Allow"); allow != "GET, HEAD, POST" {
				t.Errorf("Allow = %q", allow)
			}
		})
		t.Run("APINotFound", func(t *testing.T) {
			msg := wantJSON(t, visitor.get(t, "/api/v1/no-such-thing"), http.StatusNotFound, tandem.ENOTFOUND)
			if !strings.Contains(msg, "/api/v1/openapi.json") {
				t.Errorf("message %q does not point to the operations", msg)
			}
		})
		t.Run("APIMethodNotAllowed", func(t *testing.T) {
			res := visitor.do(t, http.MethodDelete, "/api/v1/me", nil)
			wantJSON(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
			if allow := res.Header.Get("Allow"); !strings.Contains(allow, "GET") {
				t.Errorf("Allow = %q, want GET in it", allow)
			}
		})
		// Routes that exist still answer as before.
		t.Run("RoutesUnchanged", func(t *testing.T) {
			signed.get(t, "/account").wantPage(t, http.StatusOK, "Your account")
			visitor.get(t, "/account").wantRedirect(t, "/login")
			if res := visitor.get(t, "/healthz"); res.Status != http.StatusOK {
				t.Errorf("/healthz = %d", res.Status)
			}
		})
	})
}

// navHrefs returns the links of a page's main navigation, in order.
func navHrefs(t *testing.T, body []byte) []string {
	t.Helper()
	nav := regexp.MustCompile(`(?s)<nav aria-label="Main">(.*?)</nav>`).FindSubmatch(body)
	if nav == nil {
		t.Fatalf("page has no main navigation:\n%s", body)
	}
	var hrefs []string
	for _, m := range regexp.MustCompile(`<a href="([^"]*)"[^>]*>([^<]*)</a>`).FindAllSubmatch(nav[1], -1) {
		hrefs = append(hrefs, string(m[2])+" "+html.UnescapeString(string(m[1])))
	}
	return hrefs
}

func TestNavigationByRoleHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		noProviderMFA(t, s)
		acme := s.MustCreateOrganization(t, "Acme")
		user := func(email string, role tandem.Role, org *int64) *tandem.User {
			return s.MustCreateUser(t, &tandem.User{Email: email, Role: role, OrganizationID: org}, uiPassword)
		}
		people := "People /orgs/" + acme.Slug + "/people"
		for _, tc := range []struct {
			name string
			user *tandem.User
			want []string
		}{
			{"ProviderAdmin", user("admin@msp.test", tandem.RoleAdmin, nil),
				[]string{"Home /", "Tickets /tickets", "Queue /queue", "Devices /devices", "Audit /audit", "On call /oncall", "People /provider/people", "Escalation /escalation", "Outbox /outbox", "Webhooks /settings/webhooks", "API tokens /account/tokens", "Account /account"}},
			{"ProviderTechnician", user("tech@msp.test", tandem.RoleTechnician, nil),
				[]string{"Home /", "Tickets /tickets", "Queue /queue", "Devices /devices", "Audit /audit", "On call /oncall", "API tokens /account/tokens", "Account /account"}},
			{"ProviderViewer", user("vcio@msp.test", tandem.RoleViewer, nil),
				[]string{"Home /", "Tickets /tickets", "Devices /devices", "Audit /audit", "On call /oncall", "API tokens /account/tokens", "Account /account"}},
			{"ITAdmin", user("it-admin@acme.test", tandem.RoleITAdmin, &acme.ID),
				[]string{"Home /", "Tickets /tickets", "Queue /queue", "Devices /devices", "Audit /audit", "On call /oncall", people, "Escalation /escalation", "Outbox /outbox", "Webhooks /orgs/" + acme.Slug + "/webhooks", "API tokens /account/tokens", "Account /account"}},
			{"ITTechnician", user("it-tech@acme.test", tandem.RoleITTechnician, &acme.ID),
				[]string{"Home /", "Tickets /tickets", "Queue /queue", "Devices /devices", "Audit /audit", "On call /oncall", "API tokens /account/tokens", "Account /account"}},
			{"Viewer", user("cfo@acme.test", tandem.RoleViewer, &acme.ID),
				[]string{"Home /", "Tickets /tickets", "Devices /devices", "Audit /audit", "On call /oncall", "API tokens /account/tokens", "Account /account"}},
			{"Requester", user("requester@acme.test", tandem.RoleRequester, &acme.ID),
				[]string{"Home /", "Tickets /tickets", "Account /account"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := frameLogin(t, s, tc.user)
				got := navHrefs(t, c.get(t, "/account").Body)
				if !slices.Equal(got, tc.want) {
					t.Errorf("navigation = %q\nwant         %q", got, tc.want)
				}
				// Every link offered is a page the role may open.
				for _, item := range got {
					href := item[strings.LastIndex(item, " ")+1:]
					if res := c.get(t, href); res.Status != http.StatusOK && res.Status != http.StatusSeeOther {
						t.Errorf("%s offers %s, which answers %d", tc.name, href, res.Status)
					}
				}
			})
		}
	})
}

// switcherLinks returns the organisation switcher's summary and its
// links as "Name href".
func switcherLinks(t *testing.T, body []byte) (string, []string) {
	t.Helper()
	sw := regexp.MustCompile(`(?s)<details class="switcher" id="org-switcher">\s*<summary[^>]*>([^<]*)</summary>(.*?)</details>`).FindSubmatch(body)
	if sw == nil {
		t.Fatalf("page has no organisation switcher menu:\n%s", body)
	}
	var links []string
	for _, m := range regexp.MustCompile(`<a href="([^"]*)"[^>]*>([^<]*)</a>`).FindAllSubmatch(sw[2], -1) {
		links = append(links, html.UnescapeString(string(m[2]))+" "+html.UnescapeString(string(m[1])))
	}
	return html.UnescapeString(string(sw[1])), links
}

func TestOrganizationSwitcherHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		noProviderMFA(t, s)
		acme, beta := s.MustCreateOrganization(t, "Acme"), s.MustCreateOrganization(t, "Beta")
		admin := frameLogin(t, s, s.MustCreateUser(t, &tandem.User{Email: "admin@msp.test", Role: tandem.RoleAdmin}, uiPassword))
		for _, tc := range []struct {
			name, path, summary string
			want                []string
		}{
			// A list: each organisation filters it, the other filters kept.
			{"TicketList", "/tickets?status=active", "All organisations",
				[]string{"All organisations /tickets?status=active", "Acme /tickets?org=acme&status=active", "Beta /tickets?org=beta&status=active"}},
			{"TicketListFiltered", "/tickets?org=beta&priority=2", "Beta",
				[]string{"All organisations /tickets?priority=2", "Acme /tickets?org=acme&priority=2", "Beta /tickets?org=beta&priority=2"}},
			{"Queue", "/queue", "All organisations",
				[]string{"All organisations /queue", "Acme /queue?org=acme", "Beta /queue?org=beta"}},
			{"Audit", "/audit?organization_id=" + strconv.FormatInt(beta.ID, 10), "Beta",
				[]string{"All organisations /audit", "Acme /audit?organization_id=" + strconv.FormatInt(acme.ID, 10), "Beta /audit?organization_id=" + strconv.FormatInt(beta.ID, 10)}},
			// An organisation's page: the same page of each organisation.
			{"OrganizationPage", "/orgs/acme/settings", "Acme",
				[]string{"Acme /orgs/acme/settings", "Beta /orgs/beta/settings"}},
			{"OrganizationPeople", "/orgs/beta/people", "Beta",
				[]string{"Acme /orgs/acme/people", "Beta /orgs/beta/people"}},
			// Elsewhere: each organisation's page.
			{"Account", "/account", "Organisations",
				[]string{"Acme /orgs/acme", "Beta /orgs/beta"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := admin.get(t, tc.path)
				if res.Status != http.StatusOK {
					t.Fatalf("%s answered %d:\n%s", tc.path, res.Status, res.Body)
				}
				summary, links := switcherLinks(t, res.Body)
				if summary != tc.summary {
					t.Errorf("switcher shows %q, want %q", summary, tc.summary)
				}
				if !slices.Equal(links, tc.want) {
					t.Errorf("switcher links = %q\nwant %q", links, tc.want)
				}
			})
		}

		// A form refused on an organisation's page switches to the page
		// the form belongs to, not to the form's action.
		t.Run("AfterAForm", func(t *testing.T) {
			res := admin.post(t, "/orgs/acme/people", "email", "not an email", "role", "it-admin")
			if res.Status == http.StatusOK || res.Status == http.StatusSeeOther {
				t.Fatalf("a bad invitation answered %d", res.Status)
			}
			if _, links := switcherLinks(t, res.Body); !slices.Contains(links, "Beta /orgs/beta/people") {
				t.Errorf("switcher links after the form = %q", links)
			}
		})

		// An internal user, of one organisation, sees its name and no menu.
		t.Run("InternalUser", func(t *testing.T) {
			c := frameLogin(t, s, s.MustCreateUser(t, &tandem.User{Email: "it@beta.test", Role: tandem.RoleITTechnician, OrganizationID: &beta.ID}, uiPassword))
			body := string(c.get(t, "/tickets").Body)
			if !strings.Contains(body, `<span class="switcher fixed" id="org-switcher" title="Your organisation">Beta</span>`) || strings.Contains(body, `<details class="switcher"`) {
				t.Errorf("internal user's switcher:\n%s", body)
			}
		})
	})
}

func TestProviderZoneHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		noProviderMFA(t, s)
		acme := s.MustCreateOrganization(t, "Acme")
		admin := frameLogin(t, s, s.MustCreateUser(t, &tandem.User{Email: "admin@msp.test", Role: tandem.RoleAdmin}, uiPassword))
		tech := frameLogin(t, s, s.MustCreateUser(t, &tandem.User{Email: "tech@msp.test", Role: tandem.RoleTechnician}, uiPassword))
		internal := frameLogin(t, s, s.MustCreateUser(t, &tandem.User{Email: "it@acme.test", Role: tandem.RoleITAdmin, OrganizationID: &acme.ID}, uiPassword))
		// sessionTimes returns the zone abbreviations of the times on the sessions page.
		sessionTimes := func(t *testing.T, c *uiClient) []string {
			t.Helper()
			var zones []string
			for _, m := range regexp.MustCompile(`<time datetime="[^"]+">[^<]* ([A-Z]+|[-+][0-9]+)</time>`).FindAllSubmatch(c.get(t, "/account/sessions").Body, -1) {
				zones = append(zones, string(m[1]))
			}
			if len(zones) == 0 {
				t.Fatal("the sessions page shows no time")
			}
			return slices.Compact(zones)
		}

		t.Run("UTCByDefault", func(t *testing.T) {
			if got := sessionTimes(t, tech); !slices.Equal(got, []string{"UTC"}) {
				t.Errorf("provider technician sees times in %q, want UTC", got)
			}
			admin.get(t, "/provider/settings").wantPage(t, http.StatusOK, `name="time_zone" value="UTC"`)
		})
		t.Run("ErrZoneInvalid", func(t *testing.T) {
			res := admin.post(t, "/provider/settings", "time_zone", "Mars/Olympus", "require_mfa", "")
			res.wantPage(t, http.StatusUnprocessableEntity, "Mars/Olympus&#34; is not a known IANA zone", `value="Mars/Olympus"`)
			if got := sessionTimes(t, tech); !slices.Equal(got, []string{"UTC"}) {
				t.Errorf("after a refused zone, times are in %q", got)
			}
		})
		t.Run("OnlyAdmins", func(t *testing.T) {
			if res := tech.post(t, "/provider/settings", "time_zone", "Asia/Tokyo"); res.Status != http.StatusForbidden {
				t.Errorf("technician's save answered %d, want 403", res.Status)
			}
		})
		t.Run("OK", func(t *testing.T) {
			admin.post(t, "/provider/settings", "time_zone", "America/New_York").wantRedirect(t, "/provider/settings")
			for name, c := range map[string]*uiClient{"admin": admin, "technician": tech} {
				if got := sessionTimes(t, c); len(got) != 1 || got[0] != "EST" && got[0] != "EDT" {
					t.Errorf("provider %s sees times in %q, want New York's EST or EDT", name, got)
				}
			}
			admin.get(t, "/provider/settings").wantPage(t, http.StatusOK, `value="America/New_York"`, "Your pages show times in America/New_York")
			// An invitation's expiry shows in the zone: on the people page,
			// and on the invitation page, which the invitee opens without a
			// session, in the zone they will see once they have joined.
			res := admin.post(t, "/provider/people", "email", "new@msp.test", "name", "New", "role", "technician")
			link := regexp.MustCompile(`value="[^"]*(/invite/[^"]+)"`).FindSubmatch(res.Body)
			if link == nil {
				t.Fatalf("no invitation link on the people page:\n%s", res.Body)
			}
			zoned := regexp.MustCompile(`expires <time datetime="[^"]+">[^<]* E[SD]T</time>`)
			if !zoned.Match(res.Body) {
				t.Errorf("the people page does not show the invitation's expiry in New York time:\n%s", res.Body)
			}
			if body := newUIClient(t, s).get(t, string(link[1])).Body; !zoned.Match(body) {
				t.Errorf("the invitation page does not show its expiry in New York time:\n%s", body)
			}
			// Saving the zone left MFA as the form had it.
			if req, err := s.Services.MFA.ProviderRequiresMFA(testserver.SystemContext()); err != nil || req {
				t.Fatalf("saving the zone turned MFA to %v (%v)", req, err)
			}
		})
		// Internal users see their organisation calendar's zone, whatever the provider's.
		t.Run("InternalUserCalendarZone", func(t *testing.T) {
			ctx := testserver.SystemContext()
			cal := &tandem.BusinessCalendar{OrganizationID: acme.ID, Name: "Tokyo office", Definition: json.RawMessage(`{"timezone":"Asia/Tokyo","hours":{"mon":[["09:00","17:00"]]}}`)}
			if err := s.Services.SLA.CreateCalendar(ctx, cal); err != nil {
				t.Fatal(err)
			}
			policy, err := s.Services.SLA.FindSLAPolicy(ctx, acme.ID)
			if err != nil {
				t.Fatal(err)
			}
			policy.CalendarID = &cal.ID
			if err := s.Services.SLA.UpdateSLAPolicy(ctx, policy); err != nil {
				t.Fatal(err)
			}
			if got := sessionTimes(t, internal); !slices.Equal(got, []string{"JST"}) {
				t.Errorf("internal user sees times in %q, want their calendar's JST", got)
			}
		})
	})
}
