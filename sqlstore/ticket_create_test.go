package sqlstore_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// CreateTicket answers the ticket it stored without reading it back: what it
// returns is what a later read finds, to the timer ids, the instants and the
// SLA state, on a policy with business hours in another time zone and with
// tags, watchers and an assignee.
func TestTicketCreateReturnsWhatIsStored(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		s := sqlstore.NewSLAService(db)
		cal := &tandem.BusinessCalendar{OrganizationID: d.Org.ID, Name: "Office", Definition: json.RawMessage(officeHours)}
		if err := s.CreateCalendar(d.as(d.ITAdmin), cal); err != nil {
			t.Fatal(err)
		}
		p := tandem.DefaultSLAPolicy(d.Org.ID)
		p.CalendarID = &cal.ID
		if err := s.UpdateSLAPolicy(d.as(d.ITAdmin), p); err != nil {
			t.Fatal(err)
		}
		d.Clock.Advance(17*time.Hour + 1234567*time.Nanosecond) // after hours in Berlin, not on a microsecond
		area := d.area("end-user-support")
		in := tandem.TicketInput{OrganizationID: d.Org.ID, Title: "Printer jams", Description: "Every page.", AreaID: &area,
			Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh, Tags: []string{"printer", "floor-2", "urgent"},
			AssigneeID: &d.ITTech.ID, Watchers: []int64{d.Requester2.ID, d.ITAdmin.ID, d.Requester2.ID}}
		for _, u := range []*tandem.User{d.ITTech, d.Requester} {
			in := in
			if u.Role == tandem.RoleRequester {
				in.AssigneeID, in.Watchers = nil, nil
			}
			created, err := d.Tickets.CreateTicket(d.as(u), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(created.Timers) == 0 || created.SLAState == tandem.SLANone {
				t.Fatalf("created as %s: SLA state %s with %d timers, want running clocks", u.Email, created.SLAState, len(created.Timers))
			}
			found, err := d.Tickets.FindTicket(d.as(u), created.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(created)
			want, _ := json.Marshal(found)
			if string(got) != string(want) {
				t.Errorf("created as %s:\n%s\nread back:\n%s", u.Email, got, want)
			}
		}
	})
}
