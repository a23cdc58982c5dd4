package tandem

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// OnCallSchedule is a party's named on-call rotation. Definition is the
// exchange JSON of package oncall, exactly (see oncall.Example); TimeZone is
// its "timezone", named apart so lists and forms need not read the JSON.
//
// A schedule belongs to a party: the provider's (OrganizationID nil),
// managed by provider admins and seen by every provider user, its name and
// id also by internal staff (an escalation may target "the provider's on
// call"); or an organisation's internal team, managed by that
// organisation's it-admins and seen by its internal staff and the provider
// staff who see the organisation. Requesters see none.
type OnCallSchedule struct {
	ID             int64     `json:"id"`
	OrganizationID *int64    `json:"organization_id"`
	Party          PartyKind `json:"party"`
	Name           string    `json:"name"`
	TimeZone       string    `json:"time_zone"`
	// Definition is nil where the reader may see the schedule's name only.
	Definition json.RawMessage `json:"definition,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// Validate trims the name and checks the party matches the organisation;
// the definition is judged by oncall.Parse where it is stored.
func (s *OnCallSchedule) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return Errorf(EINVALID, "Schedule name is required.")
	}
	if len([]rune(s.Name)) > 100 {
		return Errorf(EINVALID, "Schedule name is longer than 100 characters; shorten it.")
	}
	switch {
	case s.Party == PartyProvider && s.OrganizationID != nil:
		return Errorf(EINVALID, "A provider schedule belongs to no organisation; leave organization_id out.")
	case s.Party == PartyInternal && s.OrganizationID == nil:
		return Errorf(EINVALID, "An internal schedule belongs to an organisation; give its organization_id.")
	case s.Party != PartyProvider && s.Party != PartyInternal:
		return Errorf(EINVALID, "Party %q is not a party; use provider or internal.", s.Party)
	}
	return nil
}

// OnCallShift is a maximal interval of one schedule with the member on
// call (an email address), or nobody ("").
type OnCallShift struct {
	ScheduleID int64     `json:"schedule_id"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Member     string    `json:"member"`
}

// OnCallFeed is what an iCalendar feed serves: a name and its shifts, with
// the schedules' names for a person's feed.
type OnCallFeed struct {
	Name   string
	Shifts []OnCallShift
	// ScheduleNames names the schedules the shifts come from, by id.
	ScheduleNames map[int64]string
}

// OnCallFeedWeeks is how far ahead a feed lists shifts.
const OnCallFeedWeeks = 8

// OnCallService stores schedules and answers who is on call.
type OnCallService interface {
	// FindOnCallSchedules lists the schedules the actor sees, provider
	// schedules first, then by organisation and name; orgID narrows them to
	// one organisation's and the provider's.
	FindOnCallSchedules(ctx context.Context, orgID *int64) ([]*OnCallSchedule, error)
	// FindOnCallSchedule is ENOTFOUND outside the actor's scope.
	FindOnCallSchedule(ctx context.Context, id int64) (*OnCallSchedule, error)
	// CreateOnCallSchedule and UpdateOnCallSchedule store the canonical
	// definition (TimeZone, when set, becomes its zone); EINVALID for a
	// definition oncall.Parse refuses or a member who is not an active user
	// of the schedule's party, naming them.
	CreateOnCallSchedule(ctx context.Context, s *OnCallSchedule) error
	UpdateOnCallSchedule(ctx context.Context, s *OnCallSchedule) error
	DeleteOnCallSchedule(ctx context.Context, id int64) error
	// OnCallAt is the member on call at an instant, "" for nobody.
	OnCallAt(ctx context.Context, id int64, at time.Time) (string, error)
	// OnCallShifts are the shifts from one instant to another (at most
	// oncall.MaxWindow apart), in the schedule's zone.
	OnCallShifts(ctx context.Context, id int64, from, to time.Time) ([]OnCallShift, error)
	// RotateScheduleFeed and RotateMyFeed make a new secret feed token for
	// a schedule or for the actor's own shifts across schedules; the old one
	// stops working. The token is returned once; only its hash is stored.
	RotateScheduleFeed(ctx context.Context, id int64) (string, error)
	RotateMyFeed(ctx context.Context) (string, error)
	// OnCallFeed answers a feed token, without an actor (the token is the
	// credential): ENOTFOUND for an unknown token or a person no longer active.
	OnCallFeed(ctx context.Context, token string) (*OnCallFeed, error)
}
