package http

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzPolicyForm feeds the escalation policy form whatever a browser may
// send: the form reader either refuses it with a message naming a field
// (EINVALID), or yields a policy that the domain's validation accepts or
// refuses the same way — never a panic, never an unexplained error.
func FuzzPolicyForm(f *testing.F) {
	f.Add("P1 at night", "3", "1", "ticket", "12", "15", "provider", "4, 5", "2")
	f.Add("", "x", "", "", "", "", "", "", "")
	f.Add("Breaches", "-1", "9", "sla_breach", "abc", "0", "internal", "0", "99")
	f.Add(strings.Repeat("n", 200), "1", "1", "alerts", "-4", "1441", "nobody", "x,,y", "1e3")
	f.Fuzz(func(t *testing.T, name, position, priority, trigger, user, timeout, queue, schedules, repeats string) {
		form := url.Values{"name": {name}, "position": {position}, "priorities": {priority}, "triggers": {trigger}, "hours": {"outside"},
			"levels.0.users": {user}, "levels.0.timeout_minutes": {timeout}, "levels.0.queues": {queue}, "levels.0.schedules": {schedules},
			"repeats": {repeats}, "organization_id": {"7"}}
		r := httptest.NewRequest("POST", "/escalation", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			t.Skip()
		}
		a := &tandem.Actor{UserID: 1, Party: tandem.PartyInternal, Role: tandem.RoleITAdmin, OrganizationID: 7}
		p, err := readPolicyForm(r, a)
		if err == nil {
			err = p.Validate()
		}
		if err == nil {
			return
		}
		var fe *tandem.FieldError
		if tandem.ErrorCode(err) != tandem.EINVALID || !asField(err, &fe) || fe.Field == "" || fe.Err.Message == "" {
			t.Fatalf("form %v refused with %v, want an EINVALID naming its field", form, err)
		}
	})
}

func asField(err error, fe **tandem.FieldError) bool {
	f, ok := err.(*tandem.FieldError)
	*fe = f
	return ok
}
