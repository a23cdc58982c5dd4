package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandemhq/tandem"
)

// harborCalendar is Harbor Logistics' office: a Chicago warehouse open on
// weekdays from seven to six, closed on US public holidays. Maple Dental keeps
// the default 24×7 policy.
const harborCalendar = `{"timezone":"America/Chicago","hours":{"mon":[["07:00","18:00"]],"tue":[["07:00","18:00"]],"wed":[["07:00","18:00"]],"thu":[["07:00","18:00"]],"fri":[["07:00","18:00"]]},"holidays":["2026-11-26","2026-11-27","2026-12-24","2026-12-25","2027-01-01","2027-01-18","2027-05-31","2027-07-05","2027-09-06","2027-11-25","2027-11-26","2027-12-24"]}`

// step is one thing a demo user does to a ticket after opening it.
type step struct {
	by      string // email of the user acting
	comment string
	vis     tandem.Visibility
	status  tandem.TicketStatus
	assign  bool // assign the ticket to the acting user
	handoff string
	accept  bool // accept the pending handoff
	decline string
	minutes int // log time
}

// demoTicket is a ticket of the demo: who opens it, in which area, and what
// happens next, so the desk shows every status, every visibility and
// handoffs waiting, accepted and declined.
type demoTicket struct {
	org, requester, by string
	area               string
	title, body        string
	impact, urgency    tandem.Level
	tags               []string
	steps              []step
}

