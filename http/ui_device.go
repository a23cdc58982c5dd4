package http

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// The devices pages: the list of enrolled endpoints (/devices), a device's
// page (/devices/{id}: ui_device_page.go) and an organisation's enrolment
// page (/orgs/{slug}/devices/enroll: ui_enrollment.go). Reads need
// device.read, changes device.manage; the service refuses anyway.

func (s *Server) registerDeviceUIRoutes() {
	s.handle("GET /devices", s.page(s.handleDevicesPage))
	s.handle("GET /devices/{id}", s.page(s.handleDevicePage))
	s.handle("POST /devices/{id}/revoke", s.page(s.handleDeviceRevokeForm))
	s.handle("POST /devices/{id}/rotate-credential", s.page(s.handleDeviceRotateForm))
	s.handle("GET /orgs/{slug}/devices/enroll", s.page(s.handleEnrollmentPage))
	s.handle("POST /orgs/{slug}/devices/enroll", s.page(s.handleEnrollmentCreateForm))
	s.handle("POST /orgs/{slug}/devices/enroll/{id}/revoke", s.page(s.handleEnrollmentRevokeForm))
	s.handle("POST /orgs/{slug}/devices/checks", s.page(s.handleAgentCheckCreateForm))
	s.handle("POST /orgs/{slug}/devices/checks/{id}/delete", s.page(s.handleAgentCheckDeleteForm))
}

// deviceRow is one device of the list.
type deviceRow struct {
	*tandem.Device
	Org        string
	StatusText string
	OSLabel    string
	CPU        string
	Memory     string
	Disk       string
	DiskHigh   bool
}

// devicesView is what devices.html renders.
type devicesView struct {
	Rows   []deviceRow
	Next   string
	Counts tandem.DeviceCounts
	// Tabs are the status filters with their counts.
	Tabs []deviceTab
	Orgs []deskOption
	OSes []deskOption
	// Enroll links the enrolment page of each organisation the viewer may
	// enrol devices into.
	Enroll []deskOption
}

// deviceTab is a status filter of the list, with its count.
type deviceTab struct {
	Label, Href string
	Count       int
	Current     bool
}

// deviceOSes are the operating systems a device list filters by.
var deviceOSes = []deskOption{{agentproto.OSLinux, "Linux"}, {agentproto.OSWindows, "Windows"}, {agentproto.OSMacOS, "macOS"}}

// osLabel names an OS family for people.
func osLabel(os string) string {
	for _, o := range deviceOSes {
		if o.Value == os {
			return o.Label
		}
	}
	return os
}

// percentLabel is a figure such as "42%", or "—" when unknown.
func percentLabel(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 0, 64) + "%"
}

// deviceStatusText says a device's standing in words: its status and,
// when not revoked, its failing checks.
func deviceStatusText(d *tandem.Device) string {
	if d.LastSeenAt == nil && d.Status != tandem.DeviceRevoked {
		return "awaiting its first check-in"
	}
	if d.Status != tandem.DeviceRevoked && d.ChecksFailing > 0 {
		return string(d.Status) + ", " + strconv.Itoa(d.ChecksFailing) + " failing"
	}
	return string(d.Status)
}

func newDeviceRow(d *tandem.Device, orgs map[int64]*tandem.Organization) deviceRow {
	row := deviceRow{Device: d, StatusText: deviceStatusText(d), CPU: percentLabel(d.CPUPercent), Memory: percentLabel(d.MemoryPercent), Disk: percentLabel(d.DiskPercent)}
	row.DiskHigh = d.DiskPercent != nil && *d.DiskPercent >= 90
	if o := orgs[d.OrganizationID]; o != nil {
		row.Org = o.Name
	}
	row.OSLabel = strings.TrimSpace(cmp.Or(d.OSName, osLabel(d.OS)) + " " + d.OSVersion)
	if d.OSName != "" && strings.Contains(d.OSName, d.OSVersion) {
		row.OSLabel = d.OSName
	}
	return row
}

func (s *Server) handleDevicesPage(w http.ResponseWriter, r *http.Request, data pageData) {
	data.Title = "Devices"
	q := r.URL.Query()
	v := &devicesView{OSes: deviceOSes}
	data.Data = v
	data.Form = map[string]string{}
	for _, k := range []string{"org", "status", "os", "q"} {
		data.Form[k] = q.Get(k)
	}
	byID := map[int64]*tandem.Organization{}
	for _, o := range data.Organizations {
		byID[o.ID] = o
		v.Orgs = append(v.Orgs, deskOption{o.Slug, o.Name})
		if data.Actor.Can(tandem.ActionDeviceManage, o.ID) == nil {
			v.Enroll = append(v.Enroll, deskOption{"/orgs/" + o.Slug + "/devices/enroll", o.Name})
		}
	}
	fail := func(err error) {
		if code := tandem.ErrorCode(err); code == tandem.EINVALID || code == tandem.EBADREQUEST {
			data.Error = tandem.ErrorMessage(err)
			s.render(w, r, ErrorStatus(code), "devices", data)
			return
		}
		s.renderError(w, r, err, data)
	}
	orgID, err := s.listOrganization(r)
	if err != nil {
		fail(err)
		return
	}
	f := tandem.DeviceFilter{Status: tandem.DeviceStatus(q.Get("status")), OS: q.Get("os"), Search: strings.TrimSpace(q.Get("q")), Limit: 100, Cursor: q.Get("cursor")}
	if orgID != 0 {
		f.OrganizationID = &orgID
		if o := byID[orgID]; o != nil {
			data.Current = o
		}
	}
	list, next, err := s.DeviceService.FindDevices(r.Context(), f)
	if err != nil {
		fail(err)
		return
	}
	if v.Counts, err = s.DeviceService.CountDevices(r.Context(), f.OrganizationID); err != nil {
		fail(err)
		return
	}
	for _, d := range list {
		v.Rows = append(v.Rows, newDeviceRow(d, byID))
	}
	tab := func(label string, status tandem.DeviceStatus, n int) deviceTab {
		tq := url.Values{}
		for k, val := range q {
			if k != "status" && k != "cursor" {
				tq[k] = val
			}
		}
		if status != "" {
			tq.Set("status", string(status))
		}
		return deviceTab{Label: label, Href: withQuery("/devices", tq), Count: n, Current: f.Status == status}
	}
	v.Tabs = []deviceTab{tab("All", "", v.Counts.Total), tab("Online", tandem.DeviceOnline, v.Counts.Online),
		tab("Offline", tandem.DeviceOffline, v.Counts.Offline), tab("Check failing", tandem.DeviceFilterFailing, v.Counts.Failing),
		tab("Revoked", tandem.DeviceRevoked, v.Counts.Revoked)}
	if next != "" {
		q.Set("cursor", next)
		v.Next = "/devices?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "devices", data)
}

// bytesLabel is a size for people, such as "15 GiB"; "—" when unknown.
func bytesLabel(n uint64) string {
	if n == 0 {
		return "—"
	}
	return humanize.IBytes(n)
}

// uptimeLabel is an uptime such as "3 d 4 h" or "12 min".
func uptimeLabel(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d >= 24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " d " + strconv.Itoa(int(d%(24*time.Hour)/time.Hour)) + " h"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h " + strconv.Itoa(int(d%time.Hour/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/time.Minute)) + " min"
}
