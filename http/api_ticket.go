package http

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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

func (s *Server) handleAttachmentList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.TicketService.Attachments(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// maxAttachmentBytes is the attachment limit the server applies to uploads.
func (s *Server) maxAttachmentBytes() int64 {
	if s.MaxAttachmentBytes > 0 {
		return s.MaxAttachmentBytes
	}
	return DefaultMaxAttachmentBytes
}

// handleAttachmentUpload stores the "file" part of a multipart/form-data
// body, with an optional "visibility" part (public when absent). The body
// may be as large as the attachment limit plus the multipart framing, not
// the 1 MiB of JSON bodies; the service checks the file's own size and type.
func (s *Server) handleAttachmentUpload(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	file, a, err := s.readUpload(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer file.Close()
	if err := s.TicketService.AddAttachment(r.Context(), id, a, file); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// readUpload parses an attachment upload: exactly one "file" part and at
// most one "visibility" field, nothing else.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (multipart.File, *tandem.Attachment, error) {
	limit := s.maxAttachmentBytes()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Content-Type %q is not supported; upload the file as multipart/form-data with a part named \"file\".", r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	// Up to 1 MiB is kept in memory; the rest goes to a temporary file the
	// server removes when the request ends.
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, nil, tandem.Errorf(tandem.ETOOLARGE, "The upload is larger than the attachment limit of %d bytes.", limit)
		}
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "The upload is not valid multipart/form-data: %v.", err)
	}
	form := r.MultipartForm
	for name := range form.Value {
		if name != "visibility" {
			return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Unknown form field %q; send a \"file\" part and optionally \"visibility\".", name)
		}
	}
	for name := range form.File {
		if name != "file" {
			return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Unknown file part %q; name the part \"file\".", name)
		}
	}
	files := form.File["file"]
	if len(files) != 1 {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Send exactly one part named \"file\", got %d.", len(files))
	}
	// The service defaults an empty visibility to public and judges the
	// rest after the ticket's scope, so an outsider learns nothing.
	a := &tandem.Attachment{}
	if vs := form.Value["visibility"]; len(vs) > 1 {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Field \"visibility\" is given more than once; send it once.")
	} else if len(vs) == 1 {
		a.Visibility = tandem.Visibility(vs[0])
	}
	fh := files[0]
	if fh.Size > limit {
		return nil, nil, tandem.Errorf(tandem.ETOOLARGE, "The file is %d bytes, above the attachment limit of %d bytes.", fh.Size, limit)
	}
	a.Filename, a.Size = fh.Filename, fh.Size
	a.ContentType = fh.Header.Get("Content-Type")
	f, err := fh.Open()
	if err != nil {
		return nil, nil, err
	}
	return f, a, nil
}

// handleAttachmentDownload serves an attachment's bytes, always as a
// download: a browser must never render a file a customer or technician
// uploaded in Tandem's origin.
func (s *Server) handleAttachmentDownload(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	attID, err := pathInt(r, "attachment", "attachment")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, body, err := s.TicketService.OpenAttachment(r.Context(), id, attID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", downloadType(a.ContentType))
	h.Set("Content-Disposition", contentDisposition(a.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	if a.Size > 0 {
		h.Set("Content-Length", itoa64(a.Size))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		s.Logger.Error("attachment download cut short", "route", r.Pattern, "attachment", a.ID, "err", err)
	}
}

// downloadType is the Content-Type of a download: the stored type when it
// is a well-formed media type, application/octet-stream otherwise.
func downloadType(stored string) string {
	mt, params, err := mime.ParseMediaType(stored)
	if err != nil || stored == "" {
		return "application/octet-stream"
	}
	if t := mime.FormatMediaType(mt, params); t != "" {
		return t
	}
	return "application/octet-stream"
}

// contentDisposition returns "attachment" with the file's name as RFC 6266
// wants it: an ASCII fallback in filename and the exact name, percent-encoded
// UTF-8, in filename*. Path separators and control characters never reach
// the client.
func contentDisposition(name string) string {
	name = safeFilename(name)
	var fallback, encoded strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && r != '"' && r != '\\' && r != '%':
			fallback.WriteRune(r)
		default:
			fallback.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		// attr-char of RFC 8187: ALPHA / DIGIT / "!" / "#" / "$" / "&" /
		// "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			encoded.WriteByte(b)
		} else {
			encoded.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + encoded.String()
}

// safeFilename keeps the last path element of name, drops control and
// invisible formatting characters (such as right-to-left overrides that
// disguise an extension) and names an empty result "attachment".
func safeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	name = strings.TrimSpace(b.String())
	name = strings.Trim(name, ".")
	if name == "" {
		return "attachment"
	}
	if len(name) > 255 {
		// Keep whole characters.
		cut := 255
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name
}
