package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// aptSimulation is apt-get -s dist-upgrade output of a Debian 12
// machine, with an Ubuntu line and a newly pulled-in kernel added.
const aptSimulation = `Reading package lists...
Building dependency tree...
Reading state information...
Calculating upgrade...
The following packages will be upgraded:
  base-files bash libgcrypt20 liblzma5 openssl
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst bash [5.2.15-2+b8] (5.2.15-2+b13 Debian:12.15/oldstable [amd64])
Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst liblzma5 [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64])
Inst libcap2 [1:2.66-4+deb12u2+b2] (1:2.66-4+deb12u3+b1 Debian:12.15/oldstable [amd64]) []
Inst linux-image-6.1.0-28-amd64 (6.1.119-1 Debian-Security:12/oldstable-security [amd64])
Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Inst tzdata [2024a-0ubuntu0.22.04] (2024a-0ubuntu0.22.04.1 Ubuntu:22.04/jammy-updates [all])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Conf libgcrypt20 (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Remv oldpkg [1.0]
132 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
`

func TestParseAptSimulation(t *testing.T) {
	tests := []struct {
		name, text string
		want       []agentproto.PendingUpdate
	}{
		{"DebianAndUbuntu", aptSimulation, []agentproto.PendingUpdate{
			{Name: "base-files", Version: "12.4+deb12u15"},
			{Name: "bash", Version: "5.2.15-2+b13"},
			{Name: "libcap2", Version: "1:2.66-4+deb12u3+b1"},
			{Name: "libgcrypt20", Version: "1.10.1-3+deb12u1", Security: true},
			{Name: "libgcrypt20-dev", Version: "1.10.1-3+deb12u1", Security: true},
			{Name: "liblzma5", Version: "5.4.1-1+deb12u2", Security: true},
			{Name: "libssl3", Version: "3.0.2-0ubuntu1.12", Security: true},
			{Name: "linux-image-6.1.0-28-amd64", Version: "6.1.119-1", Security: true},
			{Name: "tzdata", Version: "2024a-0ubuntu0.22.04.1"},
		}},
		{"NothingToDo", "Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", nil},
		{"Truncated", "Inst foo [1.0] (\nInst bar\nInst (2.0 x)\nInst baz [1.0\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseAptSimulation(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseAptSimulation =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func FuzzParseAptSimulation(f *testing.F) {
	f.Add(aptSimulation)
	f.Add("Inst a [b (c d [e])\nInst [ ( ) ]\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, u := range parseAptSimulation(text) {
			if u.Name == "" || u.Version == "" {
				t.Fatalf("update without a name or version: %+v", u)
			}
		}
	})
}
