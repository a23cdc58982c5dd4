package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// rpmQueryFormat is the rpm --qf format parseRPMQuery reads. The version
// carries the epoch, as dnf prints it, so the software list and the
// pending updates compare ("1:3.0.7-25.el9_3"); rpm prints "(none)" for a
// package without one.
const rpmQueryFormat = "%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}\t%{VENDOR}\n"

// parseRPMQuery reads `rpm -qa --qf` output in rpmQueryFormat. The
// "(none):" of a package without an epoch is dropped, and a vendor of
// "(none)" is no publisher. The gpg-pubkey entries are signing keys rpm
// keeps as pseudo-packages, not software, and are skipped.
func parseRPMQuery(text string) []agentproto.Software {
	var list []agentproto.Software
	for line := range strings.Lines(text) {
		fields := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(fields) != 3 {
			continue
		}
		name := strings.TrimSpace(fields[0])
		if name == "" || name == "gpg-pubkey" {
			continue
		}
		version := strings.TrimPrefix(strings.TrimSpace(fields[1]), "(none):")
		vendor := strings.TrimSpace(fields[2])
		if vendor == "(none)" {
			vendor = ""
		}
		list = append(list, agentproto.Software{Name: name, Version: version, Publisher: vendor, Source: "rpm"})
	}
	return sortSoftware(list)
}
