package tandem

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"
)

// The service desk. A ticket belongs to one organisation and lands in the
// queue of the party Responsible for its service area in the accepted
// responsibility matrix (MatrixVersion.ResponsibleParty). Both teams work it
// in one place: comments carry a visibility, handoffs move it between the
// parties and must be accepted, and SLA clocks (sladesk.go) run on the
// organisation's business calendar.

// TicketStatus is where a ticket stands.
type TicketStatus string

// The statuses: new → open → pending-customer | pending-third-party →
// resolved → closed, with reopen from resolved and closed.
const (
	StatusNew               TicketStatus = "new"
	StatusOpen              TicketStatus = "open"
	StatusPendingCustomer   TicketStatus = "pending-customer"
	StatusPendingThirdParty TicketStatus = "pending-third-party"
	StatusResolved          TicketStatus = "resolved"
	StatusClosed            TicketStatus = "closed"
)

// TicketStatuses lists the statuses in workflow order.
var TicketStatuses = []TicketStatus{StatusNew, StatusOpen, StatusPendingCustomer, StatusPendingThirdParty, StatusResolved, StatusClosed}

// statusMoves lists where each status may go.
var statusMoves = map[TicketStatus][]TicketStatus{
	StatusNew:               {StatusOpen, StatusPendingCustomer, StatusPendingThirdParty, StatusResolved},
	StatusOpen:              {StatusPendingCustomer, StatusPendingThirdParty, StatusResolved},
	StatusPendingCustomer:   {StatusOpen, StatusPendingThirdParty, StatusResolved},
	StatusPendingThirdParty: {StatusOpen, StatusPendingCustomer, StatusResolved},
	StatusResolved:          {StatusOpen, StatusClosed},
	StatusClosed:            {StatusOpen},
}

// Valid reports whether s is one of the statuses.
func (s TicketStatus) Valid() bool { return slices.Contains(TicketStatuses, s) }

// Pending reports whether s waits on someone outside the teams: the
// resolution clock is paused.
func (s TicketStatus) Pending() bool {
	return s == StatusPendingCustomer || s == StatusPendingThirdParty
}

// Stopped reports whether the resolution clock is not running in s: pending,
// resolved or closed. Reopening resumes it where it stopped.
func (s TicketStatus) Stopped() bool {
	return s.Pending() || s == StatusResolved || s == StatusClosed
}

// Done reports whether the ticket is resolved or closed.
func (s TicketStatus) Done() bool { return s == StatusResolved || s == StatusClosed }

// CheckMove returns nil when a ticket may go from status s to next, and an
// EINVALID error naming the allowed moves otherwise.
func (s TicketStatus) CheckMove(next TicketStatus) error {
	if !next.Valid() {
		return Errorf(EINVALID, "Status %q is invalid: use one of %s.", next, joinStatuses(TicketStatuses))
	}
	if !slices.Contains(statusMoves[s], next) {
		return Errorf(EINVALID, "A %s ticket cannot become %s; it can become %s.", s, next, joinStatuses(statusMoves[s]))
	}
	return nil
}

func joinStatuses(list []TicketStatus) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Level is an impact or urgency: high, medium or low.
type Level string

// The three levels of the ITIL priority matrix.
const (
	LevelHigh   Level = "high"
	LevelMedium Level = "medium"
	LevelLow    Level = "low"
)

// Levels lists the levels, highest first.
var Levels = []Level{LevelHigh, LevelMedium, LevelLow}

// Valid reports whether l is one of the levels.
func (l Level) Valid() bool { return slices.Contains(Levels, l) }

// Priority is a ticket's priority: 1 (critical) to 5 (planning).
type Priority int

// PriorityNames names the priorities, from 1.
var PriorityNames = map[Priority]string{1: "Critical", 2: "High", 3: "Medium", 4: "Low", 5: "Planning"}

// Valid reports whether p is 1 to 5.
func (p Priority) Valid() bool { return p >= 1 && p <= 5 }

// String returns "P1 Critical" and the like.
func (p Priority) String() string {
	if !p.Valid() {
		return "P?"
	}
	return "P" + string(rune('0'+p)) + " " + PriorityNames[p]
}

// PriorityMatrix maps impact × urgency to a priority. Each organisation's SLA
// policy holds one; DefaultPriorityMatrix is ITIL's.
type PriorityMatrix map[Level]map[Level]Priority

