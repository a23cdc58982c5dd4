package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// The SLA settings of an organisation (/orgs/{slug}/sla): the policy (the
// calendar the clocks run on, the warning share, response and resolution
// targets per priority, the OLAs of both parties and the priority matrix),
// with targets in hours and minutes; the business calendars as week grids
// (ui_sla_calendar.go), and an iCalendar import of holidays. Those with
// sla.manage edit; the rest of the IT teams read. The API keeps the JSON
// form of calendars and targets in minutes.

func (s *Server) registerSLAUIRoutes() {
	s.handle("GET /orgs/{slug}/sla", s.page(s.withOrg(s.handleSLAPage)))
	s.handle("POST /orgs/{slug}/sla", s.page(s.withOrg(s.handleSLAPolicyForm)))
	s.handle("POST /orgs/{slug}/sla/calendars", s.page(s.withOrg(s.handleCalendarCreateForm)))
	s.handle("POST /orgs/{slug}/sla/calendars/{id}", s.page(s.withOrg(s.handleCalendarUpdateForm)))
	s.handle("POST /orgs/{slug}/sla/calendars/{id}/delete", s.page(s.withOrg(s.handleCalendarDeleteForm)))
	s.handle("POST /orgs/{slug}/sla/calendars/{id}/holidays", s.page(s.withOrg(s.handleCalendarImportForm)))
}

// maxICSBytes bounds an uploaded iCalendar file.
const maxICSBytes = 1 << 20

// slaField is one field of the policy form.
type slaField struct {
	Name, Label, Value string
}

// slaTargetRow is one priority's targets.
type slaTargetRow struct {
	Priority             string
	Response, Resolution slaField
}

// slaMatrixRow is one impact row of the priority matrix.
type slaMatrixRow struct {
	Impact string
	Cells  []slaField
}

// slaCalendar is one calendar with its grid; Name is the stored name,
// the grid's may be a refused one.
type slaCalendar struct {
	ID    int64
	Name  string
	InUse bool
	Grid  calendarGrid
}

// slaView is what sla.html renders.
type slaView struct {
	Org       *tandem.Organization
	Manage    bool
	Calendar  string // the policy's calendar id, "" for 24×7
	Calendars []slaCalendar
	Warn      string
	Targets   []slaTargetRow
	OLAs      []slaField
	Matrix    []slaMatrixRow
	Urgencies []string
	// Priorities are the options of a matrix cell.
	Priorities []string
	// Invalid names the field of a refused form at fault, if known.
	Invalid string
	// New is the grid of a new calendar; Zones the zone field's suggestions.
	New      calendarGrid
	Zones    []string
	Imported []string
	// Responses are the "Counts as a response" checkboxes.
	Responses []slaCheck
}

// policyForm writes a policy as the form's fields.
func policyForm(p *tandem.SLAPolicy) map[string]string {
	f := map[string]string{"warn_percent": strconv.Itoa(p.WarnPercent)}
	if p.CalendarID != nil {
		f["calendar_id"] = strconv.FormatInt(*p.CalendarID, 10)
	}
	for pr := tandem.Priority(1); pr <= 5; pr++ {
		t := p.Target(pr)
		f["response_"+strconv.Itoa(int(pr))] = formDuration(t.ResponseMinutes)
		f["resolution_"+strconv.Itoa(int(pr))] = formDuration(t.ResolutionMinutes)
	}
	for _, party := range matrixParties {
		f["ola_"+string(party)] = formDuration(p.OLA(party))
	}
	for _, impact := range tandem.Levels {
		for _, urgency := range tandem.Levels {
			f["matrix_"+string(impact)+"_"+string(urgency)] = strconv.Itoa(int(p.PriorityMatrix.Priority(impact, urgency)))
		}
	}
	responseRuleForm(f, p)
	return f
}

// formDuration shows a target in a field: "1 h 30 min", empty for none.
func formDuration(minutes int) string {
	if minutes == 0 {
		return ""
	}
	return sla.FormatDuration(minutes)
}

