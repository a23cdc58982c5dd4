package service

import "strings"

// systemdUnit returns the text of /etc/systemd/system/tandem-agent.service
// for o. It is a pure function so the exact text, quoting included, is
// table-tested on any OS.
//
// The hardening lines are the ones that do not get in the way of inventory
// collection: the agent still reads all of /proc, /sys and /dev, the package
// databases and /etc, and it may write only its state directory (and a
// private /tmp). ProtectSystem=full (not strict) keeps /var writable for the
// tools it runs; ReadWritePaths names the state directory anyway so the unit
// stays correct when that directory lives under /etc or /usr. The leading
// "-" lets the service start even when the directory was deleted, so the
// agent can recreate it instead of failing with status 226/NAMESPACE.
func systemdUnit(o Options) string {
	var b strings.Builder
	line := func(s ...string) {
		b.WriteString(strings.Join(s, ""))
		b.WriteByte('\n')
	}
	// systemd expands $VARIABLES in ExecStart's arguments but not in the
	// executable's path, where "$$" would stay doubled.
	execStart := []string{systemdWord(o.Executable, false)}
	for _, a := range o.runArgs() {
		execStart = append(execStart, systemdWord(a, true))
	}

	line("# Written by `tandem-agent install`; installing again replaces this file.")
	line("[Unit]")
	line("Description=", displayName)
	line("Wants=network-online.target")
	line("After=network-online.target")
	// No start-rate limit: an agent that keeps crashing should keep being
	// restarted every RestartSec, not give up after five tries.
	line("StartLimitIntervalSec=0")
	line()
	line("[Service]")
	line("Type=simple")
	line("ExecStart=", strings.Join(execStart, " "))
	line("Restart=always")
	line("RestartSec=10")
	line("NoNewPrivileges=yes")
	line("ProtectSystem=full")
	line("ProtectHome=read-only")
	line("PrivateTmp=yes")
	line("ProtectControlGroups=yes")
	line("ProtectKernelTunables=yes")
	line("RestrictSUIDSGID=yes")
	line("LockPersonality=yes")
	line("ReadWritePaths=", systemdWord("-"+o.StateDir, false))
	line()
	line("[Install]")
	line("WantedBy=multi-user.target")
	return b.String()
}

// systemdWord quotes s as one word of a unit-file setting (systemd.syntax(7)):
// "%" starts a specifier and is doubled; when dollars is set (ExecStart's
// arguments) "$" starts a variable and is doubled too; a word with blanks,
// quotes or backslashes is put in double quotes, inside which backslash and
// double quote are escaped with a backslash (C-style escapes apply there).
func systemdWord(s string, dollars bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if dollars {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if s != "" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// systemdExecutableOK reports whether systemd will run an executable at p.
// However it is quoted, systemd refuses an ExecStart executable whose path
// holds a quote or a backslash ("Executable name contains special
// characters") and the unit never starts, so Install refuses it first.
func systemdExecutableOK(p string) bool {
	return !strings.ContainsAny(p, "\"'\\")
}
