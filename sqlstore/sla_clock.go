package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// orgClock is an organisation's SLA policy and the business clock it runs
// on: its calendar's (def, "" for 24×7), after the calendars it ran on
// before (history).
type orgClock struct {
	policy  *tandem.SLAPolicy
	def     string
	history []clockEra
	clock   *sla.Clock
}

// clockEra is an entry of sla_policies.clock_history: a calendar the
// organisation's clocks ran on until an instant (null: 24×7).
type clockEra struct {
	Until    time.Time       `json:"until"`
	Calendar json.RawMessage `json:"calendar"`
}

func (oc *orgClock) planner(now time.Time) *tandem.TimerPlanner {
	return tandem.NewTimerPlanner(oc.policy, oc.clock, now)
}

// historyAfterChange is the clock history once the calendar the clocks run
// on changes at now: the current one joins it, counting until now.
func (oc *orgClock) historyAfterChange(now time.Time) (string, error) {
	era := clockEra{Until: now.UTC()}
	if oc.def != "" {
		era.Calendar = json.RawMessage(oc.def)
	}
	raw, err := json.Marshal(append(slices.Clone(oc.history), era))
	return string(raw), err
}

// loadOrgClocks returns the policy and business clock of each of the
// organisations (of every organisation when ids is nil); one without a
// stored policy has the default, on 24×7.
func loadOrgClocks(ctx context.Context, tx *Tx, ids []int64) (map[int64]*orgClock, error) {
	q := `SELECT o.id, p.organization_id, p.calendar_id, p.warn_percent, p.targets, p.olas, p.priority_matrix, p.response_actions, p.clock_history, p.updated_at,
		c.definition FROM organizations o
		LEFT JOIN sla_policies p ON p.organization_id = o.id LEFT JOIN business_calendars c ON c.id = p.calendar_id`
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return map[int64]*orgClock{}, nil
		}
		q += ` WHERE o.id IN (` + marks(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	clocks := map[int64]*orgClock{}
	err := tx.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var orgID int64
		var stored, calendarID, warn sql.NullInt64
		var targets, olas, matrix, responses, history, def sql.NullString
		var updated *time.Time
		if err := rows.Scan(&orgID, &stored, &calendarID, &warn, &targets, &olas, &matrix, &responses, &history, scanTimePtr(&updated), &def); err != nil {
			return err
		}
		oc := &orgClock{policy: tandem.DefaultSLAPolicy(orgID), def: def.String}
		if stored.Valid {
			p := &tandem.SLAPolicy{OrganizationID: orgID, WarnPercent: int(warn.Int64)}
			if calendarID.Valid {
				p.CalendarID = &calendarID.Int64
			}
			if updated != nil {
				p.UpdatedAt = *updated
			}
			for _, f := range []struct {
				raw string
				dst any
			}{{targets.String, &p.Targets}, {olas.String, &p.OLAs}, {matrix.String, &p.PriorityMatrix}, {responses.String, &p.ResponseActions}, {history.String, &oc.history}} {
				if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
					return fmt.Errorf("SLA policy of organisation %d: %w", orgID, err)
				}
			}
			oc.policy = p
		}
		clock, err := sla.ClockFor(oc.def)
		if err != nil {
			return fmt.Errorf("calendar of the SLA policy of organisation %d: %w", orgID, err)
		}
		eras := make([]sla.Era, len(oc.history))
		for i, e := range oc.history {
			def := string(e.Calendar)
			if def == "null" {
				def = "" // 24×7
			}
			if eras[i].Clock, err = sla.ClockFor(def); err != nil {
				return fmt.Errorf("clock history of the SLA policy of organisation %d: %w", orgID, err)
			}
			eras[i].Until = e.Until
		}
		oc.clock = clock.WithHistory(eras)
		clocks[orgID] = oc
		return nil
	})
	return clocks, err
}

// loadOrgClock is loadOrgClocks for one organisation.
func loadOrgClock(ctx context.Context, tx *Tx, orgID int64) (*orgClock, error) {
	clocks, err := loadOrgClocks(ctx, tx, []int64{orgID})
	if err != nil {
		return nil, err
	}
	oc := clocks[orgID]
	if oc == nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Organization %d not found.", orgID)
	}
	return oc, nil
}

// targetClass is the class of a timer in sla_timers.target_class: what
// its target depends on besides its kind, the ticket's priority ("p1" to
// "p5") or, for an acceptance clock, the receiving party.
func targetClass(kind tandem.TimerKind, pr tandem.Priority, party tandem.PartyKind) string {
	if kind == tandem.TimerAccept {
		return string(party)
	}
	return "p" + strconv.Itoa(int(pr))
}

