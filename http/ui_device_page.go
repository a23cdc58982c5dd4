package http

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// A device's page, /devices/{id}: what the machine is, how it is doing
// (charts of its figures), what is installed and pending, its local
// checks and its history.

// devicePeriod is a span the charts show.
type devicePeriod struct {
	Value, Label string
	Span         time.Duration
}

var devicePeriods = []devicePeriod{{"24h", "24 hours", 24 * time.Hour}, {"7d", "7 days", 7 * 24 * time.Hour}, {"30d", "30 days", 30 * 24 * time.Hour}}

// deviceView is what device.html renders.
type deviceView struct {
	deviceRow
	Inventory *agentproto.Inventory
	Facts     []deviceFact
	Volumes   []volumeRow
	Users     string
	Charts    []metricChart
	Periods   []devicePeriod
	Period    string
	Checks    []*tandem.DeviceCheck
	Events    []eventRow
	// Software is the installed software matching SoftwareQuery.
	Software      []agentproto.Software
	SoftwareQuery string
	Updates       []agentproto.PendingUpdate
	Security      int
	Manage        bool
	OrgSlug       string
}

// deviceFact is one line of the device's description.
type deviceFact struct{ Label, Value string }

// volumeRow is a volume's use, for its bar.
type volumeRow struct {
	agentproto.Volume
	Used, Total string
	Percent     float64
	Level       string // ok, high (≥ 80%), full (≥ 90%)
}

// eventRow is a history entry in words.
type eventRow struct {
	At   time.Time
	Kind string
	Text string
}

func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "device")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	ctx := r.Context()
	d, err := s.DeviceService.FindDevice(ctx, id)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	byID := map[int64]*tandem.Organization{}
	for _, o := range data.Organizations {
		byID[o.ID] = o
	}
	v := &deviceView{deviceRow: newDeviceRow(d, byID), Periods: devicePeriods, Period: "24h",
		Manage: data.Actor.Can(tandem.ActionDeviceManage, d.OrganizationID) == nil}
	if o := byID[d.OrganizationID]; o != nil {
		v.OrgSlug = o.Slug
	}
	data.Title, data.Data = d.Hostname, v
	span := devicePeriods[0].Span
	if p := r.URL.Query().Get("period"); p != "" {
		found := false
		for _, dp := range devicePeriods {
			if dp.Value == p {
				v.Period, span, found = dp.Value, dp.Span, true
			}
		}
		if !found {
			data.Error = fmt.Sprintf("Period %q is not one the charts show: choose 24h, 7d or 30d.", p)
		}
	}
	if v.Inventory, err = s.DeviceService.DeviceInventory(ctx, id); err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		s.renderError(w, r, err, data)
		return
	}
	if v.Checks, err = s.DeviceService.DeviceChecks(ctx, id); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	events, err := s.DeviceService.DeviceEvents(ctx, id, 100)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	now := time.Now()
	points, err := s.DeviceService.DeviceMetrics(ctx, id, now.Add(-span))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v.Charts = []metricChart{
		newMetricChart("CPU and memory", points, now.Add(-span), now, data.Loc,
			chartFigure{"CPU", "cpu", func(p tandem.MetricPoint) float64 { return p.CPU }},
			chartFigure{"Memory", "memory", func(p tandem.MetricPoint) float64 { return p.Memory }}),
		newMetricChart("Fullest volume", points, now.Add(-span), now, data.Loc,
			chartFigure{"Disk", "disk", func(p tandem.MetricPoint) float64 { return p.Disk }}),
	}
	names := map[int64]string{}
	for _, c := range v.Checks {
		names[c.CheckID] = c.Name
	}
	for _, e := range events {
		v.Events = append(v.Events, eventRow{At: e.At, Kind: e.Kind, Text: deviceEventText(e, names)})
	}
	v.Facts = deviceFacts(d, v.Inventory, data.Loc)
	if m := d.Latest; m != nil {
		for _, vol := range m.Volumes {
			row := volumeRow{Volume: vol, Used: bytesLabel(vol.UsedBytes), Total: bytesLabel(vol.TotalBytes), Percent: vol.UsedPercent(), Level: "ok"}
			switch {
			case row.Percent >= 90:
				row.Level = "full"
			case row.Percent >= 80:
				row.Level = "high"
			}
			v.Volumes = append(v.Volumes, row)
		}
		v.Users = strings.Join(m.Users, ", ")
	}
	if inv := v.Inventory; inv != nil {
		v.SoftwareQuery = strings.TrimSpace(r.URL.Query().Get("software"))
		needle := strings.ToLower(v.SoftwareQuery)
		for _, sw := range inv.Software {
			if needle == "" || strings.Contains(strings.ToLower(sw.Name), needle) || strings.Contains(strings.ToLower(sw.Publisher), needle) {
				v.Software = append(v.Software, sw)
			}
		}
		slices.SortFunc(v.Software, func(a, b agentproto.Software) int {
			return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		v.Updates = slices.Clone(inv.PendingUpdates)
		// Security updates first, then by name.
		slices.SortFunc(v.Updates, func(a, b agentproto.PendingUpdate) int {
			if a.Security != b.Security {
				if a.Security {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.Name, b.Name)
		})
		for _, u := range v.Updates {
			if u.Security {
				v.Security++
			}
		}
	}
	status := http.StatusOK
	if data.Error != "" {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "device", data)
}

// deviceFacts describes the device from its record and inventory.
func deviceFacts(d *tandem.Device, inv *agentproto.Inventory, loc *time.Location) []deviceFact {
	facts := []deviceFact{}
	add := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			facts = append(facts, deviceFact{label, value})
		}
	}
	add("Operating system", strings.TrimSpace(cmp.Or(d.OSName, osLabel(d.OS))+" "+d.Arch))
	add("Kernel", d.Kernel)
	add("Model", strings.TrimSpace(d.Manufacturer+" "+d.Model))
	add("Serial number", d.Serial)
	if inv != nil {
		cpu := inv.CPUModel
		if inv.CPUCores > 0 {
			cpu = strings.TrimSpace(cpu + " · " + strconv.Itoa(inv.CPUCores) + " cores")
		}
		add("Processor", cpu)
	}
	if d.MemoryBytes > 0 {
		add("Memory", bytesLabel(d.MemoryBytes))
	}
	if d.UptimeSeconds != nil {
		add("Up for", uptimeLabel(*d.UptimeSeconds))
	}
	if m := d.Latest; m != nil && (m.Load1 > 0 || m.Load5 > 0) {
		add("Load", fmt.Sprintf("%.2f · %.2f · %.2f", m.Load1, m.Load5, m.Load15))
	}
	if m := d.Latest; m != nil && m.SwapTotalBytes > 0 {
		add("Swap", fmt.Sprintf("%s of %s", bytesLabel(m.SwapUsedBytes), bytesLabel(m.SwapTotalBytes)))
	}
	add("Site", d.Site)
	add("Group", d.Group)
	add("Agent", strings.TrimSpace(d.AgentVersion+fmt.Sprintf(" · checks in every %d s", d.CheckinInterval)))
	add("Enrolled", d.EnrolledAt.In(loc).Format(whenFormat))
	if d.InventoryAt != nil {
		add("Inventory from", d.InventoryAt.In(loc).Format(whenFormat))
	}
	if d.DroppedMetrics > 0 {
		add("Metrics dropped by the agent", strconv.FormatInt(d.DroppedMetrics, 10)+" (its spool was full while the server was unreachable)")
	}
	return facts
}

