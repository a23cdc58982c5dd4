package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// The frame every page shares (layout.html): the main navigation, which
// offers only what the viewer's role can use, and the organisation switcher,
// which scopes the page it sits on.

// navLink is one item of the main navigation.
type navLink struct {
	Label, Href string
	// Current marks the section the page belongs to (aria-current).
	Current bool
}

// navigation lists the sections the actor's role can use, after the
// permission table (permission.go); a route refuses anyway, the navigation
// only leaves out what would be refused or of no use. path is the page's.
func navigation(a *tandem.Actor, orgs []*tandem.Organization, path string) []navLink {
	links := []navLink{{Label: "Home", Href: "/"}, {Label: "Tickets", Href: "/tickets"}}
	// The queue is the work of a party: for roles that work tickets.
	if a.Can(tandem.ActionTicketWork, a.OrganizationID) == nil {
		links = append(links, navLink{Label: "Queue", Href: "/queue"})
	}
	// Devices are staff's: requesters see none (permission.go).
	if a.Can(tandem.ActionDeviceRead, a.OrganizationID) == nil {
		links = append(links, navLink{Label: "Devices", Href: "/devices"})
	}
	if a.Can(tandem.ActionAuditRead, a.OrganizationID) == nil {
		links = append(links, navLink{Label: "Audit", Href: "/audit"})
	}
	// On call is for staff, whose rotations it shows.
	if !a.IsRequesterRole() {
		links = append(links, navLink{Label: "On call", Href: "/oncall"})
	}
	// People is where a team is managed: for those who may manage it.
	switch {
	case a.Party == tandem.PartyProvider && a.Can(tandem.ActionProviderManage, 0) == nil:
		links = append(links, navLink{Label: "People", Href: "/provider/people"})
	case a.Party == tandem.PartyInternal && a.Can(tandem.ActionUserManage, a.OrganizationID) == nil:
		for _, o := range orgs {
			if o.ID == a.OrganizationID {
				links = append(links, navLink{Label: "People", Href: "/orgs/" + o.Slug + "/people"})
			}
		}
	}
	// Escalation policies are edited by each party's admins.
	if a.Can(tandem.ActionEscalationManage, a.OrganizationID) == nil {
		links = append(links, navLink{Label: "Escalation", Href: "/escalation"})
	}
	// The outbox is overseen by the admins (NotificationService.FindOutbox).
	if a.IsProviderAdmin() || a.Party == tandem.PartyInternal && a.Role == tandem.RoleITAdmin {
		links = append(links, navLink{Label: "Outbox", Href: "/outbox"})
	}
	// Webhooks: the provider's for provider admins, an organisation's for
	// its IT admins (ui_webhook.go).
	switch {
	case a.Party == tandem.PartyProvider && a.CanManageWebhook(&tandem.Webhook{}) == nil:
		links = append(links, navLink{Label: "Webhooks", Href: "/settings/webhooks"})
	case a.Party == tandem.PartyInternal && a.CanOverseeWebhooks() == nil:
		for _, o := range orgs {
			if o.ID == a.OrganizationID {
				links = append(links, navLink{Label: "Webhooks", Href: "/orgs/" + o.Slug + "/webhooks"})
			}
		}
	}
	// Tokens are for scripts and integrations, which a requester, who only
	// asks for help, has no use for; the account page still links them.
	if !a.IsRequesterRole() {
		links = append(links, navLink{Label: "API tokens", Href: "/account/tokens"})
	}
	links = append(links, navLink{Label: "Account", Href: "/account"})
	// The current section is the longest link the path lies under, so that
	// /account/tokens is API tokens, not Account.
	best := -1
	for i, l := range links {
		under := path == l.Href || l.Href != "/" && strings.HasPrefix(path, l.Href+"/")
		if under && (best < 0 || len(l.Href) > len(links[best].Href)) {
			best = i
		}
	}
	if best >= 0 {
		links[best].Current = true
	}
	return links
}

