package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/notify"
)

const testSecret = "whsec-test-0123456789"

// verifySignature checks a Tandem-Signature header the way
// docs/WEBHOOKS.md tells receivers to: HMAC-SHA256 under the secret of
// "<t>.<body>", hex, compared in constant time, t within five minutes.
func verifySignature(header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	if d := now.Sub(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp too old")
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// receiver is an HTTP endpoint that verifies each request's signature
// and answers the statuses queued in answers, then 200.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []int
	requests []receivedRequest
}

type receivedRequest struct {
	Header http.Header
	Body   []byte
	SigErr error
}

func startReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, receivedRequest{Header: req.Header, Body: body, SigErr: verifySignature(req.Header.Get("Tandem-Signature"), body, time.Now())})
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "http://169.254.169.254/latest/meta-data/")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "answer "+strconv.Itoa(status))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) Requests() []receivedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedRequest(nil), r.requests...)
}

// webhookDelivery is a delivery of notification 99 about ticket 42 to a
// webhook at url (httptest listens on 127.0.0.1, hence AllowPrivate).
func webhookDelivery(url string, format tandem.WebhookFormat) *tandem.Delivery {
	ticket, org := int64(42), int64(7)
	return &tandem.Delivery{
		Notification: &tandem.Notification{
			ID: 99, OrganizationID: &org, TicketID: &ticket, Channel: tandem.ChannelWebhook, Kind: tandem.NotifyNewTicket, Priority: 1,
			Subject: "New P1 ticket #42: VPN <down> & out", Body: "The VPN concentrator is unreachable.",
			Link: "/tickets/42", ActionURL: "/ack/tok-1", CreatedAt: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC),
		},
		Webhook: &tandem.Webhook{ID: 3, URL: url, Format: format, Secret: testSecret, AllowPrivate: true, Active: true},
		BaseURL: "https://desk.msp.example",
	}
}

func TestPosterFormats(t *testing.T) {
	for _, format := range []tandem.WebhookFormat{tandem.WebhookJSON, tandem.WebhookSlack, tandem.WebhookTeams} {
		t.Run(string(format), func(t *testing.T) {
			r := startReceiver(t)
			d := webhookDelivery(r.URL+"/hook?token=abc", format)
			if err := notify.NewPoster().Deliver(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			if d.Status != 200 {
				t.Errorf("Status = %d, want 200", d.Status)
			}
			reqs := r.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			req := reqs[0]
			if req.SigErr != nil {
				t.Errorf("the signature does not verify: %v (header %q)", req.SigErr, req.Header.Get("Tandem-Signature"))
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if id := req.Header.Get("Tandem-Delivery"); id != "99" {
				t.Errorf("Tandem-Delivery = %q, want 99", id)
			}
			var body map[string]any
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("the body is not JSON: %v\n%s", err, req.Body)
			}
			checkFormat(t, format, body, string(req.Body))
		})
	}
}

// checkFormat asserts what a receiver of each format reads.
func checkFormat(t *testing.T, format tandem.WebhookFormat, body map[string]any, raw string) {
	t.Helper()
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				m, _ := v.(map[string]any)
				v = m[k]
			case int:
				a, _ := v.([]any)
				if k >= len(a) {
					return nil
				}
				v = a[k]
			}
		}
		return v
	}
	switch format {
	case tandem.WebhookJSON:
		for k, want := range map[string]any{
			"id": 99.0, "kind": "new_ticket", "subject": "New P1 ticket #42: VPN <down> & out", "body": "The VPN concentrator is unreachable.",
			"link": "https://desk.msp.example/tickets/42", "ack_url": "https://desk.msp.example/ack/tok-1",
			"ticket_id": 42.0, "organization_id": 7.0, "priority": 1.0, "created_at": "2026-03-03T10:00:00Z",
		} {
			if body[k] != want {
				t.Errorf("%s = %v, want %v", k, body[k], want)
			}
		}
	case tandem.WebhookSlack:
		if text, _ := body["text"].(string); !strings.Contains(text, "VPN &lt;down&gt; &amp; out") {
			t.Errorf("text = %q, want the subject, escaped for Slack", text)
		}
		section, _ := get(body, "blocks", 0, "text", "text").(string)
		if !strings.Contains(section, "<https://desk.msp.example/tickets/42|") || !strings.Contains(section, "The VPN concentrator is unreachable.") {
			t.Errorf("the section block = %q, want a link to the ticket and the body", section)
		}
		if get(body, "blocks", 1, "type") != "actions" ||
			get(body, "blocks", 1, "elements", 0, "url") != "https://desk.msp.example/tickets/42" ||
			get(body, "blocks", 1, "elements", 1, "url") != "https://desk.msp.example/ack/tok-1" {
			t.Errorf("the buttons are wrong: %s", raw)
		}
	case tandem.WebhookTeams:
		if body["type"] != "message" || get(body, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" {
			t.Errorf("not a Teams message with an Adaptive Card: %s", raw)
		}
		card := get(body, "attachments", 0, "content")
		if get(card, "type") != "AdaptiveCard" || get(card, "version") != "1.4" ||
			get(card, "body", 0, "text") != "[P1 Critical] New P1 ticket #42: VPN <down> & out" ||
			get(card, "body", 1, "text") != "The VPN concentrator is unreachable." {
			t.Errorf("the card's text is wrong: %s", raw)
		}
		if get(card, "actions", 0, "type") != "Action.OpenUrl" || get(card, "actions", 0, "url") != "https://desk.msp.example/tickets/42" ||
			get(card, "actions", 1, "title") != "Acknowledge" || get(card, "actions", 1, "url") != "https://desk.msp.example/ack/tok-1" {
			t.Errorf("the card's actions are wrong: %s", raw)
		}
	}
}

