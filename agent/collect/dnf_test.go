package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// dnfCheckUpdate is dnf -q check-update output of a RHEL 9 machine (exit
// status 100), with a name too long for its column and the obsoleting
// section.
const dnfCheckUpdate = `
kernel.x86_64                          5.14.0-362.13.1.el9_3            rhel-9-for-x86_64-baseos-rpms
openssl.x86_64                         1:3.0.7-25.el9_3                 rhel-9-for-x86_64-baseos-rpms
openssl-libs.x86_64                    1:3.0.7-25.el9_3                 rhel-9-for-x86_64-baseos-rpms
glibc.i686                             2.34-83.el9_3.7                  rhel-9-for-x86_64-baseos-rpms
glibc.x86_64                           2.34-83.el9_3.7                  rhel-9-for-x86_64-baseos-rpms
python3-some-really-long-package-name.noarch
                                       1.2.3-4.el9                      rhel-9-for-x86_64-appstream-rpms
tzdata.noarch                          2024a-1.el9                      rhel-9-for-x86_64-baseos-rpms
Security: kernel-core-5.14.0-362.13.1.el9_3.x86_64 is an installed security update
Obsoleting Packages
grub2-tools.x86_64                     1:2.06-70.el9_3.1                rhel-9-for-x86_64-baseos-rpms
    grub2-tools.x86_64                 1:2.06-61.el9                    @anaconda
`

func TestParseDnfCheckUpdate(t *testing.T) {
	tests := []struct {
		name, text string
		want       []agentproto.PendingUpdate
	}{
		{"RHEL9", dnfCheckUpdate, []agentproto.PendingUpdate{
			{Name: "glibc", Version: "2.34-83.el9_3.7"},
			{Name: "kernel", Version: "5.14.0-362.13.1.el9_3"},
			{Name: "openssl", Version: "1:3.0.7-25.el9_3"},
			{Name: "openssl-libs", Version: "1:3.0.7-25.el9_3"},
			{Name: "python3-some-really-long-package-name", Version: "1.2.3-4.el9"},
			{Name: "tzdata", Version: "2024a-1.el9"},
		}},
		{"MetadataLine", "Last metadata expiration check: 0:12:01 ago on Mon 01 Jan 2024.\nvim.x86_64 2:8.2.2637-20.el9_1 appstream\n", []agentproto.PendingUpdate{
			{Name: "vim", Version: "2:8.2.2637-20.el9_1"},
		}},
		{"NotAnArch", "Some.Thing 1.0 repo\n", nil},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDnfCheckUpdate(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseDnfCheckUpdate =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func FuzzParseDnfCheckUpdate(f *testing.F) {
	f.Add(dnfCheckUpdate)
	f.Add(".x86_64\n1 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, u := range parseDnfCheckUpdate(text) {
			if u.Name == "" || u.Version == "" {
				t.Fatalf("update without a name or version: %+v", u)
			}
		}
	})
}
