package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// dpkgQueryOutput is dpkg-query -W -f "$dpkgQueryFormat" output, with the
// states a real machine shows besides "install ok installed".
const dpkgQueryOutput = "adduser\t3.134\tinstall ok installed\n" +
	"libc6\t2.36-9+deb12u13\tinstall ok installed\n" +
	"libc6\t2.36-9+deb12u13\tinstall ok installed\n" + // amd64 and i386
	"linux-image-6.1.0-25-amd64\t6.1.106-3\tdeinstall ok config-files\n" +
	"zlib1g\t1:1.2.13.dfsg-1\tinstall ok installed\n" +
	"nginx\t1.22.1-9\thold ok installed\n" +
	"brokenpkg\t1.0\tinstall reinstreq half-installed\n" +
	"oldtool\t2.0\tdeinstall ok installed\n" +
	"wanted\t\tinstall ok not-installed\n" +
	"apt\t2.6.1\tinstall ok unpacked\n" +
	"bash\t5.2.15-2+b8\tinstall ok installed\r\n" +
	"malformed line without tabs\n" +
	"\t1.0\tinstall ok installed\n"

func TestParseDpkgQuery(t *testing.T) {
	tests := []struct {
		name, text string
		want       []agentproto.Software
	}{
		{"InstalledOnlySortedOnce", dpkgQueryOutput, []agentproto.Software{
			{Name: "adduser", Version: "3.134", Source: "dpkg"},
			{Name: "bash", Version: "5.2.15-2+b8", Source: "dpkg"},
			{Name: "libc6", Version: "2.36-9+deb12u13", Source: "dpkg"},
			{Name: "nginx", Version: "1.22.1-9", Source: "dpkg"},
			{Name: "oldtool", Version: "2.0", Source: "dpkg"},
			{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "dpkg"},
		}},
		{"TwoVersionsForTwoArchitecturesKept", "libfoo\t1.1\tinstall ok installed\nlibfoo\t1.0\tinstall ok installed\n", []agentproto.Software{
			{Name: "libfoo", Version: "1.0", Source: "dpkg"},
			{Name: "libfoo", Version: "1.1", Source: "dpkg"},
		}},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDpkgQuery(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseDpkgQuery =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func FuzzParseDpkgQuery(f *testing.F) {
	f.Add(dpkgQueryOutput)
	f.Add("a\tb\tc d installed\n\t\t\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range parseDpkgQuery(text) {
			if s.Name == "" {
				t.Fatalf("package without a name: %+v", s)
			}
		}
	})
}
