package http

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// fakeUsers answers FindUserByID from a map: a user absent from it lies
// outside the viewer's scope.
type fakeUsers struct {
	tandem.UserService
	users map[int64]*tandem.User
}

func (f fakeUsers) FindUserByID(_ context.Context, id int64) (*tandem.User, error) {
	if u, ok := f.users[id]; ok {
		return u, nil
	}
	return nil, tandem.Errorf(tandem.ENOTFOUND, "User not found.")
}

// sentence is the entry's sentence as the page reads, with the target
// bracketed when it is a link.
func (s auditSentence) text() string {
	target := s.TargetLabel
	if s.TargetURL != "" {
		target = "[" + target + "](" + s.TargetURL + ")"
	}
	return s.Actor + " " + s.Before + target + s.After
}

func TestAuditDescribe(t *testing.T) {
	harbor := &tandem.Organization{ID: 4, Name: "Harbor Logistics", Slug: "harbor-logistics"}
	org := int64(4)
	grace := &tandem.User{ID: 7, Name: "Grace Lin", Email: "grace@harbor.example", OrganizationID: &org}
	tom := &tandem.User{ID: 2, Name: "Tom Becker", Email: "tom@msp.example"}
	users := fakeUsers{users: map[int64]*tandem.User{7: grace, 2: tom}}
	id := func(n int64) *int64 { return &n }
	entry := func(actor *int64, email, action, target, summary string) *tandem.AuditEntry {
		party := "internal"
		if actor == nil {
			party = "system"
		}
		return &tandem.AuditEntry{ActorUserID: actor, ActorEmail: email, ActorParty: party, OrganizationID: &org, Action: action, Target: target, Summary: json.RawMessage(summary)}
	}
	tests := []struct {
		name     string
		viewer   tandem.PartyKind
		e        *tandem.AuditEntry
		sentence string
		fields   string // label=value;… of the list beside it
	}{
		{"StatusChange", tandem.PartyInternal, entry(id(7), grace.Email, "ticket.update", "ticket:12", `{"status":"resolved"}`),
			"Grace Lin set [ticket #12](/tickets/12)’s status to resolved.", ""},
		{"StatusWithMore", tandem.PartyInternal, entry(id(7), grace.Email, "ticket.update", "ticket:12", `{"status":"open","first_response_at":"2026-12-06T21:14:03.465182Z"}`),
			"Grace Lin set [ticket #12](/tickets/12)’s status to open.", "First response=2026-12-06T21:14:03Z"},
		{"Assigned", tandem.PartyInternal, entry(id(7), grace.Email, "ticket.update", "ticket:12", `{"assignee_id":2}`),
			"Grace Lin assigned [ticket #12](/tickets/12) to Tom Becker.", ""},
		{"Unassigned", tandem.PartyInternal, entry(id(7), grace.Email, "ticket.update", "ticket:12", `{"assignee_id":null}`),
			"Grace Lin unassigned [ticket #12](/tickets/12).", ""},
		{"SeveralFields", tandem.PartyInternal, entry(id(7), grace.Email, "organization.update", "organization:4", `{"name":"Harbor Logistics","slug":"harbor-logistics"}`),
			"Grace Lin changed [Harbor Logistics](/orgs/harbor-logistics).", "Name=Harbor Logistics;Slug=harbor-logistics"},
		{"TicketOpened", tandem.PartyInternal, entry(id(7), grace.Email, "ticket.create", "ticket:3", `{"title":"Printer jams","assignee_id":null,"tags":[],"requester_id":7,"priority":4}`),
			"Grace Lin opened [ticket #3](/tickets/3), “Printer jams”.", "Priority=4;Requester=Grace Lin(/orgs/harbor-logistics/people)"},
		{"MatrixVersion", tandem.PartyInternal, entry(id(7), grace.Email, "matrix.sign", "matrix_version:9", `{"number":3,"party":"internal"}`),
			"Grace Lin signed [version 3 of the responsibility matrix](/orgs/harbor-logistics/matrix).", "Party=internal"},
		{"UserCreatedBySystem", tandem.PartyInternal, entry(nil, "", "user.create", "user:7", `{"email":"grace@harbor.example","role":"it-admin","assigned_organizations":null}`),
			"Tandem created [Grace Lin](/orgs/harbor-logistics/people).", "Email=grace@harbor.example;Role=it-admin"},
		{"UserOutOfSight", tandem.PartyInternal, entry(id(7), grace.Email, "mfa.reset", "user:99", `{"email":"someone@elsewhere.example","sessions":2}`),
			"Grace Lin reset two-factor authentication of someone@elsewhere.example.", "Email=someone@elsewhere.example;Sessions=2"},
		{"ProviderStaffForProvider", tandem.PartyProvider, entry(id(7), grace.Email, "session.revoke_all", "user:2", `{"email":"tom@msp.example","sessions":1}`),
			"Grace Lin ended every session of [Tom Becker](/provider/people).", "Email=tom@msp.example;Sessions=1"},
		{"ProviderStaffForInternal", tandem.PartyInternal, entry(id(7), grace.Email, "session.revoke_all", "user:2", `{"email":"tom@msp.example","sessions":1}`),
			"Grace Lin ended every session of Tom Becker.", "Email=tom@msp.example;Sessions=1"},
		{"OwnLogin", tandem.PartyInternal, entry(id(7), grace.Email, "session.login", "user:7", `{"email":"grace@harbor.example"}`),
			"Grace Lin signed in.", ""},
		{"FailedLogin", tandem.PartyInternal, &tandem.AuditEntry{ActorParty: "anonymous", Action: "session.login_failed", Target: "login", Summary: json.RawMessage(`{"email":"x@harbor.example","reason":"unknown email"}`)},
			"Someone failed to sign in as x@harbor.example.", "Reason=unknown email"},
		{"RequireMFA", tandem.PartyInternal, entry(id(7), grace.Email, "organization.require_mfa", "organization:4", `{"require_mfa":true}`),
			"Grace Lin required two-factor authentication of everyone in [Harbor Logistics](/orgs/harbor-logistics).", ""},
		{"Nested", tandem.PartyInternal, entry(nil, "", "calendar.create", "calendar:1", `{"name":"Dock hours","definition":{"timezone":"America/Chicago"}}`),
			"Tandem created [calendar Dock hours](/orgs/harbor-logistics/sla).", "Definition={\n  \"timezone\": \"America/Chicago\"\n}"},
		{"UnknownAction", tandem.PartyInternal, entry(id(7), grace.Email, "widget.polish", "widget:5", `{"shine":true}`),
			"Grace Lin did widget.polish to widget:5.", "Shine=yes"},
		{"NotAnObject", tandem.PartyInternal, entry(id(7), grace.Email, "widget.polish", "widget:5", `[1,2]`),
			"Grace Lin did widget.polish to widget:5.", "Summary=[\n  1,\n  2\n]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viewer := &tandem.Actor{Party: tt.viewer}
			n := newAuditNames(t.Context(), users, viewer, []*tandem.Organization{harbor})
			got := n.describe(tt.e)
			if s := got.text(); s != tt.sentence {
				t.Errorf("sentence %q, want %q", s, tt.sentence)
			}
			var fields []string
			for _, f := range got.Fields {
				v := f.Text + f.JSON
				if f.Time != nil {
					v = f.Time.UTC().Format("2006-01-02T15:04:05Z")
				}
				if f.URL != "" {
					v += "(" + f.URL + ")"
				}
				fields = append(fields, f.Label+"="+v)
			}
			if s := strings.Join(fields, ";"); s != tt.fields {
				t.Errorf("fields %q, want %q", s, tt.fields)
			}
		})
	}
}
