package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
)

// escalationKind is the scheduler's kind of escalation steps: the
// triggered incidents whose next step is due (incidents_due), each taken
// in a write transaction of its own under the guard of advance, so a
// restart or a second replica neither repeats nor loses a step.
func (s *Scheduler) escalationKind() timerKind {
	return timerKind{name: "escalation steps", next: s.db.nextEscalationStep, run: s.db.runEscalationSteps}
}

// nextEscalationStep is the earliest instant a triggered incident's next
// step is due; zero when none is.
func (db *DB) nextEscalationStep(ctx context.Context) (time.Time, error) {
	var next *time.Time
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT MIN(next_step_at) FROM incidents WHERE state = 'triggered'`)).Scan(scanTimePtr(&next))
	if err != nil || next == nil {
		return time.Time{}, err
	}
	return *next, nil
}

// escalationBatch is how many due incidents one query lists.
const escalationBatch = 500

// runEscalationSteps takes every escalation step due by now and returns
// how many incidents it stepped. An incident another process stepped or
// holds is passed over; it is that process's.
func (db *DB) runEscalationSteps(ctx context.Context, now time.Time) (int, error) {
	a, err := requireSystem(ctx)
	if err != nil {
		return 0, err
	}
	stepped := 0
	after := int64(0)
	for {
		tx, err := db.beginRead(ctx)
		if err != nil {
			return stepped, err
		}
		ids, err := tx.queryIDs(ctx, `SELECT id FROM incidents WHERE state = 'triggered' AND next_step_at <= ? AND id > ? ORDER BY id LIMIT ?`,
			at(now), after, escalationBatch)
		tx.Rollback()
		if err != nil {
			return stepped, err
		}
		for _, id := range ids {
			ok, err := db.stepIncident(ctx, a, id, now)
			if err != nil {
				return stepped, err
			}
			if ok {
				stepped++
			}
		}
		if len(ids) < escalationBatch {
			return stepped, nil
		}
		after = ids[len(ids)-1]
	}
}

// stepIncident takes the due steps of one incident in its own
// transaction; false when there were none left to take.
func (db *DB) stepIncident(ctx context.Context, a *tandem.Actor, id int64, now time.Time) (bool, error) {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	r, err := loadIncidentRow(ctx, tx, id, true)
	if errors.Is(err, errStepTaken) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if r.state.Status != "triggered" || now.Before(r.state.NextStepAt) {
		return false, nil
	}
	if err := tx.advance(ctx, a, r, now); errors.Is(err, errStepTaken) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, tx.Commit()
}
