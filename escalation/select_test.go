package escalation_test

import (
	"testing"

	"github.com/tandemhq/tandem/escalation"
)

func TestSelect(t *testing.T) {
	harbor, other := int64(1), int64(2)
	network, endUser := int64(10), int64(20)
	policies := []struct {
		name  string
		match escalation.Match
	}{
		{"Provider NOC on call", escalation.Match{Party: "provider", Priorities: []int{1}, AreaIDs: []int64{network}, Triggers: []escalation.Trigger{escalation.TriggerTicket}}},
		{"P1 out of hours", escalation.Match{OrganizationID: &harbor, Party: "internal", Priorities: []int{1}, AreaIDs: []int64{endUser}, Hours: escalation.OutsideHours}},
		{"P1 office hours", escalation.Match{OrganizationID: &harbor, Priorities: []int{1}, Hours: escalation.InsideHours}},
		{"Breaches", escalation.Match{Triggers: []escalation.Trigger{escalation.TriggerSLABreach, escalation.TriggerOLABreach}}},
	}
	matches := make([]escalation.Match, len(policies))
	for i, p := range policies {
		matches[i] = p.match
	}
	tests := []struct {
		name  string
		facts escalation.Facts
		want  string // "" for none
	}{
		{"P1NetworkToProviderNOC", escalation.Facts{OrganizationID: harbor, Party: "provider", Priority: 1, AreaID: &network, Trigger: escalation.TriggerTicket, InsideHours: true}, "Provider NOC on call"},
		{"P1NetworkAnyOrganization", escalation.Facts{OrganizationID: other, Party: "provider", Priority: 1, AreaID: &network, Trigger: escalation.TriggerTicket}, "Provider NOC on call"},
		{"P1EndUserOutOfHours", escalation.Facts{OrganizationID: harbor, Party: "internal", Priority: 1, AreaID: &endUser, Trigger: escalation.TriggerTicket}, "P1 out of hours"},
		{"P1EndUserInHours", escalation.Facts{OrganizationID: harbor, Party: "internal", Priority: 1, AreaID: &endUser, InsideHours: true, Trigger: escalation.TriggerTicket}, "P1 office hours"},
		{"OtherOrganizationEndUser", escalation.Facts{OrganizationID: other, Party: "internal", Priority: 1, AreaID: &endUser, Trigger: escalation.TriggerTicket}, ""},
		{"P2NoPolicy", escalation.Facts{OrganizationID: harbor, Party: "provider", Priority: 2, AreaID: &network, Trigger: escalation.TriggerTicket}, ""},
		{"NoAreaIsNotAnArea", escalation.Facts{OrganizationID: harbor, Party: "internal", Priority: 1, Trigger: escalation.TriggerTicket}, ""},
		{"OLABreachAnywhere", escalation.Facts{OrganizationID: other, Party: "internal", Priority: 4, Trigger: escalation.TriggerOLABreach}, "Breaches"},
		{"WarningMatchesNoBreachPolicy", escalation.Facts{OrganizationID: other, Party: "internal", Priority: 4, Trigger: escalation.TriggerSLAWarning}, ""},
		{"FirstMatchWins", escalation.Facts{OrganizationID: harbor, Party: "provider", Priority: 1, AreaID: &network, InsideHours: true, Trigger: escalation.TriggerSLABreach}, "P1 office hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := escalation.Select(matches, tt.facts)
			got := ""
			if ok {
				got = policies[i].name
			}
			if got != tt.want {
				t.Errorf("selected %q, want %q", got, tt.want)
			}
		})
	}
}
