package collect

import "strings"

// parseOSRelease reads the name and version of a Linux distribution from
// os-release(5) text. The name is PRETTY_NAME (what the distribution wants
// people to see, "Debian GNU/Linux 12 (bookworm)"), else NAME; the version
// is VERSION_ID ("12", "22.04", "9.3"), else VERSION. Rolling releases
// (Arch, Debian testing) have no version: it is then empty.
func parseOSRelease(text string) (name, version string) {
	vars := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vars[strings.TrimSpace(key)] = unquoteShell(strings.TrimSpace(value))
	}
	name = vars["PRETTY_NAME"]
	if name == "" {
		name = strings.TrimSpace(vars["NAME"] + " " + vars["VERSION"])
	}
	version = vars["VERSION_ID"]
	if version == "" {
		version = vars["VERSION"]
	}
	return name, version
}

// unquoteShell undoes the shell-style quoting os-release allows: single
// quotes taken literally, double quotes in which a backslash escapes only
// " \ $ and ` (as in a shell), or a bare word.
func unquoteShell(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	inner := v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) && strings.IndexByte(`"\$`+"`", inner[i+1]) >= 0 {
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}
