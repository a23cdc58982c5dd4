package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// ticketScope returns a SQL condition on the tickets table (alias t) limiting
// rows to the tickets the actor may see: the tickets of the organisations in
// scope, and for a requester only those they requested or watch.
func ticketScope(a *tandem.Actor) (string, []any) {
	cond, args := orgScope(a, "t.organization_id")
	if a.IsRequesterRole() {
		cond += " AND (t.requester_id = ? OR EXISTS (SELECT 1 FROM ticket_watchers w WHERE w.ticket_id = t.id AND w.user_id = ?))"
		args = append(args, a.UserID, a.UserID)
	}
	return cond, args
}

// visibilityScope returns a SQL condition on a table with visibility and
// party columns (alias e) limiting rows to what the actor may read. It is
// tandem.Actor.CanSee in SQL; a test keeps the two equal.
func visibilityScope(a *tandem.Actor, alias string) (string, []any) {
	switch {
	case a.System:
		return "1=1", nil
	case a.IsRequesterRole():
		return alias + ".visibility = 'public'", nil
	default:
		return "(" + alias + ".visibility IN ('public', 'teams') OR (" + alias + ".visibility = 'party' AND " + alias + ".party = ?))", []any{string(a.Party)}
	}
}

// scopedTicketOrg returns the organisation of a ticket in the actor's scope,
// or ENOTFOUND: how every method on one ticket begins.
func scopedTicketOrg(ctx context.Context, tx *Tx, a *tandem.Actor, ticketID int64) (int64, error) {
	scope, args := ticketScope(a)
	var orgID int64
	err := tx.QueryRowContext(ctx, `SELECT t.organization_id FROM tickets t WHERE t.id = ? AND `+scope,
		append([]any{ticketID}, args...)...).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "Ticket %d not found.", ticketID)
	}
	return orgID, err
}

// addEvent appends entries to a ticket's timeline at the transaction's
// time, in one statement. The actor's user and party author an entry
// unless it names them (the system's entries, such as SLA warnings, have
// neither).
func (tx *Tx) addEvent(ctx context.Context, events ...*tandem.Event) error {
	if len(events) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO ticket_events (ticket_id, kind, visibility, party, actor_id, body, data, created_at) VALUES `)
	args := make([]any, 0, 8*len(events))
	for i, e := range events {
		if e.Visibility == "" {
			e.Visibility = tandem.VisibilityPublic
		}
		var data any
		if len(e.Data) > 0 {
			b, err := json.Marshal(e.Data)
			if err != nil {
				return err
			}
			data = string(b)
		}
		e.CreatedAt = tx.now
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, e.TicketID, e.Kind, e.Visibility, string(e.Party), e.ActorID, e.Body, data, at(e.CreatedAt))
	}
	ids, err := tx.queryIDs(ctx, q.String()+" RETURNING id", args...)
	if err != nil {
		return err
	}
	// The rows are numbered in VALUES order; RETURNING may list them in any.
	slices.Sort(ids)
	for i, e := range events {
		e.ID = ids[i]
	}
	return tx.notifyEvents(ctx, events)
}

// eventBy returns an event authored by the actor (nil user for the system).
func eventBy(a *tandem.Actor, ticketID int64, kind tandem.EventKind, v tandem.Visibility, body string, data map[string]any) *tandem.Event {
	e := &tandem.Event{TicketID: ticketID, Kind: kind, Visibility: v, Body: body, Data: data}
	if !a.System && a.UserID != 0 {
		id := a.UserID
		e.ActorID, e.Party = &id, a.Party
	}
	return e
}

func ticketTarget(id int64) string { return "ticket:" + strconv.FormatInt(id, 10) }
