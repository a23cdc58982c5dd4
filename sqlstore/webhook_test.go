package sqlstore_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// webhookWorld is the standard cast with the webhook service.
type webhookWorld struct {
	*world
	Webhooks *sqlstore.WebhookService
}

func newWebhookWorld(t *testing.T, db *sqlstore.DB) *webhookWorld {
	t.Helper()
	return &webhookWorld{world: newWorld(t, db), Webhooks: sqlstore.NewWebhookService(db)}
}

// mustWebhook creates a webhook as u: the provider's when orgID is nil.
func (w *webhookWorld) mustWebhook(t *testing.T, u *tandem.User, orgID *int64, name, url string, kinds ...tandem.NotificationKind) *tandem.Webhook {
	t.Helper()
	h := &tandem.Webhook{OrganizationID: orgID, Name: name, URL: url, Format: tandem.WebhookJSON, Kinds: kinds, Active: true}
	if err := w.Webhooks.CreateWebhook(as(t, u), h); err != nil {
		t.Fatalf("create webhook %q as %s: %v", name, u.Email, err)
	}
	return h
}

func TestWebhookService(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWebhookWorld(t, db)

		// A cloud metadata address is refused when saved, even by a provider
		// admin allowing private ranges: the URL shows it (it failed before
		// the service called notify.ValidateWebhookURL).
		t.Run("MetadataAddressRefused", func(t *testing.T) {
			for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://metadata.google.internal/computeMetadata/v1/"} {
				wantCode(t, w.Webhooks.CreateWebhook(as(t, w.Admin), &tandem.Webhook{Name: "Metadata", URL: u, Format: "json", AllowPrivate: true}), tandem.EINVALID)
			}
		})

		t.Run("SecretOnce", func(t *testing.T) {
			mark := auditMark(t, db)
			h := w.mustWebhook(t, w.Admin, nil, "NOC Slack", "https://hooks.example.com/noc")
			if !strings.HasPrefix(h.Secret, "whsec_") || len(h.Secret) < 40 {
				t.Fatalf("secret at creation = %q, want a whsec_ secret", h.Secret)
			}
			if h.Party != tandem.PartyProvider || h.OrganizationID != nil {
				t.Fatalf("provider webhook stored as party %q org %v", h.Party, h.OrganizationID)
			}
			got, err := w.Webhooks.FindWebhook(as(t, w.Admin), h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Secret != "" || got.Name != "NOC Slack" || got.Kinds == nil {
				t.Fatalf("read back %+v: want the webhook without its secret", got)
			}
			list, err := w.Webhooks.FindWebhooks(as(t, w.Admin), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range list {
				if l.Secret != "" {
					t.Fatalf("list shows the secret of %q", l.Name)
				}
			}
			rotated, err := w.Webhooks.RotateWebhookSecret(as(t, w.Admin), h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rotated == h.Secret || !strings.HasPrefix(rotated, "whsec_") {
				t.Fatalf("rotated secret %q: want a new whsec_ secret", rotated)
			}
			entries := wantAudit(t, db, mark, "webhook.create", "webhook.rotate_secret")
			for _, e := range entries {
				if strings.Contains(string(e.Summary), h.Secret) || strings.Contains(string(e.Summary), rotated) || strings.Contains(string(e.Summary), "whsec_") {
					t.Fatalf("audit %s records the secret: %s", e.Action, e.Summary)
				}
			}
		})

		t.Run("Scope", func(t *testing.T) {
			prov := w.mustWebhook(t, w.Admin, nil, "Provider hook", "https://hooks.example.com/p")
			acme := w.mustWebhook(t, w.AAdmin, &w.OrgA.ID, "Acme Teams", "https://acme.example.com/teams")
			if acme.Party != tandem.PartyInternal {
				t.Fatalf("organisation webhook party = %q, want internal", acme.Party)
			}
			globex := w.mustWebhook(t, w.BAdmin, &w.OrgB.ID, "Globex hook", "https://globex.example.com/h")

			ids := func(u *tandem.User) []int64 {
				list, err := w.Webhooks.FindWebhooks(as(t, u), nil)
				if err != nil {
					t.Fatalf("list as %s: %v", u.Email, err)
				}
				var out []int64
				for _, h := range list {
					out = append(out, h.ID)
				}
				return out
			}
			if got := ids(w.AAdmin); !slices.Equal(got, []int64{acme.ID}) {
				t.Fatalf("Acme's it-admin lists %v, want only Acme's webhook %d", got, acme.ID)
			}
			if got := ids(w.Admin); !slices.Contains(got, prov.ID) || !slices.Contains(got, acme.ID) || !slices.Contains(got, globex.ID) {
				t.Fatalf("provider admin lists %v, want every webhook", got)
			}
			for _, u := range []*tandem.User{w.Tech, w.ATech, w.AViewer, w.ARequester} {
				_, err := w.Webhooks.FindWebhooks(as(t, u), nil)
				wantCode(t, err, tandem.EFORBIDDEN)
				_, err = w.Webhooks.FindWebhook(as(t, u), acme.ID)
				wantCode(t, err, tandem.ENOTFOUND)
			}
			// Outside scope is not found, for reads and every change.
			for _, id := range []int64{prov.ID, globex.ID} {
				ctx := as(t, w.AAdmin)
				_, err := w.Webhooks.FindWebhook(ctx, id)
				wantCode(t, err, tandem.ENOTFOUND)
				wantCode(t, w.Webhooks.UpdateWebhook(ctx, &tandem.Webhook{ID: id, Name: "x", URL: "https://x.example", Format: "json"}), tandem.ENOTFOUND)
				wantCode(t, w.Webhooks.DeleteWebhook(ctx, id), tandem.ENOTFOUND)
				_, err = w.Webhooks.RotateWebhookSecret(ctx, id)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = w.Webhooks.TestWebhook(ctx, id)
				wantCode(t, err, tandem.ENOTFOUND)
				_, err = w.Webhooks.FindDeliveries(ctx, id, 0)
				wantCode(t, err, tandem.ENOTFOUND)
			}
			// The provider admin sees an organisation's webhooks but leaves
			// them to its IT admins; an it-admin makes none for the provider
			// nor for another organisation.
			wantCode(t, w.Webhooks.DeleteWebhook(as(t, w.Admin), acme.ID), tandem.EFORBIDDEN)
			wantCode(t, w.Webhooks.CreateWebhook(as(t, w.Admin), &tandem.Webhook{OrganizationID: &w.OrgA.ID, Name: "x", URL: "https://x.example", Format: "json"}), tandem.EFORBIDDEN)
			wantCode(t, w.Webhooks.CreateWebhook(as(t, w.AAdmin), &tandem.Webhook{Name: "x", URL: "https://x.example", Format: "json"}), tandem.EFORBIDDEN)
			wantCode(t, w.Webhooks.CreateWebhook(as(t, w.AAdmin), &tandem.Webhook{OrganizationID: &w.OrgB.ID, Name: "x", URL: "https://x.example", Format: "json"}), tandem.ENOTFOUND)
			wantCode(t, w.Webhooks.CreateWebhook(as(t, w.ATech), &tandem.Webhook{OrganizationID: &w.OrgA.ID, Name: "x", URL: "https://x.example", Format: "json"}), tandem.EFORBIDDEN)
			if got := ids(w.AAdmin); !slices.Equal(got, []int64{acme.ID}) {
				t.Fatalf("after refusals Acme's it-admin lists %v, want %d", got, acme.ID)
			}
		})

		t.Run("Validation", func(t *testing.T) {
			base := func() *tandem.Webhook {
				return &tandem.Webhook{OrganizationID: &w.OrgA.ID, Name: "Hook", URL: "https://hooks.example.com/x", Format: tandem.WebhookSlack, Active: true}
			}
			tests := []struct {
				name, want string
				edit       func(h *tandem.Webhook)
			}{
				{"NoName", "name is required", func(h *tandem.Webhook) { h.Name = "  " }},
				{"LongName", "name is longer than 100", func(h *tandem.Webhook) { h.Name = strings.Repeat("n", 101) }},
				{"NoURL", "url is required", func(h *tandem.Webhook) { h.URL = "" }},
				{"FTP", "url must start with https://", func(h *tandem.Webhook) { h.URL = "ftp://files.example.com/x" }},
				{"Relative", "url must start with https://", func(h *tandem.Webhook) { h.URL = "/hooks/x" }},
				{"UserInfo", "user name or password", func(h *tandem.Webhook) { h.URL = "https://bob:pw@hooks.example.com/x" }},
				{"NoHost", "url has no host", func(h *tandem.Webhook) { h.URL = "https:///x" }},
				{"Long", "url is longer than 2000", func(h *tandem.Webhook) { h.URL = "https://h.example/" + strings.Repeat("a", 2000) }},
				{"Format", `format "xml" is unknown`, func(h *tandem.Webhook) { h.Format = "xml" }},
				{"Kind", `"password_reset" is not a kind`, func(h *tandem.Webhook) { h.Kinds = []tandem.NotificationKind{tandem.NotifyPasswordReset} }},
				{"UnknownKind", `"tea" is not a kind`, func(h *tandem.Webhook) { h.Kinds = []tandem.NotificationKind{"tea"} }},
			}
			before, err := w.Webhooks.FindWebhooks(as(t, w.AAdmin), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					h := base()
					tt.edit(h)
					err := w.Webhooks.CreateWebhook(as(t, w.AAdmin), h)
					wantCode(t, err, tandem.EINVALID)
					if !strings.Contains(tandem.ErrorMessage(err), tt.want) {
						t.Fatalf("message %q does not say %q", tandem.ErrorMessage(err), tt.want)
					}
				})
			}
			after, _ := w.Webhooks.FindWebhooks(as(t, w.AAdmin), nil)
			if len(after) != len(before) {
				t.Fatalf("refused webhooks were stored: %d, then %d", len(before), len(after))
			}
		})

		t.Run("AllowPrivate", func(t *testing.T) {
			h := &tandem.Webhook{OrganizationID: &w.OrgA.ID, Name: "LAN", URL: "http://10.0.0.5/hook", Format: tandem.WebhookJSON, AllowPrivate: true}
			wantCode(t, w.Webhooks.CreateWebhook(as(t, w.AAdmin), h), tandem.EFORBIDDEN)
			h.AllowPrivate = false
			if err := w.Webhooks.CreateWebhook(as(t, w.AAdmin), h); err != nil {
				t.Fatal(err)
			}
			h.AllowPrivate = true
			wantCode(t, w.Webhooks.UpdateWebhook(as(t, w.AAdmin), h), tandem.EFORBIDDEN)
			p := &tandem.Webhook{Name: "LAN relay", URL: "http://10.0.0.6/hook", Format: tandem.WebhookJSON, AllowPrivate: true}
			if err := w.Webhooks.CreateWebhook(as(t, w.Admin), p); err != nil {
				t.Fatalf("a provider admin allows private ranges: %v", err)
			}
			if got, _ := w.Webhooks.FindWebhook(as(t, w.Admin), p.ID); !got.AllowPrivate {
				t.Fatal("allow_private was not stored")
			}
		})

		t.Run("Update", func(t *testing.T) {
			h := w.mustWebhook(t, w.AAdmin, &w.OrgA.ID, "Before", "https://a.example.com/1")
			mark := auditMark(t, db)
			upd := &tandem.Webhook{ID: h.ID, Name: "After", URL: "https://a.example.com/2", Format: tandem.WebhookTeams,
				Kinds: []tandem.NotificationKind{tandem.NotifySLABreach, tandem.NotifySLABreach}, OrganizationID: &w.OrgB.ID, Party: tandem.PartyProvider}
			if err := w.Webhooks.UpdateWebhook(as(t, w.AAdmin), upd); err != nil {
				t.Fatal(err)
			}
			got, _ := w.Webhooks.FindWebhook(as(t, w.AAdmin), h.ID)
			if got.Name != "After" || got.URL != "https://a.example.com/2" || got.Format != tandem.WebhookTeams || got.Active ||
				!slices.Equal(got.Kinds, []tandem.NotificationKind{tandem.NotifySLABreach}) {
				t.Fatalf("updated webhook = %+v", got)
			}
			if *got.OrganizationID != w.OrgA.ID || got.Party != tandem.PartyInternal {
				t.Fatalf("an update moved the webhook to org %d party %s", *got.OrganizationID, got.Party)
			}
			e := wantAudit(t, db, mark, "webhook.update")[0]
			var sum map[string]any
			_ = json.Unmarshal(e.Summary, &sum)
			if sum["name"] != "After" || sum["before"].(map[string]any)["name"] != "Before" {
				t.Fatalf("audit summary %s: want the new and the old name", e.Summary)
			}
			mark = auditMark(t, db)
			if err := w.Webhooks.DeleteWebhook(as(t, w.AAdmin), h.ID); err != nil {
				t.Fatal(err)
			}
			wantAudit(t, db, mark, "webhook.delete")
			_, err := w.Webhooks.FindWebhook(as(t, w.AAdmin), h.ID)
			wantCode(t, err, tandem.ENOTFOUND)
		})
	})
}