// switcher is the organisation switcher of a page: each organisation's
// link goes to the same page scoped to it.
type switcher struct {
	// Label is what the switcher shows when the page has no current
	// organisation (pageData.Current): the organisation its list is
	// filtered by, "All organisations", or "Organisations".
	Label string
	// Fixed: the viewer belongs to one organisation; it shows its name and
	// no menu.
	Fixed bool
	// All is the link to the unfiltered list, on list pages; AllCurrent
	// says the list is unfiltered.
	All        string
	AllCurrent bool
	Items      []switchItem
}

// switchItem is one organisation of the switcher.
type switchItem struct {
	Name, Slug, Href string
	Current          bool
}

// scopedLists are the lists the switcher filters, with the query parameter
// each reads and whether it takes the organisation's slug or its id.
var scopedLists = map[string]struct {
	param string
	byID  bool
}{
	"/tickets": {"org", false},
	"/queue":   {"org", false},
	"/devices": {"org", false},
	"/audit":   {"organization_id", true},
	"/outbox":  {"organization_id", true},
}

// newSwitcher builds the switcher for the page of r: on a scoped list, each
// organisation is the same list with the filter set, the other filters
// kept; on an organisation's page (/orgs/{slug}/…), the same page of each
// organisation; elsewhere, each organisation's page.
func (s *Server) newSwitcher(r *http.Request, a *tandem.Actor, orgs []*tandem.Organization) *switcher {
	sw := &switcher{Label: "Organisations", Fixed: a.Party == tandem.PartyInternal && len(orgs) == 1}
	if sw.Fixed {
		sw.Label = orgs[0].Name
		return sw
	}
	value := func(o *tandem.Organization, byID bool) string {
		if byID {
			return strconv.FormatInt(o.ID, 10)
		}
		return o.Slug
	}
	if list, ok := scopedLists[r.URL.Path]; ok {
		q := r.URL.Query()
		q.Del("cursor") // a page of one filter means nothing under another
		current := q.Get(list.param)
		q.Del(list.param)
		sw.Label, sw.All, sw.AllCurrent = "All organisations", withQuery(r.URL.Path, q), current == ""
		for _, o := range orgs {
			v := value(o, list.byID)
			q.Set(list.param, v)
			item := switchItem{Name: o.Name, Slug: o.Slug, Href: withQuery(r.URL.Path, q), Current: v == current}
			if item.Current {
				sw.Label = o.Name
			}
			sw.Items = append(sw.Items, item)
		}
		return sw
	}
	suffix, onOrg := s.orgPageSuffix(r)
	for _, o := range orgs {
		item := switchItem{Name: o.Name, Slug: o.Slug, Href: "/orgs/" + o.Slug}
		if onOrg {
			item.Href += suffix
			item.Current = o.Slug == r.PathValue("slug")
		}
		sw.Items = append(sw.Items, item)
	}
	return sw
}

// orgPageSuffix returns, for a request under /orgs/{slug}, the rest of its
// path that names a page every organisation has: the path itself when it is
// a page (GET), otherwise (a form's POST, a file) the nearest page above it,
// so that /orgs/a/sla/calendars/3 switches to /orgs/b/sla.
func (s *Server) orgPageSuffix(r *http.Request) (string, bool) {
	slug := r.PathValue("slug")
	prefix := "/orgs/" + slug
	if slug == "" || !strings.HasPrefix(r.URL.Path, prefix) {
		return "", false
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	if r.Method == http.MethodGet {
		return rest, true
	}
	for ; rest != ""; rest = rest[:strings.LastIndex(rest, "/")] {
		probe := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: prefix + rest}, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); strings.HasPrefix(pattern, "GET /orgs/{slug}") {
			return rest, true
		}
	}
	return "", true
}

// withQuery joins a path and a query, leaving out an empty query.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
