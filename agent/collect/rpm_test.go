package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// rpmQueryOutput is rpm -qa --qf "$rpmQueryFormat" output of a RHEL 9
// machine.
const rpmQueryOutput = "openssl\t1:3.0.7-24.el9\tRed Hat, Inc.\n" +
	"bash\t(none):5.1.8-6.el9_1\tRed Hat, Inc.\n" +
	"gpg-pubkey\t(none):fd431d51-4ae0493b\t(none)\n" +
	"local-tool\t(none):0.1-1\t(none)\n" +
	"kernel\t(none):5.14.0-362.8.1.el9_3\tRed Hat, Inc.\n" +
	"kernel\t(none):5.14.0-284.30.1.el9_2\tRed Hat, Inc.\n" +
	"bad line\n"

func TestParseRPMQuery(t *testing.T) {
	tests := []struct {
		name, text string
		want       []agentproto.Software
	}{
		{"RHEL9", rpmQueryOutput, []agentproto.Software{
			{Name: "bash", Version: "5.1.8-6.el9_1", Publisher: "Red Hat, Inc.", Source: "rpm"},
			{Name: "kernel", Version: "5.14.0-284.30.1.el9_2", Publisher: "Red Hat, Inc.", Source: "rpm"},
			{Name: "kernel", Version: "5.14.0-362.8.1.el9_3", Publisher: "Red Hat, Inc.", Source: "rpm"},
			{Name: "local-tool", Version: "0.1-1", Source: "rpm"},
			{Name: "openssl", Version: "1:3.0.7-24.el9", Publisher: "Red Hat, Inc.", Source: "rpm"},
		}},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRPMQuery(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseRPMQuery =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func FuzzParseRPMQuery(f *testing.F) {
	f.Add(rpmQueryOutput)
	f.Add("\t(none):\t(none)\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range parseRPMQuery(text) {
			if s.Name == "" {
				t.Fatalf("package without a name: %+v", s)
			}
		}
	})
}
