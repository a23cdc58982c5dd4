package tandem

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// WebhookKinds are the kinds a webhook may take, in the order the settings
// show them. A password reset link is personal and never leaves by
// webhook; a test is sent to one webhook by hand, whatever its kinds.
var WebhookKinds = []NotificationKind{
	NotifyNewTicket, NotifyMajorTicket, NotifyHandoff, NotifyAssigned, NotifyWatchedComment,
	NotifyReply, NotifyResolved, NotifyPendingCustomer,
	NotifySLAWarning, NotifySLABreach, NotifyOLABreach, NotifyDeliveryFailed, NotifyEscalation,
}

// WebhookFormats are the formats a webhook may have.
var WebhookFormats = []WebhookFormat{WebhookJSON, WebhookSlack, WebhookTeams}

// Limits of a webhook's fields.
const (
	MaxWebhookNameLen = 100
	MaxWebhookURLLen  = 2000
)

// Validate checks a webhook's own fields and returns an EINVALID error
// naming the first one at fault. It checks the URL's syntax only; whether
// its host may be reached (private ranges, cloud metadata) is decided
// when it is stored and again when a delivery connects.
func (w *Webhook) Validate() error {
	w.Name = strings.TrimSpace(w.Name)
	w.URL = strings.TrimSpace(w.URL)
	switch {
	case w.Name == "":
		return Errorf(EINVALID, "name is required: say where the webhook posts, such as \"NOC Slack channel\".")
	case utf8.RuneCountInString(w.Name) > MaxWebhookNameLen:
		return Errorf(EINVALID, "name is longer than %d characters: shorten it.", MaxWebhookNameLen)
	case strings.ContainsFunc(w.Name, isControl):
		return Errorf(EINVALID, "name contains a control character: remove it.")
	}
	if err := ValidateWebhookURLSyntax(w.URL); err != nil {
		return err
	}
	if !slices.Contains(WebhookFormats, w.Format) {
		return Errorf(EINVALID, "format %q is unknown: use json, slack or teams.", w.Format)
	}
	seen := map[NotificationKind]bool{}
	kinds := w.Kinds[:0:0]
	for _, k := range w.Kinds {
		if !slices.Contains(WebhookKinds, k) {
			return Errorf(EINVALID, "kinds: %q is not a kind a webhook can take; use some of %s, or none for every kind.", k, kindList())
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	w.Kinds = kinds
	return nil
}

// ValidateWebhookURLSyntax checks the form of a webhook URL: absolute
// http or https, with a host, no user information, at most
// MaxWebhookURLLen characters.
func ValidateWebhookURLSyntax(raw string) error {
	if raw == "" {
		return Errorf(EINVALID, "url is required: paste the receiver's address, such as https://hooks.example.com/tandem.")
	}
	if len(raw) > MaxWebhookURLLen {
		return Errorf(EINVALID, "url is longer than %d characters: use a shorter address.", MaxWebhookURLLen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return isControl(r) || r == ' ' }) {
		return Errorf(EINVALID, "url contains spaces or control characters: encode them or remove them.")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return Errorf(EINVALID, "url is not a valid address: write it as https://host/path.")
	case u.Scheme != "http" && u.Scheme != "https":
		return Errorf(EINVALID, "url must start with https:// (or http://), not %q.", u.Scheme+":")
	case u.User != nil:
		return Errorf(EINVALID, "url must not contain a user name or password: the request is signed with the webhook's secret instead.")
	case u.Hostname() == "":
		return Errorf(EINVALID, "url has no host: write it as https://host/path.")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return Errorf(EINVALID, "url must not contain a fragment (#…): a receiver never sees it.")
	}
	return nil
}

func kindList() string {
	names := make([]string, len(WebhookKinds))
	for i, k := range WebhookKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// CanManageWebhook reports whether the actor may create, change or delete
// w: a provider webhook (no organisation) is the provider admins'; an
// organisation's is its own IT admins'.
func (a *Actor) CanManageWebhook(w *Webhook) error {
	if w.OrganizationID == nil {
		return a.Can(ActionProviderManage, 0)
	}
	if !a.System && a.Party != PartyInternal {
		return Errorf(EFORBIDDEN, "An organisation's webhooks are managed by its own IT admins; provider admins add provider webhooks, which receive every organisation's notifications.")
	}
	return a.Can(ActionOrganizationUpdate, *w.OrganizationID)
}

// CanOverseeWebhooks reports whether the actor may see webhooks at all:
// provider admins (every one) and IT admins (their organisation's).
func (a *Actor) CanOverseeWebhooks() error {
	if a.SeesAllOrganizations() || a.Party == PartyInternal && a.Role == RoleITAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "Your role (%s %s) does not manage webhooks: ask an admin.", a.Party, a.Role)
}
