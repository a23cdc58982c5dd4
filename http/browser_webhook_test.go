package http_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// A provider admin adds a webhook through the form — a receiver on this
// machine, so with private addresses allowed — sees its secret once, sends
// a test and finds it in the delivery log with its outcome. The pages fit
// a phone's width.
func TestBrowserWebhook(t *testing.T) {
	ctx := browsertest.New(t)
	s := testserver.Start(t)
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
	s.MustCreateUser(t, &tandem.User{Name: "Ada Admin", Email: "ada@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	var received atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received.Add(1) }))
	t.Cleanup(receiver.Close)

	browserLogin(t, ctx, s, "ada@msp.example")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/settings/webhooks"]`)))
	browsertest.WaitPath(t, ctx, "/settings/webhooks")
	browsertest.Fill(t, ctx, "#webhook-new", "name", "NOC receiver", "url", receiver.URL+"/tandem")
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS(`#webhook-new select[name=format]`), "json"),
		chromedp.Click(chromedp.CSS(`#webhook-new input[name=kinds][value=sla_breach]`)),
		chromedp.Click(chromedp.CSS(`#webhook-new input[name=allow_private]`)),
		chromedp.Click(chromedp.CSS(`#webhook-new button[type=submit]`)))

	browsertest.WaitFor(t, ctx, `!!document.querySelector("#webhook-secret-value")`, "the new webhook's secret")
	secret := browsertest.Value(t, ctx, "#webhook-secret-value")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret shown = %q, want a whsec_ secret", secret)
	}
	if text := browsertest.Text(t, ctx, "#webhook-secret"); !strings.Contains(text, "docs/WEBHOOKS.md") || !strings.Contains(text, "not shown again") {
		t.Errorf("the secret's box says %q: want the pointer to docs/WEBHOOKS.md and that it is shown once", text)
	}
	list, err := s.Services.Webhooks.FindWebhooks(testserver.SystemContext(), nil)
	if err != nil || len(list) != 1 {
		t.Fatalf("webhooks stored: %v, %v", list, err)
	}
	h := list[0]
	if h.Name != "NOC receiver" || !h.AllowPrivate || !h.Active || len(h.Kinds) != 1 || h.Kinds[0] != tandem.NotifySLABreach {
		t.Errorf("stored %+v: want the form's name, private addresses allowed, active, SLA breaches only", h)
	}
	page := fmt.Sprintf("/webhooks/%d", h.ID)
	browsertest.WaitPath(t, ctx, page)

	t.Run("SecretOnce", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+page))
		browsertest.WaitFor(t, ctx, `!!document.querySelector("#webhook-edit")`, "the webhook's page")
		html := browsertest.Eval[string](t, ctx, `document.documentElement.outerHTML`)
		if strings.Contains(html, secret) || browsertest.Eval[bool](t, ctx, `!!document.querySelector("#webhook-secret")`) {
			t.Fatal("the webhook's page shows the secret again")
		}
		if got := browsertest.Eval[bool](t, ctx, `document.querySelector("#webhook-edit input[name=kinds][value=sla_breach]").checked`); !got {
			t.Error("the SLA breach box is not ticked on the webhook's page")
		}
	})

	t.Run("TestInDeliveryLog", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+page))
		browsertest.WaitFor(t, ctx, `!!document.querySelector("#webhook-test")`, "the test button")
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#webhook-test")))
		browsertest.WaitPath(t, ctx, page+"/deliveries")
		// The scheduler delivers in the background: reload until the
		// test is no longer pending.
		browsertest.WaitFor(t, ctx, `(() => { const d = document.querySelector("#deliveries li.delivery");
			if (d && d.dataset.state !== "pending") return true; location.reload(); return false })()`, "the test's outcome in the log")
		item := browsertest.Text(t, ctx, "#deliveries li.delivery")
		if !strings.Contains(item, "Test from Tandem: NOC receiver") || !strings.Contains(item, "Test") {
			t.Errorf("the log's entry says %q, want the test by its subject and kind", item)
		}
		// The server posts webhooks (notify.Poster): the receiver got the
		// test and said 200, and the log says so.
		state := browsertest.Eval[string](t, ctx, `document.querySelector("#deliveries li.delivery").dataset.state`)
		if n := received.Load(); n != 1 || state != "sent" || !strings.Contains(browsertest.Text(t, ctx, "#deliveries table.attempts"), "200") {
			t.Errorf("the receiver got %d requests and the log says %q: %s", n, state, item)
		}
	})

	t.Run("Phone", func(t *testing.T) {
		browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 800))
		for _, p := range []string{"/settings/webhooks", page, page + "/deliveries"} {
			browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+p))
			browsertest.WaitFor(t, ctx, `!!document.querySelector("main h1")`, p)
			if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
				t.Errorf("%s is wider than a phone: %v", p, wide)
			}
		}
	})
}
