package tandem

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"time"
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._-]{0,39}$`)

// BusinessCalendar is an organisation's named business calendar. Definition
// is the exchange JSON of package sla, exactly:
//
//	{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-25"]}
type BusinessCalendar struct {
	ID             int64           `json:"id"`
	OrganizationID int64           `json:"organization_id"`
	Name           string          `json:"name"`
	Definition     json.RawMessage `json:"definition"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// Validate trims the name; the definition is checked by sla.ParseCalendar
// where it is stored.
func (c *BusinessCalendar) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return Errorf(EINVALID, "Calendar name is required.")
	}
	if len([]rune(c.Name)) > 100 {
		return Errorf(EINVALID, "Calendar name is longer than 100 characters; shorten it.")
	}
	return nil
}

// SLATarget is, for one priority, how many business minutes the owning
// party has to respond and to resolve. Zero means no target.
type SLATarget struct {
	Priority          Priority `json:"priority"`
	ResponseMinutes   int      `json:"response_minutes"`
	ResolutionMinutes int      `json:"resolution_minutes"`
}

// OLATarget is how many business minutes a party has to accept a handoff
// sent to it.
type OLATarget struct {
	Party         PartyKind `json:"party"`
	AcceptMinutes int       `json:"accept_minutes"`
}

// SLAPolicy is an organisation's service levels: the calendar the clocks run
// on (none: 24×7), the targets per priority, the OLAs per party, the share of
// a target at which a warning fires, the priority matrix, and the staff
// actions that count as a response besides a public reply
// (CountsAsResponse).
type SLAPolicy struct {
	OrganizationID  int64          `json:"organization_id"`
	CalendarID      *int64         `json:"calendar_id"`
	WarnPercent     int            `json:"warn_percent"`
	Targets         []SLATarget    `json:"targets"`
	OLAs            []OLATarget    `json:"olas"`
	PriorityMatrix  PriorityMatrix `json:"priority_matrix"`
	ResponseActions []StaffAction  `json:"response_actions"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// DefaultSLAPolicy is the policy an organisation has until an admin sets
// one: 24×7, warning at 75%, the ITIL matrix and common MSP targets; only a
// public reply counts as a response.
func DefaultSLAPolicy(orgID int64) *SLAPolicy {
	return &SLAPolicy{
		OrganizationID: orgID,
		WarnPercent:    75,
		Targets: []SLATarget{
			{1, 30, 4 * 60},
			{2, 60, 8 * 60},
			{3, 4 * 60, 3 * 8 * 60},
			{4, 8 * 60, 5 * 8 * 60},
			{5, 2 * 8 * 60, 10 * 8 * 60},
		},
		OLAs:            []OLATarget{{PartyInternal, 60}, {PartyProvider, 30}},
		PriorityMatrix:  DefaultPriorityMatrix(),
		ResponseActions: []StaffAction{},
	}
}

// Validate checks a policy before it is stored.
func (p *SLAPolicy) Validate() error {
	if p.WarnPercent == 0 {
		p.WarnPercent = 75
	}
	if p.WarnPercent < 1 || p.WarnPercent > 99 {
		return Errorf(EINVALID, "warn_percent must be 1 to 99, got %d.", p.WarnPercent)
	}
	seen := map[Priority]bool{}
	for _, t := range p.Targets {
		if !t.Priority.Valid() {
			return Errorf(EINVALID, "Target priority must be 1 to 5, got %d.", t.Priority)
		}
		if seen[t.Priority] {
			return Errorf(EINVALID, "Priority %d has more than one target; send one per priority.", t.Priority)
		}
		seen[t.Priority] = true
		if t.ResponseMinutes < 0 || t.ResolutionMinutes < 0 || t.ResponseMinutes > 1e6 || t.ResolutionMinutes > 1e6 {
			return Errorf(EINVALID, "Targets of priority %d must be 0 to 1000000 minutes (0: none).", t.Priority)
		}
	}
	parties := map[PartyKind]bool{}
	for _, o := range p.OLAs {
		if o.Party != PartyInternal && o.Party != PartyProvider {
			return Errorf(EINVALID, "OLA party %q is invalid: use internal or provider.", o.Party)
		}
		if parties[o.Party] {
			return Errorf(EINVALID, "The %s party has more than one OLA; send one per party.", o.Party)
		}
		parties[o.Party] = true
		if o.AcceptMinutes < 0 || o.AcceptMinutes > 1e6 {
			return Errorf(EINVALID, "OLA of the %s party must be 0 to 1000000 minutes (0: none).", o.Party)
		}
	}
	if err := p.validateResponseActions(); err != nil {
		return err
	}
	if p.PriorityMatrix == nil {
		p.PriorityMatrix = DefaultPriorityMatrix()
	}
	return p.PriorityMatrix.Validate()
}

// Target returns the targets for a priority (zero when none).
func (p *SLAPolicy) Target(pr Priority) SLATarget {
	for _, t := range p.Targets {
		if t.Priority == pr {
			return t
		}
	}
	return SLATarget{Priority: pr}
}

// OLA returns the minutes a party has to accept a handoff (zero: none).
func (p *SLAPolicy) OLA(party PartyKind) int {
	for _, o := range p.OLAs {
		if o.Party == party {
			return o.AcceptMinutes
		}
	}
	return 0
}

// TimerKind names an SLA or OLA clock of a ticket.
type TimerKind string

// The clocks: response and resolution (SLA), and acceptance of a handoff (OLA).
const (
	TimerResponse   TimerKind = "response"
	TimerResolution TimerKind = "resolution"
	TimerAccept     TimerKind = "accept"
)

// TimerState is where a clock stands.
type TimerState string

// A timer runs (or is paused) until it is met, breached or cancelled. A
// breached timer that is later met stays breached, with MetAt set.
const (
	TimerRunning   TimerState = "running"
	TimerPaused    TimerState = "paused"
	TimerMet       TimerState = "met"
	TimerBreached  TimerState = "breached"
	TimerCancelled TimerState = "cancelled"
)

// Timer is one durable clock of a ticket. A running clock's row holds its
// origin on the business clock, from which its due and warning instants
// follow under the policy in force; a stopped one's row holds them as they
// were when it stopped. The worker fires the warning
// and the breach once each (WarnedAt, BreachedAt), so a restart neither
// loses nor repeats them.
type Timer struct {
	ID        int64      `json:"id"`
	TicketID  int64      `json:"ticket_id"`
	Kind      TimerKind  `json:"kind"`
	Party     PartyKind  `json:"party"` // who must act
	HandoffID *int64     `json:"handoff_id,omitempty"`
	State     TimerState `json:"state"`
	Minutes   int        `json:"target_minutes"`
	StartedAt time.Time  `json:"started_at"`
	// DueAt and WarnAt are nil while paused.
	DueAt      *time.Time `json:"due_at"`
	WarnAt     *time.Time `json:"warn_at"`
	WarnedAt   *time.Time `json:"warned_at"`
	BreachedAt *time.Time `json:"breached_at"`
	MetAt      *time.Time `json:"met_at"`
	// ElapsedMinutes is the business time used when the timer was last
	// read (or when it stopped).
	ElapsedMinutes float64 `json:"elapsed_minutes"`
	// Origin is, while the clock runs, its position on the business clock
	// (sla.Clock) at which it would have started had it never been paused:
	// the stored value from which the due and warning instants follow for
	// whatever target the policy sets (TimerPlanner.Refresh).
	Origin *time.Duration `json:"-"`
}

// SLAService stores business calendars and SLA policies and runs the timer
// worker. Methods on an organisation return ENOTFOUND outside the actor's
// scope and EFORBIDDEN without sla.manage for changes.
type SLAService interface {
	FindCalendars(ctx context.Context, orgID int64) ([]*BusinessCalendar, error)
	FindCalendar(ctx context.Context, orgID, id int64) (*BusinessCalendar, error)
	// CreateCalendar and UpdateCalendar refuse a definition that
	// sla.ParseCalendar refuses, with its message.
	CreateCalendar(ctx context.Context, c *BusinessCalendar) error
	UpdateCalendar(ctx context.Context, c *BusinessCalendar) error
	// DeleteCalendar refuses (ECONFLICT) a calendar the policy uses.
	DeleteCalendar(ctx context.Context, orgID, id int64) error
	// ImportHolidays adds the all-day events of an iCalendar file as
	// holidays and returns the calendar with the dates added.
	ImportHolidays(ctx context.Context, orgID, id int64, ics io.Reader) (*BusinessCalendar, []string, error)
	// SLATimeZone returns the time zone the organisation's SLA clocks run
	// in (UTC for 24×7), for showing due instants: any actor who can see
	// the organisation may ask, requesters included.
	SLATimeZone(ctx context.Context, orgID int64) (*time.Location, error)
	// FindSLAPolicy returns the organisation's policy, or the default.
	FindSLAPolicy(ctx context.Context, orgID int64) (*SLAPolicy, error)
	// UpdateSLAPolicy replaces the policy; the open tickets' clocks follow
	// it (a change of calendar counts from when it is made), and the
	// tickets whose clocks cross a warning share or a target change state.
	UpdateSLAPolicy(ctx context.Context, p *SLAPolicy) error
	// ProcessTimers fires the warnings and breaches due at or before now,
	// each once, and returns how many it fired. The worker calls it.
	ProcessTimers(ctx context.Context, now time.Time) (int, error)
	// NextTimer returns the earliest instant a warning or breach not yet
	// fired comes due, or the zero time when none is pending, so that the
	// worker can wake for it. Only the system asks.
	NextTimer(ctx context.Context) (time.Time, error)
}

// BlobStore keeps attachment bytes outside the ticket rows: in the data
// directory by default, in the database when replicas share no disk.
type BlobStore interface {
	// Put stores the bytes under their SHA-256 (hex); storing the same
	// bytes twice keeps one copy.
	Put(ctx context.Context, sha256 string, r io.Reader) error
	Open(ctx context.Context, sha256 string) (io.ReadCloser, error)
}
