package localcheck

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/agentproto"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestRunSortsByIDAndSkipsWhatTheServerWouldRefuse(t *testing.T) {
	r := NewRunner(fakeFacts{processes: map[string]bool{"nginx": true}})
	checks := []agentproto.Check{
		{ID: 7, Kind: agentproto.CheckProcess, Target: "nginx"},
		{ID: 0, Kind: agentproto.CheckProcess, Target: "nginx"},
		{ID: 3, Kind: agentproto.CheckProcess, Target: "sshd"},
		{ID: 7, Kind: agentproto.CheckProcess, Target: "other"},
		{ID: -1, Kind: agentproto.CheckProcess, Target: "nginx"},
	}
	got := r.Run(context.Background(), t0, checks, agentproto.Metrics{})
	want := []agentproto.CheckResult{
		{CheckID: 3, State: agentproto.CheckFailing, Output: "process sshd is not running"},
		{CheckID: 7, State: agentproto.CheckOK, Output: "process nginx is running"},
	}
	if !equalResults(got, want) {
		t.Errorf("Run =\n%+v\nwant\n%+v", got, want)
	}
	if c := (agentproto.Checkin{Seq: 1, At: time.Now(), Checks: got}); c.Validate() != nil {
		t.Errorf("the server would refuse the results: %v", c.Validate())
	}
}

func TestRunUnknownKind(t *testing.T) {
	r := NewRunner(fakeFacts{})
	got := r.Run(context.Background(), t0, []agentproto.Check{{ID: 1, Kind: "smart_status"}}, agentproto.Metrics{})
	if len(got) != 1 || got[0].State != agentproto.CheckError || !strings.Contains(got[0].Output, `"smart_status"`) {
		t.Errorf("Run = %+v, want an error naming the kind", got)
	}
}

func TestRunAtMostMaxCheckResults(t *testing.T) {
	var checks []agentproto.Check
	for i := range agentproto.MaxCheckResults + 10 {
		checks = append(checks, agentproto.Check{ID: int64(i + 1), Kind: agentproto.CheckProcess, Target: "x"})
	}
	if got := NewRunner(fakeFacts{}).Run(context.Background(), t0, checks, agentproto.Metrics{}); len(got) != agentproto.MaxCheckResults {
		t.Errorf("%d results", len(got))
	}
}

func TestOutputIsOneBoundedLine(t *testing.T) {
	long := strings.Repeat("é", 2000) // two bytes each: a cut could split one
	r := NewRunner(fakeFacts{errs: map[string]error{"svc": errorString("line one\nline two\ttabbed\x00 " + long)}})
	got := r.Run(context.Background(), t0, []agentproto.Check{{ID: 1, Kind: agentproto.CheckService, Target: "svc"}}, agentproto.Metrics{})
	out := got[0].Output
	if got[0].State != agentproto.CheckError || len(out) > agentproto.MaxOutputLen || !utf8.ValidString(out) ||
		strings.ContainsAny(out, "\n\t\x00") || !strings.HasPrefix(out, "line one line two tabbed") || !strings.HasSuffix(out, "…") {
		t.Errorf("output %d bytes: %.80q", len(out), out)
	}
}

func TestCleanOutput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok", "ok"},
		{" a\r\nb ", "a  b"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{strings.Repeat("x", agentproto.MaxOutputLen), strings.Repeat("x", agentproto.MaxOutputLen)},
		{strings.Repeat("x", agentproto.MaxOutputLen+1), strings.Repeat("x", agentproto.MaxOutputLen-3) + "…"},
	}
	for _, tt := range tests {
		if got := cleanOutput(tt.in); got != tt.want {
			t.Errorf("cleanOutput(%.20q) = %.20q…, want %.20q…", tt.in, got, tt.want)
		}
	}
}

func FuzzCleanOutput(f *testing.F) {
	f.Add("a\nb\xff" + strings.Repeat("é", 600))
	f.Fuzz(func(t *testing.T, s string) {
		out := cleanOutput(s)
		if len(out) > agentproto.MaxOutputLen || !utf8.ValidString(out) || strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("cleanOutput(%q) = %q", s, out)
		}
	})
}

type errorString string

func (e errorString) Error() string { return string(e) }

func equalResults(a, b []agentproto.CheckResult) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