var tickets = []demoTicket{
	{org: "harbor-logistics", requester: "warehouse@harbor.example", by: "warehouse@harbor.example", area: "end-user-support",
		title: "Handheld scanner in bay 4 drops off the Wi-Fi", impact: tandem.LevelMedium, urgency: tandem.LevelHigh, tags: []string{"warehouse", "wifi"},
		body: "Since Monday the **Zebra scanner** in bay 4 loses the network every few minutes. We restart it and it works for a while.\n\n- Scanner: TC52, asset 4471\n- Happens only at the far end of the bay",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, status: tandem.StatusOpen, comment: "Thanks Eli, I'll come by this afternoon with a spare scanner so you can keep working.", vis: tandem.VisibilityPublic},
			{by: "it.tech@harbor.example", comment: "Signal at the far end of bay 4 is -78 dBm. Probably the AP above dock door 6 died.", vis: tandem.VisibilityTeams, minutes: 35},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "it.manager@harbor.example", area: "cybersecurity",
		title: "Impossible-travel sign-in alerts for the dispatch mailbox", impact: tandem.LevelHigh, urgency: tandem.LevelHigh, tags: []string{"security", "m365"},
		body: "Defender flagged two sign-ins to dispatch@ from Lagos and Chicago ten minutes apart. Nobody in dispatch travels.",
		steps: []step{
			{by: "tech@northwind-msp.example", assign: true, status: tandem.StatusOpen, comment: "On it. I've revoked the mailbox sessions and forced a password reset; reviewing the sign-in logs now.", vis: tandem.VisibilityPublic, minutes: 40},
			{by: "tech@northwind-msp.example", comment: "Legacy IMAP auth is still enabled tenant-wide, which is how they got in. Proposing to disable it at the next change window.", vis: tandem.VisibilityTeams},
			{by: "noc@northwind-msp.example", comment: "Same source IP hit two other clients this week; adding it to the shared block list.", vis: tandem.VisibilityParty},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "noc@northwind-msp.example", area: "backup-recovery",
		title: "Nightly backup of FS01 failed three nights running", impact: tandem.LevelMedium, urgency: tandem.LevelMedium, tags: []string{"backup"},
		body: "Job `FS01-nightly` ends with *VSS snapshot timed out*. Last good restore point: Sunday 02:00.",
		steps: []step{
			{by: "noc@northwind-msp.example", assign: true, status: tandem.StatusOpen, minutes: 25},
			{by: "noc@northwind-msp.example", comment: "Opened case 01982233 with the backup vendor; waiting for their engineer.", vis: tandem.VisibilityPublic, status: tandem.StatusPendingThirdParty},
		}},
	{org: "harbor-logistics", requester: "warehouse@harbor.example", by: "it.tech@harbor.example", area: "hardware-deployment",
		title: "Laptop for the new shift supervisor", impact: tandem.LevelLow, urgency: tandem.LevelMedium, tags: []string{"onboarding"},
		body: "New shift supervisor starts next Monday and needs a laptop with the WMS client.",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, status: tandem.StatusOpen},
			{by: "it.tech@harbor.example", comment: "Eli, what is the new supervisor's name and which shift will they work? I need it for the accounts.", vis: tandem.VisibilityPublic, status: tandem.StatusPendingCustomer},
		}},
	{org: "harbor-logistics", requester: "warehouse@harbor.example", by: "it.tech@harbor.example", area: "on-site-troubleshooting",
		title: "Label printer at the shipping desk prints blank labels", impact: tandem.LevelMedium, urgency: tandem.LevelHigh, tags: []string{"printer"},
		body: "The Zebra ZT411 feeds labels but prints nothing since the firmware update on Tuesday.",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, status: tandem.StatusOpen, comment: "Reseated the ribbon and ran a calibration: still blank. Rolling back firmware needs the vendor tool we don't have.", vis: tandem.VisibilityTeams, minutes: 30},
			{by: "it.tech@harbor.example", handoff: "Firmware rollback needs the vendor's service tool and a support contract; Northwind holds both."},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "it.manager@harbor.example", area: "end-user-support",
		title: "VPN is slow for the remote dispatchers", impact: tandem.LevelMedium, urgency: tandem.LevelMedium, tags: []string{"network"},
		body: "Remote dispatchers report the TMS takes 20 seconds per screen over VPN since last week.",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, status: tandem.StatusOpen, minutes: 20},
			{by: "it.tech@harbor.example", handoff: "Looks like the firewall's VPN throughput licence, not the laptops: the firewall is managed by Northwind."},
			{by: "tech@northwind-msp.example", accept: true, comment: "Accepted. The firewall is capped at 50 Mbit/s for SSL VPN; checking the licence tier.", vis: tandem.VisibilityTeams, minutes: 45},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "tech@northwind-msp.example", area: "cloud-infrastructure",
		title: "Move the WMS reporting database to a bigger Azure tier", impact: tandem.LevelLow, urgency: tandem.LevelLow,
		body: "Reports time out at month end. Proposal: move from S2 to S4 for the last three days of each month.",
		steps: []step{
			{by: "tech@northwind-msp.example", handoff: "This is a budget decision for Harbor's IT manager before we change anything."},
			{by: "it.manager@harbor.example", decline: "Please price it first and bring it to the quarterly review; no change until then."},
		}},
	{org: "harbor-logistics", requester: "warehouse@harbor.example", by: "warehouse@harbor.example", area: "end-user-support",
		title: "Locked out of the time clock app", impact: tandem.LevelLow, urgency: tandem.LevelHigh,
		body: "I typed my PIN wrong too many times.",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, comment: "Unlocked. Try again and tell me if it works.", vis: tandem.VisibilityPublic, status: tandem.StatusResolved, minutes: 5},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "it.manager@harbor.example", area: "hardware-deployment",
		title: "Replace the boardroom projector", impact: tandem.LevelLow, urgency: tandem.LevelLow, tags: []string{"hardware"},
		body: "The boardroom projector bulb is dim; replace the unit with a 75\" screen.",
		steps: []step{
			{by: "it.tech@harbor.example", assign: true, status: tandem.StatusOpen, minutes: 90},
			{by: "it.tech@harbor.example", comment: "Screen mounted and tested with the meeting-room PC.", vis: tandem.VisibilityPublic, status: tandem.StatusResolved},
			{by: "it.manager@harbor.example", status: tandem.StatusClosed},
		}},
	{org: "harbor-logistics", requester: "it.manager@harbor.example", by: "it.manager@harbor.example", area: "strategic-planning",
		title: "Plan the retirement of the last Windows 10 PCs", impact: tandem.LevelMedium, urgency: tandem.LevelLow,
		body: "Twelve warehouse PCs still run Windows 10. We need a plan and a budget for next year."},
	{org: "maple-dental", requester: "frontdesk@mapledental.example", by: "frontdesk@mapledental.example", area: "business-systems",
		title: "Imaging software will not open in operatory 2", impact: tandem.LevelHigh, urgency: tandem.LevelHigh, tags: []string{"imaging"},
		body: "The X-ray imaging software shows *license server not found* in operatory 2. Patients are waiting.",
		steps: []step{
			{by: "it@mapledental.example", assign: true, status: tandem.StatusOpen, comment: "Hannah here, looking now. Use operatory 3 for X-rays meanwhile.", vis: tandem.VisibilityPublic},
			{by: "it@mapledental.example", handoff: "The licence server VM is down and I have no access to the hypervisor."},
			{by: "tech@northwind-msp.example", accept: true, comment: "The VM host rebooted for patches and the licence VM did not auto-start. Started it and set it to start automatically.", vis: tandem.VisibilityPublic, minutes: 25},
		}},
	{org: "maple-dental", requester: "frontdesk@mapledental.example", by: "frontdesk@mapledental.example", area: "end-user-support",
		title: "Front desk printer jams on every envelope", impact: tandem.LevelLow, urgency: tandem.LevelLow, tags: []string{"printer"},
		body: "Envelopes jam in the front-desk printer. Paper is fine."},
	{org: "maple-dental", requester: "it@mapledental.example", by: "tech@northwind-msp.example", area: "patch-management",
		title: "November patch rollout to the practice PCs", impact: tandem.LevelMedium, urgency: tandem.LevelLow, tags: []string{"patching"},
		body: "Monthly cumulative updates for the 18 practice PCs, after hours.",
		steps: []step{
			{by: "tech@northwind-msp.example", assign: true, status: tandem.StatusOpen, minutes: 60},
			{by: "tech@northwind-msp.example", comment: "All 18 PCs patched and rebooted; imaging workstation verified.", vis: tandem.VisibilityPublic, status: tandem.StatusResolved},
		}},
}

