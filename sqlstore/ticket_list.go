package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// FindTickets implements tandem.TicketService. The list is newest first,
// paged by id (the cursor is the last id of the previous page), and costs a
// fixed number of queries per page: the tickets, their tags, their timers,
// and their pending handoffs when any is pending. Watchers, pauses and the
// timeline are FindTicket's.
//
// A requester sees each ticket as FindTicket shows it to them: no pending
// handoff, no acceptance clocks, and the SLA state of the clocks they see.
// Handoffs being the teams' business, the awaiting-acceptance filter is
// refused them (EFORBIDDEN), and their SLA-state filter matches the state
// they see.
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
	requester := a.IsRequesterRole()
	if requester && f.AwaitingAcceptance {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Handoffs are between the IT teams: requesters cannot list tickets awaiting acceptance. Leave the awaiting filter off.")
	}
	var wantState tandem.SLAState
	if requester && f.SLAState != "" {
		if err := checkSLAState(f.SLAState); err != nil {
			return nil, err
		}
		wantState, f.SLAState = f.SLAState, ""
	}
	sc, err := listScope(ctx, tx, a, f.OrganizationID)
	if err != nil {
		return nil, err
	}
	if sc.none {
		return &tandem.TicketPage{Tickets: []*tandem.Ticket{}}, nil
	}
	// A search reads its full-text matches once, for every organisation:
	// looking a ticket up in the full-text index costs far more than
	// reading on through the matches.
	// On PostgreSQL a tag is found through its own index (ticket_tags_tag)
	// for all the organisations at once; read one organisation at a time,
	// its plan without statistics hashed every ticket with the tag.
	perOrg := len(sc.orgs) > 0 && len(searchWords(f.Query)) == 0 && !(tx.db.dialect == Postgres && strings.TrimSpace(f.Tag) != "")
	cond, args := sc.cond, sc.args
	if perOrg {
		cond, args = "t.organization_id = ?", []any{sc.orgs[0]}
	}
	q, err := ticketFilter(cond, args, f, tx.db.dialect, perOrg, searchOrgs(a, sc, f))
	if err != nil {
		return nil, err
	}
	if perOrg {
		q.orgs = sc.orgs
	}
	if requester {
		return requesterPage(ctx, tx, a, q, wantState, cursor, limit)
	}
	list, pending, err := q.fetch(ctx, tx, cursor, limit+1)
	if err != nil {
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
	if err := loadPendingHandoffs(ctx, tx, pending); err != nil {
		return nil, err
	}
	return page, loadPeople(ctx, tx, a, page.Tickets)
}

// requesterPage is FindTickets for a requester: each ticket seen through
// requesterView, and the SLA-state filter (want, "" for none) applied to
// the state they see. That state differs from the stored one only for a
// ticket with an acceptance clock, so SQL keeps the tickets whose stored
// state matches or which have one, and Go decides the latter, reading
// batches until the page is full. A requester's tickets are their own and
// those they watch, so the batches stay few.
func requesterPage(ctx context.Context, tx *Tx, a *tandem.Actor, q *listQuery, want tandem.SLAState, cursor int64, limit int) (*tandem.TicketPage, error) {
	batch := limit + 1
	if want != "" {
		q.where += ` AND (t.sla_state = ? OR EXISTS (SELECT 1 FROM sla_timers x WHERE x.ticket_id = t.id AND x.kind = 'accept'))`
		q.args = append(q.args, want)
		batch = max(batch, 200)
	}
	list := []*tandem.Ticket{}
	for after := cursor; len(list) <= limit; {
		rows, _, err := q.fetch(ctx, tx, after, batch)
		if err != nil {
			return nil, err
		}
		if err := loadTimers(ctx, tx, rows); err != nil {
			return nil, err
		}
		for _, t := range rows {
			requesterView(t, tx.now)
			if want == "" || t.SLAState == want {
				list = append(list, t)
			}
		}
		if len(rows) < batch {
			break
		}
		after = rows[len(rows)-1].ID
	}
	page := &tandem.TicketPage{}
	page.Tickets, page.NextCursor = cutPage(list, limit, func(t *tandem.Ticket) int64 { return t.ID })
	if err := loadTags(ctx, tx, page.Tickets); err != nil {
		return nil, err
	}
	return page, loadPeople(ctx, tx, a, page.Tickets)
}

