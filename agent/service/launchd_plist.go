package service

import (
	"encoding/xml"
	"strings"
)

// launchdLogPath is where launchd sends the agent's standard output and
// error, in the directory Console.app shows under "Log Reports".
const launchdLogPath = "/Library/Logs/tandem-agent.log"

// launchdPlist returns the text of
// /Library/LaunchDaemons/com.tandemhq.agent.plist for o. It is a pure
// function so the exact text, XML escaping included, is table-tested on any
// OS.
//
// RunAtLoad starts the agent when launchd loads the plist at boot (and at
// bootstrap); KeepAlive restarts it whenever it exits; ThrottleInterval
// spaces those restarts 10 s apart, as RestartSec does on Linux and the
// recovery actions do on Windows.
func launchdPlist(o Options) string {
	var b strings.Builder
	str := func(indent, s string) {
		b.WriteString(indent + "<string>" + xmlEscape(s) + "</string>\n")
	}
	key := func(k string) {
		b.WriteString("\t<key>" + k + "</key>\n")
	}

	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	b.WriteString("<dict>\n")
	key("Label")
	str("\t", launchdLabel)
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	str("\t\t", o.Executable)
	for _, a := range o.runArgs() {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	key("KeepAlive")
	b.WriteString("\t<true/>\n")
	key("ThrottleInterval")
	b.WriteString("\t<integer>10</integer>\n")
	key("StandardOutPath")
	str("\t", launchdLogPath)
	key("StandardErrorPath")
	str("\t", launchdLogPath)
	b.WriteString("</dict>\n")
	b.WriteString("</plist>\n")
	return b.String()
}

// xmlEscape escapes s for XML character data.
func xmlEscape(s string) string {
	var b strings.Builder
	// EscapeText only fails when its writer does; a Builder never does.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
