package http

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// The routed entry reads as a sentence naming the team, the area and the
// matrix version, from its data: events recorded before the data held the
// area's name find it in the catalogue, and data too thin to say more
// leaves the stored sentence.
func TestRoutedSentence(t *testing.T) {
	org := &tandem.Organization{Name: "Harbor Logistics", Parties: []tandem.Party{
		{Kind: tandem.PartyInternal, Name: "Harbor Logistics IT"}, {Kind: tandem.PartyProvider, Name: "Northwind MSP"}}}
	names := partyNames{org: org, areas: map[int64]string{7: "End-user support", 8: "Cybersecurity protection"}}
	tests := []struct {
		name string
		body string
		data map[string]any
		want string
	}{
		{"Responsible", "Routed to internal: Responsible for End-user support in matrix v1.",
			map[string]any{"area_id": 7.0, "area": "End-user support", "matrix": 1.0, "party": "internal", "reason": "responsible"},
			"Routed to Harbor Logistics IT: Responsible for End-user support in matrix v1"},
		{"OldEventWithoutAreaName", "Routed to provider: Responsible for Cybersecurity protection in matrix v3.",
			map[string]any{"area_id": 8.0, "matrix": 3.0, "party": "provider", "reason": "responsible"},
			"Routed to Northwind MSP: Responsible for Cybersecurity protection in matrix v3"},
		{"AreaRenamedSince", "Routed to internal: Responsible for Desk in matrix v2.",
			map[string]any{"area_id": 7.0, "area": "Desk", "matrix": 2.0, "party": "internal", "reason": "responsible"},
			"Routed to Harbor Logistics IT: Responsible for Desk in matrix v2"},
		{"Accountable", "Routed to provider: both parties are Responsible…",
			map[string]any{"area_id": 8.0, "area": "Cybersecurity protection", "matrix": 4.0, "party": "provider", "reason": "accountable"},
			"Routed to Northwind MSP: both teams are Responsible for Cybersecurity protection in matrix v4, so the Accountable team takes it"},
		{"NoOwner", "Routed to internal for triage: matrix v1 names no Responsible party for Desk.",
			map[string]any{"area_id": 7.0, "area": "End-user support", "matrix": 1.0, "party": "internal", "reason": "no-owner"},
			"Routed to Harbor Logistics IT for triage: matrix v1 names no Responsible team for End-user support"},
		{"NoMatrix", "Routed to internal for triage: no responsibility matrix has been accepted yet.",
			map[string]any{"area_id": 7.0, "party": "internal", "reason": "no-matrix"},
			"Routed to Harbor Logistics IT for triage: no responsibility matrix has been accepted yet"},
		{"NoArea", "Routed to internal for triage: the ticket has no service area.",
			map[string]any{"party": "internal", "reason": "no-area"},
			"Routed to Harbor Logistics IT for triage: the ticket has no service area"},
		{"UnknownAreaKeepsBody", "Routed to internal: Responsible for Gone in matrix v1.",
			map[string]any{"area_id": 99.0, "matrix": 1.0, "party": "internal", "reason": "responsible"},
			"Routed to internal: Responsible for Gone in matrix v1"},
		{"NoData", "Routed somewhere.", nil, "Routed somewhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &tandem.Event{Kind: tandem.EventRouted, Body: tt.body, Data: tt.data}
			who, got := eventText(e, "Eli Moreno", names)
			if got != tt.want || who != "" {
				t.Errorf("routed entry = %q by %q, want %q by the system", got, who, tt.want)
			}
		})
	}
}

// Other entries read as a sentence after their author.
func TestEventText(t *testing.T) {
	names := partyNames{org: &tandem.Organization{Parties: []tandem.Party{{Kind: tandem.PartyProvider, Name: "Northwind MSP"}}}}
	tests := []struct {
		kind      tandem.EventKind
		body      string
		data      map[string]any
		who, want string
	}{
		{tandem.EventStatus, "Moved the ticket from new to open.", nil, "Sam Patel", "moved the ticket from new to open."},
		{tandem.EventStatus, "Moved the ticket from open to pending-customer.", map[string]any{"from": "open", "to": "pending-customer"}, "Sam Patel", "moved the ticket from open to pending customer."},
		{tandem.EventStatus, "Moved the ticket from new to open: work on it has begun.", map[string]any{"from": "new", "to": "open", "automatic": true}, "Sam Patel", "took the ticket up: it moved from new to open on its own."},
		{tandem.EventStatus, "Reopened the ticket.", map[string]any{"from": "resolved", "to": "open"}, "Sam Patel", "reopened the ticket."},
		{tandem.EventAssigned, "Assigned the ticket to Tom Becker.", nil, "Sam Patel", "assigned the ticket to Tom Becker."},
		{tandem.EventHandoffRequested, "The firewall is theirs", map[string]any{"to": "provider"}, "Sam Patel", "asked Northwind MSP to take the ticket over"},
		{tandem.EventTime, "35 min, billable", nil, "Sam Patel", "logged 35 min, billable"},
		{tandem.EventSLABreach, "Resolution target breached: it was due 7 Dec.", nil, "", "Resolution target breached: it was due 7 Dec."},
	}
	for _, tt := range tests {
		who, got := eventText(&tandem.Event{Kind: tt.kind, Body: tt.body, Data: tt.data}, "Sam Patel", names)
		if who != tt.who || got != tt.want {
			t.Errorf("%s entry = %q %q, want %q %q", tt.kind, who, got, tt.who, tt.want)
		}
	}
}

func TestAgoText(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		30 * time.Second: "just now", time.Minute: "1 minute ago", 59 * time.Minute: "59 minutes ago",
		3 * time.Hour: "3 hours ago", 25 * time.Hour: "1 day ago", 45 * 24 * time.Hour: "45 days ago",
		90 * 24 * time.Hour: "3 months ago", 800 * 24 * time.Hour: "2 years ago",
	} {
		if got := agoText(now.Add(-d), now); got != want {
			t.Errorf("agoText(now-%v) = %q, want %q", d, got, want)
		}
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{"Sam Patel": "SP", "Ana María de la Cruz": "AC", "tech@msp.example": "T", "élodie": "É", "": "?"} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}
