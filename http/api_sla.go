package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerSLARoutes() {
	s.handle("GET /api/v1/orgs/{id}/calendars", s.api(s.handleCalendarList))
	s.handle("POST /api/v1/orgs/{id}/calendars", s.api(s.handleCalendarCreate))
	s.handle("GET /api/v1/orgs/{id}/calendars/{calendar}", s.api(s.handleCalendarGet))
	s.handle("PUT /api/v1/orgs/{id}/calendars/{calendar}", s.api(s.handleCalendarUpdate))
	s.handle("DELETE /api/v1/orgs/{id}/calendars/{calendar}", s.api(s.handleCalendarDelete))
	s.handle("POST /api/v1/orgs/{id}/calendars/{calendar}/holidays", s.api(s.handleHolidayImport))
	s.handle("GET /api/v1/orgs/{id}/sla-policy", s.api(s.handleSLAPolicyGet))
	s.handle("PUT /api/v1/orgs/{id}/sla-policy", s.api(s.handleSLAPolicyUpdate))
}

// calendarPath reads /orgs/{id}/calendars/{calendar}.
func calendarPath(r *http.Request) (orgID, id int64, err error) {
	if orgID, err = pathID(r, "organisation"); err != nil {
		return 0, 0, err
	}
	id, err = pathInt(r, "calendar", "calendar")
	return orgID, id, err
}

func (s *Server) handleCalendarList(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.SLAService.FindCalendars(r.Context(), orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleCalendarGet(w http.ResponseWriter, r *http.Request) {
	orgID, id, err := calendarPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.SLAService.FindCalendar(r.Context(), orgID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// calendarRequest is the body of POST /orgs/{id}/calendars and of PUT
// /orgs/{id}/calendars/{calendar}: the name and the exchange JSON form.
type calendarRequest struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

// readCalendar reads a calendar from the path (the organisation, and for
// an existing calendar its id) and from the body, a calendarRequest; a
// missing definition is named rather than passed on as JSON null.
func readCalendar(w http.ResponseWriter, r *http.Request, existing bool) (*tandem.BusinessCalendar, error) {
	c := &tandem.BusinessCalendar{}
	var err error
	if existing {
		c.OrganizationID, c.ID, err = calendarPath(r)
	} else {
		c.OrganizationID, err = pathID(r, "organisation")
	}
	if err != nil {
		return nil, err
	}
	var req calendarRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	if len(req.Definition) == 0 || string(req.Definition) == "null" {
		return nil, tandem.Errorf(tandem.EINVALID, `Calendar definition is required, such as {"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]]},"holidays":[]}.`)
	}
	c.Name, c.Definition = req.Name, req.Definition
	return c, nil
}

func (s *Server) handleCalendarCreate(w http.ResponseWriter, r *http.Request) {
	c, err := readCalendar(w, r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.SLAService.CreateCalendar(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orgs/"+itoa64(c.OrganizationID)+"/calendars/"+itoa64(c.ID))
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleCalendarUpdate(w http.ResponseWriter, r *http.Request) {
	c, err := readCalendar(w, r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.SLAService.UpdateCalendar(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleCalendarDelete(w http.ResponseWriter, r *http.Request) {
	orgID, id, err := calendarPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.SLAService.DeleteCalendar(r.Context(), orgID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// holidayImport answers POST /orgs/{id}/calendars/{calendar}/holidays.
type holidayImport struct {
	Calendar *tandem.BusinessCalendar `json:"calendar"`
	Added    []string                 `json:"added"`
}

// handleHolidayImport adds the all-day events of an iCalendar file (the
// body, text/calendar, at most 1 MiB) to the calendar's holidays.
func (s *Server) handleHolidayImport(w http.ResponseWriter, r *http.Request) {
	orgID, id, err := calendarPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/calendar" && mt != "application/octet-stream") {
			s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "Content-Type %q is not supported; send the iCalendar file as text/calendar.", ct))
			return
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.writeError(w, r, tandem.Errorf(tandem.ETOOLARGE, "The iCalendar file is larger than %d bytes; import one year at a time.", MaxBodyBytes))
			return
		}
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "Request body cannot be read: %v.", err))
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "Request body is empty; send an iCalendar file (text/calendar)."))
		return
	}
	c, added, err := s.SLAService.ImportHolidays(r.Context(), orgID, id, bytes.NewReader(data))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if added == nil {
		added = []string{}
	}
	writeJSON(w, http.StatusOK, holidayImport{Calendar: c, Added: added})
}

func (s *Server) handleSLAPolicyGet(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.SLAService.FindSLAPolicy(r.Context(), orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// slaPolicyRequest is the body of PUT /orgs/{id}/sla-policy: the whole
// policy, which replaces the stored one.
type slaPolicyRequest struct {
	CalendarID      *int64                `json:"calendar_id"`
	WarnPercent     int                   `json:"warn_percent"`
	Targets         []tandem.SLATarget    `json:"targets"`
	OLAs            []tandem.OLATarget    `json:"olas"`
	PriorityMatrix  tandem.PriorityMatrix `json:"priority_matrix"`
	ResponseActions []tandem.StaffAction  `json:"response_actions"`
}

func (s *Server) handleSLAPolicyUpdate(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req slaPolicyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := &tandem.SLAPolicy{
		OrganizationID: orgID, CalendarID: req.CalendarID, WarnPercent: req.WarnPercent,
		Targets: req.Targets, OLAs: req.OLAs, PriorityMatrix: req.PriorityMatrix, ResponseActions: req.ResponseActions,
	}
	if err := s.SLAService.UpdateSLAPolicy(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
