package sqlstore

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/tandemhq/tandem"
)

// FindTickets implements tandem.TicketService. The list is newest first,
// paged by id (the cursor is the last id of the previous page), and costs a
// fixed number of queries per page: the tickets, their tags, their timers,
// and their pending handoffs when any is pending. Watchers, pauses and the
// timeline are FindTicket's.
func (s *TicketService) FindTickets(ctx context.Context, f tandem.TicketFilter) (*tandem.TicketPage, error) {
	a, tx, err := s.db.readAs(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	cursor, err := parseCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	scope, scopeArgs, err := listScope(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	if scope == "" {
		return &tandem.TicketPage{Tickets: []*tandem.Ticket{}}, nil
	}
	q, err := ticketFilter(scope, scopeArgs, f, tx.db.dialect)
	if err != nil {
		return nil, err
	}
	if cursor != 0 {
		q.where += " AND " + q.order + " < ?"
		q.args = append(q.args, cursor)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+ticketColumns+` FROM `+q.from+` WHERE `+q.where+` ORDER BY `+q.order+` DESC LIMIT ?`, append(q.args, limit+1)...)
	if err != nil {
		return nil, err
	}
	list := []*tandem.Ticket{}
	pending := map[int64]*tandem.Ticket{}
	for rows.Next() {
		t, p, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if p != nil {
			pending[*p] = t
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	page := &tandem.TicketPage{}
	page.Tickets, page.NextCursor = cutPage(list, limit, func(t *tandem.Ticket) int64 { return t.ID })
	if err := loadTags(ctx, tx, page.Tickets); err != nil {
		return nil, err
	}
	if err := loadTimers(ctx, tx, page.Tickets); err != nil {
		return nil, err
	}
	if a.IsRequesterRole() {
		for _, t := range page.Tickets {
			t.Timers = requesterTimers(t.Timers)
		}
	} else if err := loadPendingHandoffs(ctx, tx, pending); err != nil {
		return nil, err
	}
	return page, nil
}

// listQuery is a ticket list's query: the tables, the conditions with their
// arguments, and the id column the list is ordered and paged by.
type listQuery struct {
	from, where, order string
	args               []any
}

// ticketFilter returns the query of a list: the actor's scope and the
// filter. The list is newest first with a LIMIT, so every plan must be able
// to read the rows in id order and stop early instead of sorting all
// matches: the filters are equalities on columns indexed together with id
// (see 0004_service_desk.sql), and on SQLite a search or a tag drives the
// query from the full-text index or the tag index, both read in id order.
func ticketFilter(scope string, args []any, f tandem.TicketFilter, dialect Dialect) (*listQuery, error) {
	q := &listQuery{from: "tickets t", order: "t.id"}
	conds := []string{scope}
	add := func(cond string, v ...any) {
		conds = append(conds, cond)
		args = append(args, v...)
	}
	if f.OrganizationID != 0 {
		add("t.organization_id = ?", f.OrganizationID)
	}
	if f.Party != "" && f.Party != tandem.PartyInternal && f.Party != tandem.PartyProvider {
		return nil, tandem.Errorf(tandem.EINVALID, "Party %q is invalid: use internal or provider.", f.Party)
	}
	// The few tickets waiting for a handoff come from their partial index.
	switch {
	case f.AwaitingAcceptance && f.Party != "":
		add(`t.id IN (SELECT p.id FROM tickets p JOIN ticket_handoffs h ON h.id = p.pending_handoff_id
			WHERE p.pending_handoff_id IS NOT NULL AND h.to_party = ?)`, f.Party)
	case f.AwaitingAcceptance:
		add("t.id IN (SELECT p.id FROM tickets p WHERE p.pending_handoff_id IS NOT NULL)")
	case f.Party != "":
		add("t.owning_party = ?", f.Party)
	}
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, tandem.Errorf(tandem.EINVALID, "Status %q is invalid: use new, open, pending-customer, pending-third-party, resolved or closed.", st)
		}
	}
	switch len(f.Statuses) {
	case 0:
	case 1:
		add("t.status = ?", f.Statuses[0])
	default:
		in := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = st
		}
		add("t.status IN ("+marks(len(in))+")", in...)
	}
	if f.Open {
		// Written exactly as the partial indexes' condition, so they apply.
		add("t.status NOT IN ('resolved', 'closed')")
	}
	if f.Priority != 0 {
		if !f.Priority.Valid() {
			return nil, tandem.Errorf(tandem.EINVALID, "Priority %d is invalid: use 1 to 5.", f.Priority)
		}
		add("t.priority = ?", f.Priority)
	}
	if f.SLAState != "" {
		valid := false
		for _, st := range tandem.SLAStates {
			valid = valid || st == f.SLAState
		}
		if !valid {
			return nil, tandem.Errorf(tandem.EINVALID, "SLA state %q is invalid: use none, ok, warning, breached, paused or met.", f.SLAState)
		}
		add("t.sla_state = ?", f.SLAState)
	}
	if f.AssigneeID != 0 {
		add("t.assignee_id = ?", f.AssigneeID)
	}
	if f.Unassigned {
		add("t.assignee_id IS NULL")
	}
	if f.RequesterID != 0 {
		add("t.requester_id = ?", f.RequesterID)
	}
	if f.AreaID != 0 {
		add("t.area_id = ?", f.AreaID)
	}
	words := searchWords(f.Query)
	switch {
	case len(words) > 0 && dialect == Postgres:
		add("t.search @@ to_tsquery('simple', ?)", tsQuery(words))
	case len(words) > 0:
		q.from, q.order = "tickets_fts f JOIN tickets t ON t.id = f.rowid", "f.rowid"
		add("tickets_fts MATCH ?", ftsQuery(words))
	}
	if tag := strings.ToLower(strings.TrimSpace(f.Tag)); tag != "" {
		if dialect == Postgres || len(words) > 0 {
			add("EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)", tag)
		} else {
			q.from, q.order = "ticket_tags g JOIN tickets t ON t.id = g.ticket_id", "g.ticket_id"
			add("g.tag = ?", tag)
		}
	}
	q.where, q.args = strings.Join(conds, " AND "), args
	return q, nil
}

// listScope is ticketScope for a list. A provider technician's
// organisations are read first, so the list names them: one becomes an
// equality the organisation index serves in id order; several stay out of
// SQLite's index choice (a unary +), because its planner would otherwise
// read every ticket of those organisations through the index and sort them
// all for one page. "" means the actor sees no organisation at all.
func listScope(ctx context.Context, tx *Tx, a *tandem.Actor) (string, []any, error) {
	if a.SeesAllOrganizations() || a.Party != tandem.PartyProvider {
		scope, args := ticketScope(a)
		return scope, args, nil
	}
	orgs, err := tx.queryIDs(ctx, `SELECT organization_id FROM user_organizations WHERE user_id = ? ORDER BY organization_id`, a.UserID)
	if err != nil {
		return "", nil, err
	}
	if a.OnlyOrganizationID != 0 {
		orgs = slices.DeleteFunc(orgs, func(id int64) bool { return id != a.OnlyOrganizationID })
	}
	args := make([]any, len(orgs))
	for i, id := range orgs {
		args[i] = id
	}
	switch {
	case len(orgs) == 0:
		return "", nil, nil
	case len(orgs) == 1:
		return "t.organization_id = ?", args, nil
	case tx.db.dialect == Postgres:
		return "t.organization_id IN (" + marks(len(orgs)) + ")", args, nil
	}
	return "+t.organization_id IN (" + marks(len(orgs)) + ")", args, nil
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// maxSearchWords bounds a search, so a pasted paragraph stays cheap.
const maxSearchWords = 8

// searchWords splits a search into words of letters and digits, lower-cased;
// everything else (quotes, operators, punctuation) separates words, so no
// input can form query syntax of either database.
func searchWords(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	return words
}

// ftsQuery is an FTS5 query finding tickets holding every word, each as a
// prefix: "printer"* "jam"*.
func ftsQuery(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + w + `"*`
	}
	return strings.Join(parts, " ")
}

// tsQuery is the PostgreSQL equivalent of ftsQuery: printer:* & jam:*.
func tsQuery(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w + ":*"
	}
	return strings.Join(parts, " & ")
}

// loadPendingHandoffs fills the pending handoffs of a page, by handoff id,
// in one query.
func loadPendingHandoffs(ctx context.Context, tx *Tx, byHandoff map[int64]*tandem.Ticket) error {
	if len(byHandoff) == 0 {
		return nil
	}
	args := make([]any, 0, len(byHandoff))
	for id := range byHandoff {
		args = append(args, id)
	}
	list, err := findHandoffs(ctx, tx, `id IN (`+marks(len(args))+`)`, args...)
	if err != nil {
		return err
	}
	for _, h := range list {
		if t := byHandoff[h.ID]; t != nil && t.ID == h.TicketID {
			t.PendingHandoff = h
		}
	}
	return nil
}
