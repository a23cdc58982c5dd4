package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// ticketFacts is what the notification rules need to know of a ticket.
type ticketFacts struct {
	id, orgID   int64
	title       string
	priority    tandem.Priority
	status      tandem.TicketStatus
	owner       tandem.PartyKind
	areaID      *int64
	area        string
	requesterID int64
	assigneeID  *int64
}

// loadTicketFacts reads the facts of the tickets, in one query. The
// events of an update are recorded before its row is saved, so what an
// event changes (the status it moves to, the assignee) is read from the
// event, not from here.
func (tx *Tx) loadTicketFacts(ctx context.Context, ids []int64) (map[int64]*ticketFacts, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	facts := map[int64]*ticketFacts{}
	err := tx.eachRow(ctx, `SELECT t.id, t.organization_id, t.title, t.priority, t.status, t.owning_party, t.area_id, COALESCE(a.name, ''),
		t.requester_id, t.assignee_id FROM tickets t LEFT JOIN service_areas a ON a.id = t.area_id WHERE t.id IN (`+marks(len(ids))+`)`, args,
		func(rows *sql.Rows) error {
			f := &ticketFacts{}
			var pr int
			if err := rows.Scan(&f.id, &f.orgID, &f.title, &pr, &f.status, &f.owner, &f.areaID, &f.area, &f.requesterID, &f.assigneeID); err != nil {
				return err
			}
			f.priority = tandem.Priority(pr)
			facts[f.id] = f
			return nil
		})
	return facts, err
}

// message is a notification about the ticket: "[#42] Printer jams — new
// reply", linking to the ticket's page, carrying content of visibility v
// written by party author (party-only content only for that party).
func (f *ticketFacts) message(kind tandem.NotificationKind, what, body string, v tandem.Visibility, author tandem.PartyKind) *message {
	id, org := f.id, f.orgID
	m := &message{orgID: &org, ticketID: &id, kind: kind, priority: f.priority,
		subject: fmt.Sprintf("[#%d] %s — %s", f.id, strings.Join(strings.Fields(f.title), " "), what),
		body:    body, link: "/tickets/" + strconv.FormatInt(f.id, 10),
		teams: v != tandem.VisibilityPublic}
	if v == tandem.VisibilityParty {
		m.party = author
	}
	return m
}

// eventText reads a value an event's data holds as text: a status, a
// party, a timer kind ("" when absent).
func eventText(e *tandem.Event, key string) string {
	v, ok := e.Data[key]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// eventID reads a user or record id an event's data holds, whether it was
// written in this transaction (int64, *int64) or read back (float64).
func eventID(e *tandem.Event, key string) (int64, bool) {
	switch v := e.Data[key].(type) {
	case int64:
		return v, true
	case *int64:
		if v != nil {
			return *v, true
		}
	case float64:
		return int64(v), true
	case int:
		return int64(v), true
	}
	return 0, false
}