// classPriority is the priority a target_class names (zero for an
// acceptance clock's, which names a party): the priority the timer was
// last planned with, whatever the ticket's is now.
func classPriority(class string) tandem.Priority {
	n, _ := strconv.Atoi(strings.TrimPrefix(class, "p"))
	return tandem.Priority(n)
}

// timerClass is one class of timers of an organisation and its target.
type timerClass struct {
	orgID  int64
	class  string
	kind   tandem.TimerKind
	target time.Duration // zero: the policy sets none
	warn   time.Duration // the warning share of target
}

// classesOf lists every class of timer a policy can have.
func classesOf(orgID int64, p *tandem.SLAPolicy) []timerClass {
	var list []timerClass
	add := func(kind tandem.TimerKind, pr tandem.Priority, party tandem.PartyKind) {
		minutes := p.TargetMinutes(kind, pr, party)
		target := time.Duration(minutes) * time.Minute
		list = append(list, timerClass{orgID: orgID, class: targetClass(kind, pr, party), kind: kind,
			target: target, warn: target * time.Duration(p.WarnShare()) / 100})
	}
	for pr := tandem.Priority(1); pr <= 5; pr++ {
		add(tandem.TimerResponse, pr, "")
		add(tandem.TimerResolution, pr, "")
	}
	add(tandem.TimerAccept, 0, tandem.PartyInternal)
	add(tandem.TimerAccept, 0, tandem.PartyProvider)
	return list
}

// runningIndex names the two partial indexes of running clocks: those not
// yet warned, which fire at their warning share, and warned ones, which
// fire at their target. Each query repeats the index's condition so that
// both databases use it.
var runningIndex = [2]struct {
	cond  string
	share func(c timerClass) time.Duration
}{
	{`s.state = 'running' AND s.warned_at IS NULL`, func(c timerClass) time.Duration { return c.warn }},
	{`s.state = 'running' AND s.warned_at IS NOT NULL`, func(c timerClass) time.Duration { return c.target }},
}

// thresholdCols are the columns of a list of per-class thresholds.
var thresholdCols = [][2]string{{"org", "bigint"}, {"class", "text"}, {"kind", "text"}, {"lim", "bigint"}}

// thresholdChunk is how many classes one statement asks about.
const thresholdChunk = 1000

// withRows writes "WITH v (columns) AS (rows)": a VALUES list on SQLite,
// one array per column unnested on PostgreSQL (unnestRows).
func (tx *Tx) withRows(q *strings.Builder, cols [][2]string, rows [][]any) ([]any, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c[0]
	}
	q.WriteString("WITH v (" + strings.Join(names, ", ") + ") AS (")
	if tx.db.dialect == Postgres {
		args, err := unnestRows(q, cols, rows)
		q.WriteString(")")
		return args, err
	}
	q.WriteString("VALUES ")
	args := valuesList(q, len(cols), rows)
	q.WriteString(")")
	return args, nil
}

// firingTimers returns the ids, above after and at most limit of them in
// id order, of the running timers of the classes whose origin is at or
// before each class's limit, found in one of the running indexes.
func (tx *Tx) firingTimers(ctx context.Context, idx int, rows [][]any, after int64, limit int) ([]int64, error) {
	var ids []int64
	for chunk := range slices.Chunk(rows, thresholdChunk) {
		var q strings.Builder
		args, err := tx.withRows(&q, thresholdCols, chunk)
		if err != nil {
			return nil, err
		}
		// Each class a range of the partial index: SQLite keeps the loop
		// over the classes outside a CROSS JOIN; PostgreSQL, which would
		// hash-join every running timer instead, is held to it by a
		// LATERAL subquery it cannot pull up (OFFSET 0).
		match := `s.organization_id = v.org AND s.target_class = v.class AND s.kind = v.kind AND s.origin <= v.lim AND ` + runningIndex[idx].cond
		if tx.db.dialect == Postgres {
			q.WriteString(` SELECT f.id FROM v CROSS JOIN LATERAL (SELECT s.id FROM sla_timers s WHERE ` + match + ` OFFSET 0) f
				WHERE f.id > ? ORDER BY f.id LIMIT ?`)
		} else {
			q.WriteString(` SELECT s.id FROM v CROSS JOIN sla_timers s WHERE ` + match + ` AND +s.id > ? ORDER BY s.id LIMIT ?`)
		}
		got, err := tx.queryIDs(ctx, q.String(), append(args, after, limit)...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// dueTimerIDs returns the next ids, above after and at most limit, of
// running timers whose warning (or, with breachesOnly, breach) has come by
// now, of the organisations' classes.
func (tx *Tx) dueTimerIDs(ctx context.Context, clocks map[int64]*orgClock, now time.Time, breachesOnly bool, after int64, limit int) ([]int64, error) {
	var ids []int64
	for idx := range runningIndex {
		var rows [][]any
		for orgID, oc := range clocks {
			nowPos := oc.clock.Pos(now)
			for _, c := range classesOf(orgID, oc.policy) {
				share := runningIndex[idx].share(c)
				if breachesOnly {
					share = c.target
				}
				if c.target > 0 {
					rows = append(rows, []any{c.orgID, c.class, string(c.kind), int64(nowPos - share)})
				}
			}
		}
		got, err := tx.firingTimers(ctx, idx, rows, after, limit)
		if err != nil {
			return nil, err
		}
		ids = append(ids, got...)
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// nextFire returns the first instant after which a timer of the
// organisations warns or breaches: for each class the earliest origin in
// each running index (an index lookup each), plus the share at which it
// fires. It is zero when no timer runs.
func (tx *Tx) nextFire(ctx context.Context, clocks map[int64]*orgClock) (time.Time, error) {
	var next time.Time
	for idx := range runningIndex {
		var rows [][]any
		var classes []timerClass
		for orgID, oc := range clocks {
			for _, c := range classesOf(orgID, oc.policy) {
				if c.target > 0 {
					rows = append(rows, []any{c.orgID, c.class, string(c.kind), int64(len(classes))})
					classes = append(classes, c)
				}
			}
		}
		for chunk := range slices.Chunk(rows, thresholdChunk) {
			var q strings.Builder
			args, err := tx.withRows(&q, thresholdCols, chunk)
			if err != nil {
				return time.Time{}, err
			}
			q.WriteString(` SELECT v.lim, (SELECT MIN(s.origin) FROM sla_timers s WHERE s.organization_id = v.org AND s.target_class = v.class
				AND s.kind = v.kind AND ` + runningIndex[idx].cond + `) FROM v`)
			err = tx.eachRow(ctx, q.String(), args, func(r *sql.Rows) error {
				var i int64
				var origin sql.NullInt64
				if err := r.Scan(&i, &origin); err != nil || !origin.Valid {
					return err
				}
				c := classes[i]
				at, ok := clocks[c.orgID].clock.At(time.Duration(origin.Int64) + runningIndex[idx].share(c))
				if ok && (next.IsZero() || at.Before(next)) {
					next = at
				}
				return nil
			})
			if err != nil {
				return time.Time{}, err
			}
		}
	}
	return next, nil
}

// crossingTickets returns the tickets of an organisation whose SLA state a
// change of its policy from old to new (on the same calendar) can change:
// those with a running clock whose business time used lies between an old
// and a new warning share or target of its class, and those with a paused
// clock that used between the old and the new target (it ran out before
// its pause, or no longer did). No other ticket's state changes: the due
// and warning instants of their clocks move, but follow from their origins
// on every read.
func (tx *Tx) crossingTickets(ctx context.Context, orgID int64, clock *sla.Clock, old, new *tandem.SLAPolicy) ([]int64, error) {
	nowPos := clock.Pos(tx.now)
	oldClasses, newClasses := classesOf(orgID, old), classesOf(orgID, new)
	seen := map[int64]bool{}
	var ids []int64
	collect := func(q string, args ...any) error {
		got, err := tx.queryIDs(ctx, q, args...)
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return err
	}
	for i, o := range oldClasses {
		n := newClasses[i]
		for _, pair := range [][2]time.Duration{{o.warn, n.warn}, {o.target, n.target}} {
			lo, hi := min(pair[0], pair[1]), max(pair[0], pair[1])
			if lo == hi {
				continue
			}
			// Used time in [lo, hi): origin in (now - hi, now - lo].
			for idx := range runningIndex {
				if err := collect(`SELECT DISTINCT s.ticket_id FROM sla_timers s WHERE s.organization_id = ? AND s.target_class = ? AND s.kind = ?
					AND s.origin > ? AND s.origin <= ? AND `+runningIndex[idx].cond,
					orgID, o.class, string(o.kind), int64(nowPos-hi), int64(nowPos-lo)); err != nil {
					return nil, err
				}
			}
		}
		if o.target != n.target {
			lo, hi := min(o.target, n.target), max(o.target, n.target)
			if err := collect(`SELECT DISTINCT s.ticket_id FROM sla_timers s WHERE s.organization_id = ? AND s.target_class = ? AND s.kind = ?
				AND s.elapsed_minutes >= ? AND s.elapsed_minutes < ? AND s.state = 'paused'`,
				orgID, o.class, string(o.kind), lo.Minutes(), hi.Minutes()); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// startsOrStops reports whether a change of policy from old to new gives
// a class a target where it had none, or takes one away: its timers are
// then created or dropped on every ticket.
func startsOrStops(orgID int64, old, new *tandem.SLAPolicy) bool {
	oldClasses, newClasses := classesOf(orgID, old), classesOf(orgID, new)
	for i := range oldClasses {
		if (oldClasses[i].target == 0) != (newClasses[i].target == 0) {
			return true
		}
	}
	return false
}
