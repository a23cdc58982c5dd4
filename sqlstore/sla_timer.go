package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// syncTimers brings the sla_timers rows and tickets.sla_state of one ticket
// in line with its current state (status, priority, pauses, first response,
// handoffs) and its organisation's SLA policy and calendar. The ticket
// service calls it, in the same transaction, after every change to a ticket;
// it is idempotent but for one thing: a timer found run out before the
// worker came round gets its breach recorded first (recordBreaches).
func (tx *Tx) syncTimers(ctx context.Context, ticketID int64) error {
	_, _, err := tx.syncTicketTimers(ctx, false, `t.id = ?`, ticketID)
	return err
}

// storeNewTimers writes, in one statement, the timers planned for the new
// ticket t (which has its id), and returns them as a read would (ids set,
// instants in UTC to the microsecond). A new ticket has no handoffs: its
// timers differ by kind.
func (tx *Tx) storeNewTimers(ctx context.Context, t *tandem.Ticket, planned []*tandem.Timer) ([]*tandem.Timer, error) {
	if len(planned) == 0 {
		return planned, nil
	}
	rows := make([][]any, len(planned))
	byKind := make(map[tandem.TimerKind]*tandem.Timer, len(planned))
	for i, p := range planned {
		p.TicketID = t.ID
		rows[i] = timerInsertArgs(t.OrganizationID, t.Priority, p)
		byKind[p.Kind] = p
	}
	var q strings.Builder
	q.WriteString(timerInsertPrefix)
	args := valuesList(&q, len(timerInsertCols), rows)
	q.WriteString(" RETURNING id, kind")
	err := tx.eachRow(ctx, q.String(), args, func(rows *sql.Rows) error {
		var id int64
		var kind tandem.TimerKind
		if err := rows.Scan(&id, &kind); err != nil {
			return err
		}
		byKind[kind].ID = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert the timers of ticket %d: %w", t.ID, err)
	}
	for _, tm := range planned {
		storedInstants(tm)
	}
	return planned, nil
}

// storedInstant is t as the database gives it back: UTC, to the microsecond.
func storedInstant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedInstants sets a timer's instants as the database gives them back.
func storedInstants(tm *tandem.Timer) {
	tm.StartedAt = storedInstant(tm.StartedAt)
	for _, p := range []**time.Time{&tm.DueAt, &tm.WarnAt, &tm.WarnedAt, &tm.BreachedAt, &tm.MetAt} {
		if *p != nil {
			v := storedInstant(**p)
			*p = &v
		}
	}
}

// recomputeOrgTimers does what syncTimers does for every ticket of an
// organisation that is not closed, in a few queries rather than one round
// per ticket: when a policy change starts or stops a class of clocks. The
// caller has recorded the breaches due before the change
// (recordDueBreaches). It returns how many tickets
// it recomputed.
func (tx *Tx) recomputeOrgTimers(ctx context.Context, orgID int64) (int, error) {
	n, _, err := tx.syncTicketTimers(ctx, true, `t.organization_id = ? AND t.status <> 'closed'`, orgID)
	return n, err
}

// recomputeAfterPolicy finishes a change of an organisation's policy or
// calendar: it brings the timers in line with the settings as they now
// are, and returns how many tickets it recomputed. No clock's origin moves: a change of
// calendar counts from now on (sla_policies.clock_history), so the time
// every clock has used stays as it was counted, and a change of targets
// leaves the origins alone. Only the tickets whose clocks cross a warning
// share or a target between the two policies change state
// (crossingTickets), with those whose breaches the change recorded first;
// the due instants of the others follow from their origins on every read. When a target is set where there was none, or
// removed, clocks start or stop on every ticket: each ticket that is not
// closed is recomputed.
func (tx *Tx) recomputeAfterPolicy(ctx context.Context, change *settingsChange) (int, error) {
	orgID, old := change.orgID, change.old
	now, err := loadOrgClock(ctx, tx, orgID)
	if err != nil {
		return 0, err
	}
	if startsOrStops(orgID, old.policy, now.policy) {
		return tx.recomputeOrgTimers(ctx, orgID)
	}
	crossing, err := tx.crossingTickets(ctx, orgID, old.clock, old.policy, now.policy)
	if err != nil {
		return 0, err
	}
	// The tickets whose breaches the change recorded first are resynced
	// too: their stored state is still the one before.
	ids := slices.Compact(slices.Sorted(slices.Values(append(crossing, change.breached...))))
	for chunk := range slices.Chunk(ids, bulkBatch) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, _, err := tx.syncTicketTimers(ctx, true, `t.id IN (`+marks(len(chunk))+`)`, args...); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// slaTicket is one ticket's clock inputs and stored timers.
type slaTicket struct {
	id, orgID int64
	state     tandem.SLAState
	clock     tandem.TicketClock
	rows      []*tandem.Timer
	classes   map[int64]string // the stored target_class of each row
}

// timerKey identifies a timer of a ticket: its kind and, for acceptance
// clocks, its handoff.
type timerKey struct {
	kind    tandem.TimerKind
	handoff int64
}

func keyOf(t *tandem.Timer) timerKey {
	k := timerKey{kind: t.Kind}
	if t.HandoffID != nil {
		k.handoff = *t.HandoffID
	}
	return k
}

// syncTicketTimers loads the tickets matching where (on tickets t), their
// pauses, handoffs and timers, plans their clocks and writes what changed.
// In bulk (a policy or calendar change, whose caller has recorded the
// breaches due before it) it gathers the writes into a few statements and
// records no breach before planning. It returns how many tickets it synced
// and how many breaches it recorded.
func (tx *Tx) syncTicketTimers(ctx context.Context, bulk bool, where string, args ...any) (tickets, breaches int, err error) {
	list, err := tx.loadSLATickets(ctx, where, args...)
	if err != nil || len(list) == 0 {
		return 0, 0, err
	}
	w := tx.newTimerWriter(bulk)
	orgs := []int64{}
	for _, t := range list {
		if !slices.Contains(orgs, t.orgID) {
			orgs = append(orgs, t.orgID)
		}
	}
	clocks, err := loadOrgClocks(ctx, tx, orgs)
	if err != nil {
		return 0, 0, err
	}
	planners := map[int64]*tandem.TimerPlanner{}
	for _, t := range list {
		oc := clocks[t.orgID]
		pl := planners[t.orgID]
		if pl == nil {
			pl = oc.planner(tx.now)
			planners[t.orgID] = pl
		}
		if !bulk {
			if err := w.recordBreaches(ctx, pl, t); err != nil {
				return 0, 0, err
			}
		}
		timers, _ := pl.Plan(&t.clock)
		if _, err := w.reconcile(ctx, oc, t, timers); err != nil {
			return 0, 0, err
		}
	}
	return len(list), w.breaches, w.flush(ctx)
}

// loadSLATickets reads the clock inputs of the matching tickets in four
// queries, whatever their number.
func (tx *Tx) loadSLATickets(ctx context.Context, where string, args ...any) ([]*slaTicket, error) {
	// On PostgreSQL the tickets are locked, in id order, before their
	// timers: the order every writer of timers follows (the ticket service
	// and the worker lock the ticket first), so a policy change and the
	// worker queue behind each other instead of deadlocking.
	lock := ""
	if tx.db.dialect == Postgres {
		lock = " FOR UPDATE OF t"
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.id, t.organization_id, t.sla_state, t.created_at, t.priority, t.status, t.owning_party,
		t.first_response_at, t.resolved_at FROM tickets t WHERE `+where+` ORDER BY t.id`+lock, args...)
	if err != nil {
		return nil, err
	}
	var list []*slaTicket
	byID := map[int64]*slaTicket{}
	for rows.Next() {
		t := &slaTicket{}
		c := &t.clock
		if err := rows.Scan(&t.id, &t.orgID, &t.state, scanTime(&c.CreatedAt), &c.Priority, &c.Status, &c.OwningParty,
			scanTimePtr(&c.FirstResponseAt), scanTimePtr(&c.ResolvedAt)); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, t)
		byID[t.id] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	// The rows of the tickets' pauses, handoffs and timers: joined to the
	// tickets matching where, or, when those hold most of the ids between
	// the first and the last (an organisation recomputed whole), read by
	// ticket id range, which walks the ticket_id indexes in order instead
	// of probing them once per ticket; rows of other tickets in the range
	// are skipped below (byID).
	// A few hundred tickets (a ticket, the tickets a policy change
	// crosses) are asked for by id, which both databases answer by probing
	// the ticket_id indexes; PostgreSQL would hash-join the tables for the
	// join.
	first, last := list[0].id, list[len(list)-1].id
	byRange := len(list) > 1 && last-first+1 <= 2*int64(len(list))
	byList := !byRange && len(list) <= 2*bulkBatch
	source := func(alias, table string) string {
		switch {
		case byRange:
			return " FROM " + table + " " + alias + " WHERE " + alias + ".ticket_id BETWEEN ? AND ?"
		case byList && tx.db.dialect == Postgres:
			// One array: PostgreSQL plans a list of hundreds of
			// parameters as a scan of the table.
			return " FROM " + table + " " + alias + " WHERE " + alias + ".ticket_id = ANY(CAST(? AS bigint[]))"
		case byList:
			return " FROM " + table + " " + alias + " WHERE " + alias + ".ticket_id IN (" + marks(len(list)) + ")"
		}
		return " FROM " + table + " " + alias + " JOIN tickets t ON t.id = " + alias + ".ticket_id WHERE " + where
	}
	switch {
	case byRange:
		args = []any{first, last}
	case byList && tx.db.dialect == Postgres:
		ids := make([]string, len(list))
		for i, t := range list {
			ids[i] = strconv.FormatInt(t.id, 10)
		}
		args = []any{"{" + strings.Join(ids, ",") + "}"}
	case byList:
		args = make([]any, len(list))
		for i, t := range list {
			args[i] = t.id
		}
	}

	if err := tx.eachRow(ctx, `SELECT p.ticket_id, p.started_at, p.ended_at`+source("p", "ticket_pauses"), args, func(rows *sql.Rows) error {
		var id int64
		var iv tandem.Interval
		if err := rows.Scan(&id, scanTime(&iv.Start), scanTimePtr(&iv.End)); err != nil {
			return err
		}
		if t := byID[id]; t != nil {
			t.clock.Pauses = append(t.clock.Pauses, iv)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	if err := tx.eachRow(ctx, `SELECT h.ticket_id, h.id, h.to_party, h.requested_at, h.status, h.answered_at`+source("h", "ticket_handoffs"), args, func(rows *sql.Rows) error {
		var id int64
		var h tandem.HandoffClock
		if err := rows.Scan(&id, &h.ID, &h.ToParty, scanTime(&h.RequestedAt), &h.Status, scanTimePtr(&h.AnsweredAt)); err != nil {
			return err
		}
		if t := byID[id]; t != nil {
			t.clock.Handoffs = append(t.clock.Handoffs, h)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	err = tx.eachRow(ctx, `SELECT `+timerColumns+`, s.target_class`+source("s", "sla_timers"), args, func(rows *sql.Rows) error {
		var class string
		tm, err := scanTimer(rows, &class)
		if err != nil {
			return err
		}
		if t := byID[tm.TicketID]; t != nil {
			t.rows = append(t.rows, tm)
			if t.classes == nil {
				t.classes = map[int64]string{}
			}
			t.classes[tm.ID] = class
		}
		return nil
	})
	return list, err
}

// timerColumns are the columns of sla_timers s that scanTimer reads.
const timerColumns = `s.id, s.ticket_id, s.kind, s.party, s.handoff_id, s.state, s.target_minutes, s.started_at, s.due_at, s.warn_at,
	s.warned_at, s.breached_at, s.met_at, s.elapsed_minutes, s.origin`

// scanTimer reads the timerColumns of a row, and then the further
// destinations given.
func scanTimer(row scanner, more ...any) (*tandem.Timer, error) {
	tm := &tandem.Timer{}
	var origin sql.NullInt64
	err := row.Scan(append([]any{&tm.ID, &tm.TicketID, &tm.Kind, &tm.Party, &tm.HandoffID, &tm.State, &tm.Minutes, scanTime(&tm.StartedAt),
		scanTimePtr(&tm.DueAt), scanTimePtr(&tm.WarnAt), scanTimePtr(&tm.WarnedAt), scanTimePtr(&tm.BreachedAt), scanTimePtr(&tm.MetAt),
		&tm.ElapsedMinutes, &origin}, more...)...)
	if origin.Valid {
		tm.Origin = (*time.Duration)(&origin.Int64)
	}
	return tm, err
}

// eachRow runs a query and calls fn for each row.
func (tx *Tx) eachRow(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// timerWriter writes planned timers over the stored ones. For a whole
// organisation (bulk) it gathers the rows and writes them hundreds to a
// statement.
type timerWriter struct {
	tx                      *Tx
	bulk                    bool
	inserts, updates, state [][]any
	breaches                int // recorded by recordBreaches
}

// timerInsertPrefix is the INSERT of timerInsertCols up to its rows.
const timerInsertPrefix = `INSERT INTO sla_timers (ticket_id, organization_id, kind, handoff_id, party, state, target_class, origin, target_minutes,
	started_at, due_at, warn_at, warned_at, breached_at, met_at, elapsed_minutes) VALUES `

const (
	timerInsertSQL = timerInsertPrefix + `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	timerUpdateSQL = `UPDATE sla_timers SET party = ?, state = ?, target_class = ?, origin = ?, target_minutes = ?, started_at = ?, due_at = ?,
		warn_at = ?, warned_at = ?, breached_at = ?, met_at = ?, elapsed_minutes = ? WHERE id = ?`
	ticketStateSQL = `UPDATE tickets SET sla_state = ? WHERE id = ?`
)

// bulkBatch is how many rows one bulk statement writes: well below the
// parameter limits of both databases.
const bulkBatch = 400

// The columns of the bulk statements, with their PostgreSQL types
// (unnestRows casts its text arrays to them; SQLite takes the values as
// they come).
var (
	timerInsertCols = append([][2]string{{"ticket_id", "bigint"}, {"organization_id", "bigint"}, {"kind", "text"}, {"handoff_id", "bigint"}},
		timerStateCols...)
	timerUpdateCols = append(timerStateCols[:len(timerStateCols):len(timerStateCols)], [2]string{"id", "bigint"})
	// timerStateCols are what a plan writes of a timer (timerStateArgs).
	timerStateCols = [][2]string{{"party", "text"}, {"state", "text"}, {"target_class", "text"}, {"origin", "bigint"},
		{"target_minutes", "bigint"}, {"started_at", "timestamptz"}, {"due_at", "timestamptz"}, {"warn_at", "timestamptz"},
		{"warned_at", "timestamptz"}, {"breached_at", "timestamptz"}, {"met_at", "timestamptz"}, {"elapsed_minutes", "double precision"}}
	ticketStateCols = [][2]string{{"sla_state", "text"}, {"id", "bigint"}}
)

func (tx *Tx) newTimerWriter(bulk bool) *timerWriter {
	return &timerWriter{tx: tx, bulk: bulk}
}

// insert, update and setState write a row now, or gather it in bulk mode.
func (w *timerWriter) insert(ctx context.Context, args ...any) error {
	if !w.bulk {
		_, err := w.tx.ExecContext(ctx, timerInsertSQL, args...)
		return err
	}
	w.inserts = append(w.inserts, args)
	return w.flushIfFull(ctx)
}

func (w *timerWriter) update(ctx context.Context, args ...any) error {
	if !w.bulk {
		_, err := w.tx.ExecContext(ctx, timerUpdateSQL, args...)
		return err
	}
	w.updates = append(w.updates, args)
	return w.flushIfFull(ctx)
}

func (w *timerWriter) setState(ctx context.Context, args ...any) error {
	if !w.bulk {
		_, err := w.tx.ExecContext(ctx, ticketStateSQL, args...)
		return err
	}
	w.state = append(w.state, args)
	return w.flushIfFull(ctx)
}

func (w *timerWriter) flushIfFull(ctx context.Context) error {
	// PostgreSQL's rows go as arrays (unnestRows): no parameter limit,
	// and fewer, larger statements pay.
	batch := bulkBatch
	if w.tx.db.dialect == Postgres {
		batch = 10_000
	}
	if len(w.inserts) < batch && len(w.updates) < batch && len(w.state) < batch {
		return nil
	}
	return w.flush(ctx)
}

// flush writes the gathered rows: inserts as one multi-row INSERT, updates
// as one UPDATE … FROM a VALUES list per table.
func (w *timerWriter) flush(ctx context.Context) error {
	if len(w.inserts) > 0 {
		var q strings.Builder
		var args []any
		if w.tx.db.dialect == Postgres {
			q.WriteString(strings.TrimSuffix(timerInsertPrefix, "VALUES "))
			var err error
			if args, err = unnestRows(&q, timerInsertCols, w.inserts); err != nil {
				return err
			}
		} else {
			q.WriteString(timerInsertPrefix)
			args = valuesList(&q, len(timerInsertCols), w.inserts)
		}
		if _, err := w.tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("insert %d timers: %w", len(w.inserts), err)
		}
		w.inserts = w.inserts[:0]
	}
	for _, u := range []struct {
		rows  *[][]any
		table string
		cols  [][2]string
	}{{&w.updates, "sla_timers", timerUpdateCols}, {&w.state, "tickets", ticketStateCols}} {
		if len(*u.rows) == 0 {
			continue
		}
		var sets []string
		for _, c := range u.cols {
			if c[0] != "id" {
				sets = append(sets, c[0]+" = v."+c[0])
			}
		}
		var q strings.Builder
		args, err := w.tx.withRows(&q, u.cols, *u.rows)
		if err != nil {
			return err
		}
		q.WriteString(" UPDATE " + u.table + " SET " + strings.Join(sets, ", ") + " FROM v WHERE " + u.table + ".id = v.id")
		if _, err := w.tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("update %d rows of %s: %w", len(*u.rows), u.table, err)
		}
		*u.rows = (*u.rows)[:0]
	}
	return nil
}

// unnestRows writes, for PostgreSQL, a SELECT of the rows from one text
// array per column, unnested and cast to the column types, and returns the
// arrays: a statement of a handful of parameters however many rows, where
// a VALUES list costs PostgreSQL a parameter and a cast per value.
func unnestRows(q *strings.Builder, cols [][2]string, rows [][]any) ([]any, error) {
	args, err := columnArrays(rows, len(cols))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	q.WriteString("SELECT ")
	for j, c := range cols {
		names[j] = c[0]
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString("CAST(" + c[0] + " AS " + c[1] + ")")
	}
	q.WriteString(" FROM unnest(" + strings.Repeat("CAST(? AS text[]), ", len(cols)-1) + "CAST(? AS text[])) AS u (" + strings.Join(names, ", ") + ")")
	return args, nil
}

// columnArrays turns rows of n values into n text arrays, one per column,
// NULL kept.
func columnArrays(rows [][]any, n int) ([]any, error) {
	cols := make([]any, n)
	for j := range n {
		col := make([]*string, len(rows))
		for i, r := range rows {
			v, err := driver.DefaultParameterConverter.ConvertValue(r[j])
			if err != nil {
				return nil, err
			}
			var text string
			switch v := v.(type) {
			case nil:
				continue
			case string:
				text = v
			case int64:
				text = strconv.FormatInt(v, 10)
			case float64:
				text = strconv.FormatFloat(v, 'g', -1, 64)
			case bool:
				text = strconv.FormatBool(v)
			case time.Time:
				text = v.UTC().Format(time.RFC3339Nano)
			default:
				return nil, fmt.Errorf("column %d: cannot write %T as text", j, v)
			}
			col[i] = &text
		}
		cols[j] = col
	}
	return cols, nil
}

// valuesList writes rows as the rows of a VALUES list of n columns and
// returns their arguments. (PostgreSQL's bulk writes use unnestRows.)
func valuesList(q *strings.Builder, n int, rows [][]any) []any {
	args := make([]any, 0, len(rows)*n)
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?" + strings.Repeat(", ?", n-1) + ")")
		args = append(args, r...)
	}
	return args
}

