package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// DefaultMaxAttachmentBytes bounds one uploaded attachment unless the server
// is given another limit; it equals the storage's default.
const DefaultMaxAttachmentBytes = 25 << 20

// multipartOverhead is what an upload may carry besides the file: the part
// headers, the boundaries and the visibility field.
const multipartOverhead = 64 << 10

// registerTicketRoutes registers the service desk API: tickets, their
// timeline, handoffs, watchers, time and attachments (this file), business
// calendars and the SLA policy (api_sla.go).
func (s *Server) registerTicketRoutes() {
	s.handle("GET /api/v1/tickets", s.api(s.handleTicketList))
	s.handle("POST /api/v1/orgs/{id}/tickets", s.api(s.handleTicketCreate))
	s.handle("GET /api/v1/tickets/{id}", s.api(s.handleTicketGet))
	s.handle("PATCH /api/v1/tickets/{id}", s.api(s.handleTicketUpdate))
	s.handle("GET /api/v1/tickets/{id}/timeline", s.api(s.handleTicketTimeline))
	s.handle("POST /api/v1/tickets/{id}/comments", s.api(s.handleTicketComment))
	s.handle("GET /api/v1/tickets/{id}/handoffs", s.api(s.handleHandoffList))
	s.handle("POST /api/v1/tickets/{id}/handoffs", s.api(s.handleHandoffRequest))
	s.handle("POST /api/v1/tickets/{id}/handoffs/{handoff}/accept", s.api(s.handleHandoffAccept))
	s.handle("POST /api/v1/tickets/{id}/handoffs/{handoff}/decline", s.api(s.handleHandoffDecline))
	s.handle("PUT /api/v1/tickets/{id}/watchers/{user}", s.api(s.handleWatcherAdd))
	s.handle("DELETE /api/v1/tickets/{id}/watchers/{user}", s.api(s.handleWatcherRemove))
	s.handle("GET /api/v1/tickets/{id}/time-entries", s.api(s.handleTimeEntryList))
	s.handle("POST /api/v1/tickets/{id}/time-entries", s.api(s.handleTimeEntryCreate))
	s.handle("GET /api/v1/tickets/{id}/attachments", s.api(s.handleAttachmentList))
	s.handle("POST /api/v1/tickets/{id}/attachments", s.api(s.handleAttachmentUpload))
	s.handle("GET /api/v1/tickets/{id}/attachments/{attachment}", s.api(s.handleAttachmentDownload))
	s.registerSLARoutes()
}

// pathInt reads a numeric path parameter other than {id}; anything but a
// positive integer is a noun not found.
func pathInt(r *http.Request, name, noun string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, tandem.Errorf(tandem.ENOTFOUND, "No %s with id %q.", noun, r.PathValue(name))
	}
	return id, nil
}

// queryBool reads an optional true/false query parameter.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, tandem.Errorf(tandem.EBADREQUEST, "%s %q is not true or false.", name, v)
	}
	return b, nil
}

// positiveQueryID reads an optional id query parameter; zero when absent.
func positiveQueryID(r *http.Request, name string) (int64, error) {
	id, err := queryID(r, name)
	if err != nil || id == nil {
		return 0, err
	}
	if *id <= 0 {
		return 0, tandem.Errorf(tandem.EBADREQUEST, "%s %d is not a positive id.", name, *id)
	}
	return *id, nil
}

// queryUser reads an optional user id query parameter that may also be "me",
// the caller.
func queryUser(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "me" {
		return tandem.ActorFromContext(r.Context()).UserID, nil
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, tandem.Errorf(tandem.EBADREQUEST, "%s %q is neither a user id nor \"me\".", name, v)
	}
	return id, nil
}

// parseTicketFilter reads a ticket list's filters from the query string;
// each malformed parameter is a 400 naming it.
func parseTicketFilter(r *http.Request) (tandem.TicketFilter, error) {
	var f tandem.TicketFilter
	var err error
	q := r.URL.Query()
	if f.Limit, f.Cursor, err = page(r); err != nil {
		return f, err
	}
	if f.OrganizationID, err = positiveQueryID(r, "organization_id"); err != nil {
		return f, err
	}
	if f.AreaID, err = positiveQueryID(r, "area_id"); err != nil {
		return f, err
	}
	switch party := tandem.PartyKind(q.Get("party")); party {
	case "", tandem.PartyInternal, tandem.PartyProvider:
		f.Party = party
	default:
		return f, tandem.Errorf(tandem.EBADREQUEST, "party %q is unknown; use internal or provider.", party)
	}
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			status := tandem.TicketStatus(strings.TrimSpace(st))
			if !status.Valid() {
				return f, tandem.Errorf(tandem.EBADREQUEST, "status %q is unknown; use one or more of new, open, pending-customer, pending-third-party, resolved, closed.", st)
			}
			f.Statuses = append(f.Statuses, status)
		}
	}
	if v := q.Get("priority"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || !tandem.Priority(p).Valid() {
			return f, tandem.Errorf(tandem.EBADREQUEST, "priority %q is not 1 to 5.", v)
		}
		f.Priority = tandem.Priority(p)
	}
	if v := q.Get("sla"); v != "" {
		state := tandem.SLAState(v)
		if !slices.Contains(tandem.SLAStates, state) {
			return f, tandem.Errorf(tandem.EBADREQUEST, "sla %q is unknown; use none, ok, warning, breached, paused or met.", v)
		}
		f.SLAState = state
	}
	if f.AssigneeID, err = queryUser(r, "assignee_id"); err != nil {
		return f, err
	}
	if f.RequesterID, err = queryUser(r, "requester_id"); err != nil {
		return f, err
	}
	if f.Open, err = queryBool(r, "open"); err != nil {
		return f, err
	}
	if f.Unassigned, err = queryBool(r, "unassigned"); err != nil {
		return f, err
	}
	if f.AwaitingAcceptance, err = queryBool(r, "awaiting"); err != nil {
		return f, err
	}
	if f.AwaitingAcceptance && f.Party == "" {
		return f, tandem.Errorf(tandem.EBADREQUEST, "awaiting=true needs party: the party whose acceptance the handoffs wait for.")
	}
	if f.Unassigned && f.AssigneeID != 0 {
		return f, tandem.Errorf(tandem.EBADREQUEST, "unassigned=true and assignee_id contradict each other; send one.")
	}
	if v := q.Get("tag"); v != "" {
		tags, err := tandem.NormalizeTags([]string{v})
		if err != nil || len(tags) != 1 {
			return f, tandem.Errorf(tandem.EBADREQUEST, "tag %q is not a tag: use 1 to 40 letters, digits, hyphens, dots or underscores.", v)
		}
		f.Tag = tags[0]
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	if len(f.Query) > 200 {
		return f, tandem.Errorf(tandem.EBADREQUEST, "q is longer than 200 bytes; search for fewer words.")
	}
	return f, nil
}

