package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// ticketAction wraps a form of the ticket page: it reads the ticket id and
// the form, calls act, and redirects to the ticket (or to next) when act
// succeeds; a refusal shows the ticket with the message and the submitted
// fields kept, under the form's prefix ("comment.body").
func (s *Server) ticketAction(prefix string, act func(w http.ResponseWriter, r *http.Request, id int64) (next string, err error)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, data pageData) {
		id, err := ticketID(r)
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		show := func(data pageData, status int) { s.renderTicket(w, r, data, id, status) }
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				s.deskFormError(w, r, data, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB."), show)
				return
			}
		}
		next, err := act(w, r, id)
		if err != nil {
			data.Form = map[string]string{}
			for k := range r.PostForm {
				data.Form[prefix+"."+k] = r.PostForm.Get(k)
			}
			s.deskFormError(w, r, data, err, show)
			return
		}
		if next == "" {
			next = "/tickets/" + strconv.FormatInt(id, 10)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// ticketComment adds a comment, optionally moving the status with it.
func (s *Server) ticketComment(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	in := tandem.CommentInput{Body: r.PostFormValue("body"), Visibility: tandem.Visibility(r.PostFormValue("visibility"))}
	if st := r.PostFormValue("status"); st != "" {
		next := tandem.TicketStatus(st)
		in.Status = &next
	}
	e, err := s.TicketService.AddComment(r.Context(), id, in)
	if err != nil {
		return "", err
	}
	return "/tickets/" + strconv.FormatInt(id, 10) + "#event-" + strconv.FormatInt(e.ID, 10), nil
}

func (s *Server) ticketStatus(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	st := tandem.TicketStatus(r.PostFormValue("status"))
	_, err := s.TicketService.UpdateTicket(r.Context(), id, tandem.TicketUpdate{Status: &st})
	return "", err
}

// ticketAssign assigns the ticket: assignee is "me", a user id, or "none" to
// unassign.
func (s *Server) ticketAssign(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	var who int64
	switch v := r.PostFormValue("assignee"); v {
	case "me":
		who = tandem.ActorFromContext(r.Context()).UserID
	case "none":
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return "", tandem.Errorf(tandem.EINVALID, "Choose whom to assign the ticket to.")
		}
		who = n
	}
	_, err := s.TicketService.UpdateTicket(r.Context(), id, tandem.TicketUpdate{AssigneeID: &who})
	return "", err
}

// ticketEdit changes the title and the Markdown description. A browser
// ends a textarea's lines with CRLF: the description is stored with LF, and
// one that differs from the stored text only in its line endings is left
// alone, so the timeline never reports an edit nobody made.
func (s *Server) ticketEdit(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	t, err := s.TicketService.FindTicket(r.Context(), id)
	if err != nil {
		return "", err
	}
	title := r.PostFormValue("title")
	upd := tandem.TicketUpdate{Title: &title}
	if description := lfLines(r.PostFormValue("description")); description != lfLines(t.Description) {
		upd.Description = &description
	}
	_, err = s.TicketService.UpdateTicket(r.Context(), id, upd)
	return "", err
}

// lfLines ends every line of a form's text with LF.
func lfLines(text string) string { return strings.ReplaceAll(text, "\r\n", "\n") }

// ticketWatch adds the chosen user as a watcher; adding one who already
// watches changes nothing.
func (s *Server) ticketWatch(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	userID, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if err != nil || userID <= 0 {
		return "", tandem.Errorf(tandem.EINVALID, "Choose whom to add as a watcher.")
	}
	return "", s.TicketService.AddWatcher(r.Context(), id, userID)
}

// ticketUnwatch removes the watcher named in the path. A requester who
// stops watching a ticket of someone else's no longer sees it: they go back
// to their list.
func (s *Server) ticketUnwatch(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	userID, err := pathInt(r, "user", "user")
	if err != nil {
		return "", err
	}
	if err := s.TicketService.RemoveWatcher(r.Context(), id, userID); err != nil {
		return "", err
	}
	if a, err := tandem.RequireActor(r.Context()); err == nil && a.UserID == userID && a.IsRequesterRole() {
		return "/tickets", nil
	}
	return "", nil
}

func (s *Server) ticketHandoff(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	_, err := s.TicketService.RequestHandoff(r.Context(), id, r.PostFormValue("reason"))
	return "", err
}

// ticketAccept accepts a handoff; the ticket, now the viewer's, is shown.
func (s *Server) ticketAccept(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	hid, err := pathInt(r, "handoff", "handoff")
	if err != nil {
		return "", err
	}
	_, err = s.TicketService.AnswerHandoff(r.Context(), id, hid, true, "")
	return "", err
}

// ticketDecline declines a handoff with a reason, returning to the queue
// when it was answered there.
func (s *Server) ticketDecline(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	hid, err := pathInt(r, "handoff", "handoff")
	if err != nil {
		return "", err
	}
	if _, err = s.TicketService.AnswerHandoff(r.Context(), id, hid, false, r.PostFormValue("reason")); err != nil {
		return "", err
	}
	if r.PostFormValue("next") == "queue" {
		return "/queue", nil
	}
	return "", nil
}

func (s *Server) ticketTime(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	v := strings.TrimSpace(r.PostFormValue("minutes"))
	minutes, err := strconv.Atoi(v)
	if err != nil {
		return "", tandem.Errorf(tandem.EINVALID, "Minutes %q is not a whole number; enter the minutes spent, such as 30.", v)
	}
	e := &tandem.TimeEntry{TicketID: id, Minutes: minutes, Billable: r.PostFormValue("billable") != "", Note: r.PostFormValue("note"), SpentOn: r.PostFormValue("spent_on")}
	return "", s.TicketService.AddTimeEntry(r.Context(), id, e)
}

// ticketAttach stores the file of a multipart form.
func (s *Server) ticketAttach(w http.ResponseWriter, r *http.Request, id int64) (string, error) {
	file, a, err := s.readUpload(w, r)
	if err != nil {
		return "", err
	}
	defer file.Close()
	return "", s.TicketService.AddAttachment(r.Context(), id, a, file)
}

// handleTicketAttachmentDownload serves an attachment to a browser session,
// always as a download in a sandbox, never rendered in Tandem's origin. (The
// API route does the same for tokens.)
func (s *Server) handleTicketAttachmentDownload(w http.ResponseWriter, r *http.Request, data pageData) {
	if err := s.serveAttachment(w, r); err != nil {
		s.renderError(w, r, err, data)
	}
}