// DefaultPriorityMatrix is the ITIL matrix: impact (rows) × urgency (columns).
func DefaultPriorityMatrix() PriorityMatrix {
	return PriorityMatrix{
		LevelHigh:   {LevelHigh: 1, LevelMedium: 2, LevelLow: 3},
		LevelMedium: {LevelHigh: 2, LevelMedium: 3, LevelLow: 4},
		LevelLow:    {LevelHigh: 3, LevelMedium: 4, LevelLow: 5},
	}
}

// Validate checks that every impact × urgency cell holds a priority 1 to 5.
func (m PriorityMatrix) Validate() error {
	for _, impact := range Levels {
		for _, urgency := range Levels {
			if p := m[impact][urgency]; !p.Valid() {
				return Errorf(EINVALID, "Priority matrix cell impact=%s urgency=%s must be 1 to 5, is %d.", impact, urgency, p)
			}
		}
	}
	for impact, row := range m {
		if !impact.Valid() {
			return Errorf(EINVALID, "Priority matrix impact %q is invalid: use high, medium or low.", impact)
		}
		for urgency := range row {
			if !urgency.Valid() {
				return Errorf(EINVALID, "Priority matrix urgency %q is invalid: use high, medium or low.", urgency)
			}
		}
	}
	return nil
}

// Priority returns the priority of impact × urgency.
func (m PriorityMatrix) Priority(impact, urgency Level) Priority { return m[impact][urgency] }

// Visibility says who may read a comment, an attachment or a timeline event.
type Visibility string

// The three visibilities of a co-managed desk.
const (
	VisibilityPublic Visibility = "public" // the requester and both teams
	VisibilityTeams  Visibility = "teams"  // both IT teams, not the requester
	VisibilityParty  Visibility = "party"  // only the author's party
)

// Valid reports whether v is one of the visibilities.
func (v Visibility) Valid() bool {
	return v == VisibilityPublic || v == VisibilityTeams || v == VisibilityParty
}

// IsRequesterRole reports whether an actor sees the desk as a requester: only
// their own (or watched) tickets, only public entries.
func (a *Actor) IsRequesterRole() bool {
	return !a.System && a.Party == PartyInternal && a.Role == RoleRequester
}

// CanSee reports whether the actor may read an entry of visibility v written
// by a member of party author. It is the one visibility rule: storage applies
// the same rule in SQL (sqlstore.visibilityScope) and a test keeps the two
// equal.
func (a *Actor) CanSee(v Visibility, author PartyKind) bool {
	switch {
	case a.System:
		return true
	case v == VisibilityPublic:
		return true
	case a.IsRequesterRole():
		return false
	case v == VisibilityTeams:
		return true
	default:
		return author == a.Party
	}
}

// SLAState summarises a ticket's clocks for lists and filters.
type SLAState string

// The SLA states, in the order a list filter offers them.
const (
	SLANone     SLAState = "none"     // no target applies (no policy, or done without one)
	SLAOK       SLAState = "ok"       // running, below the warning share
	SLAWarning  SLAState = "warning"  // running, past the warning share
	SLABreached SLAState = "breached" // a target was missed
	SLAPaused   SLAState = "paused"   // pending: the resolution clock is stopped
	SLAMet      SLAState = "met"      // resolved within every target
)

// SLAStates lists the states.
var SLAStates = []SLAState{SLANone, SLAOK, SLAWarning, SLABreached, SLAPaused, SLAMet}

// Ticket is one request or incident of an organisation.
type Ticket struct {
	ID             int64        `json:"id"`
	OrganizationID int64        `json:"organization_id"`
	RequesterID    int64        `json:"requester_id"`
	Title          string       `json:"title"`
	Description    string       `json:"description"` // Markdown
	AreaID         *int64       `json:"area_id"`
	Impact         Level        `json:"impact"`
	Urgency        Level        `json:"urgency"`
	Priority       Priority     `json:"priority"`
	Status         TicketStatus `json:"status"`
	// OwningParty is the party whose queue holds the ticket: routed from the
	// matrix on creation and when the area changes, moved by an accepted
	// handoff.
	OwningParty PartyKind `json:"owning_party"`
	// Unrouted is set when the matrix named no Responsible party for the
	// area (or none is accepted yet): the ticket went to the internal team
	// to triage.
	Unrouted   bool     `json:"unrouted"`
	AssigneeID *int64   `json:"assignee_id"`
	Watchers   []int64  `json:"watchers"`
	Tags       []string `json:"tags"`
	// PendingHandoff is the handoff waiting for the receiving party, if any.
	PendingHandoff *Handoff `json:"pending_handoff"`

	CreatedBy       int64      `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ClosedAt        *time.Time `json:"closed_at"`

	SLAState SLAState   `json:"sla_state"`
	Timers   []*Timer   `json:"timers"`
	Pauses   []Interval `json:"pauses,omitempty"`

	// People names the users the ticket mentions (its requester, assignee
	// and watchers) as the reader may know them: by name, else by email
	// where the reader may see that user, else by role ("provider
	// technician"). Whoever may read a ticket may know who works it, but
	// not, say, a technician's email when they may not see users.
	People map[int64]string `json:"-"`
}

// Interval is a period of time; End is nil while it lasts.
type Interval struct {
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end"`
}

