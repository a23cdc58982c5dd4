package http

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzParseTicketFilter feeds arbitrary query values to the ticket list's
// filter parser: it never panics, refuses only with client errors (400), and
// what it accepts is a filter the service can take as it is.
func FuzzParseTicketFilter(f *testing.F) {
	f.Add("1", "provider", "open,new", "2", "breached", "me", "3", "true", "false", "printer", "jam on floor 2", "4")
	f.Add("x", "both", "done", "9", "late", "-1", "0", "yes", "1", "a b", "\x00\"*:&|!()", "")
	f.Fuzz(func(t *testing.T, org, party, status, priority, sla, assignee, requester, open, awaiting, tag, q, area string) {
		v := url.Values{"organization_id": {org}, "party": {party}, "status": {status}, "priority": {priority}, "sla": {sla},
			"assignee_id": {assignee}, "requester_id": {requester}, "open": {open}, "awaiting": {awaiting}, "tag": {tag}, "q": {q}, "area_id": {area}}
		r := httptest.NewRequest("GET", "/api/v1/tickets?"+v.Encode(), nil)
		r = r.WithContext(tandem.NewContextWithActor(r.Context(), &tandem.Actor{UserID: 7, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: 1}))
		got, err := parseTicketFilter(r)
		if err != nil {
			if code := tandem.ErrorCode(err); code != tandem.EBADREQUEST {
				t.Fatalf("parseTicketFilter failed with code %s: %v", code, err)
			}
			return
		}
		if got.Priority != 0 && !got.Priority.Valid() {
			t.Fatalf("accepted priority %d", got.Priority)
		}
		for _, st := range got.Statuses {
			if !st.Valid() {
				t.Fatalf("accepted status %q", st)
			}
		}
		if got.Party != "" && got.Party != tandem.PartyInternal && got.Party != tandem.PartyProvider {
			t.Fatalf("accepted party %q", got.Party)
		}
		if got.OrganizationID < 0 || got.AreaID < 0 || got.RequesterID < 0 || got.AssigneeID < 0 {
			t.Fatalf("accepted a negative id: %+v", got)
		}
	})
}
