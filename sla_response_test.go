package tandem_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// The people of one organisation whose internal team owns the ticket.
var (
	itTech       = &tandem.Actor{UserID: 1, Party: tandem.PartyInternal, Role: tandem.RoleITTechnician, OrganizationID: 9}
	itAdmin      = &tandem.Actor{UserID: 2, Party: tandem.PartyInternal, Role: tandem.RoleITAdmin, OrganizationID: 9}
	providerTech = &tandem.Actor{UserID: 3, Party: tandem.PartyProvider, Role: tandem.RoleTechnician}
	requester    = &tandem.Actor{UserID: 4, Party: tandem.PartyInternal, Role: tandem.RoleRequester, OrganizationID: 9}
	viewer       = &tandem.Actor{UserID: 5, Party: tandem.PartyInternal, Role: tandem.RoleViewer, OrganizationID: 9}
)

func marking(acts ...tandem.StaffAction) *tandem.SLAPolicy {
	p := planPolicy()
	p.ResponseActions = acts
	return p
}

func TestCountsAsResponse(t *testing.T) {
	none := marking()
	tests := []struct {
		name     string
		actor    *tandem.Actor
		action   tandem.StaffAction
		vis      tandem.Visibility
		policy   *tandem.SLAPolicy
		response bool // meets the response target
		opens    bool // moves a new ticket to open
	}{
		{"PublicReplyByOwningParty", itTech, tandem.StaffReply, tandem.VisibilityPublic, none, true, true},
		{"PublicReplyByOtherParty", providerTech, tandem.StaffReply, tandem.VisibilityPublic, none, true, true},
		{"PublicReplyWithoutPolicy", itAdmin, tandem.StaffReply, tandem.VisibilityPublic, nil, true, true},
		{"TeamsComment", itTech, tandem.StaffReply, tandem.VisibilityTeams, none, false, true},
		{"PartyOnlyComment", providerTech, tandem.StaffReply, tandem.VisibilityParty, none, false, true},
		{"TeamsCommentWhateverIsMarked", itTech, tandem.StaffReply, tandem.VisibilityTeams, marking(tandem.MarkableActions...), false, true},
		{"RequesterComment", requester, tandem.StaffReply, tandem.VisibilityPublic, none, false, false},
		{"ViewerComment", viewer, tandem.StaffReply, tandem.VisibilityPublic, none, false, false},
		{"System", tandem.SystemActor, tandem.StaffReply, tandem.VisibilityPublic, none, false, false},
		{"SystemMarkedAction", tandem.SystemActor, tandem.StaffTime, tandem.VisibilityTeams, marking(tandem.StaffTime), false, false},
		{"NoActor", nil, tandem.StaffReply, tandem.VisibilityPublic, none, false, false},
		{"HandoffAcceptance", providerTech, tandem.StaffAccept, tandem.VisibilityTeams, none, false, true},
		{"HandoffAcceptanceWhateverIsMarked", providerTech, tandem.StaffAccept, tandem.VisibilityTeams, marking(tandem.MarkableActions...), false, true},
		{"AssignmentUnmarked", itTech, tandem.StaffAssign, tandem.VisibilityTeams, none, false, true},
		{"AssignmentUnmarkedOtherMarked", itTech, tandem.StaffAssign, tandem.VisibilityTeams, marking(tandem.StaffStatus, tandem.StaffTime), false, true},
		{"AssignmentMarked", itTech, tandem.StaffAssign, tandem.VisibilityTeams, marking(tandem.StaffAssign), true, true},
		{"AssignmentMarkedByOtherParty", providerTech, tandem.StaffAssign, tandem.VisibilityTeams, marking(tandem.StaffAssign), true, true},
		{"AssignmentMarkedNoPolicy", itTech, tandem.StaffAssign, tandem.VisibilityTeams, nil, false, true},
		{"StatusUnmarked", itTech, tandem.StaffStatus, tandem.VisibilityPublic, none, false, false},
		{"StatusMarked", itTech, tandem.StaffStatus, tandem.VisibilityPublic, marking(tandem.StaffStatus), true, true},
		{"StatusMarkedByRequester", requester, tandem.StaffStatus, tandem.VisibilityPublic, marking(tandem.StaffStatus), false, false},
		{"TimeUnmarked", providerTech, tandem.StaffTime, tandem.VisibilityTeams, none, false, false},
		{"TimeMarked", providerTech, tandem.StaffTime, tandem.VisibilityTeams, marking(tandem.StaffTime), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tandem.CountsAsResponse(tt.actor, tt.action, tt.vis, tt.policy); got != tt.response {
				t.Errorf("CountsAsResponse = %v, want %v", got, tt.response)
			}
			if got := tandem.OpensTicket(tt.actor, tt.action, tt.vis, tt.policy); got != tt.opens {
				t.Errorf("OpensTicket = %v, want %v", got, tt.opens)
			}
		})
	}
}