// TicketInput is what a requester or technician fills in to open a ticket.
type TicketInput struct {
	OrganizationID int64    `json:"organization_id"`
	RequesterID    int64    `json:"requester_id"` // zero: the actor
	Title          string   `json:"title"`
	Description    string   `json:"description"`
	AreaID         *int64   `json:"area_id"`
	Impact         Level    `json:"impact"`  // empty: medium
	Urgency        Level    `json:"urgency"` // empty: medium
	AssigneeID     *int64   `json:"assignee_id"`
	Tags           []string `json:"tags"`
	Watchers       []int64  `json:"watchers"`
}

// Validate trims and checks the input, defaulting impact and urgency.
func (in *TicketInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		return Errorf(EINVALID, "Title is required: say in a few words what is wrong.")
	}
	if len([]rune(in.Title)) > 200 {
		return Errorf(EINVALID, "Title is longer than 200 characters; move the detail to the description.")
	}
	if len(in.Description) > MaxMarkdownBytes {
		return Errorf(EINVALID, "Description is longer than %d bytes; attach long logs as a file instead.", MaxMarkdownBytes)
	}
	if in.Impact == "" {
		in.Impact = LevelMedium
	}
	if in.Urgency == "" {
		in.Urgency = LevelMedium
	}
	if !in.Impact.Valid() {
		return Errorf(EINVALID, "Impact %q is invalid: use high, medium or low.", in.Impact)
	}
	if !in.Urgency.Valid() {
		return Errorf(EINVALID, "Urgency %q is invalid: use high, medium or low.", in.Urgency)
	}
	tags, err := NormalizeTags(in.Tags)
	in.Tags = tags
	return err
}

// MaxMarkdownBytes bounds a description or a comment.
const MaxMarkdownBytes = 64 << 10

