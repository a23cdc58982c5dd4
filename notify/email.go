// Package notify delivers notifications outside Tandem: emails over SMTP
// (Mailer) and signed webhook requests (Poster), both tandem.Deliverers
// the outbox's scheduler calls, and the SSRF guard webhooks pass.
package notify

import (
	"crypto/tls"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// SMTPSecurity is how an SMTP connection is encrypted.
type SMTPSecurity string

const (
	// SMTPImplicitTLS speaks TLS from the first byte (smtps://, port 465).
	SMTPImplicitTLS SMTPSecurity = "tls"
	// SMTPStartTLS upgrades the connection with STARTTLS and refuses a
	// server that does not offer it (smtp://, port 587).
	SMTPStartTLS SMTPSecurity = "starttls"
	// SMTPNoTLS sends in clear text (smtp://…?tls=none): only for a relay
	// on the same host or a private network, and never with a password.
	SMTPNoTLS SMTPSecurity = "none"
)

// SMTPConfig is where and how emails are sent.
type SMTPConfig struct {
	Host     string
	Port     int
	Security SMTPSecurity
	// Username and Password authenticate (SMTP AUTH, the strongest
	// mechanism the server offers); both empty means no authentication.
	Username string
	Password string
	// TLSConfig, when set, replaces the default TLS settings (the system's
	// roots, TLS 1.2 at least): for tests and relays with a private CA.
	TLSConfig *tls.Config
}

// Addr is host:port.
func (c *SMTPConfig) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Redacted is the URL with the password replaced, for logs and messages.
func (c *SMTPConfig) Redacted() string {
	u := c.url()
	if c.Password != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

// url is c written back as an SMTP URL.
func (c *SMTPConfig) url() *url.URL {
	u := &url.URL{Scheme: "smtp", Host: c.Addr()}
	if c.Security == SMTPImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Security == SMTPNoTLS {
		u.RawQuery = "tls=none"
	}
	switch {
	case c.Password != "":
		u.User = url.UserPassword(c.Username, c.Password)
	case c.Username != "":
		u.User = url.User(c.Username)
	}
	return u
}

// The settings the SMTP errors name.
const (
	smtpURLSetting  = "--smtp-url (TANDEM_SMTP_URL)"
	smtpPassSetting = "TANDEM_SMTP_PASSWORD_FILE"
	smtpURLExample  = "smtps://user:password@mail.example.com:465 or smtp://user:password@mail.example.com:587"
)

// ParseSMTPURL reads an SMTP server's URL: smtps://user:pass@host:port
// for implicit TLS (default port 465), smtp://user:pass@host:port for
// STARTTLS, which is then required (default port 587). smtp://host:port?tls=none
// sends in clear text, for a local relay, and takes no password. The user
// name and password are percent-encoded when they hold reserved
// characters. Errors are ECONFIG, name what to fix and never quote the
// password.
func ParseSMTPURL(raw string) (*SMTPConfig, error) {
	bad := func(format string, args ...any) error {
		return tandem.Errorf(tandem.ECONFIG, smtpURLSetting+" "+format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("is not a URL: write it as %s, percent-encoding reserved characters of the password (or put the password in %s)", smtpURLExample, smtpPassSetting)
	}
	c := &SMTPConfig{}
	defaultPort := 0
	switch strings.ToLower(u.Scheme) {
	case "smtps":
		c.Security, defaultPort = SMTPImplicitTLS, 465
	case "smtp":
		c.Security, defaultPort = SMTPStartTLS, 587
	default:
		return nil, bad("must start with smtps:// (implicit TLS) or smtp:// (STARTTLS): write it as %s", smtpURLExample)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, bad("has no host: write it as %s", smtpURLExample)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.RawFragment != "" {
		return nil, bad("must not have a path or #fragment: write it as %s", smtpURLExample)
	}
	c.Host = u.Hostname()
	if !validHost(c.Host, strings.HasPrefix(u.Host, "[")) {
		return nil, bad("has a host that is not a host name or address: write it as %s", smtpURLExample)
	}
	c.Port = defaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad("has port %q, which is not a port from 1 to 65535", p)
		}
		c.Port = n
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("has a query that cannot be read: the only setting is ?tls=none")
	}
	for key, values := range query {
		switch {
		case key != "tls":
			return nil, bad("has an unknown setting %q: the only setting is ?tls=none", key)
		case len(values) != 1 || values[0] != "none":
			return nil, bad("tls may only be none (sending in clear text, for a local relay); leave it out to require TLS")
		case c.Security == SMTPImplicitTLS:
			return nil, bad("asks for smtps:// and tls=none at once: use smtp://…?tls=none for a relay without TLS")
		}
		c.Security = SMTPNoTLS
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return nil, bad("has a password but no user name: write it as %s", smtpURLExample)
		}
	}
	if c.Security == SMTPNoTLS && c.Password != "" {
		return nil, bad("sends a password without TLS (tls=none): remove tls=none, or the user name and password if the relay needs none")
	}
	return c, nil
}

// LoadSMTPConfig is ParseSMTPURL with the password read from passwordFile
// when it is set (TANDEM_SMTP_PASSWORD_FILE): the file's content less one
// trailing newline. A user name without a password, or a password given
// twice, is ECONFIG.
func LoadSMTPConfig(raw, passwordFile string) (*SMTPConfig, error) {
	c, err := ParseSMTPURL(raw)
	if err != nil {
		return nil, err
	}
	if passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return nil, tandem.Errorf(tandem.ECONFIG, "%s %q cannot be read (%v): point it at a file holding the SMTP password", smtpPassSetting, passwordFile, pathError(err))
		}
		password := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		switch {
		case password == "":
			return nil, tandem.Errorf(tandem.ECONFIG, "%s %q is empty: write the SMTP password in it", smtpPassSetting, passwordFile)
		case c.Password != "":
			return nil, tandem.Errorf(tandem.ECONFIG, "the SMTP password is given twice, in %s and in %s: remove it from the URL", smtpURLSetting, smtpPassSetting)
		case c.Username == "":
			return nil, tandem.Errorf(tandem.ECONFIG, "%s is set but %s has no user name: write it as smtps://user@mail.example.com:465", smtpPassSetting, smtpURLSetting)
		case c.Security == SMTPNoTLS:
			return nil, tandem.Errorf(tandem.ECONFIG, "%s asks for no TLS (tls=none) but %s gives a password, which is never sent in clear text: remove tls=none", smtpURLSetting, smtpPassSetting)
		}
		c.Password = password
	}
	if c.Username != "" && c.Password == "" {
		return nil, tandem.Errorf(tandem.ECONFIG, "%s names the user %q but gives no password: write it in the URL (smtps://user:password@host) or in a file named by %s", smtpURLSetting, c.Username, smtpPassSetting)
	}
	return c, nil
}

// pathError is the reason of a file error without the path it repeats.
func pathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// validHost reports whether host is an IP address (IPv6 when bracketed)
// or a host name of letters, digits, dots, hyphens and underscores.
func validHost(host string, bracketed bool) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Zone() == "" && ip.Is6() == bracketed
	}
	if bracketed || host == "" || len(host) > 253 || strings.HasPrefix(host, ".") || strings.HasPrefix(host, "-") {
		return false
	}
	return !strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	})
}