// The clocks the rule feeds: a ticket owned by the internal team, created
// Monday 10:00 (P2: 60 minutes to respond, the provider 30 to accept), and
// at 10:20 one thing happens; planned at 10:40. Whatever happened, the
// response timer is the owning party's; only what the rule counts stops it,
// and only an acceptance meets the accept timer.
func TestResponseRuleThroughPlanTimers(t *testing.T) {
	office := mustClock(t, officeCalendar)
	tests := []struct {
		name     string
		actor    *tandem.Actor
		action   tandem.StaffAction
		vis      tandem.Visibility
		policy   *tandem.SLAPolicy
		response tandem.TimerState
	}{
		{"PublicReplyByOtherParty", providerTech, tandem.StaffReply, tandem.VisibilityPublic, marking(), tandem.TimerMet},
		{"TeamsComment", itTech, tandem.StaffReply, tandem.VisibilityTeams, marking(), tandem.TimerRunning},
		{"RequesterComment", requester, tandem.StaffReply, tandem.VisibilityPublic, marking(), tandem.TimerRunning},
		{"HandoffAcceptance", providerTech, tandem.StaffAccept, tandem.VisibilityTeams, marking(tandem.MarkableActions...), tandem.TimerRunning},
		{"AssignmentUnmarked", itTech, tandem.StaffAssign, tandem.VisibilityTeams, marking(), tandem.TimerRunning},
		{"AssignmentMarked", itTech, tandem.StaffAssign, tandem.VisibilityTeams, marking(tandem.StaffAssign), tandem.TimerMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tandem.TicketClock{CreatedAt: b("Mon 10:00"), Priority: 2, Status: tandem.StatusOpen, OwningParty: tandem.PartyInternal}
			accepted := tt.action == tandem.StaffAccept
			if accepted {
				c.Handoffs = []tandem.HandoffClock{{ID: 1, ToParty: tandem.PartyProvider, RequestedAt: b("Mon 10:05"), Status: tandem.HandoffAccepted, AnsweredAt: bp("Mon 10:20")}}
				c.OwningParty = tandem.PartyProvider
			}
			if tandem.CountsAsResponse(tt.actor, tt.action, tt.vis, tt.policy) {
				c.FirstResponseAt = bp("Mon 10:20")
			}
			timers, _ := tandem.PlanTimers(tt.policy, office, &c, b("Mon 10:40"))
			var response, accept *tandem.Timer
			for _, tm := range timers {
				switch tm.Kind {
				case tandem.TimerResponse:
					response = tm
				case tandem.TimerAccept:
					accept = tm
				}
			}
			if response == nil || response.State != tt.response || response.Party != c.OwningParty {
				t.Fatalf("response timer %+v, want %s for the %s party", response, tt.response, c.OwningParty)
			}
			if tt.response == tandem.TimerMet && !sameTime(response.MetAt, bp("Mon 10:20")) {
				t.Errorf("response met at %v, want Mon 10:20", response.MetAt)
			}
			if !accepted {
				if accept != nil {
					t.Errorf("accept timer %+v without a handoff", accept)
				}
				return
			}
			if accept == nil || accept.State != tandem.TimerMet || !sameTime(accept.MetAt, bp("Mon 10:20")) || accept.ElapsedMinutes != 15 {
				t.Errorf("accept timer %+v, want met at Mon 10:20 after 15 minutes", accept)
			}
		})
	}
}

func TestSLAPolicyResponseActions(t *testing.T) {
	tests := []struct {
		name    string
		in      []tandem.StaffAction
		want    []tandem.StaffAction
		mention string // in the refusal; "" when valid
	}{
		{"None", nil, []tandem.StaffAction{}, ""},
		{"One", []tandem.StaffAction{tandem.StaffTime}, []tandem.StaffAction{tandem.StaffTime}, ""},
		{"OnceEachInOrder", []tandem.StaffAction{"time", "assign", "time", "status"}, []tandem.StaffAction{"assign", "status", "time"}, ""},
		{"Reply", []tandem.StaffAction{"reply"}, nil, `"reply"`},
		{"Accept", []tandem.StaffAction{"assign", "accept"}, nil, `"accept"`},
		{"Unknown", []tandem.StaffAction{"phone"}, nil, `"phone"`},
		{"Case", []tandem.StaffAction{"Assign"}, nil, `"Assign"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tandem.DefaultSLAPolicy(1)
			p.ResponseActions = tt.in
			err := p.Validate()
			if tt.mention == "" {
				if err != nil || !slices.Equal(p.ResponseActions, tt.want) || p.ResponseActions == nil {
					t.Fatalf("Validate = %v, actions %#v; want %#v", err, p.ResponseActions, tt.want)
				}
				return
			}
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
			msg := tandem.ErrorMessage(err)
			for _, s := range []string{tt.mention, "response_actions", "assign", "status", "time"} {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not name %s", msg, s)
				}
			}
		})
	}
}
