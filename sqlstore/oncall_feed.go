package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/secret"
	"github.com/tandemhq/tandem/oncall"
)

// feedTokenPrefix marks a calendar feed token, so one pasted elsewhere is
// recognisable.
const feedTokenPrefix = "tdmcal_"

// RotateScheduleFeed implements tandem.OnCallService: whoever may read a
// schedule's shifts may make its feed link.
func (o *OnCallService) RotateScheduleFeed(ctx context.Context, id int64) (string, error) {
	a, tx, err := o.db.writeAs(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if a.ReadOnly {
		return "", tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	}
	s, _, err := tx.readableSchedule(ctx, a, id)
	if err != nil {
		return "", err
	}
	token, err := tx.replaceFeed(ctx, "schedule_id", id)
	if err != nil {
		return "", err
	}
	if err := tx.audit(ctx, a, s.OrganizationID, "oncall.feed_rotate", scheduleTarget(id), map[string]any{"name": s.Name}); err != nil {
		return "", err
	}
	return token, tx.Commit()
}

// RotateMyFeed implements tandem.OnCallService: staff of either party have
// a feed of their own shifts.
func (o *OnCallService) RotateMyFeed(ctx context.Context) (string, error) {
	a, tx, err := o.db.writeAs(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	switch {
	case a.ReadOnly:
		return "", tandem.Errorf(tandem.EFORBIDDEN, "This token is read-only; create a read-write token to make changes.")
	case a.UserID == 0 || a.Role == tandem.RoleRequester:
		return "", tandem.Errorf(tandem.EFORBIDDEN, "Only staff have an on-call feed.")
	}
	token, err := tx.replaceFeed(ctx, "user_id", a.UserID)
	if err != nil {
		return "", err
	}
	var org *int64
	if a.OrganizationID != 0 {
		org = &a.OrganizationID
	}
	if err := tx.audit(ctx, a, org, "oncall.my_feed_rotate", userTarget(a.UserID), map[string]any{}); err != nil {
		return "", err
	}
	return token, tx.Commit()
}

// replaceFeed gives the feed of a schedule or a user (column names which)
// a new token, ending the old one.
func (tx *Tx) replaceFeed(ctx context.Context, column string, id int64) (string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM oncall_feeds WHERE `+column+` = ?`, id); err != nil {
		return "", err
	}
	token := secret.New(feedTokenPrefix)
	_, err := tx.ExecContext(ctx, `INSERT INTO oncall_feeds (`+column+`, token_hash, created_at) VALUES (?, ?, ?)`, id, secret.Hash(token), at(tx.now))
	return token, err
}

// OnCallFeed implements tandem.OnCallService: the shifts from a week ago
// (from midnight UTC, so a day's answers agree) to OnCallFeedWeeks ahead.
func (o *OnCallService) OnCallFeed(ctx context.Context, token string) (*tandem.OnCallFeed, error) {
	tx, err := o.db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	notFound := tandem.Errorf(tandem.ENOTFOUND, "This calendar feed does not exist; its link may have been replaced.")
	var scheduleID, userID sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT schedule_id, user_id FROM oncall_feeds WHERE token_hash = ?`, secret.Hash(token)).Scan(&scheduleID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	from := tx.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -7)
	to := from.AddDate(0, 0, 7*(tandem.OnCallFeedWeeks+1))
	feed := &tandem.OnCallFeed{ScheduleNames: map[int64]string{}}
	if scheduleID.Valid {
		s, err := tx.findSchedule(ctx, tandem.SystemActor, scheduleID.Int64)
		if err != nil {
			return nil, err
		}
		parsed, err := oncall.Parse(s.Definition)
		if err != nil {
			return nil, err
		}
		feed.Name = "On call: " + s.Name
		feed.ScheduleNames[s.ID] = s.Name
		for _, sh := range shiftsOf(s.ID, parsed.Shifts(from, to)) {
			if sh.Member != "" {
				feed.Shifts = append(feed.Shifts, sh)
			}
		}
		return feed, nil
	}

	var email string
	var org sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT email, organization_id FROM users WHERE id = ? AND active = ?`, userID.Int64, true).Scan(&email, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	feed.Name = "My on-call shifts (" + email + ")"
	cond, args := "s.organization_id IS NULL", []any{}
	if org.Valid {
		cond, args = "s.organization_id = ?", []any{org.Int64}
	}
	var schedules []*tandem.OnCallSchedule
	if err := tx.eachRow(ctx, `SELECT `+scheduleColumns+` FROM oncall_schedules s WHERE `+cond+` ORDER BY s.id`, args, func(rows *sql.Rows) error {
		s, err := scanSchedule(rows)
		schedules = append(schedules, s)
		return err
	}); err != nil {
		return nil, err
	}
	for _, s := range schedules {
		parsed, err := oncall.Parse(s.Definition)
		if err != nil {
			return nil, err
		}
		for _, sh := range shiftsOf(s.ID, parsed.Shifts(from, to)) {
			if sh.Member == email {
				feed.Shifts = append(feed.Shifts, sh)
				feed.ScheduleNames[s.ID] = s.Name
			}
		}
	}
	return feed, nil
}
