package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// parseAptSimulation reads the pending updates from the output of
// `apt-get -s dist-upgrade`, whose "Inst" lines say what the upgrade would
// install:
//
//	Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
//	Inst linux-image-6.1.0-28-amd64 (6.1.119-1 Debian-Security:12/oldstable-security [amd64])
//
// The bracketed old version is missing for a package the upgrade newly
// pulls in (a new kernel); it is listed too, since installing it is part
// of the update. An update is a security update when one of the archives
// offering it is a security archive (Debian-Security, jammy-security).
func parseAptSimulation(text string) []agentproto.PendingUpdate {
	var list []agentproto.PendingUpdate
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Inst ")
		if !ok {
			continue
		}
		name, rest, _ := strings.Cut(strings.TrimSpace(rest), " ")
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			if _, after, ok := strings.Cut(rest, "]"); ok {
				rest = strings.TrimSpace(after)
			}
		}
		inner, ok := strings.CutPrefix(rest, "(")
		if !ok || name == "" {
			continue
		}
		inner, _, _ = strings.Cut(inner, ")")
		version, sources, _ := strings.Cut(strings.TrimSpace(inner), " ")
		if version == "" {
			continue
		}
		// The architecture in brackets ends the list of archives.
		if i := strings.LastIndex(sources, "["); i >= 0 {
			sources = sources[:i]
		}
		list = append(list, agentproto.PendingUpdate{
			Name:     name,
			Version:  version,
			Security: strings.Contains(strings.ToLower(sources), "security"),
		})
	}
	return sortUpdates(list)
}