// slaView builds the page from the stored policy and calendars, with the
// fields in form (the submitted ones after a refusal) taking precedence.
// viewerZone is where a new calendar starts when the organisation has none.
func (s *Server) slaView(ctx context.Context, a *tandem.Actor, org *tandem.Organization, form map[string]string, viewerZone string) (*slaView, error) {
	policy, err := s.SLAService.FindSLAPolicy(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	cals, err := s.SLAService.FindCalendars(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	f := policyForm(policy)
	for k, v := range form {
		f[k] = v
	}
	v := &slaView{Org: org, Manage: a.Can(tandem.ActionSLAManage, org.ID) == nil, Calendar: f["calendar_id"], Warn: f["warn_percent"], Invalid: form[invalidKey]}
	zone := likelyZone(cals, policy, viewerZone)
	v.New = defaultGrid(zone)
	if hasKey(form, newCalendarPrefix+"name") {
		v.New = gridFromForm(form, newCalendarPrefix)
		v.New.Invalid = v.Invalid
	}
	zones := []string{zone, v.New.Timezone}
	for _, c := range cals {
		sc := slaCalendar{ID: c.ID, Name: c.Name, InUse: policy.CalendarID != nil && *policy.CalendarID == c.ID, Grid: gridFromDefinition(c.Name, c.Definition)}
		if prefix := calendarPrefix(c.ID); hasKey(form, prefix+"name") {
			sc.Grid = gridFromForm(form, prefix)
			sc.Grid.Invalid = v.Invalid
		}
		sc.Grid.ReadOnly = !v.Manage
		zones = append(zones, sc.Grid.Timezone)
		v.Calendars = append(v.Calendars, sc)
	}
	v.Zones = zoneOptions(zones...)
	for pr := tandem.Priority(1); pr <= 5; pr++ {
		n := strconv.Itoa(int(pr))
		v.Targets = append(v.Targets, slaTargetRow{Priority: pr.String(),
			Response:   slaField{"response_" + n, targetLabel("Response", pr), f["response_"+n]},
			Resolution: slaField{"resolution_" + n, targetLabel("Resolution", pr), f["resolution_"+n]}})
	}
	for _, party := range matrixParties {
		v.OLAs = append(v.OLAs, slaField{"ola_" + string(party), partyLabel(org, party), f["ola_"+string(party)]})
	}
	v.Priorities = []string{"1", "2", "3", "4", "5"}
	for _, u := range tandem.Levels {
		v.Urgencies = append(v.Urgencies, string(u))
	}
	for _, impact := range tandem.Levels {
		row := slaMatrixRow{Impact: string(impact)}
		for _, urgency := range tandem.Levels {
			name := "matrix_" + string(impact) + "_" + string(urgency)
			row.Cells = append(row.Cells, slaField{name, "Priority for impact " + string(impact) + ", urgency " + string(urgency), f[name]})
		}
		v.Matrix = append(v.Matrix, row)
	}
	v.Responses = responseRuleView(f, form)
	return v, nil
}

// renderSLA renders the settings page with data.Error or data.Notice set.
func (s *Server) renderSLA(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, status int, form map[string]string, imported []string) {
	if data.Actor.IsRequesterRole() {
		s.renderError(w, r, tandem.Errorf(tandem.EFORBIDDEN, "The SLA settings are for the IT teams; your tickets show their own clocks."), data)
		return
	}
	zone := ""
	if data.Loc != nil {
		zone = data.Loc.String()
	}
	v, err := s.slaView(r.Context(), data.Actor, org, form, zone)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v.Imported = imported
	data.Title, data.Data = "SLA settings · "+org.Name, v
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", "/orgs/"+org.Slug+"/sla")
	}
	s.render(w, r, status, "sla", data)
}

func (s *Server) handleSLAPage(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	s.renderSLA(w, r, data, org, http.StatusOK, nil, nil)
}

// slaForm reads a url-encoded form and keeps every field, so a refusal can
// show the input again.
func slaForm(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB.")
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	return form, nil
}

// fieldError is a refusal that knows which field of its form is at fault,
// so that the page marks it (aria-invalid) beside saying what is wrong.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func atField(field string, err error) error { return &fieldError{field, err} }

// invalidKey carries the field at fault in a refused form's kept fields; no
// input has this name.
const invalidKey = "!invalid"

// slaFormError shows a refusal on the settings page with the input kept.
func (s *Server) slaFormError(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, err error, form map[string]string) {
	var fe *fieldError
	if errors.As(err, &fe) && form != nil {
		form[invalidKey] = fe.field
	}
	s.deskFormError(w, r, data, err, func(data pageData, status int) { s.renderSLA(w, r, data, org, status, form, nil) })
}

// targetLabel names a target's field in messages: "Response target for P1 Critical".
func targetLabel(kind string, pr tandem.Priority) string {
	return kind + " target for " + pr.String()
}

// formTarget reads a target in hours and minutes (sla.ParseDuration); empty
// is zero (no target).
func formTarget(form map[string]string, name, label string) (int, error) {
	v := strings.TrimSpace(form[name])
	if v == "" {
		return 0, nil
	}
	n, err := sla.ParseDuration(v)
	if err != nil {
		return 0, atField(name, tandem.Errorf(tandem.EINVALID, "%s: %s.", label, err.Error()))
	}
	return n, nil
}

// formMinutes reads a whole number; empty is zero.
func formMinutes(form map[string]string, name, label string) (int, error) {
	v := strings.TrimSpace(form[name])
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, tandem.Errorf(tandem.EINVALID, "%s must be a whole number, got %q.", label, v)
	}
	return n, nil
}

