package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// parseDnfCheckUpdate reads the pending updates from `dnf -q check-update`
// (or yum's), one "name.arch version repository" line each:
//
//	openssl.x86_64     1:3.0.7-25.el9_3     rhel-9-for-x86_64-baseos-rpms
//
// A name too long for its column is printed alone, with the version and
// repository on the next line; both forms are read. The "Obsoleting
// Packages" section that may follow repeats packages with what they
// replace and ends the list. The architecture is dropped from the name,
// so a package offered for two architectures is one update.
func parseDnfCheckUpdate(text string) []agentproto.PendingUpdate {
	var list []agentproto.PendingUpdate
	pending := "" // a name.arch whose version is on the next line
	for line := range strings.Lines(text) {
		if strings.HasPrefix(strings.TrimSpace(line), "Obsoleting") {
			break
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 1 && pending == "" && isNameArch(fields[0]):
			pending = fields[0]
			continue
		case len(fields) == 2 && pending != "":
			fields = []string{pending, fields[0], fields[1]}
		}
		pending = ""
		if len(fields) != 3 || !isNameArch(fields[0]) || !startsWithDigit(fields[1]) {
			continue
		}
		name := fields[0][:strings.LastIndexByte(fields[0], '.')]
		list = append(list, agentproto.PendingUpdate{Name: name, Version: fields[1]})
	}
	return sortUpdates(list)
}

// isNameArch tells a "name.arch" word from the other lines dnf may print
// ("Security:", "Last metadata expiration check: ..."): it ends in an
// architecture rpm builds for.
func isNameArch(word string) bool {
	i := strings.LastIndexByte(word, '.')
	if i <= 0 {
		return false
	}
	switch word[i+1:] {
	case "x86_64", "noarch", "i686", "i386", "aarch64", "ppc64le", "ppc64", "s390x", "armv7hl", "armhfp", "riscv64", "src":
		return true
	}
	return false
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }
