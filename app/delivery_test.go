package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/internal/testsmtp"
)

// TestNotificationsReachMailAndWebhooks runs the whole path of a
// notification in the real server: a ticket opened through the API tells
// the provider's technician by email (over STARTTLS to a real SMTP
// server) and the provider's webhook (signed), both from the scheduler's
// outbox; the technician's public reply then reaches the requester's
// mailbox in the same mail thread.
func TestNotificationsReachMailAndWebhooks(t *testing.T) {
	smtpd := testsmtp.Start(t, false, true)
	s := testserver.StartWith(t, withMail(&app.Main{DataDir: t.TempDir(), PublicURL: "https://desk.northwind-msp.example"}, smtpd))
	if !strings.Contains(s.Output.String(), "Email: ") || strings.Contains(s.Output.String(), smtpd.Password) {
		t.Errorf("the start message does not say where email goes, or shows the password:\n%s", s.Output)
	}
	hooks := newWebhookReceiver(t)
	providerWebhook(t, s, hooks, tandem.NotifyNewTicket)
	org := s.MustCreateOrganization(t, "Harbor Logistics")
	areas := acceptMatrix(t, s, org.ID)
	tech := s.MustCreateUser(t, &tandem.User{Email: "ana@northwind-msp.example", Name: "Ana Tech", Role: tandem.RoleTechnician, Organizations: []int64{org.ID}}, "ana-password-12")
	requester := s.MustCreateUser(t, &tandem.User{Email: "warehouse@harbor.example", Name: "Wes Warehouse", Role: tandem.RoleRequester, OrganizationID: &org.ID}, "wes-password-12")

	var ticket tandem.Ticket
	apiCall(t, s, s.MustCreateToken(t, requester.ID), "POST", fmt.Sprintf("/api/v1/orgs/%d/tickets", org.ID),
		fmt.Sprintf(`{"title":"Scanner at dock 3 is offline","description":"It shows **no network**.","area_id":%d}`, areas[0].ID), &ticket)

	toTech := waitForEmail(t, smtpd, tech.Email, 1)[0]
	if !toTech.TLS || toTech.From != "desk@northwind-msp.example" {
		t.Errorf("the email went without TLS (%v) or from %q", toTech.TLS, toTech.From)
	}
	e := readEmail(t, toTech.Data)
	thread := fmt.Sprintf("<ticket-%d@desk.northwind-msp.example>", ticket.ID)
	if got := e.header.Get("References"); got != thread {
		t.Errorf("References = %q, want the ticket's thread %q", got, thread)
	}
	link := fmt.Sprintf("https://desk.northwind-msp.example/tickets/%d", ticket.ID)
	if !strings.Contains(e.parts["text/plain"], link) || !strings.Contains(e.parts["text/html"], `href="`+link+`"`) ||
		e.subject != fmt.Sprintf("[#%d] Scanner at dock 3 is offline — new ticket", ticket.ID) {
		t.Errorf("the technician's email lacks the subject or the ticket's link in both parts:\n%s\n%s", e.subject, e.parts["text/plain"])
	}

	hookID := waitForWebhook(t, hooks)
	got, bad := hooks.counts()
	if len(bad) > 0 || got[hookID] != 1 {
		t.Fatalf("webhook requests: %v, refused: %v; want one signed delivery", got, bad)
	}
	hooks.mu.Lock()
	body := hooks.bodies[0]
	hooks.mu.Unlock()
	if body["kind"] != "new_ticket" || body["link"] != link || body["ticket_id"] != float64(ticket.ID) {
		t.Errorf("webhook body = %v, want the new ticket with its absolute link", body)
	}

	apiCall(t, s, s.MustCreateToken(t, tech.ID), "POST", fmt.Sprintf("/api/v1/tickets/%d/comments", ticket.ID),
		`{"body":"Restarted the switch port; try now."}`, nil)
	reply := readEmail(t, waitForEmail(t, smtpd, requester.Email, 1)[0].Data)
	if reply.header.Get("In-Reply-To") != thread || reply.header.Get("References") != thread ||
		reply.header.Get("Message-ID") == e.header.Get("Message-ID") {
		t.Errorf("the reply is not threaded with the ticket: Message-ID %q, In-Reply-To %q, References %q",
			reply.header.Get("Message-ID"), reply.header.Get("In-Reply-To"), reply.header.Get("References"))
	}
	if !strings.Contains(reply.parts["text/plain"], "Restarted the switch port") {
		t.Errorf("the requester's email lacks the reply:\n%s", reply.parts["text/plain"])
	}
	for _, m := range smtpd.Messages() {
		if len(m.To) != 1 {
			t.Errorf("an email went to several recipients at once: %v", m.To)
		}
	}
}

// apiCall makes an API request with token and decodes the answer into out.
func apiCall(t *testing.T, s *testserver.Server, token, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.HTTPServer.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s\n%s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// waitForEmail waits until srv accepted n messages to address (the
// scheduler sends them in the background) and returns them.
func waitForEmail(t *testing.T, srv *testsmtp.Server, address string, n int) []testsmtp.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []testsmtp.Message
		for _, m := range srv.Messages() {
			if slices.Contains(m.To, address) {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d emails to %s within 30 s, want %d", len(got), address, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForWebhook waits for r's next delivery and returns its id.
func waitForWebhook(t *testing.T, r *webhookReceiver) int64 {
	t.Helper()
	select {
	case id := <-r.notify:
		return id
	case <-time.After(30 * time.Second):
		_, bad := r.counts()
		t.Fatalf("no webhook delivery within 30 s (refused: %v)", bad)
	}
	return 0
}

// email is a received message: its headers, its decoded subject and its
// parts by type.
type email struct {
	header  mail.Header
	subject string
	parts   map[string]string
}

func readEmail(t *testing.T, data []byte) email {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	e := email{header: msg.Header, parts: map[string]string{}}
	if e.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return e
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		e.parts[ct] = string(b)
	}
}
