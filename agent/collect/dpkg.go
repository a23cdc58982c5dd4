package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// dpkgQueryFormat is the dpkg-query -f format parseDpkgQuery reads: the
// package name, its version and its status ("install ok installed").
//
// The name is ${Package}, not ${binary:Package}: the latter adds ":amd64"
// to every Multi-Arch: same package (428 of 790 on a Debian 12 machine)
// whether or not a second architecture is installed, while the server and
// people compare names with what `dpkg-query -W` and apt print. A package
// installed for two architectures then appears once per version (see
// sortSoftware).
const dpkgQueryFormat = "${Package}\t${Version}\t${Status}\n"

// parseDpkgQuery reads dpkg-query output in dpkgQueryFormat and keeps the
// packages that are installed. dpkg-query -W also lists packages that are
// gone but for their configuration ("deinstall ok config-files"), half
// installed or only wanted: those are not software on the machine. The
// status's last word is what counts, so a held package ("hold ok
// installed") or one selected for removal but still there ("deinstall ok
// installed") is listed: both are installed, as the "hi" and "ri" of
// dpkg -l say.
func parseDpkgQuery(text string) []agentproto.Software {
	var list []agentproto.Software
	for line := range strings.Lines(text) {
		fields := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(fields) != 3 {
			continue
		}
		name, version := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
		status := strings.Fields(fields[2])
		if name == "" || len(status) != 3 || status[2] != "installed" {
			continue
		}
		list = append(list, agentproto.Software{Name: name, Version: version, Source: "dpkg"})
	}
	return sortSoftware(list)
}
