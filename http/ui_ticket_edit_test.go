package http_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// The ticket page's edit form and watchers, without a browser: technicians
// of either party edit the title and description and choose who watches;
// refusals change nothing; requesters get no such controls and a forged
// form of theirs is refused.
func TestTicketEditPages(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		w, requesterA, itTech, tech, requester, outsider := pageCast(t, s)
		tk, err := s.Services.Tickets.CreateTicket(testserver.SystemContext(), tandem.TicketInput{OrganizationID: w.orgA.ID, RequesterID: requesterA.ID,
			Title: "Printer jammed", Description: "Tray 2 is stuck."})
		if err != nil {
			t.Fatal(err)
		}
		path := "/tickets/" + strconv.FormatInt(tk.ID, 10)
		ticket := func(t *testing.T) *tandem.Ticket {
			t.Helper()
			got, err := s.Services.Tickets.FindTicket(testserver.SystemContext(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		timeline := func(t *testing.T) int {
			t.Helper()
			events, err := s.Services.Tickets.Timeline(testserver.SystemContext(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(events)
		}

		t.Run("Edit", func(t *testing.T) {
			body := itTech.page(t, path, http.StatusOK)
			mustContain(t, "the technician's page", body, `id="edit-form"`, `name="title" required maxlength="200" value="Printer jammed"`, ">Tray 2 is stuck.</textarea>")
			mustLack(t, "the technician's page", body, `id="edit" open`)

			// A browser sends the textarea's lines ended by CRLF.
			itTech.post(t, path+"/edit", url.Values{"title": {"Printer on floor 3 jammed"}, "description": {"Tray 2 is **stuck**.\r\nTray 1 works."}}, http.StatusSeeOther, path)
			body = itTech.page(t, path, http.StatusOK)
			mustContain(t, "the edited ticket", body, "Printer on floor 3 jammed</h1>", "<strong>stuck</strong>",
				"changed the title to “Printer on floor 3 jammed”.", "changed the description.")
			if got := ticket(t); got.Title != "Printer on floor 3 jammed" || got.Description != "Tray 2 is **stuck**.\nTray 1 works." {
				t.Errorf("stored title %q, description %q", got.Title, got.Description)
			}
			mustContain(t, "the requester's page", requester.page(t, path, http.StatusOK), "Printer on floor 3 jammed</h1>", "changed the title to “Printer on floor 3 jammed”.")

			action := "ticket.update"
			entries, _, err := s.Services.Audit.FindAuditEntries(testserver.SystemContext(), tandem.AuditFilter{OrganizationID: &w.orgA.ID, Action: &action, Limit: 1})
			if err != nil || len(entries) != 1 {
				t.Fatalf("audit: %v, %d entries", err, len(entries))
			}
			if e := entries[0]; e.ActorUserID == nil || *e.ActorUserID != w.itTechA.ID || e.Target != "ticket:"+strconv.FormatInt(tk.ID, 10) ||
				!strings.Contains(string(e.Summary), "Printer on floor 3 jammed") || !strings.Contains(string(e.Summary), "description") {
				t.Errorf("audit entry %+v, summary %s; want the technician retitling the ticket and changing its description", e, e.Summary)
			}

			// Saving the form again as the browser shows it changes nothing.
			before := timeline(t)
			itTech.post(t, path+"/edit", url.Values{"title": {"Printer on floor 3 jammed"}, "description": {"Tray 2 is **stuck**.\r\nTray 1 works."}}, http.StatusSeeOther, path)
			if after := timeline(t); after != before {
				t.Errorf("an unchanged form added %d timeline entries", after-before)
			}

			// The provider's technician works the ticket too.
			tech.post(t, path+"/edit", url.Values{"title": {"Printer on floor 3 jammed"}, "description": {"Tray 2 is **stuck**; rollers replaced."}}, http.StatusSeeOther, path)
			mustContain(t, "the ticket page", itTech.page(t, path, http.StatusOK), "rollers replaced")
		})

		t.Run("ErrEmptyTitle", func(t *testing.T) {
			before, events := ticket(t), timeline(t)
			body := itTech.post(t, path+"/edit", url.Values{"title": {"   "}, "description": {"A rewrite I do not want to lose"}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused edit", body, "Title is required", `id="edit" open`, ">A rewrite I do not want to lose</textarea>")
			if got := ticket(t); got.Title != before.Title || got.Description != before.Description {
				t.Errorf("a refused edit stored title %q, description %q", got.Title, got.Description)
			}
			if got := timeline(t); got != events {
				t.Errorf("a refused edit added %d timeline entries", got-events)
			}
		})

		t.Run("Watchers", func(t *testing.T) {
			techID := strconv.FormatInt(w.tech.ID, 10)
			body := itTech.page(t, path, http.StatusOK)
			choices := watcherChoices(t, body)
			mustContain(t, "the watcher choices", choices, `<option value="`+techID+`">tech@msp.test (provider technician)</option>`,
				`<option value="`+strconv.FormatInt(requesterA.ID, 10)+`">requester@acme.test (requester)</option>`)
			// Nobody who could not see the ticket: another organisation's
			// admin, a provider viewer who works for Beta only.
			mustLack(t, "the watcher choices", choices, "it-admin@beta.test", "watcher@msp.test")
			// Only staff may be assigned: the requester is no assignee.
			assignees := body[strings.Index(body, `id="assign-form"`):]
			assignees = assignees[:strings.Index(assignees, "</form>")]
			mustContain(t, "the assignee choices", assignees, `<option value="`+techID+`">tech@msp.test (provider)</option>`)
			mustLack(t, "the assignee choices", assignees, "requester@acme.test")

			itTech.post(t, path+"/watchers", url.Values{"user": {techID}}, http.StatusSeeOther, path)
			body = tech.page(t, path, http.StatusOK)
			mustContain(t, "the page after adding", body, `<dd id="ticket-watchers">tech@msp.test</dd>`, "added tech@msp.test as a watcher.",
				`action="`+path+`/watchers/`+techID+`/remove"`)
			mustLack(t, "the watcher choices after adding", watcherChoices(t, body), `<option value="`+techID+`">`)

			tech.post(t, path+"/watchers/"+techID+"/remove", nil, http.StatusSeeOther, path)
			body = itTech.page(t, path, http.StatusOK)
			mustContain(t, "the page after removing", body, "stopped watching the ticket.", "Nobody watches this ticket.")
			mustContain(t, "the watcher choices after removing", watcherChoices(t, body), `<option value="`+techID+`">`)
			mustLack(t, "the page after removing", body, `id="ticket-watchers"`)
			if got := ticket(t).Watchers; len(got) != 0 {
				t.Errorf("watchers after removing: %v", got)
			}
		})

		t.Run("ErrWatcher", func(t *testing.T) {
			body := itTech.post(t, path+"/watchers", url.Values{"user": {strconv.FormatInt(w.itAdminB.ID, 10)}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused watcher", body, "cannot watch this ticket")
			body = itTech.post(t, path+"/watchers", url.Values{"user": {""}}, http.StatusUnprocessableEntity, "")
			mustContain(t, "the refused watcher", body, "Choose whom to add as a watcher.")
			if got := ticket(t).Watchers; len(got) != 0 {
				t.Errorf("watchers after refusals: %v", got)
			}
		})

		t.Run("ErrRequester", func(t *testing.T) {
			if err := s.Services.Tickets.AddWatcher(testserver.SystemContext(), tk.ID, w.tech.ID); err != nil {
				t.Fatal(err)
			}
			before, events := ticket(t), timeline(t)
			body := requester.page(t, path, http.StatusOK)
			mustContain(t, "the requester's page", body, `<dd id="ticket-watchers">`)
			mustLack(t, "the requester's page", body, `id="edit-form"`, `id="watchers"`, `id="watcher-form"`, "/remove")

			body = requester.post(t, path+"/edit", url.Values{"title": {"Renamed by the requester"}, "description": {"Rewritten"}}, http.StatusForbidden, "")
			mustContain(t, "the refused edit", body, "Requesters may only reopen or close")
			requester.post(t, path+"/watchers", url.Values{"user": {strconv.FormatInt(w.itTechA.ID, 10)}}, http.StatusForbidden, "")
			requester.post(t, path+"/watchers/"+strconv.FormatInt(w.tech.ID, 10)+"/remove", nil, http.StatusForbidden, "")
			outsider.post(t, path+"/edit", url.Values{"title": {"Renamed by an outsider"}}, http.StatusNotFound, "")

			if got := ticket(t); got.Title != before.Title || got.Description != before.Description || len(got.Watchers) != 1 || got.Watchers[0] != w.tech.ID {
				t.Errorf("after refused forms: title %q, description %q, watchers %v", got.Title, got.Description, got.Watchers)
			}
			if got := timeline(t); got != events {
				t.Errorf("refused forms added %d timeline entries", got-events)
			}
		})

		// A colleague copied on the ticket stops watching it from the page,
		// and with that no longer sees it.
		t.Run("RequesterStopsWatching", func(t *testing.T) {
			colleague := w.newMember(t, "colleague@acme.test", tandem.RoleRequester, &w.orgA.ID, nil)
			if err := s.Services.Tickets.AddWatcher(testserver.SystemContext(), tk.ID, colleague.ID); err != nil {
				t.Fatal(err)
			}
			watcher := sessionOf(t, s, colleague.User)
			body := watcher.page(t, path, http.StatusOK)
			mustContain(t, "the watching colleague's page", body, `id="unwatch-form"`, path+"/watchers/"+strconv.FormatInt(colleague.ID, 10)+"/remove")
			mustLack(t, "the requester's own page", requester.page(t, path, http.StatusOK), `id="unwatch-form"`)
			mustLack(t, "a technician's page", itTech.page(t, path, http.StatusOK), `id="unwatch-form"`)

			watcher.post(t, path+"/watchers/"+strconv.FormatInt(colleague.ID, 10)+"/remove", nil, http.StatusSeeOther, "/tickets")
			if got := ticket(t); slices.Contains(got.Watchers, colleague.ID) {
				t.Fatalf("watchers after stopping: %v", got.Watchers)
			}
			watcher.page(t, path, http.StatusNotFound)
		})
	})
}

// watcherChoices returns the form that adds a watcher, failing when the
// page has none.
func watcherChoices(t *testing.T, body string) string {
	t.Helper()
	start := strings.Index(body, `id="watcher-form"`)
	if start < 0 {
		t.Fatal("the page has no form to add a watcher")
	}
	form := body[start:]
	return form[:strings.Index(form, "</form>")]
}

// In a browser: an internal technician opens the edit form, retitles the
// ticket and rewrites its description, then adds the provider's technician
// as a watcher and removes them again, each answered by the page itself.
func TestBrowserTicketEdit(t *testing.T) {
	ctx := browsertest.New(t)
	c := newDeskCast(t)
	tk, err := c.s.Services.Tickets.CreateTicket(testserver.SystemContext(), tandem.TicketInput{OrganizationID: c.org.ID, RequesterID: c.requester.ID,
		Title: "Laptop slow", Description: "Since the update."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/tickets/" + strconv.FormatInt(tk.ID, 10)

	browserLogin(t, ctx, c.s, c.itTech.Email)
	browsertest.Do(t, ctx, chromedp.Navigate(c.s.URL()+path))
	if browsertest.Eval[bool](t, ctx, `document.querySelector("#edit-form").checkVisibility()`) {
		t.Error("the edit form is open before it is asked for")
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#edit summary")))
	browsertest.Fill(t, ctx, "#edit-form", "title", "Laptop slow after the update")
	setText(t, ctx, "#edit-form textarea[name=description]", "Boots in **5 minutes**\nsince Tuesday's update.")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#edit-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#ticket-title").textContent.includes("Laptop slow after the update")`, "the new title")
	if got := browsertest.Text(t, ctx, "#description .description-body strong"); got != "5 minutes" {
		t.Errorf("the description's Markdown shows %q in bold, want 5 minutes", got)
	}
	if got := browsertest.Text(t, ctx, "#timeline"); !strings.Contains(got, "Ivo Internal changed the title to “Laptop slow after the update”.") || !strings.Contains(got, "Ivo Internal changed the description.") {
		t.Errorf("the timeline does not record the edit: %q", got)
	}

	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.CSS("#watcher-form select[name=user]"), strconv.FormatInt(c.techie.ID, 10)))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#watcher-form button[type=submit]")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#ticket-watchers") !== null`, "the watcher on the page")
	if got := browsertest.Text(t, ctx, "#ticket-watchers"); got != "Pia Provider" {
		t.Errorf("watchers = %q, want Pia Provider", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#watcher-list form button")))
	browsertest.WaitFor(t, ctx, `document.querySelector("#ticket-watchers") === null`, "the watcher to be removed")
	if got := browsertest.Text(t, ctx, "#watcher-list"); got != "Nobody watches this ticket." {
		t.Errorf("watcher list after removing = %q", got)
	}
}
