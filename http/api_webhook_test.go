package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// A provider admin and an organisation's IT admin manage their webhooks
// through the API: the secret is in the answers of the create and of the
// rotation only, bad input is refused naming the field, each manages only
// their own, a test shows in the delivery log, and a deleted webhook is gone.
func TestWebhookAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		var prov tandem.Webhook
		d.call(t, d.admin, "POST", "/api/v1/webhooks", map[string]any{"name": "NOC Slack", "url": "https://hooks.example.com/noc", "format": "slack",
			"kinds": []string{"sla_breach", "major_ticket"}}).want(t, http.StatusCreated, &prov)
		if !strings.HasPrefix(prov.Secret, "whsec_") || prov.OrganizationID != nil || !prov.Active || len(prov.Kinds) != 2 {
			t.Fatalf("created %+v: want an active provider webhook with a whsec_ secret and two kinds", prov)
		}
		path := fmt.Sprintf("/api/v1/webhooks/%d", prov.ID)

		t.Run("SecretOnce", func(t *testing.T) {
			res := d.call(t, d.admin, "GET", path, nil)
			res.want(t, http.StatusOK, nil)
			list := d.call(t, d.admin, "GET", "/api/v1/webhooks", nil)
			list.want(t, http.StatusOK, nil)
			for _, body := range [][]byte{res.Body, list.Body} {
				if strings.Contains(string(body), prov.Secret) || strings.Contains(string(body), "whsec_") {
					t.Fatalf("a read shows the secret: %s", body)
				}
			}
			var rotated struct{ Secret string }
			d.call(t, d.admin, "POST", path+"/rotate-secret", nil).want(t, http.StatusOK, &rotated)
			if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == prov.Secret {
				t.Errorf("rotated secret %q: want a new whsec_ secret", rotated.Secret)
			}
		})

		t.Run("BadInputRefused", func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				body    map[string]any
				mention string
			}{
				{"NoName", map[string]any{"url": "https://hooks.example.com/x"}, "name"},
				{"FTP", map[string]any{"name": "X", "url": "ftp://hooks.example.com/x"}, "url"},
				{"Format", map[string]any{"name": "X", "url": "https://hooks.example.com/x", "format": "xml"}, "format"},
				{"Kind", map[string]any{"name": "X", "url": "https://hooks.example.com/x", "kinds": []string{"lunch"}}, "lunch"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					msg := d.call(t, d.admin, "POST", "/api/v1/webhooks", tt.body).wantError(t, 422, tandem.EINVALID)
					if !strings.Contains(msg, tt.mention) {
						t.Errorf("message %q does not name %q", msg, tt.mention)
					}
				})
			}
			msg := d.call(t, d.admin, "PATCH", path, map[string]any{"organization_id": d.orgA.ID}).wantError(t, 422, tandem.EINVALID)
			if !strings.Contains(msg, "organization_id") {
				t.Errorf("moving a webhook: message %q does not name organization_id", msg)
			}
			var list page[tandem.Webhook]
			d.call(t, d.admin, "GET", "/api/v1/webhooks", nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 1 || list.Items[0].OrganizationID != nil {
				t.Errorf("refused requests changed the webhooks: %+v", list.Items)
			}
		})

		t.Run("EachTheirOwn", func(t *testing.T) {
			orgHook := map[string]any{"organization_id": d.orgA.ID, "name": "Acme Teams", "url": "https://acme.example/teams", "format": "teams"}
			d.call(t, d.admin, "POST", "/api/v1/webhooks", orgHook).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itTechA, "POST", "/api/v1/webhooks", orgHook).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itAdminB, "POST", "/api/v1/webhooks", orgHook).wantError(t, 404, tandem.ENOTFOUND)
			private := map[string]any{"organization_id": d.orgA.ID, "name": "Acme LAN", "url": "http://10.0.0.5/hook", "allow_private": true}
			d.call(t, d.itAdminA, "POST", "/api/v1/webhooks", private).wantError(t, 403, tandem.EFORBIDDEN)

			var acme tandem.Webhook
			d.call(t, d.itAdminA, "POST", "/api/v1/webhooks", orgHook).want(t, http.StatusCreated, &acme)
			acmePath := fmt.Sprintf("/api/v1/webhooks/%d", acme.ID)
			d.call(t, d.itAdminB, "GET", acmePath, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.itAdminA, "PATCH", path, map[string]any{"name": "Taken over"}).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.admin, "PATCH", acmePath, map[string]any{"name": "Taken over"}).wantError(t, 403, tandem.EFORBIDDEN)

			var own page[tandem.Webhook]
			d.call(t, d.itAdminA, "GET", "/api/v1/webhooks", nil).want(t, http.StatusOK, &own)
			if len(own.Items) != 1 || own.Items[0].ID != acme.ID {
				t.Errorf("Acme's IT admin lists %+v, want Acme's webhook alone", own.Items)
			}
			var all page[tandem.Webhook]
			d.call(t, d.admin, "GET", "/api/v1/webhooks", nil).want(t, http.StatusOK, &all)
			if len(all.Items) != 2 {
				t.Errorf("the provider admin lists %d webhooks, want the provider's and Acme's", len(all.Items))
			}
			var filtered page[tandem.Webhook]
			d.call(t, d.admin, "GET", fmt.Sprintf("/api/v1/webhooks?organization_id=%d", d.orgA.ID), nil).want(t, http.StatusOK, &filtered)
			if len(filtered.Items) != 1 || filtered.Items[0].ID != acme.ID {
				t.Errorf("filtered by Acme: %+v", filtered.Items)
			}

			var changed tandem.Webhook
			d.call(t, d.itAdminA, "PATCH", acmePath, map[string]any{"name": "Acme Teams channel", "active": false}).want(t, http.StatusOK, &changed)
			if changed.Name != "Acme Teams channel" || changed.Active || changed.URL != acme.URL || changed.Format != tandem.WebhookTeams {
				t.Errorf("after PATCH: %+v", changed)
			}
		})

		t.Run("TestShowsInDeliveryLog", func(t *testing.T) {
			var n tandem.Notification
			d.call(t, d.admin, "POST", path+"/test", nil).want(t, http.StatusAccepted, &n)
			if n.Kind != tandem.NotifyWebhookTest || n.WebhookID == nil || *n.WebhookID != prov.ID {
				t.Fatalf("test delivery %+v", n)
			}
			var log page[tandem.Notification]
			d.call(t, d.admin, "GET", path+"/deliveries", nil).want(t, http.StatusOK, &log)
			if len(log.Items) == 0 || log.Items[0].ID != n.ID || log.Items[0].Subject != n.Subject {
				t.Errorf("delivery log %+v, want the test %d first", log.Items, n.ID)
			}
			d.call(t, d.itAdminB, "GET", path+"/deliveries", nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.tech, "POST", path+"/test", nil).wantError(t, 404, tandem.ENOTFOUND) // technicians do not see webhooks
		})

		t.Run("Delete", func(t *testing.T) {
			d.call(t, d.tech, "DELETE", path, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.admin, "DELETE", path, nil).want(t, http.StatusNoContent, nil)
			d.call(t, d.admin, "GET", path, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.admin, "GET", path+"/deliveries", nil).wantError(t, 404, tandem.ENOTFOUND)
		})
	})
}
