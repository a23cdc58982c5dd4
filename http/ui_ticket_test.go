package http_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// upload sends a multipart form with one file part and fails unless the
// answer has status.
func (b browserless) upload(t *testing.T, path, filename string, content []byte, fields url.Values, status int) (string, http.Header) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, data := b.send(t, req)
	if res.StatusCode != status {
		t.Fatalf("POST %s: status %d, want %d\n%.2000s", path, res.StatusCode, status, data)
	}
	return string(data), res.Header
}

// mustContain fails for each text the page lacks.
func mustContain(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

// mustLack fails for each text the page holds.
func mustLack(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(body, s) {
			t.Errorf("%s holds %q", what, s)
		}
	}
}

var ticketLocation = regexp.MustCompile(`^/tickets/([0-9]+)$`)

// pageCast is the cast of the ticket page tests, MFA off: the world, a
// requester of organisation A, and browserless sessions of A's internal
// technician, the provider technician, that requester and B's it-admin
// (an outsider to A's tickets).
func pageCast(t *testing.T, s *testserver.Server) (w *world, requesterA member, itTech, tech, requester, outsider browserless) {
	t.Helper()
	w = newWorld(t, s)
	if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
		t.Fatal(err)
	}
	requesterA = w.newMember(t, "requester@acme.test", tandem.RoleRequester, &w.orgA.ID, nil)
	return w, requesterA, sessionOf(t, s, w.itTechA.User), sessionOf(t, s, w.tech.User), sessionOf(t, s, requesterA.User), sessionOf(t, s, w.itAdminB.User)
}