// recordBreaches records the breach of each stored timer of the ticket
// whose due instant, under the policy in force, has come though the worker
// has not fired it yet (it runs every few seconds), before a new plan
// replaces the clock: a change made in that gap, such as lowering the
// priority, must not undo a breach that happened. The breach is recorded
// as the worker would have, at the due instant, by the system.
func (w *timerWriter) recordBreaches(ctx context.Context, pl *tandem.TimerPlanner, t *slaTicket) error {
	for _, r := range t.rows {
		if r.BreachedAt != nil || r.Origin == nil || r.State != tandem.TimerRunning {
			continue
		}
		probe := *r
		if _, breach, _ := pl.Fire(&probe, classPriority(t.classes[r.ID])); !breach {
			continue
		}
		fired, err := w.tx.recordTimer(ctx, tandem.SystemActor, r.ID, true, false)
		if err != nil {
			return fmt.Errorf("record the breach of timer %d: %w", r.ID, err)
		}
		if fired {
			// As recorded: the due instant walked past the pauses.
			if err := w.tx.QueryRowContext(ctx, `SELECT state, due_at, warned_at, breached_at, target_minutes FROM sla_timers WHERE id = ?`, r.ID).
				Scan(&r.State, scanTimePtr(&r.DueAt), scanTimePtr(&r.WarnedAt), scanTimePtr(&r.BreachedAt), &r.Minutes); err != nil {
				return err
			}
			w.breaches++
		}
	}
	return nil
}

