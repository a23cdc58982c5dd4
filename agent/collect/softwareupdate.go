package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// parseSoftwareUpdateList reads the pending updates from macOS's
// `softwareupdate -l`. Since macOS 10.15 each update is a "* Label:" line
// and a line of "Key: value," pairs:
//
//	Software Update found the following new or updated software:
//	* Label: macOS Sonoma 14.2.1-23C71
//		Title: macOS Sonoma 14.2.1, Version: 14.2.1, Size: 6614328KiB, Recommended: YES, Action: restart,
//
// Older systems print "* label" and "title (version), size [recommended]
// [restart]"; from those the label is the name. restart says one of the
// updates needs a restart to install, which the inventory reports as
// RebootRequired. An update is a security update when its title or label
// says so ("Security Update 2023-002", "Rapid Security Response").
func parseSoftwareUpdateList(text string) (updates []agentproto.PendingUpdate, restart bool) {
	var cur *agentproto.PendingUpdate
	flush := func() {
		if cur != nil && cur.Name != "" {
			updates = append(updates, *cur)
		}
		cur = nil
	}
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if label, ok := strings.CutPrefix(trimmed, "* "); ok {
			flush()
			label = strings.TrimSpace(strings.TrimPrefix(label, "Label:"))
			cur = &agentproto.PendingUpdate{Name: label, Security: strings.Contains(label, "Security")}
			continue
		}
		if cur == nil || trimmed == "" {
			continue
		}
		if strings.Contains(trimmed, "[restart]") {
			restart = true
		}
		for _, pair := range strings.Split(trimmed, ",") {
			key, value, ok := strings.Cut(pair, ":")
			if !ok {
				continue
			}
			value = strings.TrimSpace(value)
			switch strings.TrimSpace(key) {
			case "Title":
				if value != "" {
					cur.Name = value
					cur.Security = cur.Security || strings.Contains(value, "Security")
				}
			case "Version":
				cur.Version = value
			case "Action":
				if strings.EqualFold(value, "restart") {
					restart = true
				}
			}
		}
	}
	flush()
	return sortUpdates(updates), restart
}
