package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

func (s *Server) registerOnCallRoutes() {
	s.handle("GET /api/v1/oncall-schedules", s.api(s.handleOnCallList))
	s.handle("POST /api/v1/oncall-schedules", s.api(s.handleOnCallCreate))
	s.handle("GET /api/v1/oncall-schedules/{id}", s.api(s.handleOnCallGet))
	s.handle("PUT /api/v1/oncall-schedules/{id}", s.api(s.handleOnCallUpdate))
	s.handle("DELETE /api/v1/oncall-schedules/{id}", s.api(s.handleOnCallDelete))
	s.handle("GET /api/v1/oncall-schedules/{id}/who", s.api(s.handleOnCallWho))
	s.handle("GET /api/v1/oncall-schedules/{id}/shifts", s.api(s.handleOnCallShifts))
	s.handle("GET /feeds/oncall/{file}", s.handleOnCallFeed) // ui_oncall_feed.go
	s.registerOnCallUIRoutes()                               // ui_oncall.go
}

func (s *Server) handleOnCallList(w http.ResponseWriter, r *http.Request) {
	org, err := queryID(r, "organization_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.OnCallService.FindOnCallSchedules(r.Context(), org)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

func (s *Server) handleOnCallGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sc, err := s.OnCallService.FindOnCallSchedule(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// onCallRequest is the body of POST and PUT: a new schedule names its party
// and, for an internal one, its organisation; an existing one keeps them.
type onCallRequest struct {
	Party          tandem.PartyKind `json:"party"`
	OrganizationID *int64           `json:"organization_id"`
	Name           string           `json:"name"`
	TimeZone       string           `json:"time_zone"`
	Definition     json.RawMessage  `json:"definition"`
}

func readOnCallRequest(w http.ResponseWriter, r *http.Request) (*onCallRequest, error) {
	var req onCallRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	if len(req.Definition) == 0 || string(req.Definition) == "null" {
		return nil, tandem.Errorf(tandem.EINVALID, `definition: is required, the schedule's JSON such as {"timezone":"Europe/Berlin","layers":[{"name":"primary","start":"2026-01-05T09:00:00","turn":"1w","members":["ana@msp.example"]}]}.`)
	}
	return &req, nil
}

func (s *Server) handleOnCallCreate(w http.ResponseWriter, r *http.Request) {
	req, err := readOnCallRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sc := &tandem.OnCallSchedule{Party: req.Party, OrganizationID: req.OrganizationID, Name: req.Name, TimeZone: req.TimeZone, Definition: req.Definition}
	if err := s.OnCallService.CreateOnCallSchedule(r.Context(), sc); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/oncall-schedules/"+itoa64(sc.ID))
	writeJSON(w, http.StatusCreated, sc)
}

func (s *Server) handleOnCallUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := readOnCallRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sc := &tandem.OnCallSchedule{ID: id, Name: req.Name, TimeZone: req.TimeZone, Definition: req.Definition}
	if err := s.OnCallService.UpdateOnCallSchedule(r.Context(), sc); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (s *Server) handleOnCallDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.OnCallService.DeleteOnCallSchedule(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// queryInstant reads an RFC 3339 query parameter; empty gives def.
func queryInstant(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, tandem.Errorf(tandem.EINVALID, "%s: %q is not an RFC 3339 instant; write it like 2026-03-03T19:00:00+01:00.", name, v)
	}
	return t, nil
}

// onCallWho answers GET …/who: the member on call, null for nobody.
type onCallWho struct {
	At     time.Time `json:"at"`
	Member *string   `json:"member"`
}

func (s *Server) handleOnCallWho(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	at, err := queryInstant(r, "at", s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	member, err := s.OnCallService.OnCallAt(r.Context(), id, at)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := onCallWho{At: at}
	if member != "" {
		out.Member = &member
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleOnCallShifts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	from, err := queryInstant(r, "from", s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := queryInstant(r, "to", from.Add(7*24*time.Hour))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	shifts, err := s.OnCallService.OnCallShifts(r.Context(), id, from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, shifts, "")
}

// now is the server's clock (Server.Now).
func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