// deviceEventText says a history entry in words.
func deviceEventText(e *tandem.DeviceEvent, checks map[int64]string) string {
	str := func(k string) string {
		if v, ok := e.Summary[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	num := func(k string) uint64 {
		f, _ := e.Summary[k].(float64)
		return uint64(f)
	}
	switch e.Kind {
	case tandem.DeviceEventEnrolled:
		return "Enrolled as " + str("hostname") + " (" + osLabel(str("os")) + ")"
	case tandem.DeviceEventOnline:
		return "Back online"
	case tandem.DeviceEventOffline:
		return "Went offline: no check-in for three intervals"
	case tandem.DeviceEventRevoked:
		return "Agent revoked by " + cmp.Or(str("by"), "an administrator")
	case tandem.DeviceEventRotated:
		return "Credential rotated"
	case tandem.DeviceEventInventory:
		return fmt.Sprintf("First inventory: %s, %s packages, %s updates pending", str("os"), str("software"), str("pending_updates"))
	case tandem.DeviceEventSoftwareAdd:
		return "Installed " + str("name") + " " + str("version")
	case tandem.DeviceEventSoftwareDrop:
		return "Removed " + str("name") + " " + str("version")
	case tandem.DeviceEventSoftwareUp:
		return "Updated " + str("name") + " from " + str("from") + " to " + str("to")
	case tandem.DeviceEventOSChanged:
		return "Operating system changed from " + str("from") + " to " + str("to")
	case tandem.DeviceEventMemory:
		return "Memory changed from " + bytesLabel(num("from")) + " to " + bytesLabel(num("to"))
	case tandem.DeviceEventHardware:
		return "Hardware changed from " + str("from") + " to " + str("to")
	case tandem.DeviceEventCheck:
		name := "Check " + str("check")
		if f, ok := e.Summary["check"].(float64); ok && checks[int64(f)] != "" {
			name = checks[int64(f)]
		}
		text := name + ": " + cmp.Or(str("from"), "new") + " → " + str("to")
		if out := str("output"); out != "" {
			text += " (" + out + ")"
		}
		return text
	case "inventory_changed":
		var parts []string
		for _, k := range []string{tandem.DeviceEventSoftwareAdd, tandem.DeviceEventSoftwareUp, tandem.DeviceEventSoftwareDrop} {
			if n := str(k); n != "" {
				parts = append(parts, n+" "+strings.ReplaceAll(strings.TrimPrefix(k, "software_"), "_", " "))
			}
		}
		return "Software changed: " + cmp.Or(strings.Join(parts, ", "), "many changes")
	}
	return strings.ReplaceAll(e.Kind, "_", " ")
}

func (s *Server) handleDeviceRevokeForm(w http.ResponseWriter, r *http.Request, data pageData) {
	s.deviceFormAction(w, r, data, s.DeviceService.RevokeDevice, "The agent is revoked: its next message is refused. Enrol the machine again to bring it back.")
}

func (s *Server) handleDeviceRotateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	s.deviceFormAction(w, r, data, s.DeviceService.RotateDeviceCredential, "A new credential goes to the agent with its next check-in; the old one stops working once the agent uses the new.")
}

// deviceFormAction runs a change on the device of the path and shows its page
// with notice, or the error.
func (s *Server) deviceFormAction(w http.ResponseWriter, r *http.Request, data pageData, do func(ctx context.Context, id int64) error, notice string) {
	id, err := pathID(r, "device")
	if err == nil {
		err = do(r.Context(), id)
	}
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	w.Header().Set("HX-Push-Url", "/devices/"+strconv.FormatInt(id, 10))
	data.Notice = notice
	s.handleDevicePage(w, r, data)
}