// reconcile writes one ticket's planned timers: one row per kind and
// handoff, updated in place. What the worker recorded (warned_at,
// breached_at) is never cleared, and a timer whose breach fired stays
// breached whatever a later plan says. A timer the plan finds run out
// whose breach nobody recorded (its due instant came earlier under the new
// plan) gets it recorded now, at the due instant, unless in bulk its clock
// still runs: the worker records that one. A clock met before keeps
// the verdict it was met with. A timer the plan no longer has (its target
// became zero) is deleted, or cancelled once it fired, and then a breach
// it recorded still counts in the ticket's state. It returns the ticket's
// timers as now stored (ids are 0 in bulk mode for new rows).
func (w *timerWriter) reconcile(ctx context.Context, oc *orgClock, t *slaTicket, planned []*tandem.Timer) ([]*tandem.Timer, error) {
	stored := make(map[timerKey]*tandem.Timer, len(t.rows))
	for _, r := range t.rows {
		stored[keyOf(r)] = r
	}
	final := make([]*tandem.Timer, 0, len(planned)+len(t.rows))
	for _, p := range planned {
		p.TicketID = t.id
		k := keyOf(p)
		old := stored[k]
		delete(stored, k)
		if old != nil && old.MetAt != nil && p.MetAt != nil && sameInstant(old.MetAt, p.MetAt) {
			final = append(final, old)
			continue
		}
		record := false
		if old != nil {
			p.ID, p.WarnedAt, p.BreachedAt = old.ID, old.WarnedAt, old.BreachedAt
		}
		switch {
		case p.BreachedAt != nil:
			p.State = tandem.TimerBreached
		case p.State == tandem.TimerBreached && p.DueAt != nil && w.bulk && p.Origin != nil:
			// A running clock: the worker records its breach, in a
			// transaction of its own (thousands of audit entries in one
			// PostgreSQL transaction, each moving the chain's head, slow
			// down quadratically). Its ticket reads breached meanwhile.
			p.State = tandem.TimerRunning
		case p.State == tandem.TimerBreached && p.DueAt != nil:
			due := *p.DueAt
			p.BreachedAt, record = &due, true
			if p.WarnedAt == nil {
				p.WarnedAt = &due
			}
		}
		if old == nil {
			id, err := w.insertTimer(ctx, t, p, record)
			if err != nil {
				return nil, err
			}
			p.ID = id
		} else if !sameTimer(old, p) || t.classes[old.ID] != targetClass(p.Kind, t.clock.Priority, p.Party) {
			if err := w.update(ctx, timerUpdateArgs(t.clock.Priority, p)...); err != nil {
				return nil, err
			}
		}
		if record {
			if err := w.tx.timerEvent(ctx, tandem.SystemActor, t.orgID, oc, p, tandem.EventSLABreach); err != nil {
				return nil, err
			}
			w.breaches++
		}
		final = append(final, p)
	}
	for _, old := range t.rows {
		if _, gone := stored[keyOf(old)]; !gone {
			continue
		}
		if old.WarnedAt == nil && old.BreachedAt == nil {
			if _, err := w.tx.ExecContext(ctx, `DELETE FROM sla_timers WHERE id = ?`, old.ID); err != nil {
				return nil, err
			}
			continue
		}
		if old.State != tandem.TimerCancelled {
			old.State, old.DueAt, old.WarnAt, old.Origin = tandem.TimerCancelled, nil, nil, nil
			if err := w.update(ctx, timerUpdateArgs(t.clock.Priority, old)...); err != nil {
				return nil, err
			}
		}
		final = append(final, old)
	}
	state := tandem.PlanState(t.clock.Status, final, w.tx.now)
	if state != t.state {
		if err := w.setState(ctx, state, t.id); err != nil {
			return nil, err
		}
		t.state = state
	}
	return final, nil
}