// loadTickets gives Harbor Logistics a business calendar and SLA policy and
// opens the demo tickets, each worked by the users who would work it.
func loadTickets(ctx context.Context, s Services, orgIDs map[string]int64, byEmail map[string]*tandem.User) error {
	harbor := orgIDs["harbor-logistics"]
	cal := &tandem.BusinessCalendar{OrganizationID: harbor, Name: "Chicago warehouse hours", Definition: json.RawMessage(harborCalendar)}
	if err := s.SLA.CreateCalendar(ctx, cal); err != nil {
		return fmt.Errorf("demo calendar: %w", err)
	}
	policy := tandem.DefaultSLAPolicy(harbor)
	policy.CalendarID = &cal.ID
	if err := s.SLA.UpdateSLAPolicy(ctx, policy); err != nil {
		return fmt.Errorf("demo SLA policy: %w", err)
	}
	for _, dt := range tickets {
		orgID := orgIDs[dt.org]
		areas, err := s.Matrix.FindServiceAreas(ctx, orgID)
		if err != nil {
			return err
		}
		var area *int64
		for _, a := range areas {
			if a.Key == dt.area {
				area = &a.ID
			}
		}
		t, err := s.Tickets.CreateTicket(as(ctx, byEmail[dt.by]), tandem.TicketInput{
			OrganizationID: orgID, RequesterID: byEmail[dt.requester].ID, Title: dt.title, Description: dt.body,
			AreaID: area, Impact: dt.impact, Urgency: dt.urgency, Tags: dt.tags,
		})
		if err != nil {
			return fmt.Errorf("demo ticket %q: %w", dt.title, err)
		}
		for _, st := range dt.steps {
			if err := st.apply(as(ctx, byEmail[st.by]), s.Tickets, t.ID, byEmail[st.by]); err != nil {
				return fmt.Errorf("demo ticket %q: %w", dt.title, err)
			}
		}
	}
	return nil
}

// apply does one step on ticket id as user u.
func (st step) apply(ctx context.Context, desk tandem.TicketService, id int64, u *tandem.User) error {
	if st.accept || st.decline != "" {
		t, err := desk.FindTicket(ctx, id)
		if err != nil {
			return err
		}
		if t.PendingHandoff == nil {
			return fmt.Errorf("no handoff to answer")
		}
		if _, err := desk.AnswerHandoff(ctx, id, t.PendingHandoff.ID, st.accept, st.decline); err != nil {
			return err
		}
	}
	if st.assign {
		if _, err := desk.UpdateTicket(ctx, id, tandem.TicketUpdate{AssigneeID: &u.ID}); err != nil {
			return err
		}
	}
	if st.comment != "" {
		in := tandem.CommentInput{Body: st.comment, Visibility: st.vis}
		if st.status != "" {
			in.Status = &st.status
		}
		if _, err := desk.AddComment(ctx, id, in); err != nil {
			return err
		}
	} else if st.status != "" {
		if _, err := desk.UpdateTicket(ctx, id, tandem.TicketUpdate{Status: &st.status}); err != nil {
			return err
		}
	}
	if st.minutes > 0 {
		if err := desk.AddTimeEntry(ctx, id, &tandem.TimeEntry{Minutes: st.minutes, Billable: u.Party == tandem.PartyProvider}); err != nil {
			return err
		}
	}
	if st.handoff != "" {
		if _, err := desk.RequestHandoff(ctx, id, st.handoff); err != nil {
			return err
		}
	}
	return nil
}

// as returns ctx acting as the demo user u.
func as(ctx context.Context, u *tandem.User) context.Context {
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return tandem.NewContextWithActor(ctx, a)
}
