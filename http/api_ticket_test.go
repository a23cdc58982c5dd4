package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testserver"
)

// desk is the service desk fixture: the tenancy world, organisation A with
// an accepted matrix that gives one area to each party, and its people.
// Every call made through it is checked against the API document.
type desk struct {
	*world
	router routers.Router

	itAdminA     member // it-admin of A: signs the matrix, manages A's SLA
	requesterA   member // requester of A
	requesterA2  member // another requester of A, who must not see the first one's tickets
	internalArea int64  // routed to the internal team
	providerArea int64  // routed to the provider
}

func newDesk(t *testing.T, s *testserver.Server) *desk {
	t.Helper()
	w := newWorld(t, s)
	router, err := legacy.NewRouter(loadAPIDocument(t, s))
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{world: w, router: router}
	d.itAdminA = w.newMember(t, "it-admin@acme.test", tandem.RoleITAdmin, &w.orgA.ID, nil)
	d.requesterA = w.newMember(t, "requester@acme.test", tandem.RoleRequester, &w.orgA.ID, nil)
	d.requesterA2 = w.newMember(t, "requester2@acme.test", tandem.RoleRequester, &w.orgA.ID, nil)

	base := fmt.Sprintf("/api/v1/orgs/%d", w.orgA.ID)
	var areas page[tandem.ServiceArea]
	d.itAdminA.get(t, base+"/areas").want(t, http.StatusOK, &areas)
	d.internalArea, d.providerArea = areas.Items[0].ID, areas.Items[1].ID
	var v tandem.MatrixVersion
	d.itAdminA.post(t, base+"/matrix/versions", map[string]any{"assignments": []map[string]any{
		{"area_id": d.internalArea, "party": "internal", "responsible": true, "accountable": true},
		{"area_id": d.providerArea, "party": "provider", "responsible": true, "accountable": true},
	}}).want(t, http.StatusCreated, &v)
	sign := fmt.Sprintf("%s/matrix/versions/%d/sign", base, v.Number)
	d.itAdminA.post(t, sign, nil).want(t, http.StatusOK, nil)
	w.admin.post(t, sign, nil).want(t, http.StatusOK, &v)
	if v.Status != tandem.MatrixAccepted {
		t.Fatalf("matrix after both signatures: %s", v.Status)
	}
	return d
}

// call sends a JSON request as m (a string body is sent as is) and checks
// the answer against the API document.
func (d *desk) call(t *testing.T, m member, method, path string, body any) *response {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(data)
	}
	req := m.newRequest(t, method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res := send(t, req)
	d.conforms(t, method, path, req.Header.Get("Content-Type"), data, res)
	return res
}

// conforms fails the test when an answer has a status the document does not
// list for the operation or a body its schema refuses, or when the server
// accepted a request the document refuses.
func (d *desk) conforms(t *testing.T, method, path, contentType string, body []byte, res *response) {
	t.Helper()
	rel := strings.TrimPrefix(path, apiPrefix)
	docReq, err := http.NewRequest(method, apiPrefix+rel, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		docReq.Header.Set("Content-Type", contentType)
	}
	route, params, err := d.router.FindRoute(docReq)
	if err != nil {
		t.Fatalf("%s %s: no operation in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: docReq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if res.Status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the server accepted a request the document refuses: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.Status, Header: res.Header,
		// Downloads carry the file's own type, which the validator cannot
		// decode; their status and headers are still checked.
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: res.Header.Get("Content-Type") != "application/json"},
	}
	out.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the answer does not match the document: %v\nbody: %.600s", method, path, err, res.Body)
	}
}

// create opens a ticket in organisation A as m.
func (d *desk) create(t *testing.T, m member, body map[string]any) *tandem.Ticket {
	t.Helper()
	var tk tandem.Ticket
	res := d.call(t, m, "POST", fmt.Sprintf("/api/v1/orgs/%d/tickets", d.orgA.ID), body)
	res.want(t, http.StatusCreated, &tk)
	if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/tickets/%d", tk.ID) {
		t.Errorf("Location = %q for ticket %d", loc, tk.ID)
	}
	return &tk
}

