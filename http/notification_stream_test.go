package http_test

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

// eventStream reads the bell's event stream as one user's browser would.
type eventStream struct {
	events chan string // the data of each "unread" event, in order
}

func openStream(t *testing.T, s *testserver.Server, u *tandem.User) *eventStream {
	t.Helper()
	secret, err := s.Services.Sessions.CreateSession(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.HTTPServer.URL()+"/notifications/stream", nil)
	req.AddCookie(&http.Cookie{Name: "tandem_session", Value: secret})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: status %d, Content-Type %q, want 200 text/event-stream", res.StatusCode, res.Header.Get("Content-Type"))
	}
	es := &eventStream{events: make(chan string, 16)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "unread":
				es.events <- strings.TrimPrefix(line, "data: ")
			case line == "":
				event = ""
			}
		}
		close(es.events)
	}()
	return es
}

// next is the next unread count the stream sends. The bound only keeps a
// broken stream from hanging the suite; nothing waits for it to pass.
func (es *eventStream) next(t *testing.T) string {
	t.Helper()
	select {
	case v, ok := <-es.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return ""
}

// notify writes an in-app notification to u, as a notification rule does
// in its event's transaction.
func notify(t *testing.T, s *testserver.Server, orgID int64, ticketID *int64, u *tandem.User, subject string) {
	t.Helper()
	n := &tandem.Notification{OrganizationID: &orgID, TicketID: ticketID, UserID: &u.ID, Channel: tandem.ChannelInApp,
		Kind: tandem.NotifyWatchedComment, Subject: subject, Body: subject + ": the comment's text.", Link: "/"}
	if ticketID != nil {
		n.Link = "/tickets/" + strconv.FormatInt(*ticketID, 10)
	}
	if err := sqlstore.EnqueueForTest(context.Background(), s.Services.DB, n); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationStream(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		c := &deskCast{s: s, org: s.MustCreateOrganization(t, "Acme Corp")}
		if err := s.Services.MFA.SetProviderRequiresMFA(testserver.SystemContext(), false); err != nil {
			t.Fatal(err)
		}
		tech := s.MustCreateUser(t, &tandem.User{Name: "Pia", Email: "pia@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{c.org.ID}}, uiPassword)
		other := s.MustCreateUser(t, &tandem.User{Name: "Ivo", Email: "ivo@acme.example", Role: tandem.RoleITTechnician, OrganizationID: &c.org.ID}, uiPassword)

		mine, theirs := openStream(t, s, tech), openStream(t, s, other)
		if got := mine.next(t); got != "0" {
			t.Fatalf("first event = %q, want the count at once: 0", got)
		}
		if got := theirs.next(t); got != "0" {
			t.Fatalf("the other user's first event = %q, want 0", got)
		}
		// Another user's notification sends this stream nothing: its next
		// event is the count after its own.
		notify(t, s, c.org.ID, nil, other, "For Ivo")
		if got := theirs.next(t); got != "1" {
			t.Fatalf("the other user's stream after their notification = %q, want 1", got)
		}
		notify(t, s, c.org.ID, nil, tech, "For Pia")
		if got := mine.next(t); got != "1" {
			t.Fatalf("the stream after a notification = %q, want 1", got)
		}
		notify(t, s, c.org.ID, nil, tech, "For Pia again")
		if got := mine.next(t); got != "2" {
			t.Fatalf("the stream after a second notification = %q, want 2", got)
		}
		if err := s.Services.Notifications.MarkRead(tandem.NewContextWithActor(context.Background(), actorFor(tech)), nil); err != nil {
			t.Fatal(err)
		}
		if got := mine.next(t); got != "0" {
			t.Fatalf("the stream after marking all read = %q, want 0", got)
		}
	})
}

// TestBrowserBell: a technician watching a ticket sees their bell count
// rise, without reloading, when the requester comments on it; the
// notification leads to the ticket and is read once opened.
//
// Until the notification rules write the watcher's notification from the
// comment's event, the test writes it after the comment (notify), as the
// rule will in the comment's transaction.
func TestBrowserBell(t *testing.T) {
	staff := browsertest.New(t)
	requester := browsertest.New(t)
	c := newDeskCast(t)
	tk, err := c.s.Services.Tickets.CreateTicket(tandem.NewContextWithActor(t.Context(), actorFor(c.requester)), tandem.TicketInput{OrganizationID: c.org.ID, Title: "Monitor flickers"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.s.Services.Tickets.AddWatcher(tandem.NewContextWithActor(t.Context(), actorFor(c.techie)), tk.ID, c.techie.ID); err != nil {
		t.Fatal(err)
	}
	// The new ticket told the technician already: read, the bell starts at
	// nothing.
	if err := c.s.Services.Notifications.MarkRead(tandem.NewContextWithActor(t.Context(), actorFor(c.techie)), nil); err != nil {
		t.Fatal(err)
	}
	path := "/tickets/" + strconv.FormatInt(tk.ID, 10)

	browserLogin(t, staff, c.s, c.techie.Email)
	browsertest.Do(t, staff, chromedp.Navigate(c.s.URL()+"/tickets"))
	browsertest.WaitPath(t, staff, "/tickets")
	if !browsertest.Eval[bool](t, staff, `document.querySelector("#bell-count").hidden`) {
		t.Fatal("the bell shows a count with nothing unread")
	}
	// A reload would lose this mark.
	browsertest.Eval[bool](t, staff, `window.notReloaded = true`)

	browserLogin(t, requester, c.s, c.requester.Email)
	browsertest.Do(t, requester, chromedp.Navigate(c.s.URL()+path))
	setText(t, requester, "#comment-form textarea[name=body]", "It flickers again since lunch.")
	browsertest.Do(t, requester, chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	browsertest.WaitFor(t, requester, `[...document.querySelectorAll("#timeline .comment-body")].some(e => e.textContent.includes("since lunch"))`, "the comment on the timeline")

	browsertest.WaitFor(t, staff, `document.querySelector("#bell-count").textContent === "1" && !document.querySelector("#bell-count").hidden`, "the bell to count 1")
	if !browsertest.Eval[bool](t, staff, `window.notReloaded === true`) {
		t.Error("the page was reloaded to update the bell")
	}
	if title := browsertest.Eval[string](t, staff, `document.title`); !strings.HasPrefix(title, "(1) ") {
		t.Errorf("page title = %q, want it to start with (1)", title)
	}

	browsertest.Do(t, staff, chromedp.Click(chromedp.CSS("#bell")))
	browsertest.WaitPath(t, staff, "/notifications")
	if got := browsertest.Eval[int](t, staff, `document.querySelectorAll("#notifications .notification.unread").length`); got != 1 {
		t.Fatalf("the notifications page shows %d unread, want 1", got)
	}
	browsertest.Do(t, staff, chromedp.Click(chromedp.CSS("#notifications .notification.unread button.subject")))
	browsertest.WaitPath(t, staff, path)
	browsertest.WaitFor(t, staff, `document.querySelector("#bell-count").hidden`, "the bell to clear once the notification is read")
	if got := browsertest.Text(t, staff, "#ticket-notifications"); !strings.Contains(got, "Pia Provider") || !strings.Contains(got, "sent") {
		t.Errorf("the ticket's notifications section says %q, want Pia Provider's delivered notification", got)
	}
	if title := browsertest.Eval[string](t, staff, `document.title`); strings.HasPrefix(title, "(") {
		t.Errorf("page title = %q with nothing unread", title)
	}
}
