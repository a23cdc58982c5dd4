package notify

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// AddressClass is what an IP address reaches, as the webhook guard sees
// it: the public internet, the operator's own networks, or a cloud's
// metadata service.
type AddressClass int

const (
	// AddressPublic may always be posted to.
	AddressPublic AddressClass = iota
	// AddressPrivate reaches this host or its networks (loopback, RFC 1918,
	// ULA, link-local, CGNAT, unspecified, multicast, reserved ranges): only
	// a webhook that allows private ranges may post there.
	AddressPrivate
	// AddressMetadata is a cloud metadata or platform service, which hands
	// out credentials to whoever asks from the machine: never posted to.
	AddressMetadata
)

// metadataAddresses are the cloud metadata and platform endpoints that the
// providers document. They are refused whatever a webhook allows: a
// request to one from the server's own address can read its cloud
// credentials.
var metadataAddresses = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "the cloud metadata service (AWS, Azure, GCP, OpenStack, DigitalOcean, Oracle and others)",
	netip.MustParseAddr("fd00:ec2::254"):   "the AWS instance metadata service (IPv6)",
	netip.MustParseAddr("fd20:ce::254"):    "the Google Cloud metadata service (IPv6)",
	netip.MustParseAddr("169.254.170.2"):   "the AWS ECS task metadata and credentials endpoint",
	netip.MustParseAddr("169.254.170.23"):  "the AWS EKS Pod Identity credentials endpoint",
	netip.MustParseAddr("fd00:ec2::23"):    "the AWS EKS Pod Identity credentials endpoint (IPv6)",
	netip.MustParseAddr("100.100.100.200"): "the Alibaba Cloud metadata service",
	netip.MustParseAddr("169.254.0.23"):    "the Tencent Cloud metadata service",
	netip.MustParseAddr("192.0.0.192"):     "the Oracle Cloud metadata service",
	netip.MustParseAddr("168.63.129.16"):   "the Azure platform (WireServer) endpoint",
}

// metadataHosts are the host names of metadata services, refused when a
// webhook is saved (at connect time their addresses are).
var metadataHosts = map[string]bool{
	"metadata.google.internal": true, "metadata.goog": true, "metadata": true,
	"instance-data": true, "instance-data.ec2.internal": true, "metadata.tencentyun.com": true,
}

// privatePrefixes are the ranges that reach the operator's own host and
// networks rather than the internet, with what each is.
var privatePrefixes = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "the unspecified network (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private network (10.0.0.0/8)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (127.0.0.0/8)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (169.254.0.0/16)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private network (172.16.0.0/12)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private network (192.168.0.0/16)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "the benchmarking range (198.18.0.0/15)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (224.0.0.0/4)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved range (240.0.0.0/4, broadcast included)"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (::)"},
	{netip.MustParsePrefix("::1/128"), "loopback (::1)"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (::/96)"},
	{netip.MustParsePrefix("100::/64"), "the discard range (100::/64)"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local network (fc00::/7)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (fe80::/10)"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (fec0::/10)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast (ff00::/8)"},
}

// Prefixes of IPv6 addresses that carry an IPv4 address a gateway may
// forward to: the IPv4 address inside is what they reach.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052, the last 32 bits
	local64     = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215, local NAT64
	sixToFour   = netip.MustParsePrefix("2002::/16")      // RFC 3056, bits 16–48
)

// ClassifyAddress says what ip reaches, and in words what it is when it is
// not public. IPv4-mapped (::ffff:a.b.c.d), NAT64 and 6to4 forms are judged
// by the IPv4 address they carry.
func ClassifyAddress(ip netip.Addr) (AddressClass, string) {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return AddressPrivate, "no address"
	}
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if what, ok := metadataAddresses[ip]; ok {
		return AddressMetadata, what
	}
	if ip.Is6() {
		if inner, ok := embeddedIPv4(ip); ok {
			class, what := ClassifyAddress(inner)
			if class != AddressPublic {
				return class, what + ", inside " + ip.String()
			}
			return class, ""
		}
	}
	for _, p := range privatePrefixes {
		if p.prefix.Contains(ip) {
			return AddressPrivate, p.what
		}
	}
	return AddressPublic, ""
}

// embeddedIPv4 is the IPv4 address a NAT64 or 6to4 address carries.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64Prefix.Contains(ip), local64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// BlockedAddressError is a connection the guard refused: the address and
// why. Retrying cannot cure it, so a delivery that meets it fails at once.
type BlockedAddressError struct {
	Addr   netip.Addr
	Reason string
}

func (e *BlockedAddressError) Error() string { return e.Reason }

// CheckAddress returns a *BlockedAddressError when a webhook may not
// connect to ip: a private address unless allowPrivate, a metadata address
// always.
func CheckAddress(ip netip.Addr, allowPrivate bool) error {
	switch class, what := ClassifyAddress(ip); {
	case class == AddressMetadata:
		return &BlockedAddressError{ip, fmt.Sprintf("%s is %s: webhooks never reach it", ip, what)}
	case class == AddressPrivate && !allowPrivate:
		return &BlockedAddressError{ip, fmt.Sprintf("%s is %s: a provider admin must allow private ranges on this webhook to reach it", ip, what)}
	}
	return nil
}

// dialGuard is a net.Dialer Control function refusing what CheckAddress
// refuses. It sees the address actually being connected to, after name
// resolution, so a host name that resolves to a private address — at save
// time or only later, by DNS rebinding — is caught here.
func dialGuard(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &BlockedAddressError{Reason: fmt.Sprintf("cannot check the address %q", address)}
		}
		return CheckAddress(ap.Addr(), allowPrivate)
	}
}

// MaxWebhookURLLength bounds a webhook URL; real ones are far shorter.
const MaxWebhookURLLength = 2048

// ValidateWebhookURL checks a webhook URL when it is saved: an absolute
// http or https URL with a host, no user name or password (put secrets in
// the path or query, as Slack and Teams do), at most MaxWebhookURLLength
// bytes, not a metadata address. Whether its host resolves to a private
// address is checked when each request connects. The error is EINVALID
// and names what to change.
func ValidateWebhookURL(raw string) error {
	invalid := func(format string, args ...any) error {
		return tandem.Errorf(tandem.EINVALID, "URL: "+format, args...)
	}
	switch {
	case raw == "":
		return invalid("enter the address the notifications are posted to, such as https://hooks.slack.com/services/…")
	case len(raw) > MaxWebhookURLLength:
		return invalid("%d characters is too long; at most %d", len(raw), MaxWebhookURLLength)
	case !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return invalid("contains spaces or control characters; copy the URL again")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("is not a URL; write it as https://host/path")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("must start with https:// (or http://)")
	case u.Opaque != "" || u.Host == "":
		return invalid("has no host; write it as https://host/path")
	case u.User != nil:
		return invalid("must not contain a user name or password; receivers check the Tandem-Signature header instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return invalid("must not contain a #fragment, which is never sent")
	}
	host := u.Hostname()
	if host == "" {
		return invalid("has no host; write it as https://host/path")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid("port %q is not a port from 1 to 65535", port)
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if class, what := ClassifyAddress(ip); class == AddressMetadata {
			return invalid("%s is %s, which webhooks never reach", ip, what)
		}
	} else if metadataHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return invalid("%s is a cloud metadata service, which webhooks never reach", host)
	} else if strings.Contains(host, "%") {
		return invalid("host %q is not a host name", host)
	}
	return nil
}