// ticket reads a ticket as m.
func (d *desk) ticket(t *testing.T, m member, id int64) *tandem.Ticket {
	t.Helper()
	var tk tandem.Ticket
	d.call(t, m, "GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil).want(t, http.StatusOK, &tk)
	return &tk
}

// list returns the ids of every ticket a list query shows m, page by page.
func (d *desk) list(t *testing.T, m member, query string) []int64 {
	t.Helper()
	var ids []int64
	cursor := ""
	for range 100 {
		path := "/api/v1/tickets?" + query
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var pg page[tandem.Ticket]
		d.call(t, m, "GET", path, nil).want(t, http.StatusOK, &pg)
		for _, tk := range pg.Items {
			ids = append(ids, tk.ID)
		}
		if pg.NextCursor == "" {
			return ids
		}
		cursor = pg.NextCursor
	}
	t.Fatalf("%s: no last page", query)
	return nil
}

// timeline returns the bodies of the timeline entries m sees.
func (d *desk) timeline(t *testing.T, m member, id int64) []tandem.Event {
	t.Helper()
	var pg page[tandem.Event]
	d.call(t, m, "GET", fmt.Sprintf("/api/v1/tickets/%d/timeline", id), nil).want(t, http.StatusOK, &pg)
	return pg.Items
}

func bodies(events []tandem.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.Body)
	}
	return out
}

