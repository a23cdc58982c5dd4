package tandem_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzWebhookValidate: a webhook's name and URL either get a clear
// EINVALID or are what a deliverer can post to: an absolute http or https
// URL with a host, no user information, within the length limits.
func FuzzWebhookValidate(f *testing.F) {
	for _, seed := range [][2]string{
		{"NOC", "https://hooks.example.com/x"}, {"", "https://h.example"}, {"a", "ftp://x"}, {"a", "https://u:p@h.example/"},
		{"a", "http://[::1]:8080/x"}, {"a", "https:///x"}, {"a\x00", "https://h.example"}, {"a", "https://h.example/#frag"},
		{"a", "HTTPS://H.EXAMPLE/%zz"}, {"a", "https://h.example/ x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, name, raw string) {
		w := &tandem.Webhook{Name: name, URL: raw, Format: tandem.WebhookJSON}
		err := w.Validate()
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorMessage(err) == "" {
				t.Fatalf("Validate(%q, %q) = %v, want an EINVALID with a message", name, raw, err)
			}
			return
		}
		u, perr := url.Parse(w.URL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || len(w.URL) > tandem.MaxWebhookURLLen {
			t.Fatalf("Validate accepted URL %q (parsed %v, %v)", w.URL, u, perr)
		}
		if w.Name == "" || strings.TrimSpace(w.Name) != w.Name {
			t.Fatalf("Validate accepted name %q", w.Name)
		}
	})
}
