package collect

import "testing"

func TestParseSystemctlShow(t *testing.T) {
	tests := []struct {
		name, text             string
		wantKnown, wantRunning bool
	}{
		{"Active", "LoadState=loaded\nActiveState=active\n", true, true},
		{"Reloading", "LoadState=loaded\nActiveState=reloading\n", true, true},
		{"Stopped", "LoadState=loaded\nActiveState=inactive\n", true, false},
		{"Failed", "ActiveState=failed\nLoadState=loaded\n", true, false},
		{"Starting", "LoadState=loaded\nActiveState=activating\n", true, false},
		{"Unknown", "LoadState=not-found\nActiveState=inactive\n", false, false},
		{"Masked", "LoadState=masked\nActiveState=inactive\n", true, false},
		{"Empty", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := parseSystemctlShow(tt.text)
			if u.Known() != tt.wantKnown || u.Running() != tt.wantRunning {
				t.Errorf("parseSystemctlShow = %+v: known %v, running %v; want %v, %v", u, u.Known(), u.Running(), tt.wantKnown, tt.wantRunning)
			}
		})
	}
}
