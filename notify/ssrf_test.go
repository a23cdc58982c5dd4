package notify_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/notify"
)

func TestClassifyAddress(t *testing.T) {
	tests := []struct {
		ip   string
		want notify.AddressClass
	}{
		{"93.184.215.14", notify.AddressPublic},
		{"2606:4700:4700::1111", notify.AddressPublic},
		{"8.8.8.8", notify.AddressPublic},
		{"127.0.0.1", notify.AddressPrivate},
		{"127.8.9.10", notify.AddressPrivate},
		{"::1", notify.AddressPrivate},
		{"10.0.0.1", notify.AddressPrivate},
		{"172.16.5.4", notify.AddressPrivate},
		{"172.32.0.1", notify.AddressPublic},
		{"192.168.1.1", notify.AddressPrivate},
		{"100.64.0.1", notify.AddressPrivate},
		{"100.127.255.254", notify.AddressPrivate},
		{"100.128.0.1", notify.AddressPublic},
		{"169.254.10.1", notify.AddressPrivate},
		{"fe80::1", notify.AddressPrivate},
		{"fe80::1%eth0", notify.AddressPrivate},
		{"fd12:3456::1", notify.AddressPrivate},
		{"0.0.0.0", notify.AddressPrivate},
		{"::", notify.AddressPrivate},
		{"224.0.0.1", notify.AddressPrivate},
		{"ff02::1", notify.AddressPrivate},
		{"255.255.255.255", notify.AddressPrivate},
		{"::ffff:127.0.0.1", notify.AddressPrivate},
		{"::ffff:10.1.2.3", notify.AddressPrivate},
		{"::ffff:8.8.8.8", notify.AddressPublic},
		{"64:ff9b::7f00:1", notify.AddressPrivate},    // NAT64 of 127.0.0.1
		{"64:ff9b::808:808", notify.AddressPublic},    // NAT64 of 8.8.8.8
		{"2002:a9fe:a9fe::1", notify.AddressMetadata}, // 6to4 of 169.254.169.254
		{"169.254.169.254", notify.AddressMetadata},
		{"::ffff:169.254.169.254", notify.AddressMetadata},
		{"64:ff9b::a9fe:a9fe", notify.AddressMetadata},
		{"fd00:ec2::254", notify.AddressMetadata},
		{"100.100.100.200", notify.AddressMetadata},
		{"169.254.170.2", notify.AddressMetadata},
		{"168.63.129.16", notify.AddressMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			got, what := notify.ClassifyAddress(netip.MustParseAddr(tt.ip))
			if got != tt.want {
				t.Errorf("ClassifyAddress(%s) = %v (%s), want %v", tt.ip, got, what, tt.want)
			}
			if (got == notify.AddressPublic) != (what == "") {
				t.Errorf("ClassifyAddress(%s) says %q", tt.ip, what)
			}
		})
	}
}

func TestCheckAddress(t *testing.T) {
	for _, tt := range []struct {
		ip                          string
		refusedStrict, refusedAllow bool
	}{
		{"8.8.8.8", false, false},
		{"127.0.0.1", true, false},
		{"10.0.0.1", true, false},
		{"::1", true, false},
		{"169.254.169.254", true, true},
		{"fd00:ec2::254", true, true},
	} {
		ip := netip.MustParseAddr(tt.ip)
		if got := notify.CheckAddress(ip, false) != nil; got != tt.refusedStrict {
			t.Errorf("CheckAddress(%s, false) refused = %v, want %v", ip, got, tt.refusedStrict)
		}
		if got := notify.CheckAddress(ip, true) != nil; got != tt.refusedAllow {
			t.Errorf("CheckAddress(%s, true) refused = %v, want %v", ip, got, tt.refusedAllow)
		}
	}
	err := notify.CheckAddress(netip.MustParseAddr("10.0.0.1"), false)
	if err == nil || !strings.Contains(err.Error(), "allow private ranges") {
		t.Errorf("err = %v, want it to say how to allow private ranges", err)
	}
}

func TestValidateWebhookURL(t *testing.T) {
	for _, ok := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXX",
		"https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x",
		"http://10.0.0.5:8080/tandem", // private: checked at connect time, by the webhook's setting
		"http://[2001:db8::1]/hook",
	} {
		if err := notify.ValidateWebhookURL(ok); err != nil {
			t.Errorf("ValidateWebhookURL(%q) = %v, want nil", ok, err)
		}
	}
	for _, tt := range []struct{ url, says string }{
		{"", "enter the address"},
		{"ftp://example.com/x", "must start with https://"},
		{"https://", "has no host"},
		{"https:///path", "has no host"},
		{"mailto:ops@example.com", "must start with https://"},
		{"https://user:pass@example.com/hook", "user name or password"},
		{"https://example.com/hook#frag", "#fragment"},
		{"https://example.com:0/hook", "not a port"},
		{"https://example.com:70000/hook", "not a port"},
		{"https://exa mple.com/", "spaces or control characters"},
		{"https://example.com/" + strings.Repeat("a", notify.MaxWebhookURLLength), "too long"},
		{"http://169.254.169.254/latest/meta-data/", "never reach"},
		{"http://[fd00:ec2::254]/", "never reach"},
		{"http://metadata.google.internal/computeMetadata/v1/", "never reach"},
	} {
		err := notify.ValidateWebhookURL(tt.url)
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.HasPrefix(tandem.ErrorMessage(err), "URL: ") || !strings.Contains(tandem.ErrorMessage(err), tt.says) {
			t.Errorf("ValidateWebhookURL(%q) = %v, want EINVALID on URL saying %q", tt.url, err, tt.says)
		}
	}
}

// FuzzValidateWebhookURL: a URL accepted can be posted to (an absolute
// http or https URL with a host and no credentials); one refused gets an
// EINVALID message about the URL.
func FuzzValidateWebhookURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.slack.com/services/T/B/X", "http://10.0.0.5:8080/x?y=z", "http://[::1]:80/", "https://u@h/",
		"http://169.254.169.254/", "https://h:0", "https://h/#f", "http://[fe80::1%25eth0]/", "HTTPS://EXAMPLE.COM", "http://h\x00/",
		"http://metadata.google.internal./", "//h/p", "http:h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := notify.ValidateWebhookURL(raw)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || !strings.HasPrefix(tandem.ErrorMessage(err), "URL: ") {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || len(raw) > notify.MaxWebhookURLLength {
			t.Fatalf("%q accepted: %+v, %v", raw, u, err)
		}
		if _, err := http.NewRequest(http.MethodPost, raw, nil); err != nil {
			t.Fatalf("%q accepted but cannot be posted to: %v", raw, err)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			if c, _ := notify.ClassifyAddress(ip); c == notify.AddressMetadata {
				t.Fatalf("%q accepted, a metadata address", raw)
			}
		}
	})
}
