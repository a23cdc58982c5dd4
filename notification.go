package tandem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"
)

// Channel is how a notification reaches its recipient.
type Channel string

const (
	// ChannelInApp is the bell and the notifications page: delivered when
	// written.
	ChannelInApp Channel = "inapp"
	// ChannelEmail is an email over SMTP.
	ChannelEmail Channel = "email"
	// ChannelWebhook is a signed HTTP POST to a configured webhook.
	ChannelWebhook Channel = "webhook"
)

// Channels lists every channel, in the order the settings show them.
var Channels = []Channel{ChannelInApp, ChannelEmail, ChannelWebhook}

// NotificationKind is what a notification tells: the rule that made it.
type NotificationKind string

const (
	// For requesters.
	NotifyReply           NotificationKind = "reply"            // a public reply on their ticket
	NotifyResolved        NotificationKind = "resolved"         // their ticket was resolved
	NotifyPendingCustomer NotificationKind = "pending_customer" // a question waits on them
	// For the owning party's technicians.
	NotifyNewTicket      NotificationKind = "new_ticket"      // a new ticket in their party's queue
	NotifyHandoff        NotificationKind = "handoff"         // a handoff waits for their party
	NotifyAssigned       NotificationKind = "assigned"        // a ticket was assigned to them
	NotifyWatchedComment NotificationKind = "watched_comment" // a comment on a ticket they watch
	// For the Consulted and Informed parties of the ticket's area.
	NotifyMajorTicket NotificationKind = "major_ticket" // a new P1 or P2 ticket
	// For admins.
	NotifySLAWarning     NotificationKind = "sla_warning"
	NotifySLABreach      NotificationKind = "sla_breach"
	NotifyOLABreach      NotificationKind = "ola_breach"
	NotifyDeliveryFailed NotificationKind = "delivery_failed"
	// For an escalation policy's targets: cannot be silenced for P1.
	NotifyEscalation NotificationKind = "escalation"
	// The password reset link: always sent, by email only.
	NotifyPasswordReset NotificationKind = "password_reset"
	// A webhook's "Send a test": one delivery to that webhook alone.
	NotifyWebhookTest NotificationKind = "webhook_test"
)

// DeliveryState is where a notification's delivery stands.
type DeliveryState string

const (
	DeliveryPending DeliveryState = "pending" // waiting for its first or next attempt
	DeliverySent    DeliveryState = "sent"    // delivered (in-app: written)
	DeliveryFailed  DeliveryState = "failed"  // failed for good; the admins are told
	// DeliveryHeld is an email that no SMTP server was configured to send:
	// recorded in the outbox, so one sees what would have been sent.
	DeliveryHeld DeliveryState = "held"
)