func kinds(events []tandem.Event) []tandem.EventKind {
	out := []tandem.EventKind{}
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func TestTicketAPI(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		tickets := fmt.Sprintf("/api/v1/orgs/%d/tickets", d.orgA.ID)

		// Tickets shared by the subtests below, which run in order.
		var printer, firewall, triage *tandem.Ticket

		t.Run("CreateRoutesByMatrix", func(t *testing.T) {
			printer = d.create(t, d.requesterA, map[string]any{"title": "Printer jams on every page", "area_id": d.internalArea, "tags": []string{"Printer"}})
			if printer.OwningParty != tandem.PartyInternal || printer.Unrouted || printer.RequesterID != d.requesterA.ID || printer.Status != tandem.StatusNew {
				t.Errorf("requester's ticket in the internal area: %+v", printer)
			}
			if !slices.Equal(printer.Tags, []string{"printer"}) || printer.Priority != 3 {
				t.Errorf("tags %v priority %d, want [printer] and P3 (medium × medium)", printer.Tags, printer.Priority)
			}
			firewall = d.create(t, d.tech, map[string]any{"title": "Firewall drops VPN", "area_id": d.providerArea, "impact": "high", "urgency": "high",
				"requester_id": d.itTechA.ID, "description": "Since **09:00**."})
			if firewall.OwningParty != tandem.PartyProvider || firewall.Unrouted || firewall.Priority != 1 || firewall.RequesterID != d.itTechA.ID || firewall.CreatedBy != d.tech.ID {
				t.Errorf("technician's ticket in the provider area: %+v", firewall)
			}
			triage = d.create(t, d.itTechA, map[string]any{"title": "Something odd", "tags": []string{"odd"}})
			if triage.OwningParty != tandem.PartyInternal || !triage.Unrouted {
				t.Errorf("ticket without an area: party %s unrouted %v, want internal triage", triage.OwningParty, triage.Unrouted)
			}
			for _, tk := range []*tandem.Ticket{printer, firewall} {
				if !slices.ContainsFunc(tk.Timers, func(x *tandem.Timer) bool {
					return x.Kind == tandem.TimerResolution && x.Party == tk.OwningParty && x.DueAt != nil
				}) {
					t.Errorf("ticket %q has no running resolution clock for %s: %+v", tk.Title, tk.OwningParty, tk.Timers)
				}
			}

			before := d.list(t, d.admin, "")
			d.call(t, d.requesterA, "POST", tickets, map[string]any{"title": "For someone else", "requester_id": d.itTechA.ID}).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itAdminB, "POST", tickets, map[string]any{"title": "Planted"}).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.watcher, "POST", fmt.Sprintf("/api/v1/orgs/%d/tickets", d.orgB.ID), map[string]any{"title": "Viewer"}).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itTechA, "POST", tickets, map[string]any{"title": "  "}).wantError(t, 422, tandem.EINVALID)
			d.call(t, d.itTechA, "POST", tickets, map[string]any{"title": "x", "impact": "extreme"}).wantError(t, 422, tandem.EINVALID)
			d.call(t, d.itTechA, "POST", tickets, map[string]any{"title": "x", "organization_id": d.orgB.ID}).wantError(t, 400, tandem.EBADREQUEST)
			if after := d.list(t, d.admin, ""); !slices.Equal(before, after) {
				t.Errorf("refused creations changed the tickets: %v → %v", before, after)
			}
		})

		t.Run("RequesterSeesOwnTicketsAndPublicComments", func(t *testing.T) {
			comments := map[tandem.Visibility]string{
				tandem.VisibilityPublic: "We are looking at the printer.",
				tandem.VisibilityTeams:  "Provider: is the toner contract still running?",
				tandem.VisibilityParty:  "Internal only: the requester reported this twice.",
			}
			for _, v := range []tandem.Visibility{tandem.VisibilityPublic, tandem.VisibilityTeams, tandem.VisibilityParty} {
				var e tandem.Event
				d.call(t, d.itTechA, "POST", fmt.Sprintf("/api/v1/tickets/%d/comments", printer.ID), map[string]any{"body": comments[v], "visibility": v}).
					want(t, http.StatusCreated, &e)
				if e.Kind != tandem.EventComment || e.Visibility != v || e.Body != comments[v] {
					t.Errorf("comment answer %+v", e)
				}
			}
			d.call(t, d.requesterA, "POST", fmt.Sprintf("/api/v1/tickets/%d/comments", printer.ID), map[string]any{"body": "Thanks!"}).want(t, http.StatusCreated, nil)
			d.call(t, d.requesterA, "POST", fmt.Sprintf("/api/v1/tickets/%d/comments", printer.ID), map[string]any{"body": "Psst", "visibility": "teams"}).
				wantError(t, 403, tandem.EFORBIDDEN)

			for _, tt := range []struct {
				name string
				m    member
				want []tandem.Visibility
			}{
				{"Requester", d.requesterA, []tandem.Visibility{tandem.VisibilityPublic}},
				{"InternalTechnician", d.itTechA, []tandem.Visibility{tandem.VisibilityPublic, tandem.VisibilityTeams, tandem.VisibilityParty}},
				{"ProviderTechnician", d.tech, []tandem.Visibility{tandem.VisibilityPublic, tandem.VisibilityTeams}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					events := d.timeline(t, tt.m, printer.ID)
					got := bodies(events)
					for v, body := range comments {
						if slices.Contains(got, body) != slices.Contains(tt.want, v) {
							t.Errorf("%s comment shown = %v, want %v; timeline: %q", v, slices.Contains(got, body), slices.Contains(tt.want, v), got)
						}
					}
					if !slices.Contains(got, "Thanks!") {
						t.Errorf("the requester's reply is missing: %q", got)
					}
					for _, e := range events {
						if !actorFor(tt.m.User).CanSee(e.Visibility, e.Party) {
							t.Errorf("%s sees a %s entry of the %s party: %q", tt.name, e.Visibility, e.Party, e.Body)
						}
					}
				})
			}

			// The requester's list holds their own tickets only; another
			// requester of the same organisation sees none of them.
			if got := d.list(t, d.requesterA, ""); !slices.Equal(got, []int64{printer.ID}) {
				t.Errorf("requester lists %v, want only their ticket %d", got, printer.ID)
			}
			if got := d.list(t, d.requesterA2, ""); len(got) != 0 {
				t.Errorf("another requester of A lists %v, want nothing", got)
			}
			for _, path := range []string{"", "/timeline", "/handoffs", "/attachments"} {
				d.call(t, d.requesterA2, "GET", fmt.Sprintf("/api/v1/tickets/%d%s", printer.ID, path), nil).wantError(t, 404, tandem.ENOTFOUND)
			}
			d.call(t, d.requesterA2, "POST", fmt.Sprintf("/api/v1/tickets/%d/comments", printer.ID), map[string]any{"body": "Me too"}).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.requesterA2, "PATCH", fmt.Sprintf("/api/v1/tickets/%d", printer.ID), map[string]any{"title": "Hijacked"}).wantError(t, 404, tandem.ENOTFOUND)
		})

		t.Run("EscalateAcceptProviderQueue", func(t *testing.T) {
			handoffs := fmt.Sprintf("/api/v1/tickets/%d/handoffs", printer.ID)
			d.call(t, d.itTechA, "POST", handoffs, map[string]any{"reason": "  "}).wantError(t, 422, tandem.EINVALID)
			d.call(t, d.tech, "POST", handoffs, map[string]any{"reason": "Not ours"}).wantError(t, 403, tandem.EFORBIDDEN)
			var h tandem.Handoff
			d.call(t, d.itTechA, "POST", handoffs, map[string]any{"reason": "Needs the provider's print server"}).want(t, http.StatusCreated, &h)
			if h.Status != tandem.HandoffPending || h.FromParty != tandem.PartyInternal || h.ToParty != tandem.PartyProvider {
				t.Fatalf("handoff %+v", h)
			}
			d.call(t, d.itTechA, "POST", handoffs, map[string]any{"reason": "Again"}).wantError(t, 409, tandem.ECONFLICT)

			tk := d.ticket(t, d.tech, printer.ID)
			if tk.OwningParty != tandem.PartyInternal || tk.PendingHandoff == nil || tk.PendingHandoff.ID != h.ID {
				t.Errorf("while the handoff waits: party %s, pending %+v", tk.OwningParty, tk.PendingHandoff)
			}
			if !slices.ContainsFunc(tk.Timers, func(x *tandem.Timer) bool {
				return x.Kind == tandem.TimerAccept && x.Party == tandem.PartyProvider && x.State == tandem.TimerRunning
			}) {
				t.Errorf("no running OLA clock for the provider: %+v", tk.Timers)
			}
			if got := d.list(t, d.tech, "party=provider&awaiting=true"); !slices.Contains(got, printer.ID) {
				t.Errorf("awaiting the provider: %v, want the escalated ticket %d", got, printer.ID)
			}
			if got := d.list(t, d.tech, "party=internal&awaiting=true"); slices.Contains(got, printer.ID) {
				t.Errorf("awaiting the internal team lists the ticket escalated to the provider")
			}

			accept := fmt.Sprintf("%s/%d/accept", handoffs, h.ID)
			d.call(t, d.itTechA, "POST", accept, nil).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.requesterA, "POST", accept, nil).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itAdminB, "POST", accept, nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.tech, "POST", fmt.Sprintf("%s/%d/accept", handoffs, h.ID+1000), nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.tech, "POST", accept, nil).want(t, http.StatusOK, &h)
			if h.Status != tandem.HandoffAccepted || h.AnsweredBy == nil || *h.AnsweredBy != d.tech.ID {
				t.Errorf("accepted handoff %+v", h)
			}
			d.call(t, d.tech, "POST", accept, nil).wantError(t, 409, tandem.ECONFLICT)

			tk = d.ticket(t, d.tech, printer.ID)
			if tk.OwningParty != tandem.PartyProvider || tk.AssigneeID == nil || *tk.AssigneeID != d.tech.ID || tk.PendingHandoff != nil {
				t.Errorf("after acceptance: party %s assignee %v pending %v, want the provider's, assigned to the technician", tk.OwningParty, tk.AssigneeID, tk.PendingHandoff)
			}
			if !slices.ContainsFunc(tk.Timers, func(x *tandem.Timer) bool {
				return x.Kind == tandem.TimerResolution && x.Party == tandem.PartyProvider && x.State == tandem.TimerRunning && x.DueAt != nil
			}) {
				t.Errorf("the provider's resolution clock is not running: %+v", tk.Timers)
			}
			// The provider technician's cross-organisation queue and their own work.
			if got := d.list(t, d.tech, "party=provider&open=true"); !slices.Contains(got, printer.ID) || !slices.Contains(got, firewall.ID) || slices.Contains(got, triage.ID) {
				t.Errorf("provider queue %v, want %d and %d but not %d", got, printer.ID, firewall.ID, triage.ID)
			}
			if got := d.list(t, d.tech, "assignee_id=me"); !slices.Equal(got, []int64{printer.ID}) {
				t.Errorf("assigned to me: %v, want [%d]", got, printer.ID)
			}
			if got := d.list(t, d.tech, "party=provider&awaiting=true"); slices.Contains(got, printer.ID) {
				t.Errorf("the accepted ticket still awaits acceptance")
			}
			var list page[tandem.Handoff]
			d.call(t, d.itTechA, "GET", handoffs, nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 1 || list.Items[0].Status != tandem.HandoffAccepted {
				t.Errorf("handoffs %+v", list.Items)
			}
			got := kinds(d.timeline(t, d.itTechA, printer.ID))
			if !slices.Contains(got, tandem.EventHandoffRequested) || !slices.Contains(got, tandem.EventHandoffAccepted) {
				t.Errorf("timeline kinds %v lack the handoff", got)
			}
		})

		t.Run("HandBackDeclined", func(t *testing.T) {
			handoffs := fmt.Sprintf("/api/v1/tickets/%d/handoffs", firewall.ID)
			var h tandem.Handoff
			d.call(t, d.tech, "POST", handoffs, map[string]any{"reason": "Looks like a local switch"}).want(t, http.StatusCreated, &h)
			if h.ToParty != tandem.PartyInternal {
				t.Fatalf("hand-back goes to %s", h.ToParty)
			}
			decline := fmt.Sprintf("%s/%d/decline", handoffs, h.ID)
			d.call(t, d.itTechA, "POST", decline, map[string]any{}).wantError(t, 422, tandem.EINVALID)
			d.call(t, d.itTechA, "POST", decline, "").wantError(t, 400, tandem.EBADREQUEST)
			d.call(t, d.itTechA, "POST", decline, map[string]any{"reason": "The switch is fine; the VPN concentrator is yours"}).want(t, http.StatusOK, &h)
			if h.Status != tandem.HandoffDeclined || !strings.Contains(h.Answer, "VPN concentrator") {
				t.Errorf("declined handoff %+v", h)
			}
			if tk := d.ticket(t, d.itTechA, firewall.ID); tk.OwningParty != tandem.PartyProvider || tk.PendingHandoff != nil {
				t.Errorf("after declining: party %s pending %v, want it back with the provider", tk.OwningParty, tk.PendingHandoff)
			}
		})

		t.Run("WatchersAndTime", func(t *testing.T) {
			watcher := fmt.Sprintf("/api/v1/tickets/%d/watchers/%d", printer.ID, d.requesterA2.ID)
			d.call(t, d.requesterA, "PUT", watcher, nil).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.itTechA, "PUT", watcher, nil).want(t, http.StatusNoContent, nil)
			if tk := d.ticket(t, d.requesterA2, printer.ID); !slices.Contains(tk.Watchers, d.requesterA2.ID) {
				t.Errorf("watchers %v lack the new watcher", tk.Watchers)
			}
			if got := d.list(t, d.requesterA2, ""); !slices.Equal(got, []int64{printer.ID}) {
				t.Errorf("a watching requester lists %v, want the watched ticket", got)
			}
			// Watchers of a ticket see its public side only.
			if got := bodies(d.timeline(t, d.requesterA2, printer.ID)); slices.Contains(got, "Provider: is the toner contract still running?") {
				t.Errorf("a watching requester sees a teams comment")
			}
			d.call(t, d.requesterA2, "DELETE", fmt.Sprintf("/api/v1/tickets/%d/watchers/me", printer.ID), nil).want(t, http.StatusNoContent, nil)
			d.call(t, d.requesterA2, "GET", fmt.Sprintf("/api/v1/tickets/%d", printer.ID), nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.itTechA, "PUT", fmt.Sprintf("/api/v1/tickets/%d/watchers/%d", printer.ID, d.itAdminB.ID), nil).wantError(t, 422, tandem.EINVALID)

			entries := fmt.Sprintf("/api/v1/tickets/%d/time-entries", printer.ID)
			var e tandem.TimeEntry
			d.call(t, d.tech, "POST", entries, map[string]any{"minutes": 45, "billable": true, "note": "Replaced the fuser", "spent_on": "2030-03-14"}).want(t, http.StatusCreated, &e)
			if e.ID == 0 || e.UserID != d.tech.ID || e.Party != tandem.PartyProvider || !e.Billable || e.SpentOn != "2030-03-14" {
				t.Errorf("provider time %+v", e)
			}
			d.call(t, d.itTechA, "POST", entries, map[string]any{"minutes": 10}).want(t, http.StatusCreated, &e)
			if e.Party != tandem.PartyInternal || e.SpentOn == "" {
				t.Errorf("internal time %+v, want the internal party and today's date", e)
			}
			d.call(t, d.itTechA, "POST", entries, map[string]any{"minutes": 10, "user_id": d.tech.ID}).wantError(t, 403, tandem.EFORBIDDEN)
			d.call(t, d.requesterA, "POST", entries, map[string]any{"minutes": 10}).wantError(t, 403, tandem.EFORBIDDEN)
			var list page[tandem.TimeEntry]
			d.call(t, d.itTechA, "GET", entries, nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 2 || list.Items[0].Minutes != 45 || list.Items[1].Minutes != 10 {
				t.Errorf("time entries %+v", list.Items)
			}
			d.call(t, d.requesterA, "GET", entries, nil).want(t, http.StatusOK, &list)
			if len(list.Items) != 0 {
				t.Errorf("the requester sees %d time entries, want none", len(list.Items))
			}
		})

		t.Run("Update", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/tickets/%d", triage.ID)
			var tk tandem.Ticket
			d.call(t, d.itTechA, "PATCH", path, map[string]any{"status": "open", "impact": "high", "tags": []string{"odd", "network"}}).want(t, http.StatusOK, &tk)
			if tk.Status != tandem.StatusOpen || tk.Priority != 2 || !slices.Equal(tk.Tags, []string{"network", "odd"}) {
				t.Errorf("updated %+v", tk)
			}
			msg := d.call(t, d.itTechA, "PATCH", path, map[string]any{"status": "closed"}).wantError(t, 422, tandem.EINVALID)
			if !strings.Contains(msg, "resolved") {
				t.Errorf("refused move says %q, want the allowed moves", msg)
			}
			d.call(t, d.itTechA, "PATCH", path, map[string]any{"area_id": d.providerArea}).want(t, http.StatusOK, &tk)
			if tk.OwningParty != tandem.PartyProvider || tk.Unrouted {
				t.Errorf("moved to the provider's area: party %s unrouted %v", tk.OwningParty, tk.Unrouted)
			}
			d.call(t, d.itTechA, "PATCH", path, map[string]any{"Status": "resolved"}).wantError(t, 400, tandem.EBADREQUEST)
			d.call(t, d.requesterA, "PATCH", fmt.Sprintf("/api/v1/tickets/%d", printer.ID), map[string]any{"title": "Mine now"}).wantError(t, 403, tandem.EFORBIDDEN)
			if got := d.ticket(t, d.requesterA, printer.ID); got.Title != printer.Title {
				t.Errorf("a refused update changed the title to %q", got.Title)
			}
		})

		t.Run("ListFilters", func(t *testing.T) {
			for _, tt := range []struct {
				name  string
				m     member
				query string
				want  []int64 // newest first
			}{
				{"All", d.admin, "", []int64{triage.ID, firewall.ID, printer.ID}},
				{"Organization", d.admin, fmt.Sprintf("organization_id=%d", d.orgB.ID), nil},
				// The staff's comments on the printer ticket took it out of new
				// (the first staff action opens a ticket); no one has touched
				// the firewall ticket's status.
				{"StatusNew", d.admin, "status=new", []int64{firewall.ID}},
				{"StatusList", d.admin, "status=new,open", []int64{triage.ID, firewall.ID, printer.ID}},
				{"StatusRepeated", d.admin, "status=open&status=resolved", []int64{triage.ID, printer.ID}},
				{"Priority", d.admin, "priority=1", []int64{firewall.ID}},
				{"Tag", d.admin, "tag=Network", []int64{triage.ID}},
				{"Area", d.admin, fmt.Sprintf("area_id=%d", d.internalArea), []int64{printer.ID}},
				{"Requester", d.admin, fmt.Sprintf("requester_id=%d", d.itTechA.ID), []int64{triage.ID, firewall.ID}},
				{"RequesterMe", d.requesterA, "requester_id=me", []int64{printer.ID}},
				{"Unassigned", d.admin, "unassigned=true", []int64{triage.ID, firewall.ID}},
				{"Assignee", d.admin, fmt.Sprintf("assignee_id=%d", d.tech.ID), []int64{printer.ID}},
				{"PartyInternal", d.itTechA, "party=internal", nil},
				{"Search", d.itTechA, "q=printer", []int64{printer.ID}},
				{"OpenPaged", d.admin, "open=true&limit=1", []int64{triage.ID, firewall.ID, printer.ID}},
				{"OtherOrganization", d.itAdminB, "", nil},
				{"TechnicianOfOtherOrganization", d.watcher, "", nil},
			} {
				t.Run(tt.name, func(t *testing.T) {
					got := d.list(t, tt.m, tt.query)
					if len(got) == 0 && len(tt.want) == 0 {
						return
					}
					if !slices.Equal(got, tt.want) {
						t.Errorf("%s lists %v, want %v", tt.query, got, tt.want)
					}
				})
			}
		})
	})
}

