package service

import (
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestLaunchdPlist(t *testing.T) {
	t.Run("Default", func(t *testing.T) {
		got := launchdPlist(Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/Library/Application Support/Tandem Agent"})
		want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>com.tandemhq.agent</string>
	<key>ProgramArguments</key>
	<array>
		<string>/usr/local/bin/tandem-agent</string>
		<string>run</string>
		<string>--state</string>
		<string>/Library/Application Support/Tandem Agent</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>10</integer>
	<key>StandardOutPath</key>
	<string>/Library/Logs/tandem-agent.log</string>
	<key>StandardErrorPath</key>
	<string>/Library/Logs/tandem-agent.log</string>
</dict>
</plist>
`
		if got != want {
			t.Errorf("launchdPlist() =\n%s\nwant\n%s", got, want)
		}
	})

	tests := []struct {
		name        string
		o           Options
		wantEscaped []string // substrings of the raw XML
	}{
		{
			name:        "Spaces",
			o:           Options{Executable: "/Applications/Tandem Agent.app/Contents/MacOS/tandem-agent", StateDir: "/Library/Application Support/Tandem Agent"},
			wantEscaped: []string{"<string>/Applications/Tandem Agent.app/Contents/MacOS/tandem-agent</string>"},
		},
		{
			name:        "Ampersand",
			o:           Options{Executable: "/opt/R&D/tandem-agent", StateDir: "/srv/R&D"},
			wantEscaped: []string{"<string>/opt/R&amp;D/tandem-agent</string>", "<string>/srv/R&amp;D</string>"},
		},
		{
			name:        "AngleBrackets",
			o:           Options{Executable: "/opt/<b>/tandem-agent", StateDir: "/srv/</string><true/>"},
			wantEscaped: []string{"<string>/opt/&lt;b&gt;/tandem-agent</string>", "<string>/srv/&lt;/string&gt;&lt;true/&gt;</string>"},
		},
		{
			name:        "Quotes",
			o:           Options{Executable: `/opt/"o'brien"/tandem-agent`, StateDir: "/srv/it's"},
			wantEscaped: []string{"<string>/opt/&#34;o&#39;brien&#34;/tandem-agent</string>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plist := launchdPlist(tt.o)
			for _, s := range tt.wantEscaped {
				if !strings.Contains(plist, s) {
					t.Errorf("plist does not contain %s:\n%s", s, plist)
				}
			}
			keys := parsePlist(t, plist)
			wantArgs := []string{tt.o.Executable, "run", "--state", tt.o.StateDir}
			if got := keys["ProgramArguments"]; !slices.Equal(got, wantArgs) {
				t.Errorf("ProgramArguments = %q, want %q", got, wantArgs)
			}
			for k, want := range map[string]string{
				"Label": launchdLabel, "RunAtLoad": "true", "KeepAlive": "true",
				"StandardOutPath": launchdLogPath, "StandardErrorPath": launchdLogPath,
			} {
				if got := keys[k]; len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// parsePlist reads the top-level dict of a plist as an XML parser (and so
// launchd) sees it: each key's string, integer or boolean value, or its
// array of strings.
func parsePlist(tb testing.TB, plist string) map[string][]string {
	tb.Helper()
	d := xml.NewDecoder(strings.NewReader(plist))
	keys := map[string][]string{}
	var key, text string
	var inArray bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return keys
		}
		if err != nil {
			tb.Fatalf("plist is not well-formed XML: %v\n%s", err, plist)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			text = ""
			switch tok.Name.Local {
			case "array":
				inArray = true
				keys[key] = []string{}
			case "true", "false":
				keys[key] = []string{tok.Name.Local}
			}
		case xml.CharData:
			text += string(tok)
		case xml.EndElement:
			switch tok.Name.Local {
			case "key":
				key = text
			case "array":
				inArray = false
			case "string", "integer":
				if inArray {
					keys[key] = append(keys[key], text)
				} else {
					keys[key] = []string{text}
				}
			}
		}
	}
}