// TestWebhookFanOut checks who receives what: the provider's webhooks
// every organisation's messages but never the internal team's own; an
// organisation's webhooks only its own and never the provider team's.
func TestWebhookFanOut(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWebhookWorld(t, db)
		provAll := w.mustWebhook(t, w.Admin, nil, "Provider, every kind", "https://p.example.com/all")
		provBreach := w.mustWebhook(t, w.Admin, nil, "Provider, breaches", "https://p.example.com/breach", tandem.NotifySLABreach)
		acme := w.mustWebhook(t, w.AAdmin, &w.OrgA.ID, "Acme", "https://acme.example.com/h")
		globex := w.mustWebhook(t, w.BAdmin, &w.OrgB.ID, "Globex", "https://globex.example.com/h")
		off := w.mustWebhook(t, w.AAdmin, &w.OrgA.ID, "Acme, off", "https://acme.example.com/off")
		off.Active = false
		if err := w.Webhooks.UpdateWebhook(as(t, w.AAdmin), off); err != nil {
			t.Fatal(err)
		}
		// A kind whose name another contains must not match it.
		sla := w.mustWebhook(t, w.AAdmin, &w.OrgA.ID, "Acme, SLA warnings", "https://acme.example.com/warn", tandem.NotifySLAWarning)

		tests := []struct {
			name  string
			org   *int64
			kind  tandem.NotificationKind
			party tandem.PartyKind
			want  []*tandem.Webhook
		}{
			{"Public", &w.OrgA.ID, tandem.NotifyNewTicket, "", []*tandem.Webhook{provAll, acme}},
			{"Breach", &w.OrgA.ID, tandem.NotifySLABreach, "", []*tandem.Webhook{provAll, provBreach, acme}},
			{"Warning", &w.OrgA.ID, tandem.NotifySLAWarning, "", []*tandem.Webhook{provAll, acme, sla}},
			{"ProviderOnly", &w.OrgA.ID, tandem.NotifyHandoff, tandem.PartyProvider, []*tandem.Webhook{provAll}},
			{"InternalOnly", &w.OrgA.ID, tandem.NotifyHandoff, tandem.PartyInternal, []*tandem.Webhook{acme}},
			{"OtherOrg", &w.OrgB.ID, tandem.NotifyNewTicket, "", []*tandem.Webhook{provAll, globex}},
			{"ProviderOwn", nil, tandem.NotifyDeliveryFailed, "", []*tandem.Webhook{provAll}},
			{"PasswordReset", &w.OrgA.ID, tandem.NotifyPasswordReset, "", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				subject := "fan-out " + tt.name
				if err := sqlstore.FanOut(t.Context(), db, tt.org, tt.kind, tt.party, subject); err != nil {
					t.Fatal(err)
				}
				for _, h := range []*tandem.Webhook{provAll, provBreach, acme, globex, off, sla} {
					owner := w.Admin
					switch {
					case h.OrganizationID == nil:
					case *h.OrganizationID == w.OrgA.ID:
						owner = w.AAdmin
					default:
						owner = w.BAdmin
					}
					log, err := w.Webhooks.FindDeliveries(as(t, owner), h.ID, 0)
					if err != nil {
						t.Fatal(err)
					}
					got := slices.ContainsFunc(log, func(n *tandem.Notification) bool { return n.Subject == subject })
					if want := slices.Contains(tt.want, h); got != want {
						t.Errorf("webhook %q received %q: %v, want %v", h.Name, subject, got, want)
					}
				}
			})
		}
	})
}
