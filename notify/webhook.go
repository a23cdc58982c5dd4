package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// WebhookTimeout bounds one webhook request, connection included.
const WebhookTimeout = 10 * time.Second

// The headers of every webhook request (docs/WEBHOOKS.md).
const (
	// HeaderDelivery carries the notification's id, the same on every
	// retry, so that receivers drop a delivery they already processed.
	HeaderDelivery = "Tandem-Delivery"
	// HeaderSignature carries t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>" under the webhook's secret>.
	HeaderSignature = "Tandem-Signature"
)

// Poster posts webhook deliveries (tandem.ChannelWebhook): the body in the
// webhook's format, signed. Its HTTP clients use no proxy, follow no
// redirect, and connect only where the SSRF guard allows, checked on the
// address each connection actually dials.
type Poster struct {
	public, private *http.Client
	// Now is the clock of the signature's timestamp.
	Now func() time.Time
}

// NewPoster returns a Poster; one serves every webhook.
func NewPoster() *Poster {
	return &Poster{public: guardedClient(false), private: guardedClient(true), Now: time.Now}
}

// guardedClient is an HTTP client whose connections pass CheckAddress.
func guardedClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: dialGuard(allowPrivate)}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would connect for us,
		// out of the guard's sight.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: WebhookTimeout,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   WebhookTimeout,
		// A redirect is answered, not followed: it could lead anywhere,
		// and the receiver should be configured where it really is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Deliver posts d to its webhook and sets d.Status to the answer's status.
// A 2xx answer delivers it; 408, 429, 5xx and network errors are retried;
// any other answer, a refused address or a webhook turned off (but for
// its test) fail at once (*tandem.PermanentError).
func (p *Poster) Deliver(ctx context.Context, d *tandem.Delivery) error {
	w := d.Webhook
	if w == nil || w.URL == "" {
		return &tandem.PermanentError{Err: errors.New("the webhook of this delivery no longer exists")}
	}
	if !w.Active && d.Kind != tandem.NotifyWebhookTest {
		return &tandem.PermanentError{Err: errors.New("the webhook is turned off")}
	}
	body, err := WebhookBody(d)
	if err != nil {
		return &tandem.PermanentError{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &tandem.PermanentError{Err: fmt.Errorf("the webhook's URL cannot be posted to: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem-Webhook/1")
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	req.Header.Set(HeaderSignature, Signature(w.Secret, p.Now(), body))
	client := p.public
	if w.AllowPrivate {
		client = p.private
	}
	resp, err := client.Do(req)
	if err != nil {
		var blocked *BlockedAddressError
		if errors.As(err, &blocked) {
			return &tandem.PermanentError{Err: fmt.Errorf("refused to connect: %w", blocked)}
		}
		return fmt.Errorf("posting to the webhook failed: %w", err)
	}
	defer resp.Body.Close()
	// Read a little of the answer for the delivery log, and drain a
	// little more so that the connection can be reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	d.Status = resp.StatusCode
	return answerError(resp, snippet)
}

// answerError is how a receiver's answer counts: nil for 2xx, a retryable
// error for 408, 429 and 5xx, a permanent one otherwise.
func answerError(resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	msg := "the receiver answered " + resp.Status
	if code >= 300 && code < 400 {
		msg += "; redirects are not followed: set the webhook's URL to where it points"
		if loc := resp.Header.Get("Location"); loc != "" {
			msg += " (" + printable(loc) + ")"
		}
	} else if s := printable(string(snippet)); s != "" {
		msg += ": " + s
	}
	err := errors.New(msg)
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 {
		return err
	}
	return &tandem.PermanentError{Err: err}
}

// printable is s on one line, valid UTF-8, at most 200 bytes, for a log.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Signature is the Tandem-Signature header value for body sent at t:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<body>")>.
// The timestamp inside the signed text lets a receiver refuse old
// requests replayed (docs/WEBHOOKS.md).
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