// Notification is one message to one recipient on one channel: a row of
// the outbox, written in the transaction of the event that causes it.
type Notification struct {
	ID             int64            `json:"id"`
	OrganizationID *int64           `json:"organization_id"`
	TicketID       *int64           `json:"ticket_id,omitempty"`
	IncidentID     *int64           `json:"incident_id,omitempty"`
	UserID         *int64           `json:"user_id,omitempty"`    // the recipient, for in-app and email
	WebhookID      *int64           `json:"webhook_id,omitempty"` // the recipient, for webhooks
	Address        string           `json:"address,omitempty"`    // the email address at the time it was written
	Channel        Channel          `json:"channel"`
	Kind           NotificationKind `json:"kind"`
	Priority       Priority         `json:"priority,omitempty"` // the ticket's, when it has one
	Subject        string           `json:"subject"`
	Body           string           `json:"body"`                 // plain text
	Link           string           `json:"link,omitempty"`       // path of the page it is about, such as /tickets/42
	ActionURL      string           `json:"action_url,omitempty"` // an acknowledgement link, when there is one
	State          DeliveryState    `json:"state"`
	Attempts       int              `json:"attempts"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at,omitempty"`
	LastError      string           `json:"last_error,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	DeliveredAt    *time.Time       `json:"delivered_at,omitempty"`
	ReadAt         *time.Time       `json:"read_at,omitempty"` // in-app only
	// Recipient names whom it went to as the reader may know them (a
	// person's name or email, a webhook's name); set by FindOutbox only.
	Recipient string `json:"recipient,omitempty"`
	// AttemptLog is every attempt at delivering it, oldest first, where a
	// delivery log asks for them (WebhookService.FindDeliveries).
	AttemptLog []DeliveryAttempt `json:"attempt_log,omitempty"`
}

// Delivery is a notification claimed for an attempt, with what its channel
// needs to send it. Webhook is set for webhook deliveries; the thread
// fields for email.
type Delivery struct {
	*Notification
	Webhook *Webhook
	// MessageID is this email's Message-ID; ThreadID the Message-ID every
	// email about the same ticket refers to (In-Reply-To, References), so
	// mail clients thread them.
	MessageID string
	ThreadID  string
	// BaseURL is the server's public URL, for absolute links.
	BaseURL string
	// Status is the HTTP status a webhook's receiver answered, set by its
	// deliverer, for the delivery log.
	Status int
}

// Deliverer sends deliveries of one channel. A returned error is retried
// with backoff unless it is Permanent.
type Deliverer interface {
	Deliver(ctx context.Context, d *Delivery) error
}

// PermanentError marks a delivery error that retrying cannot cure (a
// refused address, a 4xx other than 408/429): the delivery fails at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// NotificationFilter selects notifications; scope always applies.
type NotificationFilter struct {
	OrganizationID *int64
	TicketID       *int64
	WebhookID      *int64
	Channel        *Channel
	State          *DeliveryState
	Unread         bool
	Limit          int
	BeforeID       int64 // paging: only rows with a smaller id
}

// NotificationPreferences are one user's choices: which kinds reach them
// on which channel, and their quiet hours. A kind missing from Off is on.
// Escalations of P1 tickets ignore both.
type NotificationPreferences struct {
	UserID int64 `json:"user_id"`
	// Off lists, per channel, the kinds the user turned off.
	Off map[Channel][]NotificationKind `json:"off"`
	// QuietFrom and QuietTo are local wall-clock times ("22:00", "07:00")
	// in TimeZone; empty means no quiet hours. Emails falling inside wait
	// until QuietTo; in-app notifications are written at once.
	QuietFrom string `json:"quiet_from"`
	QuietTo   string `json:"quiet_to"`
	TimeZone  string `json:"time_zone"`
}

// Wants reports whether the user receives kind on ch, P1 escalations
// always.
func (p *NotificationPreferences) Wants(ch Channel, kind NotificationKind, pr Priority) bool {
	if kind == NotifyEscalation && pr == 1 || kind == NotifyPasswordReset {
		return true
	}
	if p == nil {
		return true
	}
	for _, k := range p.Off[ch] {
		if k == kind {
			return false
		}
	}
	return true
}

// NotificationService is the actor's own notifications and settings, and
// the outbox for the admins.
type NotificationService interface {
	// FindNotifications returns the actor's in-app notifications, newest first.
	FindNotifications(ctx context.Context, filter NotificationFilter) ([]*Notification, error)
	// UnreadCount is the number on the bell.
	UnreadCount(ctx context.Context) (int, error)
	// MarkRead marks the actor's notifications read: those listed, or all
	// when ids is empty.
	MarkRead(ctx context.Context, ids []int64) error
	// FindPreferences and UpdatePreferences read and change the actor's
	// preferences (EINVALID names what is wrong).
	FindPreferences(ctx context.Context) (*NotificationPreferences, error)
	UpdatePreferences(ctx context.Context, p *NotificationPreferences) error
	// FindOutbox lists every notification on every channel the actor may
	// oversee: provider admins all, an organisation's admins their own
	// organisation's; newest first. On a ticket (filter.TicketID) anyone
	// who sees the ticket's team content sees who was notified.
	FindOutbox(ctx context.Context, filter NotificationFilter) ([]*Notification, error)
}

// PasswordResetService sends password reset links by email and redeems them.
type PasswordResetService interface {
	// RequestPasswordReset writes a reset email for the active account of
	// that address, if there is one, and answers the same either way;
	// throttled per address and per client (ETOOMANY).
	RequestPasswordReset(ctx context.Context, email string) error
	// ResetPassword sets a new password with a link's token: single use,
	// valid 30 minutes, ending every session of the user. EINVALID for a
	// weak password (the token stays usable), EUNAUTHORIZED for a token
	// that is unknown, used or expired.
	ResetPassword(ctx context.Context, token, password string) error
}

// PasswordResetTTL is how long a password reset link works.
const PasswordResetTTL = 30 * time.Minute

// WebhookFormat is the shape of a webhook's body.
type WebhookFormat string

const (
	WebhookJSON  WebhookFormat = "json"  // Tandem's own JSON, documented in docs/WEBHOOKS.md
	WebhookSlack WebhookFormat = "slack" // a Slack incoming-webhook message
	WebhookTeams WebhookFormat = "teams" // a Microsoft Teams (Workflows) message card
)

// Webhook is an HTTP endpoint notifications are posted to. A provider
// webhook (OrganizationID nil) receives its kinds for every organisation;
// an organisation's webhook only that organisation's, and never content
// visible to the provider's team alone.
type Webhook struct {
	ID             int64              `json:"id"`
	OrganizationID *int64             `json:"organization_id"`
	Party          PartyKind          `json:"party"` // whose webhook: the party whose team content it may carry
	Name           string             `json:"name"`
	URL            string             `json:"url"`
	Format         WebhookFormat      `json:"format"`
	Kinds          []NotificationKind `json:"kinds"` // empty: every kind
	// Secret signs every request (Tandem-Signature); shown once, at creation.
	Secret string `json:"secret,omitempty"`
	// AllowPrivate lets the URL resolve to private ranges (RFC 1918, ULA,
	// loopback, link-local); only a provider admin sets it. Cloud metadata
	// addresses are refused whatever it says.
	AllowPrivate bool      `json:"allow_private"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// WebhookService manages webhooks and shows their delivery logs. Provider
// admins manage the provider's webhooks (OrganizationID nil) and see every
// organisation's; an organisation's IT admins manage its own. Anyone else
// is refused (EFORBIDDEN), and a webhook outside scope is ENOTFOUND. Reads
// never return the secret.
type WebhookService interface {
	// FindWebhooks lists the webhooks in scope: of one organisation when
	// orgID is set, else every one the actor sees, the provider's first.
	FindWebhooks(ctx context.Context, orgID *int64) ([]*Webhook, error)
	FindWebhook(ctx context.Context, id int64) (*Webhook, error)
	// CreateWebhook stores w and returns it with its secret set, once.
	// Its party follows from its organisation (none: the provider).
	// EINVALID names a bad field; EFORBIDDEN for AllowPrivate set by
	// anyone but a provider admin.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// UpdateWebhook changes name, URL, format, kinds, active and
	// AllowPrivate; the organisation, party and secret stay.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error
	// RotateWebhookSecret gives the webhook a new secret and returns it,
	// once; the old one stops signing at once.
	RotateWebhookSecret(ctx context.Context, id int64) (string, error)
	// TestWebhook enqueues one NotifyWebhookTest delivery to the webhook,
	// active or not, and returns it.
	TestWebhook(ctx context.Context, id int64) (*Notification, error)
	// FindDeliveries is a webhook's delivery log, newest first: each
	// notification with its attempts (AttemptLog); limit 0 means 50.
	FindDeliveries(ctx context.Context, webhookID int64, limit int) ([]*Notification, error)
}

// DeliveryAttempt is one try at delivering a notification.
type DeliveryAttempt struct {
	NotificationID int64     `json:"notification_id"`
	At             time.Time `json:"at"`
	OK             bool      `json:"ok"`
	Status         int       `json:"status,omitempty"` // the HTTP status of a webhook's answer
	Error          string    `json:"error,omitempty"`
}

// RetryWindow is how long a failing email or webhook delivery is retried
// before it fails for good.
const RetryWindow = 24 * time.Hour

// RetryDelay is how long a delivery waits after its attempt-th failure
// (1-based): 15 s doubling up to an hour, each delay spread by jitter, a
// number in [0, 1), over ±25 % so that deliveries failing together do not
// retry together.
func RetryDelay(attempt int, jitter float64) time.Duration {
	d := 15 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.75 + jitter/2))
}

// NewOwnerID names a process in its claims of durable work: its host name
// and a random suffix.
func NewOwnerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}
