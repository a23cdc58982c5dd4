package collect

import "strings"

// unitState is a systemd unit's state as `systemctl show -p LoadState -p
// ActiveState` prints it.
type unitState struct {
	Load   string // loaded, not-found, masked, error
	Active string // active, reloading, inactive, failed, activating, deactivating
}

// Running says the unit is up: active, or active and reloading its
// configuration.
func (u unitState) Running() bool { return u.Active == "active" || u.Active == "reloading" }

// Known says systemd has the unit at all; `systemctl is-active` says
// "inactive" for a name that matches nothing, which would make a typo in
// a check look like a stopped service.
func (u unitState) Known() bool { return u.Load != "" && u.Load != "not-found" }

// parseSystemctlShow reads `systemctl show` "Key=value" lines.
func parseSystemctlShow(text string) unitState {
	var u unitState
	for line := range strings.Lines(text) {
		key, value, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch key {
		case "LoadState":
			u.Load = value
		case "ActiveState":
			u.Active = value
		}
	}
	return u
}