// Every malformed list filter is a 400 whose message names the parameter.
func TestTicketAPI_BadFilters(t *testing.T) {
	t.Parallel()
	s := cheap(testserver.Start(t))
	w := newWorld(t, s)
	for _, tt := range []struct{ query, mention string }{
		{"organization_id=acme", "organization_id"},
		{"organization_id=-1", "organization_id"},
		{"area_id=x", "area_id"},
		{"party=both", "party"},
		{"status=done", "status"},
		{"status=new,", "status"},
		{"status=open&status=later", "status"},
		{"priority=0", "priority"},
		{"priority=P1", "priority"},
		{"sla=late", "sla"},
		{"assignee_id=you", "assignee_id"},
		{"assignee_id=0", "assignee_id"},
		{"requester_id=1.5", "requester_id"},
		{"open=yes", "open"},
		{"unassigned=maybe", "unassigned"},
		{"awaiting=2", "awaiting"},
		{"awaiting=true", "party"},
		{"unassigned=true&assignee_id=me", "unassigned"},
		{"tag=" + strings.Repeat("t", 41), "tag"},
		{"tag=a%20b", "tag"},
		{"q=" + strings.Repeat("word+", 60), "q"},
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			msg := w.admin.get(t, "/api/v1/tickets?"+tt.query).wantError(t, 400, tandem.EBADREQUEST)
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not name %q", msg, tt.mention)
			}
		})
	}
}