// The service desk pages without a browser: opening a ticket, refusals that
// keep the input, visibility of comments, handoffs through the queue, time
// and attachments.
func TestTicketPages(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w, requesterA, itTech, tech, requester, outsider := pageCast(t, s)
		newPath := "/orgs/" + w.orgA.Slug + "/tickets/new"
		count := func(t *testing.T) int {
			t.Helper()
			page, err := s.Services.Tickets.FindTickets(testserver.SystemContext(), tandem.TicketFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Tickets)
		}

		t.Run("ErrTitleKeepsInput", func(t *testing.T) {
			form := url.Values{"title": {"  "}, "description": {"The printer on floor 3 is **on fire**"}, "impact": {"high"}, "urgency": {"low"}, "tags": {"printer floor-3"}}
			body := itTech.post(t, newPath, form, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused form", body, "Title is required", "The printer on floor 3 is **on fire**",
				`<option value="high" selected>`, `<option value="low" selected>`, `value="printer floor-3"`)
			if n := count(t); n != 0 {
				t.Errorf("%d tickets after a refused form, want 0", n)
			}
		})
		t.Run("ErrTagKeepsInput", func(t *testing.T) {
			body := itTech.post(t, newPath, url.Values{"title": {"VPN drops"}, "tags": {"no/slashes"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused form", body, `Tag &#34;no/slashes&#34; is invalid`, `value="VPN drops"`)
		})
		t.Run("ErrOutsiderForm", func(t *testing.T) {
			outsider.page(t, newPath, http.StatusNotFound)
		})

		var id int64
		var path string
		t.Run("Create", func(t *testing.T) {
			if body := requester.page(t, newPath, http.StatusOK); strings.Contains(body, `name="requester"`) {
				t.Error("a requester is offered to open tickets for others")
			}
			form := url.Values{"title": {"Printer on fire"}, "description": {"It is **really** on fire.\n\n<script>alert(1)</script>"}, "impact": {"high"}, "urgency": {"high"}, "requester": {strconv.FormatInt(requesterA.ID, 10)}}
			status, _, header := itTech.do(t, http.MethodPost, newPath, form)
			m := ticketLocation.FindStringSubmatch(header.Get("Location"))
			if status != http.StatusSeeOther || m == nil {
				t.Fatalf("create: status %d, Location %q; want a redirect to the ticket", status, header.Get("Location"))
			}
			id, _ = strconv.ParseInt(m[1], 10, 64)
			path = m[0]
			body := itTech.page(t, path, http.StatusOK)
			mustContain(t, "the ticket page", body, "Printer on fire", "<strong>really</strong>", "&lt;script&gt;alert(1)&lt;/script&gt;",
				"P1 Critical", `id="handoff-form"`, "Escalate to provider", `data-due="`, `id="comment-form"`)
			mustLack(t, "the ticket page", body, "<script>alert(1)")
			if body := requester.page(t, path, http.StatusOK); !strings.Contains(body, "Printer on fire") {
				t.Error("the requester does not see their ticket")
			}
			outsider.page(t, path, http.StatusNotFound)
		})
		if id == 0 {
			t.FailNow()
		}

		t.Run("ErrCommentKeepsInput", func(t *testing.T) {
			body := itTech.post(t, path+"/comments", url.Values{"body": {"A draft I do not want to lose"}, "visibility": {"everyone"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused comment", body, "Visibility &#34;everyone&#34; is invalid", ">A draft I do not want to lose</textarea>")
		})
		t.Run("ErrTimeKeepsInput", func(t *testing.T) {
			body := itTech.post(t, path+"/time", url.Values{"minutes": {"half an hour"}, "note": {"Swapped the toner"}, "billable": {"on"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused time", body, "is not a whole number", `value="Swapped the toner"`, `value="half an hour"`)
			body = itTech.post(t, path+"/time", url.Values{"minutes": {"5000"}, "note": {"Too long"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused time", body, "Minutes must be 1 to 1440", `value="Too long"`)
		})
		t.Run("ErrStatusMove", func(t *testing.T) {
			body := itTech.post(t, path+"/status", url.Values{"status": {"closed"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused status", body, "cannot become closed")
		})
		t.Run("ErrRequesterCannotWork", func(t *testing.T) {
			requester.post(t, path+"/status", url.Values{"status": {"resolved"}}, http.StatusForbidden, "")
			body := requester.page(t, path, http.StatusOK)
			mustLack(t, "the requester's page", body, `id="status-form"`, `id="handoff-form"`, `name="visibility"`, `id="time-form"`)
		})

		// A viewer reads the ticket and is offered no form the service
		// would refuse them: no reply, no attachment.
		t.Run("ViewerReadsOnly", func(t *testing.T) {
			viewer := sessionOf(t, s, w.newMember(t, "viewer@acme.test", tandem.RoleViewer, &w.orgA.ID, nil).User)
			body := viewer.page(t, path, http.StatusOK)
			mustContain(t, "the viewer's page", body, "Printer on fire", `id="timeline"`)
			mustLack(t, "the viewer's page", body, `id="comment-form"`, `id="attach-form"`, `id="status-form"`, `id="time-form"`)
			viewer.post(t, path+"/comments", url.Values{"body": {"Me too"}}, http.StatusForbidden, "")
		})

		t.Run("Visibility", func(t *testing.T) {
			for vis, text := range map[string]string{"public": "Public note for everyone", "teams": "Teams note for both IT teams", "party": "Party note for internal IT"} {
				if status, _, h := itTech.do(t, http.MethodPost, path+"/comments", url.Values{"body": {text}, "visibility": {vis}}); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), path+"#event-") {
					t.Fatalf("comment: status %d, Location %q; want a redirect to the comment", status, h.Get("Location"))
				}
			}
			body := requester.page(t, path, http.StatusOK)
			mustContain(t, "the requester's page", body, "Public note for everyone")
			mustLack(t, "the requester's page", body, "Teams note", "Party note")
			body = tech.page(t, path, http.StatusOK)
			mustContain(t, "the provider technician's page", body, "Public note for everyone", "Teams note for both IT teams", ">Both teams<")
			mustLack(t, "the provider technician's page", body, "Party note")
			body = itTech.page(t, path, http.StatusOK)
			mustContain(t, "the internal technician's page", body, "Party note for internal IT", ">Internal only<", ">Public<")

			// The provider's technician has no name (their email stands in
			// for it): the requester, who may not see users, reads their
			// reply as a provider technician's of their team, without the
			// email.
			if status, _, _ := tech.do(t, http.MethodPost, path+"/comments", url.Values{"body": {"Provider reply"}, "visibility": {"public"}}); status != http.StatusSeeOther {
				t.Fatalf("the provider's comment: status %d", status)
			}
			body = requester.page(t, path, http.StatusOK)
			mustContain(t, "the requester's page", body, "Provider reply", `<strong class="author">provider technician</strong> <span class="party">Northwind MSP</span>`)
			mustLack(t, "the requester's page", body, w.tech.Email)
			mustContain(t, "the internal technician's page", itTech.page(t, path, http.StatusOK), `<strong class="author">`+w.tech.Email+`</strong>`)
		})

		t.Run("HandoffThroughQueue", func(t *testing.T) {
			body := itTech.post(t, path+"/handoffs", url.Values{"reason": {"  "}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused handoff", body, `class="error"`)
			itTech.post(t, path+"/handoffs", url.Values{"reason": {"Needs the firewall team"}}, http.StatusSeeOther, path)
			queue := tech.page(t, "/queue", http.StatusOK)
			waiting := queue[strings.Index(queue, `id="waiting-list"`):]
			waiting = waiting[:strings.Index(waiting, "</table>")]
			mustContain(t, "the provider's waiting list", waiting, "Printer on fire", "Needs the firewall team", "/accept")
			if body := itTech.page(t, "/tickets", http.StatusOK); !strings.Contains(body, "awaiting acceptance by provider") {
				t.Error("the list does not show the ticket awaiting acceptance")
			}
			tk, err := s.Services.Tickets.FindTicket(testserver.SystemContext(), id)
			if err != nil || tk.PendingHandoff == nil {
				t.Fatalf("ticket %d: %v, pending handoff %v", id, err, tk)
			}
			hpath := path + "/handoffs/" + strconv.FormatInt(tk.PendingHandoff.ID, 10)
			itTech.post(t, hpath+"/accept", nil, http.StatusForbidden, "")
			tech.post(t, hpath+"/accept", nil, http.StatusSeeOther, path)
			if tk, _ = s.Services.Tickets.FindTicket(testserver.SystemContext(), id); tk.OwningParty != tandem.PartyProvider || tk.AssigneeID == nil || *tk.AssigneeID != w.tech.ID {
				t.Errorf("after accepting: owner %s, assignee %v; want provider and the technician", tk.OwningParty, tk.AssigneeID)
			}
			body = tech.page(t, path, http.StatusOK)
			mustContain(t, "the accepted ticket", body, "Hand back to internal IT", "accepted the handoff")
			if queue := tech.page(t, "/queue", http.StatusOK); !strings.Contains(queue, "Nothing waits for your team.") || !strings.Contains(queue, "Printer on fire") {
				t.Error("the queue does not list the accepted ticket as owned, with nothing waiting")
			}
		})

		t.Run("Time", func(t *testing.T) {
			tech.post(t, path+"/time", url.Values{"minutes": {"45"}, "billable": {"on"}, "note": {"Checked the firewall"}}, http.StatusSeeOther, path)
			body := tech.page(t, path, http.StatusOK)
			mustContain(t, "the ticket page", body, "Checked the firewall", "45 min (45 min billable)")
			mustLack(t, "the requester's page", requester.page(t, path, http.StatusOK), "Checked the firewall")
		})

		t.Run("Attachments", func(t *testing.T) {
			content := []byte("hostname,state\ndb1,down\n")
			_, header := tech.upload(t, path+"/attachments", "hosts.csv", content, url.Values{"visibility": {"party"}}, http.StatusSeeOther)
			if header.Get("Location") != path {
				t.Errorf("upload redirected to %q", header.Get("Location"))
			}
			list, err := s.Services.Tickets.Attachments(testserver.SystemContext(), id)
			if err != nil || len(list) != 1 {
				t.Fatalf("attachments: %v, %d; want 1", err, len(list))
			}
			dl := path + "/attachments/" + strconv.FormatInt(list[0].ID, 10)
			mustContain(t, "the ticket page", tech.page(t, path, http.StatusOK), `href="`+dl+`"`, "hosts.csv", ">Provider only<")
			status, got, h := tech.do(t, http.MethodGet, dl, nil)
			if status != http.StatusOK || got != string(content) {
				t.Fatalf("download: status %d, body %q", status, got)
			}
			if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "hosts.csv") {
				t.Errorf("Content-Disposition = %q, want an attachment named hosts.csv", cd)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("download headers: nosniff %q, CSP %q", h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
			// Provider-only: the internal team and the requester do not see it.
			for _, who := range []browserless{itTech, requester, outsider} {
				who.page(t, dl, http.StatusNotFound)
			}
			mustLack(t, "the requester's page", requester.page(t, path, http.StatusOK), "hosts.csv")
		})

		t.Run("List", func(t *testing.T) {
			body := itTech.page(t, "/tickets?status=active&q=printer", http.StatusOK)
			mustContain(t, "the filtered list", body, `data-ticket="`+strconv.FormatInt(id, 10)+`"`, `<option value="active" selected>`)
			body = itTech.page(t, "/tickets?status=resolved", http.StatusOK)
			mustContain(t, "the list of resolved tickets", body, "No tickets match.")
			body = itTech.page(t, "/tickets?priority=9", http.StatusUnprocessableEntity)
			mustContain(t, "the list with a bad filter", body, "Priority &#34;9&#34; is invalid")
			if body := outsider.page(t, "/tickets", http.StatusOK); strings.Contains(body, "Printer on fire") {
				t.Error("another organisation's it-admin sees the ticket in the list")
			}
			requester.page(t, "/queue", http.StatusNotFound)
		})
	})
}

// The SLA settings page round trip: an it-admin creates a calendar, runs the
// policy on it, imports holidays; refusals keep the input; technicians read.
func TestSLAPages(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w := newWorld(t, s)
		itAdminA := w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
		requesterA := w.newMember(t, "requester@acme.test", tandem.RoleRequester, &w.orgA.ID, nil)
		admin, itTech, requester, outsider := sessionOf(t, s, itAdminA.User), sessionOf(t, s, w.itTechA.User), sessionOf(t, s, requesterA.User), sessionOf(t, s, w.itAdminB.User)
		base := "/orgs/" + w.orgA.Slug + "/sla"
		policy := func(t *testing.T) *tandem.SLAPolicy { return slaPolicy(t, s, w.orgA.ID) }
		calendars := func(t *testing.T) []*tandem.BusinessCalendar { return slaCalendars(t, s, w.orgA.ID) }

		t.Run("Access", func(t *testing.T) {
			body := admin.page(t, base, http.StatusOK)
			mustContain(t, "the admin's page", body, "Save policy", `id="calendar-new-form"`, `name="response_1" value="30 min"`)
			body = itTech.page(t, base, http.StatusOK)
			mustContain(t, "the technician's page", body, `id="sla-read-only"`, `name="response_1" value="30 min"`)
			mustLack(t, "the technician's page", body, "Save policy", `id="calendar-new-form"`)
			itTech.post(t, base, url.Values{"warn_percent": {"50"}}, http.StatusForbidden, "")
			requester.page(t, base, http.StatusForbidden)
			outsider.page(t, base, http.StatusNotFound)
			if body := admin.page(t, "/orgs/"+w.orgA.Slug, http.StatusOK); !strings.Contains(body, `href="`+base+`"`) {
				t.Error("the organisation page does not link to the SLA settings")
			}
		})

		t.Run("ErrCalendarKeepsInput", func(t *testing.T) {
			body := admin.post(t, base+"/calendars", gridValues("Berlin office", "Mars/Olympus", weekHours{"mon": {{"09:00", "17:00"}}}), http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused calendar", body, "Time zone &#34;Mars/Olympus&#34; is not one we know", `value="Berlin office"`, `value="Mars/Olympus"`)
			body = admin.post(t, base+"/calendars", gridValues("Berlin office", "Europe/Berlin", weekHours{"mon": {{"09:00", "17:00"}}, "fri": {{"09:00", "12:00"}, {"13:00", "25:00"}}}), http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused calendar", body, "Friday, period 2 (13:00 to 25:00): closing time &#34;25:00&#34; is not a time of day", `name="fri_to_2" value="25:00"`)
			if n := len(calendars(t)); n != 0 {
				t.Errorf("%d calendars after refusals, want 0", n)
			}
		})

		var cal *tandem.BusinessCalendar
		t.Run("RoundTrip", func(t *testing.T) {
			body := admin.post(t, base+"/calendars", gridValues("Berlin office", "Europe/Berlin", weekHours{"mon": {{"09:00", "17:00"}}, "tue": {{"09:00", "12:00"}, {"13:00", "17:00"}}}, "2026-12-25"), http.StatusOK, "")
			mustContain(t, "the page after creating", body, "Calendar Berlin office created")
			list := calendars(t)
			if len(list) != 1 {
				t.Fatalf("%d calendars, want 1", len(list))
			}
			cal = list[0]
			calID := strconv.FormatInt(cal.ID, 10)
			form := url.Values{"calendar_id": {calID}, "warn_percent": {"80"}, "ola_internal": {"1h 30m"}, "ola_provider": {"15m"}}
			for p := 1; p <= 5; p++ {
				form.Set("response_"+strconv.Itoa(p), strconv.Itoa(p*10)+"m")
				form.Set("resolution_"+strconv.Itoa(p), strconv.Itoa(p*100)+" min")
			}
			for _, impact := range tandem.Levels {
				for _, urgency := range tandem.Levels {
					form.Set("matrix_"+string(impact)+"_"+string(urgency), "3")
				}
			}
			form.Set("matrix_high_high", "1")
			body = admin.post(t, base, form, http.StatusOK, "")
			mustContain(t, "the page after saving", body, "SLA policy saved", `<option value="`+calID+`" selected>Berlin office</option>`, `name="warn_percent" min="1" max="99" value="80"`)
			p := policy(t)
			if p.CalendarID == nil || *p.CalendarID != cal.ID || p.WarnPercent != 80 || p.Target(2).ResponseMinutes != 20 || p.Target(5).ResolutionMinutes != 500 ||
				p.OLA(tandem.PartyProvider) != 15 || p.OLA(tandem.PartyInternal) != 90 || p.PriorityMatrix.Priority(tandem.LevelHigh, tandem.LevelHigh) != 1 || p.PriorityMatrix.Priority(tandem.LevelLow, tandem.LevelLow) != 3 {
				t.Errorf("stored policy = %+v", p)
			}
			// Reading it back shows what was stored.
			body = itTech.page(t, base, http.StatusOK)
			mustContain(t, "the technician's page", body, `name="resolution_5" value="8 h 20 min"`, `name="ola_provider" value="15 min"`, `<option value="1" selected>P1</option>`)

			// A ticket's page shows every time in the calendar's zone, as
			// its clocks, to the requester too.
			tk, err := s.Services.Tickets.CreateTicket(testserver.SystemContext(), tandem.TicketInput{OrganizationID: w.orgA.ID, RequesterID: requesterA.ID, Title: "Zone check"})
			if err != nil {
				t.Fatal(err)
			}
			zone := tk.CreatedAt.In(mustLoad(t, "Europe/Berlin")).Format("Mon 2 Jan 2006 15:04 MST")
			body = requester.page(t, "/tickets/"+strconv.FormatInt(tk.ID, 10), http.StatusOK)
			mustContain(t, "the requester's ticket page", body, "times in Europe/Berlin", ">"+zone+"</time></dd>")
		})
		if cal == nil {
			t.FailNow()
		}
		calPath := base + "/calendars/" + strconv.FormatInt(cal.ID, 10)

		t.Run("ErrPolicyKeepsInput", func(t *testing.T) {
			before := policy(t)
			body := admin.post(t, base, url.Values{"warn_percent": {"150"}, "response_1": {"7m"}, "matrix_high_high": {"2"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused policy", body, "warn_percent must be 1 to 99", `value="150"`, `name="response_1" value="7m"`)
			body = admin.post(t, base, url.Values{"warn_percent": {"75"}, "response_1": {"soon"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused policy", body, "Response target for P1 Critical: &#34;soon&#34; is not a duration; write it like 4h or 1h 30m.", `value="soon"`)
			if after := policy(t); after.WarnPercent != before.WarnPercent || after.Target(1) != before.Target(1) {
				t.Errorf("a refused policy changed the stored one: %+v", after)
			}
		})

		t.Run("UpdateCalendar", func(t *testing.T) {
			body := admin.post(t, calPath, gridValues("Berlin office", "Europe/Berlin", weekHours{"mon": {{"09:00", "25:00"}}}), http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused update", body, `class="error"`, "Monday, period 1 (09:00 to 25:00)")
			admin.post(t, calPath, gridValues("Berlin HQ", "Europe/Berlin", weekHours{"mon": {{"8:00", "18"}}}), http.StatusOK, "")
			c, err := s.Services.SLA.FindCalendar(testserver.SystemContext(), w.orgA.ID, cal.ID)
			if err != nil || c.Name != "Berlin HQ" || !strings.Contains(string(c.Definition), "08:00") {
				t.Errorf("calendar after update: %+v, %v", c, err)
			}
		})

		t.Run("ImportHolidays", func(t *testing.T) {
			ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:xmas@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			body, _ := admin.upload(t, calPath+"/holidays", "holidays.ics", []byte(ics), nil, http.StatusOK)
			mustContain(t, "the page after importing", body, "Imported 1 holidays into Berlin HQ", "2026-12-25")
			c, err := s.Services.SLA.FindCalendar(testserver.SystemContext(), w.orgA.ID, cal.ID)
			if err != nil || !strings.Contains(string(c.Definition), "2026-12-25") {
				t.Errorf("calendar after import: %s, %v", c.Definition, err)
			}
			body, _ = admin.upload(t, calPath+"/holidays", "holidays.ics", []byte("not a calendar"), nil, http.StatusUnprocessableEntity)
			mustContain(t, "the refused import", body, "cannot be imported")
		})

		t.Run("Delete", func(t *testing.T) {
			body := admin.post(t, calPath+"/delete", nil, http.StatusConflict, "")
			mustContain(t, "the refused delete", body, `class="error"`)
			form := policyValues(policy(t))
			form.Set("calendar_id", "")
			admin.post(t, base, form, http.StatusOK, "")
			admin.post(t, calPath+"/delete", nil, http.StatusOK, "")
			if n := len(calendars(t)); n != 0 {
				t.Errorf("%d calendars after deleting, want 0", n)
			}
		})
	})
}

// policyValues is the policy form as a browser sends it for p.
func policyValues(p *tandem.SLAPolicy) url.Values {
	form := url.Values{"warn_percent": {strconv.Itoa(p.WarnPercent)}}
	if p.CalendarID != nil {
		form.Set("calendar_id", strconv.FormatInt(*p.CalendarID, 10))
	}
	for pr := tandem.Priority(1); pr <= 5; pr++ {
		form.Set("response_"+strconv.Itoa(int(pr)), strconv.Itoa(p.Target(pr).ResponseMinutes)+"m")
		form.Set("resolution_"+strconv.Itoa(int(pr)), strconv.Itoa(p.Target(pr).ResolutionMinutes)+"m")
	}
	form.Set("ola_internal", strconv.Itoa(p.OLA(tandem.PartyInternal))+"m")
	form.Set("ola_provider", strconv.Itoa(p.OLA(tandem.PartyProvider))+"m")
	for _, impact := range tandem.Levels {
		for _, urgency := range tandem.Levels {
			form.Set("matrix_"+string(impact)+"_"+string(urgency), strconv.Itoa(int(p.PriorityMatrix.Priority(impact, urgency))))
		}
	}
	return form
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
