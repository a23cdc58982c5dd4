package app_test

import (
	"crypto/hmac"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/internal/testsmtp"
	"github.com/tandemhq/tandem/notify"
)

// withMail points m at srv for its emails: STARTTLS, trusting srv's
// certificate, authenticated as its user.
func withMail(m *app.Main, srv *testsmtp.Server) *app.Main {
	m.SMTPURL = fmt.Sprintf("smtp://%s:%s@%s", srv.User, strings.ReplaceAll(srv.Password, " ", "%20"), srv.Addr)
	m.SMTPFrom = "Northwind Desk <desk@northwind-msp.example>"
	m.SMTPTLSConfig = &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}
	return m
}

// webhookReceiver stands for a customer's chat or automation: it checks
// each request's signature with the webhook's secret, as docs/WEBHOOKS.md
// tells receivers to, answers 200, and records each delivery by its
// Tandem-Delivery id with the instant it arrived.
type webhookReceiver struct {
	*httptest.Server
	secret string // set once the webhook exists

	mu      sync.Mutex
	got     map[int64]int
	arrived map[int64]time.Time
	bodies  []map[string]any
	bad     []string // what was wrong with refused requests
	notify  chan int64
}

func newWebhookReceiver(tb testing.TB) *webhookReceiver {
	r := &webhookReceiver{got: map[int64]int{}, arrived: map[int64]time.Time{}, notify: make(chan int64, 100_000)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.Close)
	return r
}

func (r *webhookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(req.Body)
	id, idErr := strconv.ParseInt(req.Header.Get(notify.HeaderDelivery), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if reason := r.check(req, body, err, idErr); reason != "" {
		r.bad = append(r.bad, reason)
		http.Error(w, reason, http.StatusBadRequest)
		return
	}
	var payload map[string]any
	_ = json.Unmarshal(body, &payload)
	r.bodies = append(r.bodies, payload)
	r.got[id]++
	if _, ok := r.arrived[id]; !ok {
		r.arrived[id] = now
	}
	r.notify <- id
}

// check returns why a request is not a validly signed delivery, or "".
func (r *webhookReceiver) check(req *http.Request, body []byte, readErr, idErr error) string {
	switch {
	case readErr != nil:
		return "body: " + readErr.Error()
	case idErr != nil:
		return "no " + notify.HeaderDelivery + " header"
	case req.Header.Get("Content-Type") != "application/json":
		return "Content-Type " + req.Header.Get("Content-Type")
	}
	sig := req.Header.Get(notify.HeaderSignature)
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "signature without a timestamp: " + sig
	}
	if d := time.Since(time.Unix(unix, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "signature timestamp off by " + d.String()
	}
	if want := notify.Signature(r.secret, time.Unix(unix, 0), body); !hmac.Equal([]byte(sig), []byte(want)) {
		return "signature does not verify: " + sig
	}
	return ""
}

// counts returns how many requests each delivery id got, and the refusals.
func (r *webhookReceiver) counts() (map[int64]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := make(map[int64]int, len(r.got))
	for id, n := range r.got {
		got[id] = n
	}
	return got, append([]string(nil), r.bad...)
}

// providerWebhook adds a provider webhook in generic JSON posting to r
// (a loopback address: private ranges allowed, as only a provider admin
// may) for the given kinds, and gives r its secret.
func providerWebhook(tb testing.TB, s *testserver.Server, r *webhookReceiver, kinds ...tandem.NotificationKind) *tandem.Webhook {
	tb.Helper()
	admin := s.MustCreateUser(tb, &tandem.User{Email: "hooks.admin@northwind-msp.example", Name: "Hook Admin", Role: tandem.RoleAdmin}, "hooks-password-1")
	ctx := tandem.NewContextWithActor(testserver.SystemContext(),
		&tandem.Actor{UserID: admin.ID, Email: admin.Email, Party: tandem.PartyProvider, Role: tandem.RoleAdmin})
	w := &tandem.Webhook{Name: "Ops chat", URL: r.URL + "/tandem", Format: tandem.WebhookJSON, Kinds: kinds, AllowPrivate: true, Active: true}
	if err := s.Services.Webhooks.CreateWebhook(ctx, w); err != nil {
		tb.Fatal(err)
	}
	r.mu.Lock()
	r.secret = w.Secret
	r.mu.Unlock()
	return w
}