// policyFromForm reads the policy form.
func policyFromForm(orgID int64, form map[string]string) (*tandem.SLAPolicy, error) {
	p := &tandem.SLAPolicy{OrganizationID: orgID, PriorityMatrix: tandem.PriorityMatrix{}}
	if v := strings.TrimSpace(form["calendar_id"]); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, tandem.Errorf(tandem.EINVALID, "Calendar %q is invalid; choose one from the list or 24×7.", v)
		}
		p.CalendarID = &id
	}
	var err error
	if p.WarnPercent, err = formMinutes(form, "warn_percent", "Warning share"); err != nil {
		return nil, err
	}
	for pr := tandem.Priority(1); pr <= 5; pr++ {
		n := strconv.Itoa(int(pr))
		t := tandem.SLATarget{Priority: pr}
		if t.ResponseMinutes, err = formTarget(form, "response_"+n, targetLabel("Response", pr)); err != nil {
			return nil, err
		}
		if t.ResolutionMinutes, err = formTarget(form, "resolution_"+n, targetLabel("Resolution", pr)); err != nil {
			return nil, err
		}
		p.Targets = append(p.Targets, t)
	}
	for _, party := range matrixParties {
		o := tandem.OLATarget{Party: party}
		if o.AcceptMinutes, err = formTarget(form, "ola_"+string(party), "OLA of the "+deskPartyName(party)+" party"); err != nil {
			return nil, err
		}
		p.OLAs = append(p.OLAs, o)
	}
	for _, impact := range tandem.Levels {
		p.PriorityMatrix[impact] = map[tandem.Level]tandem.Priority{}
		for _, urgency := range tandem.Levels {
			label := "Priority for impact " + string(impact) + ", urgency " + string(urgency)
			n, err := formMinutes(form, "matrix_"+string(impact)+"_"+string(urgency), label)
			if err != nil {
				return nil, err
			}
			p.PriorityMatrix[impact][urgency] = tandem.Priority(n)
		}
	}
	return p, nil
}

// handleSLAPolicyForm replaces the policy.
func (s *Server) handleSLAPolicyForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	form, err := slaForm(w, r)
	if err != nil {
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	p, err := policyFromForm(org.ID, form)
	if err == nil {
		p.ResponseActions = responseActionsFromForm(form)
		err = s.SLAService.UpdateSLAPolicy(r.Context(), p)
	}
	if err != nil {
		s.slaFormError(w, r, data, org, err, form)
		return
	}
	data.Notice = "SLA policy saved. The clocks of open tickets now run on it."
	s.renderSLA(w, r, data, org, http.StatusOK, nil, nil)
}

