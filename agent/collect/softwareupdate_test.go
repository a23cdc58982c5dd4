package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

const softwareUpdateList = `Software Update Tool

Finding available software
Software Update found the following new or updated software:
* Label: Command Line Tools for Xcode-15.1
	Title: Command Line Tools for Xcode, Version: 15.1, Size: 735145KiB, Recommended: YES,
* Label: macOS Sonoma 14.2.1-23C71
	Title: macOS Sonoma 14.2.1, Version: 14.2.1, Size: 6614328KiB, Recommended: YES, Action: restart,
* Label: Background Security Improvement 14.2.1 (a)
	Title: Background Security Improvement, Version: 14.2.1 (a), Size: 1200KiB, Recommended: YES,
`

const softwareUpdateListOld = `Software Update Tool

Finding available software
Software Update found the following new or updated software:
   * Security Update 2019-001-10.13.6
	Security Update 2019-001 (10.13.6), 1934656K [recommended] [restart]
   * Safari12.0.3HighSierraAuto-12.0.3
	Safari (12.0.3), 67192K [recommended]
`

func TestParseSoftwareUpdateList(t *testing.T) {
	tests := []struct {
		name, text  string
		want        []agentproto.PendingUpdate
		wantRestart bool
	}{
		{"Sonoma", softwareUpdateList, []agentproto.PendingUpdate{
			{Name: "Background Security Improvement", Version: "14.2.1 (a)", Security: true},
			{Name: "Command Line Tools for Xcode", Version: "15.1"},
			{Name: "macOS Sonoma 14.2.1", Version: "14.2.1"},
		}, true},
		{"HighSierra", softwareUpdateListOld, []agentproto.PendingUpdate{
			{Name: "Safari12.0.3HighSierraAuto-12.0.3"},
			{Name: "Security Update 2019-001-10.13.6", Security: true},
		}, true},
		{"NothingNew", "Software Update Tool\n\nFinding available software\nNo new software available.\n", nil, false},
		{"NoRestartOutsideAnUpdate", "Action: restart,\n[restart]\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, restart := parseSoftwareUpdateList(tt.text)
			if !reflect.DeepEqual(got, tt.want) || restart != tt.wantRestart {
				t.Errorf("parseSoftwareUpdateList =\n%+v, %v\nwant\n%+v, %v", got, restart, tt.want, tt.wantRestart)
			}
		})
	}
}
