package tandem

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/agentproto"
)

// DeviceStatus is whether a device's agent is reporting.
type DeviceStatus string

// A device is online while it checks in, offline after
// agentproto.OfflineAfterIntervals intervals without a check-in, and
// revoked when an admin cut its agent off.
const (
	DeviceOnline  DeviceStatus = "online"
	DeviceOffline DeviceStatus = "offline"
	DeviceRevoked DeviceStatus = "revoked"
)

// Device is an endpoint enrolled with tandem-agent: an asset of its
// organisation, created at enrolment and kept current by its check-ins and
// inventory.
type Device struct {
	ID             int64        `json:"id"`
	OrganizationID int64        `json:"organization_id"`
	Hostname       string       `json:"hostname"`
	OS             string       `json:"os"`
	OSName         string       `json:"os_name"`
	OSVersion      string       `json:"os_version"`
	Kernel         string       `json:"kernel"`
	Arch           string       `json:"arch"`
	Manufacturer   string       `json:"manufacturer"`
	Model          string       `json:"model"`
	Serial         string       `json:"serial"`
	MemoryBytes    uint64       `json:"memory_bytes"`
	Site           string       `json:"site"`
	Group          string       `json:"group"`
	AgentVersion   string       `json:"agent_version"`
	Status         DeviceStatus `json:"status"`
	EnrolledAt     time.Time    `json:"enrolled_at"`
	LastSeenAt     *time.Time   `json:"last_seen_at"`
	RevokedAt      *time.Time   `json:"revoked_at,omitempty"`
	// The latest check-in's figures.
	CPUPercent     *float64            `json:"cpu_pct"`
	MemoryPercent  *float64            `json:"memory_pct"`
	DiskPercent    *float64            `json:"disk_pct"`
	UptimeSeconds  *int64              `json:"uptime_s"`
	Latest         *agentproto.Metrics `json:"latest,omitempty"`
	ChecksFailing  int                 `json:"checks_failing"`
	DroppedMetrics int64               `json:"dropped_metrics"`
	// From the inventory.
	PendingUpdates      int        `json:"pending_updates"`
	UpdatesPendingSince *time.Time `json:"updates_pending_since"`
	RebootRequired      bool       `json:"reboot_required"`
	InventoryAt         *time.Time `json:"inventory_at"`
	CheckinInterval     int        `json:"checkin_interval_s"`
}

// DeviceFilter narrows a device list.
type DeviceFilter struct {
	OrganizationID *int64
	Status         DeviceStatus // or "failing": a check failing
	OS             string
	// Search matches hostname, serial, model or OS name, case-insensitively.
	Search string
	Limit  int
	Cursor string
}

// DeviceCounts are the devices in scope by status; Failing counts the
// devices not revoked with a local check failing, whatever their status.
type DeviceCounts struct {
	Total   int `json:"total"`
	Online  int `json:"online"`
	Offline int `json:"offline"`
	Revoked int `json:"revoked"`
	Failing int `json:"failing"`
}

// DeviceFilterFailing lists devices with a local check failing.
const DeviceFilterFailing DeviceStatus = "failing"

// Validate checks a device filter's fields.
func (f *DeviceFilter) Validate() error {
	if f.Status != "" && !slices.Contains([]DeviceStatus{DeviceOnline, DeviceOffline, DeviceRevoked, DeviceFilterFailing}, f.Status) {
		return Errorf(EINVALID, "status %q is not a device status: use online, offline, revoked or failing.", f.Status)
	}
	if f.OS != "" && !slices.Contains([]string{agentproto.OSLinux, agentproto.OSWindows, agentproto.OSMacOS}, f.OS) {
		return Errorf(EINVALID, "os %q is unknown: use linux, windows or darwin.", f.OS)
	}
	if utf8.RuneCountInString(f.Search) > 200 {
		return Errorf(EINVALID, "search is longer than 200 characters: shorten it.")
	}
	return nil
}

// DeviceEvent is one entry of a device's history.
type DeviceEvent struct {
	ID      int64          `json:"id"`
	At      time.Time      `json:"at"`
	Kind    string         `json:"kind"`
	Summary map[string]any `json:"summary"`
}

// Kinds of device events.
const (
	DeviceEventEnrolled     = "enrolled"
	DeviceEventOnline       = "online"
	DeviceEventOffline      = "offline"
	DeviceEventRevoked      = "revoked"
	DeviceEventRotated      = "credential_rotated"
	DeviceEventInventory    = "inventory"      // first inventory
	DeviceEventSoftwareAdd  = "software_added" // summary: name, version
	DeviceEventSoftwareDrop = "software_removed"
	DeviceEventSoftwareUp   = "software_changed" // summary: name, from, to
	DeviceEventOSChanged    = "os_changed"
	DeviceEventMemory       = "memory_changed"
	DeviceEventHardware     = "hardware_changed"
	DeviceEventCheck        = "check_changed" // summary: check, name, from, to, output
)

