// Package agentproto is the wire protocol between tandem-agent and the
// server, /agent/v1 (docs/AGENT_PROTOCOL.md): the messages, their limits
// and their strict decoders. Both sides import it, so the agent cannot send
// what the server would refuse by shape; it has no I/O of its own.
package agentproto

import "time"

// PathPrefix is where the server serves the protocol.
const PathPrefix = "/agent/v1"

// The protocol's endpoints, under PathPrefix.
const (
	PathEnroll    = PathPrefix + "/enroll"
	PathCheckin   = PathPrefix + "/checkin"
	PathInventory = PathPrefix + "/inventory"
)

// Operating systems an agent runs on (Go's GOOS names).
const (
	OSLinux   = "linux"
	OSWindows = "windows"
	OSMacOS   = "darwin"
)

// Defaults the server hands out in Config.
const (
	DefaultCheckinInterval   = 60 * time.Second
	DefaultInventoryInterval = time.Hour
	// OfflineAfterIntervals is how many check-in intervals without one
	// make a device offline.
	OfflineAfterIntervals = 3
)

// EnrollRequest exchanges an enrolment token for a per-agent credential.
type EnrollRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname"`
	OS           string `json:"os"`
	Arch         string `json:"arch"`
	AgentVersion string `json:"agent_version"`
}

// EnrollResponse is the agent's identity and first configuration. The
// credential is shown this once; the server keeps only its hash.
type EnrollResponse struct {
	DeviceID   int64  `json:"device_id"`
	Credential string `json:"credential"`
	Config     Config `json:"config"`
}

// Config is what the server tells an agent to do. Revision changes with
// every change of it; an agent reports the revision it runs.
type Config struct {
	Revision                 int64   `json:"revision"`
	CheckinIntervalSeconds   int     `json:"checkin_interval_s"`
	InventoryIntervalSeconds int     `json:"inventory_interval_s"`
	Checks                   []Check `json:"checks"`
}

// CheckinInterval is the configured check-in interval, the default when unset.
func (c Config) CheckinInterval() time.Duration {
	if c.CheckinIntervalSeconds <= 0 {
		return DefaultCheckinInterval
	}
	return time.Duration(c.CheckinIntervalSeconds) * time.Second
}

// InventoryInterval is the configured inventory interval, the default when unset.
func (c Config) InventoryInterval() time.Duration {
	if c.InventoryIntervalSeconds <= 0 {
		return DefaultInventoryInterval
	}
	return time.Duration(c.InventoryIntervalSeconds) * time.Second
}

// CheckKind names what a local check watches.
type CheckKind string

// The local checks an agent runs.
const (
	CheckDiskFree CheckKind = "disk_free" // free space below Threshold percent on any volume (or on Target, a mount point)
	CheckCPU      CheckKind = "cpu"       // CPU use above Threshold percent for Minutes
	CheckMemory   CheckKind = "memory"    // memory use above Threshold percent for Minutes
	CheckService  CheckKind = "service"   // the systemd unit, Windows service or launchd job Target is not running
	CheckProcess  CheckKind = "process"   // no process named Target is running
	CheckFileAge  CheckKind = "file_age"  // the file Target is missing or older than Hours (a backup file)
)

// CheckKinds lists the kinds in the order the settings show them.
var CheckKinds = []CheckKind{CheckDiskFree, CheckCPU, CheckMemory, CheckService, CheckProcess, CheckFileAge}

// Check is one local check as configured for an organisation or a device
// group; which parameters it uses depends on its kind.
type Check struct {
	ID        int64     `json:"id"`
	Kind      CheckKind `json:"kind"`
	Name      string    `json:"name"`
	Threshold float64   `json:"threshold,omitempty"`
	Minutes   int       `json:"minutes,omitempty"`
	Target    string    `json:"target,omitempty"`
	Hours     float64   `json:"hours,omitempty"`
}

// CheckState is the verdict of a local check.
type CheckState string

// A check passes, fails, or could not be evaluated (an unknown service on
// this OS, an unreadable file).
const (
	CheckOK      CheckState = "ok"
	CheckFailing CheckState = "failing"
	CheckError   CheckState = "error"
)

// CheckResult is a check's verdict at a check-in.
type CheckResult struct {
	CheckID int64      `json:"check_id"`
	State   CheckState `json:"state"`
	Output  string     `json:"output"`
}

// Checkin is the agent's heartbeat, every CheckinInterval with jitter: its
// metrics at At and its local checks' results. Seq orders every message
// of one agent (check-ins and inventories share it); the server stores
// each sequence number once.
type Checkin struct {
	Seq            int64         `json:"seq"`
	At             time.Time     `json:"at"`
	ConfigRevision int64         `json:"config_revision"`
	Metrics        Metrics       `json:"metrics"`
	Checks         []CheckResult `json:"checks"`
	// DroppedMetrics counts the check-ins the agent's full spool dropped
	// since it was enrolled (oldest metrics first).
	DroppedMetrics int64 `json:"dropped_metrics"`
}