// handleTicketList answers GET /api/v1/tickets: the tickets in the caller's
// scope, newest first. With party it is that party's queue; for provider
// technicians without organization_id it spans every organisation assigned
// to them.
func (s *Server) handleTicketList(w http.ResponseWriter, r *http.Request) {
	f, err := parseTicketFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.TicketService.FindTickets(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, p.Tickets, p.NextCursor)
}

// ticketCreateRequest is the body of POST /api/v1/orgs/{id}/tickets: a
// TicketInput whose organisation is in the path.
type ticketCreateRequest struct {
	RequesterID int64        `json:"requester_id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	AreaID      *int64       `json:"area_id"`
	Impact      tandem.Level `json:"impact"`
	Urgency     tandem.Level `json:"urgency"`
	AssigneeID  *int64       `json:"assignee_id"`
	Tags        []string     `json:"tags"`
	Watchers    []int64      `json:"watchers"`
}

func (s *Server) handleTicketCreate(w http.ResponseWriter, r *http.Request) {
	orgID, err := pathID(r, "organisation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req ticketCreateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.TicketService.CreateTicket(r.Context(), tandem.TicketInput{
		OrganizationID: orgID, RequesterID: req.RequesterID, Title: req.Title, Description: req.Description,
		AreaID: req.AreaID, Impact: req.Impact, Urgency: req.Urgency, AssigneeID: req.AssigneeID,
		Tags: req.Tags, Watchers: req.Watchers,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+itoa64(t.ID))
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleTicketGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.TicketService.FindTicket(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleTicketUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var upd tandem.TicketUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.TicketService.UpdateTicket(r.Context(), id, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleTicketTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	events, err := s.TicketService.Timeline(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, events, "")
}

func (s *Server) handleTicketComment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in tandem.CommentInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.TicketService.AddComment(r.Context(), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) handleHandoffList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.TicketService.Handoffs(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// reasonRequest is the body of a handoff request and of its answer.
type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleHandoffRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req reasonRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.TicketService.RequestHandoff(r.Context(), id, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) handleHandoffAccept(w http.ResponseWriter, r *http.Request) {
	s.answerHandoff(w, r, true)
}

func (s *Server) handleHandoffDecline(w http.ResponseWriter, r *http.Request) {
	s.answerHandoff(w, r, false)
}

// answerHandoff accepts or declines /tickets/{id}/handoffs/{handoff}. The
// body, {"reason": …}, is optional when accepting.
func (s *Server) answerHandoff(w http.ResponseWriter, r *http.Request, accept bool) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	handoffID, err := pathInt(r, "handoff", "handoff")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req reasonRequest
	if !accept || r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	h, err := s.TicketService.AnswerHandoff(r.Context(), id, handoffID, accept, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) handleWatcherAdd(w http.ResponseWriter, r *http.Request) {
	s.changeWatcher(w, r, s.TicketService.AddWatcher)
}

func (s *Server) handleWatcherRemove(w http.ResponseWriter, r *http.Request) {
	s.changeWatcher(w, r, s.TicketService.RemoveWatcher)
}

// changeWatcher adds or removes the watcher /tickets/{id}/watchers/{user};
// "me" names the caller.
func (s *Server) changeWatcher(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, id, userID int64) error) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var userID int64
	if r.PathValue("user") == "me" {
		userID = tandem.ActorFromContext(r.Context()).UserID
	} else if userID, err = pathInt(r, "user", "user"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := change(r.Context(), id, userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleTimeEntryList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.TicketService.TimeEntries(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// timeEntryRequest is the body of POST /api/v1/tickets/{id}/time-entries;
// without user_id the time is the caller's.
type timeEntryRequest struct {
	UserID   int64  `json:"user_id"`
	Minutes  int    `json:"minutes"`
	Billable bool   `json:"billable"`
	Note     string `json:"note"`
	SpentOn  string `json:"spent_on"`
}

func (s *Server) handleTimeEntryCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req timeEntryRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := &tandem.TimeEntry{TicketID: id, UserID: req.UserID, Minutes: req.Minutes, Billable: req.Billable, Note: req.Note, SpentOn: req.SpentOn}
	if err := s.TicketService.AddTimeEntry(r.Context(), id, e); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}
