package collect

import "testing"

const (
	osReleaseDebian12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`
	osReleaseUbuntu2204 = `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
`
	osReleaseRHEL9 = `NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`
	osReleaseArch = `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
`
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name, text            string
		wantName, wantVersion string
	}{
		{"Debian12", osReleaseDebian12, "Debian GNU/Linux 12 (bookworm)", "12"},
		{"Ubuntu2204", osReleaseUbuntu2204, "Ubuntu 22.04.3 LTS", "22.04"},
		{"RHEL9", osReleaseRHEL9, "Red Hat Enterprise Linux 9.3 (Plow)", "9.3"},
		{"RollingHasNoVersion", osReleaseArch, "Arch Linux", ""},
		{"NoPrettyName", "NAME=Foo\nVERSION=\"1.0 (x)\"\n", "Foo 1.0 (x)", "1.0 (x)"},
		{"SingleQuotes", "PRETTY_NAME='It''s'\nVERSION_ID='3'\n", "It''s", "3"},
		{"ShellEscapes", `PRETTY_NAME="A \"quoted\" \$name\\ \n"` + "\n", `A "quoted" $name\ \n`, ""},
		{"CommentsAndBlanks", "# comment\n\n  PRETTY_NAME=\"X\"  \nnot a pair\n", "X", ""},
		{"CRLF", "PRETTY_NAME=\"Y\"\r\nVERSION_ID=2\r\n", "Y", "2"},
		{"Empty", "", "", ""},
		{"LoneQuote", "PRETTY_NAME=\"\nVERSION_ID=\"", "\"", "\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, version := parseOSRelease(tt.text)
			if name != tt.wantName || version != tt.wantVersion {
				t.Errorf("parseOSRelease = %q, %q; want %q, %q", name, version, tt.wantName, tt.wantVersion)
			}
		})
	}
}

func FuzzParseOSRelease(f *testing.F) {
	for _, s := range []string{osReleaseDebian12, osReleaseUbuntu2204, osReleaseRHEL9, osReleaseArch, `A="\`, "=\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		parseOSRelease(text)
	})
}