// NormalizeTags lower-cases, trims and de-duplicates tags, refusing bad ones.
func NormalizeTags(tags []string) ([]string, error) {
	out := []string{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !tagPattern.MatchString(t) {
			return nil, Errorf(EINVALID, "Tag %q is invalid: use 1 to 40 letters, digits, hyphens, dots or underscores.", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > 20 {
		return nil, Errorf(EINVALID, "A ticket holds at most 20 tags, got %d.", len(out))
	}
	slices.Sort(out)
	return out, nil
}

// TicketUpdate holds the fields an update may change; nil leaves a field as
// it is. Changing the area re-routes the ticket from the matrix unless a
// handoff moved it; changing impact or urgency recomputes the priority and
// its SLA targets.
type TicketUpdate struct {
	Title       *string       `json:"title"`
	Description *string       `json:"description"`
	AreaID      *int64        `json:"area_id"`
	Impact      *Level        `json:"impact"`
	Urgency     *Level        `json:"urgency"`
	Status      *TicketStatus `json:"status"`
	// AssigneeID assigns the ticket; a pointer to zero unassigns it.
	AssigneeID *int64   `json:"assignee_id"`
	Tags       []string `json:"tags"` // nil leaves the tags; empty clears them
}

// TicketFilter selects tickets for a list or a queue. Zero values do not
// filter.
type TicketFilter struct {
	OrganizationID int64
	Party          PartyKind // owning party: a party queue
	Statuses       []TicketStatus
	Open           bool // not resolved or closed
	Priority       Priority
	SLAState       SLAState
	AssigneeID     int64
	Unassigned     bool
	RequesterID    int64
	AreaID         int64
	Tag            string
	Query          string // full-text search of title and description
	// AwaitingAcceptance lists tickets with a handoff waiting for Party.
	AwaitingAcceptance bool
	Limit              int
	Cursor             string
}

// TicketPage is one page of a ticket list, newest first.
type TicketPage struct {
	Tickets    []*Ticket `json:"tickets"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// EventKind names an entry of a ticket's timeline.
type EventKind string

// The timeline's entries.
const (
	EventCreated          EventKind = "created"
	EventComment          EventKind = "comment"
	EventStatus           EventKind = "status"
	EventAssigned         EventKind = "assigned"
	EventChanged          EventKind = "changed" // title, description, area, priority, tags
	EventRouted           EventKind = "routed"  // owning party set from the matrix
	EventHandoffRequested EventKind = "handoff_requested"
	EventHandoffAccepted  EventKind = "handoff_accepted"
	EventHandoffDeclined  EventKind = "handoff_declined"
	EventTime             EventKind = "time"
	EventAttachment       EventKind = "attachment"
	EventWatcher          EventKind = "watcher"
	EventSLAWarning       EventKind = "sla_warning"
	EventSLABreach        EventKind = "sla_breach"
	EventSLAMet           EventKind = "sla_met"
	EventEscalation       EventKind = "escalation" // an escalation step, acknowledgement or end
)

// Event is one entry of a ticket's timeline. Body is Markdown for comments
// and a short sentence otherwise; Data holds the details.
type Event struct {
	ID         int64          `json:"id"`
	TicketID   int64          `json:"ticket_id"`
	Kind       EventKind      `json:"kind"`
	Visibility Visibility     `json:"visibility"`
	ActorID    *int64         `json:"actor_id"`
	ActorName  string         `json:"actor_name"`
	Party      PartyKind      `json:"party"` // the author's party; empty for the system
	Body       string         `json:"body"`
	Data       map[string]any `json:"data,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

// CommentInput is a comment to add. A requester's comments are always public.
type CommentInput struct {
	Body       string     `json:"body"`
	Visibility Visibility `json:"visibility"` // empty: public
	// Status optionally moves the ticket in the same step ("reply and set
	// pending-customer").
	Status *TicketStatus `json:"status"`
}

// Validate trims and checks a comment.
func (c *CommentInput) Validate() error {
	c.Body = strings.TrimSpace(c.Body)
	if c.Body == "" {
		return Errorf(EINVALID, "Comment is empty: write something.")
	}
	if len(c.Body) > MaxMarkdownBytes {
		return Errorf(EINVALID, "Comment is longer than %d bytes; attach long logs as a file instead.", MaxMarkdownBytes)
	}
	if c.Visibility == "" {
		c.Visibility = VisibilityPublic
	}
	if !c.Visibility.Valid() {
		return Errorf(EINVALID, "Visibility %q is invalid: use public, teams or party.", c.Visibility)
	}
	return nil
}

// HandoffStatus is where a handoff stands.
type HandoffStatus string

// A handoff waits until the receiving party accepts or declines it.
const (
	HandoffPending  HandoffStatus = "pending"
	HandoffAccepted HandoffStatus = "accepted"
	HandoffDeclined HandoffStatus = "declined"
)

// Handoff moves a ticket from one party to the other: "escalate to provider"
// or "hand back to internal". The receiving party must accept it; until then
// the ticket stays with the sending party, and the OLA clock of the receiving
// party runs.
type Handoff struct {
	ID          int64         `json:"id"`
	TicketID    int64         `json:"ticket_id"`
	FromParty   PartyKind     `json:"from_party"`
	ToParty     PartyKind     `json:"to_party"`
	Reason      string        `json:"reason"`
	Status      HandoffStatus `json:"status"`
	RequestedBy int64         `json:"requested_by"`
	RequestedAt time.Time     `json:"requested_at"`
	AnsweredBy  *int64        `json:"answered_by"`
	AnsweredAt  *time.Time    `json:"answered_at"`
	Answer      string        `json:"answer"` // the reason for declining
}

// TimeEntry is time spent on a ticket by one person of one party.
type TimeEntry struct {
	ID        int64     `json:"id"`
	TicketID  int64     `json:"ticket_id"`
	UserID    int64     `json:"user_id"`
	Party     PartyKind `json:"party"`
	Minutes   int       `json:"minutes"`
	Billable  bool      `json:"billable"`
	Note      string    `json:"note"`
	SpentOn   string    `json:"spent_on"` // local date, YYYY-MM-DD
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a time entry before it is stored.
func (e *TimeEntry) Validate() error {
	if e.Minutes < 1 || e.Minutes > 24*60 {
		return Errorf(EINVALID, "Minutes must be 1 to 1440, got %d; log longer work as several entries.", e.Minutes)
	}
	e.Note = strings.TrimSpace(e.Note)
	if len([]rune(e.Note)) > 500 {
		return Errorf(EINVALID, "Note is longer than 500 characters.")
	}
	if e.SpentOn != "" {
		if _, err := time.Parse(time.DateOnly, e.SpentOn); err != nil {
			return Errorf(EINVALID, "spent_on %q is not a date: use YYYY-MM-DD.", e.SpentOn)
		}
	}
	return nil
}

// Attachment is a file attached to a ticket. Its bytes live in a BlobStore,
// not in the ticket rows, and are always served as a download.
type Attachment struct {
	ID          int64      `json:"id"`
	TicketID    int64      `json:"ticket_id"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	Visibility  Visibility `json:"visibility"`
	Party       PartyKind  `json:"party"` // the uploader's party
	UploadedBy  int64      `json:"uploaded_by"`
	CreatedAt   time.Time  `json:"created_at"`
}

// TicketService is the service desk. Every method returns ENOTFOUND for a
// ticket or organisation outside the actor's scope (for requesters: tickets
// they neither requested nor watch), EFORBIDDEN when the role does not allow
// the change, and records each change on the timeline and in the audit trail.
type TicketService interface {
	// CreateTicket opens a ticket, routes it from the accepted matrix and
	// starts its SLA clocks. Requesters open tickets for themselves only.
	CreateTicket(ctx context.Context, in TicketInput) (*Ticket, error)
	// FindTicket returns a ticket with its watchers, tags, pending handoff
	// and timers.
	FindTicket(ctx context.Context, id int64) (*Ticket, error)
	// FindTickets lists tickets in scope, newest first.
	FindTickets(ctx context.Context, f TicketFilter) (*TicketPage, error)
	// Summary counts the tickets in scope for the home pages (DeskSummary),
	// without reading them.
	Summary(ctx context.Context, q DeskSummaryQuery) (*DeskSummary, error)
	// UpdateTicket changes fields and status (EINVALID for a move the
	// workflow does not allow).
	UpdateTicket(ctx context.Context, id int64, upd TicketUpdate) (*Ticket, error)
	// AddComment adds a comment. A requester's public reply on a
	// pending-customer ticket reopens it; a public reply by the owning party
	// is the first response.
	AddComment(ctx context.Context, id int64, in CommentInput) (*Event, error)
	// Timeline returns the entries the actor may see, oldest first.
	Timeline(ctx context.Context, id int64) ([]*Event, error)
	// RequestHandoff hands the ticket to the other party with a reason.
	// ECONFLICT while another handoff waits; EFORBIDDEN unless the actor's
	// party owns the ticket.
	RequestHandoff(ctx context.Context, id int64, reason string) (*Handoff, error)
	// AnswerHandoff accepts or declines (with a reason) a pending handoff;
	// only the receiving party may. Accepting moves the ticket to that
	// party's queue and assigns it to the actor.
	AnswerHandoff(ctx context.Context, id, handoffID int64, accept bool, reason string) (*Handoff, error)
	// Handoffs lists a ticket's handoffs, oldest first.
	Handoffs(ctx context.Context, id int64) ([]*Handoff, error)
	// AddWatcher and RemoveWatcher change who follows a ticket.
	AddWatcher(ctx context.Context, id, userID int64) error
	RemoveWatcher(ctx context.Context, id, userID int64) error
	// AddTimeEntry logs time for the actor (or, for admins, another member
	// of their party).
	AddTimeEntry(ctx context.Context, id int64, e *TimeEntry) error
	// TimeEntries lists a ticket's time entries; requesters see none.
	TimeEntries(ctx context.Context, id int64) ([]*TimeEntry, error)
	// AddAttachment stores a file read from r (refused above the size limit
	// or when its content does not match an allowed type).
	AddAttachment(ctx context.Context, id int64, a *Attachment, r io.Reader) error
	// Attachments lists the attachments the actor may see.
	Attachments(ctx context.Context, id int64) ([]*Attachment, error)
	// OpenAttachment returns an attachment and its bytes; the caller closes
	// the reader.
	OpenAttachment(ctx context.Context, id, attachmentID int64) (*Attachment, io.ReadCloser, error)
}