// DeviceCheck is a local check's standing on one device.
type DeviceCheck struct {
	CheckID int64                 `json:"check_id"`
	Name    string                `json:"name"`
	Kind    agentproto.CheckKind  `json:"kind"`
	State   agentproto.CheckState `json:"state"`
	Output  string                `json:"output"`
	Since   time.Time             `json:"since"`
}

// MetricPoint is a device's figures over one step of a chart: a raw
// sample, or an hour's rollup (averages, with the maxima).
type MetricPoint struct {
	At        time.Time `json:"at"`
	CPU       float64   `json:"cpu_pct"`
	CPUMax    float64   `json:"cpu_max_pct"`
	Memory    float64   `json:"memory_pct"`
	MemoryMax float64   `json:"memory_max_pct"`
	Disk      float64   `json:"disk_pct"`
}

// EnrollmentToken lets agents enrol into an organisation. The token itself
// is returned once, by the call that creates it.
type EnrollmentToken struct {
	ID             int64      `json:"id"`
	OrganizationID int64      `json:"organization_id"`
	Description    string     `json:"description"`
	Site           string     `json:"site"`
	Group          string     `json:"group"`
	MaxUses        *int       `json:"max_uses"`
	Uses           int        `json:"uses"`
	ExpiresAt      time.Time  `json:"expires_at"`
	CreatedAt      time.Time  `json:"created_at"`
	CreatedBy      *int64     `json:"created_by"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	Token          string     `json:"token,omitempty"`
}

// Usable says why the token can no longer enrol, or "" when it can.
func (t *EnrollmentToken) Usable(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	case t.MaxUses != nil && t.Uses >= *t.MaxUses:
		return "used up"
	}
	return ""
}

// Limits of an enrolment token.
const (
	MaxEnrollmentValidity = 365 * 24 * time.Hour
	MaxEnrollmentUses     = 1_000_000
)

// Validate checks an enrolment token's fields before it is created.
func (t *EnrollmentToken) Validate(validFor time.Duration) error {
	t.Description, t.Site, t.Group = strings.TrimSpace(t.Description), strings.TrimSpace(t.Site), strings.TrimSpace(t.Group)
	for name, v := range map[string]string{"description": t.Description, "site": t.Site, "group": t.Group} {
		if utf8.RuneCountInString(v) > 100 {
			return Errorf(EINVALID, "%s is longer than 100 characters: shorten it.", name)
		}
		if strings.ContainsFunc(v, isControl) {
			return Errorf(EINVALID, "%s contains a control character: remove it.", name)
		}
	}
	if validFor <= 0 || validFor > MaxEnrollmentValidity {
		return Errorf(EINVALID, "expires: a token is valid from 1 minute to 365 days; give a duration such as 7d or 12h.")
	}
	if t.MaxUses != nil && (*t.MaxUses < 1 || *t.MaxUses > MaxEnrollmentUses) {
		return Errorf(EINVALID, "uses must be from 1 to %d, or left out for any number.", MaxEnrollmentUses)
	}
	return nil
}

// AgentCheck is a local check as an admin configured it: for every device
// of an organisation, or of one group.
type AgentCheck struct {
	ID             int64  `json:"id"`
	OrganizationID int64  `json:"organization_id"`
	Group          string `json:"group"`
	agentproto.Check
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks a local check's fields by its kind.
func (c *AgentCheck) Validate() error {
	c.Name, c.Target, c.Group = strings.TrimSpace(c.Name), strings.TrimSpace(c.Target), strings.TrimSpace(c.Group)
	switch {
	case c.Name == "":
		return Errorf(EINVALID, "name is required: say what the check watches, such as \"Backup file fresh\".")
	case utf8.RuneCountInString(c.Name) > 100 || utf8.RuneCountInString(c.Group) > 100:
		return Errorf(EINVALID, "name and group are at most 100 characters.")
	case len(c.Target) > agentproto.MaxTextLen || strings.ContainsFunc(c.Target+c.Name+c.Group, isControl):
		return Errorf(EINVALID, "target is at most %d bytes and no field may contain a control character.", agentproto.MaxTextLen)
	}
	percent := func(what string) error {
		if c.Threshold <= 0 || c.Threshold >= 100 {
			return Errorf(EINVALID, "threshold: give the %s as a percentage between 0 and 100, such as 10.", what)
		}
		return nil
	}
	switch c.Kind {
	case agentproto.CheckDiskFree:
		return percent("free space below which the check fails")
	case agentproto.CheckCPU, agentproto.CheckMemory:
		if err := percent("use above which the check fails"); err != nil {
			return err
		}
		if c.Minutes < 1 || c.Minutes > 24*60 {
			return Errorf(EINVALID, "minutes: give how long the use must stay above the threshold, from 1 to 1440 minutes.")
		}
	case agentproto.CheckService, agentproto.CheckProcess:
		if c.Target == "" {
			return Errorf(EINVALID, "target is required: the name of the %s to watch.", c.Kind)
		}
	case agentproto.CheckFileAge:
		if c.Target == "" {
			return Errorf(EINVALID, "target is required: the path of the file to watch, such as /var/backups/nightly.tar.gz.")
		}
		if c.Hours <= 0 || c.Hours > 24*366 {
			return Errorf(EINVALID, "hours: give the age in hours after which the file is stale, such as 26.")
		}
	default:
		return Errorf(EINVALID, "kind %q is unknown: use one of %s.", c.Kind, checkKindList())
	}
	return nil
}

func checkKindList() string {
	names := make([]string, len(agentproto.CheckKinds))
	for i, k := range agentproto.CheckKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// DeviceService manages enrolled devices for people: enrolment tokens,
// the device list and pages, revocation, credential rotation and the
// local checks. Reads are scoped to the actor's organisations and to
// staff (requesters see no devices); changes need ActionDeviceManage.
type DeviceService interface {
	// CreateEnrollmentToken stores t valid for validFor and sets t.Token,
	// the only time it is shown. EINVALID, ENOTFOUND, EFORBIDDEN.
	CreateEnrollmentToken(ctx context.Context, t *EnrollmentToken, validFor time.Duration) error
	FindEnrollmentTokens(ctx context.Context, orgID int64) ([]*EnrollmentToken, error)
	RevokeEnrollmentToken(ctx context.Context, id int64) error
	FindDevices(ctx context.Context, f DeviceFilter) ([]*Device, string, error)
	FindDevice(ctx context.Context, id int64) (*Device, error)
	// CountDevices counts the devices in scope by status, of one
	// organisation when orgID is set.
	CountDevices(ctx context.Context, orgID *int64) (DeviceCounts, error)
	DeviceInventory(ctx context.Context, id int64) (*agentproto.Inventory, error)
	DeviceEvents(ctx context.Context, id int64, limit int) ([]*DeviceEvent, error)
	DeviceChecks(ctx context.Context, id int64) ([]*DeviceCheck, error)
	// DeviceMetrics returns the samples from since (raw within their
	// retention, hourly rollups before).
	DeviceMetrics(ctx context.Context, id int64, since time.Time) ([]MetricPoint, error)
	// RevokeDevice refuses the device's agent from its next message on.
	RevokeDevice(ctx context.Context, id int64) error
	// RotateDeviceCredential has the next check-in hand the agent a new
	// credential, which retires the old one when the agent first uses it.
	RotateDeviceCredential(ctx context.Context, id int64) error
	FindAgentChecks(ctx context.Context, orgID int64) ([]*AgentCheck, error)
	CreateAgentCheck(ctx context.Context, c *AgentCheck) error
	DeleteAgentCheck(ctx context.Context, id int64) error
}

// AgentService answers the agents themselves (/agent/v1): the enrolment
// token or the agent's credential is the identity, not an Actor.
type AgentService interface {
	// Enroll exchanges an enrolment token for a device and its credential.
	// EUNAUTHORIZED when the token is unknown, expired, used up or revoked.
	Enroll(ctx context.Context, req *agentproto.EnrollRequest, sourceAddr string) (*agentproto.EnrollResponse, error)
	// Checkin stores a check-in, returning only once it is committed.
	// EUNAUTHORIZED when the credential is unknown or revoked.
	Checkin(ctx context.Context, credential string, m *agentproto.Checkin) (*agentproto.CheckinResponse, error)
	// Inventory stores an inventory report and the changes it shows.
	Inventory(ctx context.Context, credential string, m *agentproto.InventoryReport) (*agentproto.InventoryResponse, error)
}

// AgentCredentialPrefix starts every agent credential: tdagent_<device id>_<secret>.
const AgentCredentialPrefix = "tdagent_"

// EnrollmentTokenPrefix starts every enrolment token.
const EnrollmentTokenPrefix = "tdenroll_"

// ParseAgentCredential splits a credential into its device id and the whole
// credential's form check; ok is false for anything not shaped like one.
func ParseAgentCredential(cred string) (deviceID int64, ok bool) {
	rest, found := strings.CutPrefix(cred, AgentCredentialPrefix)
	if !found {
		return 0, false
	}
	id, secret, found := strings.Cut(rest, "_")
	if !found || len(secret) != 43 || len(id) == 0 || len(id) > 18 {
		return 0, false
	}
	var n int64
	for _, r := range id {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, n > 0
}

// AgentCredential formats a device's credential from its secret part.
func AgentCredential(deviceID int64, secret string) string {
	return fmt.Sprintf("%s%d_%s", AgentCredentialPrefix, deviceID, secret)
}

// ParseValidity reads how long an enrolment token is valid, as people
// write it: "7d", "12h", "90m" (a whole number and one unit).
func ParseValidity(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := Errorf(EINVALID, "expires %q is not a duration: write a whole number and d, h or m, such as 7d or 12h.", s)
	if len(s) < 2 {
		return 0, bad
	}
	n := 0
	for _, r := range s[:len(s)-1] {
		if r < '0' || r > '9' || n > 1_000_000 {
			return 0, bad
		}
		n = n*10 + int(r-'0')
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute}[s[len(s)-1]]
	if unit == 0 || n == 0 {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}
