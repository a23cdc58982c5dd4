package tandem_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// TestSecurityDocPermissionTable keeps the permission table in
// docs/SECURITY.md equal to tandem.Permissions, so the documentation never
// promises what the code does not enforce.
func TestSecurityDocPermissionTable(t *testing.T) {
	doc, err := os.ReadFile("docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- permission-table:start -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- permission-table:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/SECURITY.md has no permission-table markers")
	}
	var want strings.Builder
	want.WriteString("| action | party | roles | meaning |\n| --- | --- | --- | --- |\n")
	for _, p := range tandem.Permissions {
		roles := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(&want, "| %s | %s | %s | %s |\n", p.Action, p.Party, strings.Join(roles, ", "), p.Description)
	}
	if table != want.String() {
		t.Fatalf("docs/SECURITY.md permission table differs from tandem.Permissions; replace it with:\n%s", want.String())
	}
}