// insertTimer inserts a planned timer of the ticket. A bulk write does not
// need the ids and gathers the row, unless now, whose breach is recorded
// with the timer's id.
func (w *timerWriter) insertTimer(ctx context.Context, t *slaTicket, p *tandem.Timer, now bool) (int64, error) {
	args := timerInsertArgs(t.orgID, t.clock.Priority, p)
	if w.bulk && !now {
		return 0, w.insert(ctx, args...)
	}
	id, err := w.tx.insert(ctx, timerInsertSQL, args...)
	if err != nil {
		return 0, fmt.Errorf("insert %s timer of ticket %d: %w", p.Kind, p.TicketID, err)
	}
	return id, nil
}

// timerStateArgs are the values of timerStateCols for p, a timer of a
// ticket of priority pr.
func timerStateArgs(pr tandem.Priority, p *tandem.Timer) []any {
	return []any{p.Party, p.State, targetClass(p.Kind, pr, p.Party), p.Origin, p.Minutes, at(p.StartedAt), atPtr(p.DueAt), atPtr(p.WarnAt),
		atPtr(p.WarnedAt), atPtr(p.BreachedAt), atPtr(p.MetAt), p.ElapsedMinutes}
}

// timerInsertArgs are the values of timerInsertCols for p.
func timerInsertArgs(orgID int64, pr tandem.Priority, p *tandem.Timer) []any {
	return append([]any{p.TicketID, orgID, p.Kind, p.HandoffID}, timerStateArgs(pr, p)...)
}

// timerUpdateArgs are the values of timerUpdateCols for p.
func timerUpdateArgs(pr tandem.Priority, p *tandem.Timer) []any {
	return append(timerStateArgs(pr, p), p.ID)
}

// sameTimer reports whether a stored timer already holds what was planned.
func sameTimer(old, p *tandem.Timer) bool {
	return old.Party == p.Party && old.State == p.State && old.Minutes == p.Minutes && sameInstant(&old.StartedAt, &p.StartedAt) &&
		sameInstant(old.DueAt, p.DueAt) && sameInstant(old.WarnAt, p.WarnAt) && sameInstant(old.MetAt, p.MetAt) &&
		sameInstant(old.WarnedAt, p.WarnedAt) && sameInstant(old.BreachedAt, p.BreachedAt) &&
		old.ElapsedMinutes == p.ElapsedMinutes && sameOrigin(old.Origin, p.Origin)
}

func sameOrigin(a, b *time.Duration) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