// listQuery is a ticket list's query: the tables, the conditions with their
// arguments, and the id column the list is ordered and paged by. With orgs,
// the conditions begin with "t.organization_id = ?" and the query runs once
// per organisation, driven by the organisation index (see listScope).
type listQuery struct {
	from, where, order string
	args               []any
	orgs               []int64
}

// fetch reads up to n tickets of the list with ids below after (0: from the
// newest), newest first, and the tickets with a pending handoff by the
// handoff's id. For several organisations it reads each one's first n
// through its own index and keeps the newest n of them all.
func (q *listQuery) fetch(ctx context.Context, tx *Tx, after int64, n int) ([]*tandem.Ticket, map[int64]*tandem.Ticket, error) {
	where, args := q.where, slices.Clone(q.args)
	if after != 0 {
		where += " AND " + q.order + " < ?"
		args = append(args, after)
	}
	query := `SELECT ` + ticketColumns + ` FROM ` + q.from + ` WHERE ` + where + ` ORDER BY ` + q.order + ` DESC LIMIT ?`
	args = append(args, n)
	if len(q.orgs) > 1 {
		parts := make([]string, len(q.orgs))
		all := make([]any, 0, len(q.orgs)*len(args)+1)
		for i, org := range q.orgs {
			parts[i] = `SELECT * FROM (` + query + `) AS o` + strconv.Itoa(i)
			all = append(all, org)
			all = append(all, args[1:]...)
		}
		query = strings.Join(parts, " UNION ALL ") + ` ORDER BY 1 DESC LIMIT ?`
		args = append(all, n)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	list := []*tandem.Ticket{}
	pending := map[int64]*tandem.Ticket{}
	for rows.Next() {
		t, p, err := scanTicket(rows)
		if err != nil {
			return nil, nil, err
		}
		if p != nil {
			pending[*p] = t
		}
		list = append(list, t)
	}
	return list, pending, rows.Err()
}

// checkSLAState refuses a state that is not one of tandem.SLAStates.
func checkSLAState(st tandem.SLAState) error {
	if !slices.Contains(tandem.SLAStates, st) {
		return tandem.Errorf(tandem.EINVALID, "SLA state %q is invalid: use none, ok, warning, breached, paused or met.", st)
	}
	return nil
}

// ticketFilter returns the query of a list: the actor's scope and the
// filter. The list is newest first with a LIMIT, so every plan must be able
// to read the rows in id order and stop early instead of sorting all
// matches: the filters are equalities on columns indexed together with id
// (see 0004_service_desk.sql), and on SQLite a search or a tag drives the
// query from the full-text index or the tag index, both read in id order.
// byOrg (SQLite, scope "t.organization_id = ?") keeps every other index out
// of the planner's choice with a unary +, and checks a tag row by row, so
// the organisation index drives: reading one organisation's tickets costs
// what that organisation holds, whatever the size of the installation.
//
// orgs, when set, are the only organisations whose tickets can be in the
// list: a SQLite search then asks the full-text index for their matches
// only, instead of every match of the installation.
func ticketFilter(scope string, args []any, f tandem.TicketFilter, dialect Dialect, byOrg bool, orgs []int64) (*listQuery, error) {
	q := &listQuery{from: "tickets t", order: "t.id"}
	conds := []string{scope}
	args = slices.Clone(args)
	add := func(cond string, v ...any) {
		// Not t.id: the few tickets awaiting acceptance are best read
		// from their list, through the organisation index.
		// (SQLite's unary plus keeps its planner off a column's index;
		// PostgreSQL's plans each organisation's read by its costs.)
		if byOrg && dialect == SQLite && strings.HasPrefix(cond, "t.") && !strings.HasPrefix(cond, "t.id ") {
			cond = "+" + cond
		}
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
		if err := checkSLAState(f.SLAState); err != nil {
			return nil, err
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
		add("tickets_fts MATCH ?", ftsQuery(words, orgs))
	}
	if tag := strings.ToLower(strings.TrimSpace(f.Tag)); tag != "" {
		if dialect == Postgres || len(words) > 0 || byOrg {
			add("EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)", tag)
		} else {
			q.from, q.order = "ticket_tags g JOIN tickets t ON t.id = g.ticket_id", "g.ticket_id"
			add("g.tag = ?", tag)
		}
	}
	q.where, q.args = strings.Join(conds, " AND "), args
	return q, nil
}

// maxOrgsPerOrgQuery is the most organisations a list reads one by one
// (listScope): each through its own index, newest first, so the plan does
// not depend on statistics — on PostgreSQL without them (autovacuum off,
// tables grown since the last ANALYZE) "WHERE organization_id IN (…) ORDER
// BY id DESC" walked the whole primary key backwards for two small, old
// organisations (66 ms at 200,000 tickets, BENCHMARKS.md).
const maxOrgsPerOrgQuery = 16

// scopeOfList is where a list looks: cond and args on tickets t; orgs, when
// set, lists the organisations to read one by one instead; none means the
// actor sees no organisation at all.
type scopeOfList struct {
	cond string
	args []any
	orgs []int64
	none bool
}

// listScope is ticketScope for a list. A provider technician's
// organisations are read first, so the list names them, narrowed to orgID
// when the filter names one. A few organisations are read one by one
// (orgs), each through the organisation index (ticketFilter's byOrg), and
// the newest of them kept: otherwise SQLite's planner, given a filter
// column's index, reads that index through every other organisation's
// tickets looking for theirs, a cost that grows with the installation
// rather than with the technician's customers. Given more, the list keeps
// them out of SQLite's index choice (a unary +), because its planner would
// otherwise read every ticket of those organisations through the index and
// sort them all for one page; cond is that plan, which a search uses
// whatever the number. PostgreSQL without fresh statistics walked the
// primary key through every organisation instead (maxOrgsPerOrgQuery).
func listScope(ctx context.Context, tx *Tx, a *tandem.Actor, orgID int64) (scopeOfList, error) {
	if a.SeesAllOrganizations() || a.Party != tandem.PartyProvider {
		cond, args := ticketScope(a)
		return scopeOfList{cond: cond, args: args}, nil
	}
	orgs, err := tx.queryIDs(ctx, `SELECT organization_id FROM user_organizations WHERE user_id = ? ORDER BY organization_id`, a.UserID)
	if err != nil {
		return scopeOfList{}, err
	}
	if a.OnlyOrganizationID != 0 {
		orgs = slices.DeleteFunc(orgs, func(id int64) bool { return id != a.OnlyOrganizationID })
	}
	if orgID != 0 {
		orgs = slices.DeleteFunc(orgs, func(id int64) bool { return id != orgID })
	}
	args := make([]any, len(orgs))
	for i, id := range orgs {
		args[i] = id
	}
	sc := scopeOfList{args: args}
	switch {
	case len(orgs) == 0:
		return scopeOfList{none: true}, nil
	case len(orgs) == 1:
		sc.cond = "t.organization_id = ?"
	case tx.db.dialect == Postgres:
		sc.cond = "t.organization_id IN (" + marks(len(orgs)) + ")"
	default:
		sc.cond = "+t.organization_id IN (" + marks(len(orgs)) + ")"
	}
	if len(orgs) <= maxOrgsPerOrgQuery {
		sc.orgs = orgs
	}
	return sc, nil
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

// ftsQuery is an FTS5 query finding tickets holding every word in their
// title or description, each as a prefix: {title description}: ("printer"*
// AND "jam"*). A one-letter word must match whole: as a prefix it would
// match most of the index, and cost as much. Given organisations, the query
// also matches the indexed organisation id, so the index returns their
// tickets only.
func ftsQuery(words []string, orgs []int64) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + w + `"`
		if utf8.RuneCountInString(w) > 1 {
			parts[i] += "*"
		}
	}
	q := "{title description}: (" + strings.Join(parts, " AND ") + ")"
	if len(orgs) == 0 {
		return q
	}
	ids := make([]string, len(orgs))
	for i, id := range orgs {
		ids[i] = `"` + strconv.FormatInt(id, 10) + `"`
	}
	return "organization_id: (" + strings.Join(ids, " OR ") + ") AND " + q
}

// searchOrgs returns the organisations a list can hold when they are few and
// known: the one the filter names, a provider technician's few (listScope),
// or an internal user's own. Nil means any in scope.
func searchOrgs(a *tandem.Actor, sc scopeOfList, f tandem.TicketFilter) []int64 {
	switch {
	case f.OrganizationID != 0:
		return []int64{f.OrganizationID}
	case len(sc.orgs) > 0:
		return sc.orgs
	case a.Party == tandem.PartyInternal && !a.System && a.OrganizationID != 0:
		return []int64{a.OrganizationID}
	}
	return nil
}

// tsQuery is the PostgreSQL equivalent of ftsQuery: printer:* & jam:*.
func tsQuery(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w
		if utf8.RuneCountInString(w) > 1 {
			parts[i] += ":*"
		}
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