// newCalendarPrefix keeps a refused new calendar's fields on the page;
// calendarPrefix those of a refused change to a calendar.
const newCalendarPrefix = "new."

func calendarPrefix(id int64) string { return "cal" + strconv.FormatInt(id, 10) + "." }

func hasKey(form map[string]string, key string) bool { _, ok := form[key]; return ok }

// keptCalendar is a refused calendar form as the page shows it again.
func keptCalendar(form map[string]string, prefix string) map[string]string {
	kept := make(map[string]string, len(form))
	for k, v := range form {
		kept[prefix+k] = v
	}
	return kept
}

// calendarFromForm reads a calendar's week grid (ui_sla_calendar.go); the
// service judges the result again as it stores it.
func calendarFromForm(orgID int64, form map[string]string) (*tandem.BusinessCalendar, error) {
	g := gridFromForm(form, "")
	def, err := g.definition()
	if err != nil {
		return nil, err
	}
	return &tandem.BusinessCalendar{OrganizationID: orgID, Name: g.Name, Definition: def}, nil
}

func (s *Server) handleCalendarCreateForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	form, err := slaForm(w, r)
	if err != nil {
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	c, err := calendarFromForm(org.ID, form)
	if err == nil {
		err = s.SLAService.CreateCalendar(r.Context(), c)
	}
	if err != nil {
		s.slaFormError(w, r, data, org, err, keptCalendar(form, newCalendarPrefix))
		return
	}
	data.Notice = "Calendar " + c.Name + " created. Choose it in the policy for the clocks to run on it."
	s.renderSLA(w, r, data, org, http.StatusOK, nil, nil)
}

// calendarID reads /orgs/{slug}/sla/calendars/{id}.
func calendarID(r *http.Request) (int64, error) { return pathID(r, "calendar") }

func (s *Server) handleCalendarUpdateForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	id, err := calendarID(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	form, err := slaForm(w, r)
	if err != nil {
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	c, err := calendarFromForm(org.ID, form)
	if err == nil {
		c.ID = id
		err = s.SLAService.UpdateCalendar(r.Context(), c)
	}
	if err != nil {
		s.slaFormError(w, r, data, org, err, keptCalendar(form, calendarPrefix(id)))
		return
	}
	data.Notice = "Calendar " + c.Name + " saved."
	s.renderSLA(w, r, data, org, http.StatusOK, nil, nil)
}

func (s *Server) handleCalendarDeleteForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	id, err := calendarID(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	c, err := s.SLAService.FindCalendar(r.Context(), org.ID, id)
	if err == nil {
		err = s.SLAService.DeleteCalendar(r.Context(), org.ID, id)
	}
	if err != nil {
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	data.Notice = "Calendar " + c.Name + " deleted."
	s.renderSLA(w, r, data, org, http.StatusOK, nil, nil)
}

// handleCalendarImportForm adds the all-day events of an uploaded
// iCalendar file to a calendar's holidays.
func (s *Server) handleCalendarImportForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	id, err := calendarID(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxICSBytes+multipartOverhead)
	file, _, err := r.FormFile("file")
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = tandem.Errorf(tandem.ETOOLARGE, "The iCalendar file is larger than %d bytes; export only the holidays.", maxICSBytes)
		} else {
			err = tandem.Errorf(tandem.EBADREQUEST, "Choose an iCalendar (.ics) file to import.")
		}
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	defer file.Close()
	c, added, err := s.SLAService.ImportHolidays(r.Context(), org.ID, id, file)
	if err != nil {
		s.slaFormError(w, r, data, org, err, nil)
		return
	}
	data.Notice = "Imported " + strconv.Itoa(len(added)) + " holidays into " + c.Name + "."
	if len(added) == 0 {
		data.Notice = "The file holds no all-day events that " + c.Name + " does not already have as holidays."
	}
	s.renderSLA(w, r, data, org, http.StatusOK, nil, added)
}