// upload sends a multipart upload as m and checks the answer against the
// document.
func (d *desk) upload(t *testing.T, m member, ticketID int64, filename, contentType string, content []byte, visibility string) *response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if visibility != "" {
		mw.WriteField("visibility", visibility)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	mw.Close()
	path := fmt.Sprintf("/api/v1/tickets/%d/attachments", ticketID)
	data := body.Bytes()
	req := m.newRequest(t, "POST", path, bytes.NewReader(data))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res := send(t, req)
	d.conforms(t, "POST", path, mw.FormDataContentType(), data, res)
	return res
}

func TestTicketAPI_Attachments(t *testing.T) {
	t.Parallel()
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		d := newDesk(t, s)
		tk := d.create(t, d.requesterA, map[string]any{"title": "Screenshot of the error", "area_id": d.internalArea})

		pdf := []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
		name := "Rechnung März \"final\".pdf"
		var a tandem.Attachment
		d.upload(t, d.requesterA, tk.ID, name, "application/pdf", pdf, "").want(t, http.StatusCreated, &a)
		if a.TicketID != tk.ID || a.Size != int64(len(pdf)) || a.Visibility != tandem.VisibilityPublic || a.UploadedBy != d.requesterA.ID {
			t.Fatalf("attachment %+v", a)
		}
		var note tandem.Attachment
		d.upload(t, d.itTechA, tk.ID, "notes.txt", "text/plain", []byte("internal notes"), "party").want(t, http.StatusCreated, &note)

		t.Run("DownloadHeaders", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, a.ID)
			res := d.call(t, d.itTechA, "GET", path, nil)
			res.want(t, http.StatusOK, nil)
			if !bytes.Equal(res.Body, pdf) {
				t.Errorf("downloaded %d bytes, want the %d uploaded", len(res.Body), len(pdf))
			}
			h := res.Header
			if got := h.Get("Content-Type"); got != a.ContentType || got != "application/pdf" {
				t.Errorf("Content-Type = %q, stored %q", got, a.ContentType)
			}
			cd := h.Get("Content-Disposition")
			if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''") || strings.Contains(cd, "inline") {
				t.Errorf("Content-Disposition = %q, want an attachment with filename*", cd)
			}
			if !strings.Contains(cd, "M%C3%A4rz") || strings.Count(cd, `"`) != 2 {
				t.Errorf("Content-Disposition = %q: the name must be percent-encoded in filename* and the fallback must hold no quote", cd)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := h.Get("Content-Security-Policy"); !strings.HasPrefix(got, "sandbox") {
				t.Errorf("Content-Security-Policy = %q, want sandbox", got)
			}
		})

		t.Run("Visibility", func(t *testing.T) {
			for _, tt := range []struct {
				name string
				m    member
				want []int64
			}{
				{"Requester", d.requesterA, []int64{a.ID}},
				{"InternalTechnician", d.itTechA, []int64{a.ID, note.ID}},
				{"ProviderTechnician", d.tech, []int64{a.ID}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					var list page[tandem.Attachment]
					d.call(t, tt.m, "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil).want(t, http.StatusOK, &list)
					var got []int64
					for _, x := range list.Items {
						got = append(got, x.ID)
					}
					slices.Sort(got)
					if !slices.Equal(got, tt.want) {
						t.Errorf("lists %v, want %v", got, tt.want)
					}
				})
			}
			d.call(t, d.tech, "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, note.ID), nil).wantError(t, 404, tandem.ENOTFOUND)
			d.call(t, d.requesterA2, "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, a.ID), nil).wantError(t, 404, tandem.ENOTFOUND)
		})

		t.Run("Refused", func(t *testing.T) {
			var before page[tandem.Attachment]
			d.call(t, d.itTechA, "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil).want(t, http.StatusOK, &before)
			d.upload(t, d.requesterA, tk.ID, "secret.txt", "text/plain", []byte("x"), "teams").wantError(t, 403, tandem.EFORBIDDEN)
			d.upload(t, d.itTechA, tk.ID, "x.txt", "text/plain", []byte("x"), "everyone").wantError(t, 422, tandem.EINVALID)
			d.upload(t, d.requesterA2, tk.ID, "x.txt", "text/plain", []byte("x"), "").wantError(t, 404, tandem.ENOTFOUND)
			d.upload(t, d.itTechA, tk.ID, "empty.txt", "text/plain", nil, "").wantError(t, 422, tandem.EINVALID)

			path := fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID)
			jreq := d.itTechA.newRequest(t, "POST", path, strings.NewReader(`{"file":"x"}`))
			jreq.Header.Set("Content-Type", "application/json")
			res := send(t, jreq)
			d.conforms(t, "POST", path, "", nil, res)
			if msg := res.wantError(t, 400, tandem.EBADREQUEST); !strings.Contains(msg, "multipart/form-data") {
				t.Errorf("message %q does not say how to upload", msg)
			}

			// A body above the attachment limit is cut off at the limit
			// plus a little, not read to its end.
			huge := io.MultiReader(strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"),
				io.LimitReader(zeros{}, 26<<20), strings.NewReader("\r\n--b--\r\n"))
			req := d.itTechA.newRequest(t, "POST", path, huge)
			req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
			res = send(t, req)
			d.conforms(t, "POST", path, "", nil, res)
			res.wantError(t, 413, tandem.ETOOLARGE)

			var after page[tandem.Attachment]
			d.call(t, d.itTechA, "GET", path, nil).want(t, http.StatusOK, &after)
			if len(after.Items) != len(before.Items) {
				t.Errorf("refused uploads added attachments: %d → %d", len(before.Items), len(after.Items))
			}
		})
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// deskRecords are one of each service desk record of organisation A in a
// world: a ticket with a handoff waiting for the provider and an attachment,
// and a business calendar.
type deskRecords struct{ ticket, handoff, attachment, calendar int64 }

func newDeskRecords(t *testing.T, w *world) deskRecords {
	t.Helper()
	var r deskRecords
	var tk tandem.Ticket
	w.itTechA.post(t, fmt.Sprintf("/api/v1/orgs/%d/tickets", w.orgA.ID), map[string]any{"title": "Mail is slow"}).want(t, http.StatusCreated, &tk)
	r.ticket = tk.ID
	var h tandem.Handoff
	w.itTechA.post(t, fmt.Sprintf("/api/v1/tickets/%d/handoffs", tk.ID), map[string]any{"reason": "Exchange is the provider's"}).want(t, http.StatusCreated, &h)
	r.handoff = h.ID
	var a tandem.Attachment
	req := w.itTechA.newRequest(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), strings.NewReader(plantedUpload))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
	send(t, req).want(t, http.StatusCreated, &a)
	r.attachment = a.ID
	var c tandem.BusinessCalendar
	w.admin.post(t, fmt.Sprintf("/api/v1/orgs/%d/calendars", w.orgA.ID), map[string]any{"name": "Office", "definition": json.RawMessage(`{"timezone":"UTC","hours":{"mon":[["09:00","17:00"]]}}`)}).
		want(t, http.StatusCreated, &c)
	r.calendar = c.ID
	return r
}

// sendBody sends a write as c, with the Content-Type its body calls for: a
// multipart upload, an iCalendar file, or JSON.
func sendBody(t *testing.T, c client, method, path, body string) *response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := c.newRequest(t, method, path, r)
	switch {
	case body == "":
	case strings.HasPrefix(body, "--"+uploadBoundary):
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
	case strings.HasPrefix(body, "BEGIN:VCALENDAR"):
		req.Header.Set("Content-Type", "text/calendar")
	default:
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}