// Metrics are a machine's figures at one instant.
type Metrics struct {
	CPUPercent       float64  `json:"cpu_pct"`
	MemoryUsedBytes  uint64   `json:"memory_used_bytes"`
	MemoryTotalBytes uint64   `json:"memory_total_bytes"`
	SwapUsedBytes    uint64   `json:"swap_used_bytes"`
	SwapTotalBytes   uint64   `json:"swap_total_bytes"`
	Load1            float64  `json:"load1"`
	Load5            float64  `json:"load5"`
	Load15           float64  `json:"load15"`
	UptimeSeconds    int64    `json:"uptime_s"`
	Volumes          []Volume `json:"volumes"`
	Users            []string `json:"users"`
}

// MemoryPercent is the share of memory in use, 0 when unknown.
func (m Metrics) MemoryPercent() float64 { return percent(m.MemoryUsedBytes, m.MemoryTotalBytes) }

// SwapPercent is the share of swap in use, 0 when there is none.
func (m Metrics) SwapPercent() float64 { return percent(m.SwapUsedBytes, m.SwapTotalBytes) }

// FullestVolume is the highest share of any volume in use, 0 with none.
func (m Metrics) FullestVolume() float64 {
	most := 0.0
	for _, v := range m.Volumes {
		most = max(most, v.UsedPercent())
	}
	return most
}

// Volume is one mounted file system's use.
type Volume struct {
	Mount      string `json:"mount"`
	FSType     string `json:"fs_type"`
	TotalBytes uint64 `json:"total_bytes"`
	UsedBytes  uint64 `json:"used_bytes"`
}

// UsedPercent is the share of the volume in use.
func (v Volume) UsedPercent() float64 { return percent(v.UsedBytes, v.TotalBytes) }

func percent(used, total uint64) float64 {
	if total == 0 {
		return 0
	}
	return float64(used) / float64(total) * 100
}

// CheckinResponse answers a stored (or already stored) check-in.
type CheckinResponse struct {
	// Duplicate says the sequence number was stored before: nothing was
	// written, the agent moves on.
	Duplicate bool `json:"duplicate,omitempty"`
	// Config is set when the agent's ConfigRevision is not the current one.
	Config *Config `json:"config,omitempty"`
	// Credential is a new credential after an admin rotated it: the agent
	// saves it and uses it from its next message, which retires the old.
	Credential string `json:"credential,omitempty"`
	// SendInventory asks for the inventory now (the server has none).
	SendInventory bool `json:"send_inventory,omitempty"`
}

// InventoryReport is the machine's inventory, sent at start and every
// InventoryInterval when it changed since the last one the server stored.
type InventoryReport struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Inventory Inventory `json:"inventory"`
}

// InventoryResponse answers a stored inventory.
type InventoryResponse struct {
	Duplicate bool `json:"duplicate,omitempty"`
}

// Inventory is what a machine is and holds.
type Inventory struct {
	Hostname       string             `json:"hostname"`
	OS             string             `json:"os"`
	OSName         string             `json:"os_name"`
	OSVersion      string             `json:"os_version"`
	Kernel         string             `json:"kernel"`
	Arch           string             `json:"arch"`
	Manufacturer   string             `json:"manufacturer"`
	Model          string             `json:"model"`
	Serial         string             `json:"serial"`
	CPUModel       string             `json:"cpu_model"`
	CPUCores       int                `json:"cpu_cores"`
	MemoryBytes    uint64             `json:"memory_bytes"`
	Disks          []Disk             `json:"disks"`
	Interfaces     []NetworkInterface `json:"interfaces"`
	Software       []Software         `json:"software"`
	PendingUpdates []PendingUpdate    `json:"pending_updates"`
	// UpdatesKnown is false when the machine cannot tell its pending
	// updates (no apt or dnf, no permission).
	UpdatesKnown   bool `json:"updates_known"`
	RebootRequired bool `json:"reboot_required"`
}

// Disk is a physical or virtual disk.
type Disk struct {
	Name      string `json:"name"`
	Model     string `json:"model"`
	SizeBytes uint64 `json:"size_bytes"`
}

// NetworkInterface is a network interface and its addresses.
type NetworkInterface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac"`
	Addresses []string `json:"addresses"`
}

// Software is one installed package or program.
type Software struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher,omitempty"`
	Source    string `json:"source"` // dpkg, rpm, windows, pkgutil, app
}

// PendingUpdate is an update the machine's package manager offers.
type PendingUpdate struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Security marks an update from a security source, when known.
	Security bool `json:"security,omitempty"`
}

// ErrorResponse is every 4xx and 5xx answer's body.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