func TestPosterAnswers(t *testing.T) {
	var perm *tandem.PermanentError
	t.Run("RetryThenDelivered", func(t *testing.T) {
		r := startReceiver(t, 500)
		p := notify.NewPoster()
		d := webhookDelivery(r.URL, tandem.WebhookJSON)
		err := p.Deliver(context.Background(), d)
		if err == nil || errors.As(err, &perm) || d.Status != 500 || !strings.Contains(err.Error(), "500") {
			t.Fatalf("first attempt: err %v, status %d; want a retryable error and 500", err, d.Status)
		}
		d.Status = 0
		if err := p.Deliver(context.Background(), d); err != nil || d.Status != 200 {
			t.Fatalf("second attempt: err %v, status %d; want delivered, 200", err, d.Status)
		}
		reqs := r.Requests()
		if len(reqs) != 2 || reqs[0].Header.Get("Tandem-Delivery") != reqs[1].Header.Get("Tandem-Delivery") {
			t.Errorf("the retry must carry the same Tandem-Delivery: %d requests", len(reqs))
		}
	})
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{404, true}, {400, true}, {401, true}, {410, true}, {408, false}, {429, false}, {502, false}, {503, false}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			r := startReceiver(t, tt.status)
			d := webhookDelivery(r.URL, tandem.WebhookJSON)
			err := notify.NewPoster().Deliver(context.Background(), d)
			if err == nil || errors.As(err, &perm) != tt.permanent || d.Status != tt.status {
				t.Errorf("err %v (permanent %v), status %d; want permanent %v, status %d", err, errors.As(err, &perm), d.Status, tt.permanent, tt.status)
			}
		})
	}
	t.Run("RedirectNotFollowed", func(t *testing.T) {
		r := startReceiver(t, 302)
		d := webhookDelivery(r.URL, tandem.WebhookJSON)
		err := notify.NewPoster().Deliver(context.Background(), d)
		if !errors.As(err, &perm) || d.Status != 302 || !strings.Contains(err.Error(), "redirects are not followed") {
			t.Errorf("err %v, status %d; want a permanent error saying redirects are not followed", err, d.Status)
		}
		if n := len(r.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("TurnedOff", func(t *testing.T) {
		r := startReceiver(t)
		d := webhookDelivery(r.URL, tandem.WebhookJSON)
		d.Webhook.Active = false
		if err := notify.NewPoster().Deliver(context.Background(), d); !errors.As(err, &perm) || len(r.Requests()) != 0 {
			t.Errorf("err %v, %d requests; want a permanent error and nothing posted", err, len(r.Requests()))
		}
		// Its test is sent: one tries a webhook before turning it on.
		d.Kind = tandem.NotifyWebhookTest
		if err := notify.NewPoster().Deliver(context.Background(), d); err != nil || len(r.Requests()) != 1 {
			t.Errorf("the test of a webhook turned off: err %v, %d requests; want it posted", err, len(r.Requests()))
		}
	})
	t.Run("NetworkErrorRetried", func(t *testing.T) {
		r := startReceiver(t)
		url := r.URL
		r.Close()
		err := notify.NewPoster().Deliver(context.Background(), webhookDelivery(url, tandem.WebhookJSON))
		if err == nil || errors.As(err, &perm) {
			t.Errorf("err = %v, want a retryable error", err)
		}
	})
}

func TestPosterSSRF(t *testing.T) {
	var perm *tandem.PermanentError
	var blocked *notify.BlockedAddressError
	r := startReceiver(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(r.URL, "http://"), ":")
	for _, tt := range []struct {
		name, url    string
		allowPrivate bool
	}{
		{"LoopbackWithoutAllowPrivate", r.URL, false},
		{"HostNameResolvingToLoopback", "http://localhost:" + port + "/hook", false},
		{"MetadataEvenWithAllowPrivate", "http://169.254.169.254/latest/meta-data/", true},
		{"MappedMetadata", "http://[::ffff:169.254.169.254]/", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := webhookDelivery(tt.url, tandem.WebhookJSON)
			d.Webhook.AllowPrivate = tt.allowPrivate
			err := notify.NewPoster().Deliver(context.Background(), d)
			if !errors.As(err, &perm) || !errors.As(err, &blocked) {
				t.Errorf("err = %v, want a permanent refusal by the guard", err)
			}
		})
	}
	if n := len(r.Requests()); n != 0 {
		t.Errorf("the receiver got %d requests; the guard must refuse before connecting", n)
	}
}

// TestSignatureExampleInDocs keeps the worked example of docs/WEBHOOKS.md
// true, so that receivers checking their code against it are not misled.
func TestSignatureExampleInDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/WEBHOOKS.md")
	if err != nil {
		t.Fatal(err)
	}
	got := notify.Signature("whsec_example", time.Unix(1772529245, 0), []byte(`{"id":1234}`))
	_, v1, _ := strings.Cut(got, ",v1=")
	if !strings.Contains(string(doc), "`"+v1+"`") || !strings.Contains(string(doc), "Tandem-Signature: "+got) {
		t.Errorf("docs/WEBHOOKS.md's example signature is not %q", got)
	}
	if err := verifySignature(got, []byte(`{"id":1234}`), time.Unix(1772529245, 0)); err == nil {
		t.Error("the test's own verifier accepted a signature made with another secret")
	}
}
