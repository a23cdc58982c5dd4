package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/markdown"
)

// The service desk pages: the ticket list with its filters, the party queue
// with the handoffs waiting for the viewer's party, the form that opens a
// ticket, and the ticket itself with its SLA clocks, timeline and the forms
// that work it. The services decide who sees and may do what; the pages only
// leave out forms that would be refused. Forms post and, when the change is
// made, redirect to the ticket; a refusal shows the ticket again with the
// service's message and the input kept.

// registerDeskUIRoutes registers the service desk pages.
func (s *Server) registerDeskUIRoutes() {
	s.handle("GET /tickets", s.page(s.handleTicketsPage))
	s.handle("GET /queue", s.page(s.handleQueuePage))
	s.handle("GET /tickets/new", s.page(s.handleTicketNewChooser))
	s.handle("GET /orgs/{slug}/tickets/new", s.page(s.withOrg(s.handleTicketNewForm)))
	s.handle("POST /orgs/{slug}/tickets/new", s.page(s.withOrg(s.handleTicketCreateForm)))
	s.handle("GET /tickets/{id}", s.page(s.handleTicketPage))
	s.handle("POST /tickets/{id}/comments", s.page(s.ticketAction("comment", s.ticketComment)))
	s.handle("POST /tickets/{id}/status", s.page(s.ticketAction("status", s.ticketStatus)))
	s.handle("POST /tickets/{id}/assign", s.page(s.ticketAction("assign", s.ticketAssign)))
	s.handle("POST /tickets/{id}/edit", s.page(s.ticketAction("edit", s.ticketEdit)))
	s.handle("POST /tickets/{id}/watchers", s.page(s.ticketAction("watcher", s.ticketWatch)))
	s.handle("POST /tickets/{id}/watchers/{user}/remove", s.page(s.ticketAction("watcher", s.ticketUnwatch)))
	s.handle("POST /tickets/{id}/handoffs", s.page(s.ticketAction("handoff", s.ticketHandoff)))
	s.handle("POST /tickets/{id}/handoffs/{handoff}/accept", s.page(s.ticketAction("answer", s.ticketAccept)))
	s.handle("POST /tickets/{id}/handoffs/{handoff}/decline", s.page(s.ticketAction("answer", s.ticketDecline)))
	s.handle("POST /tickets/{id}/time", s.page(s.ticketAction("time", s.ticketTime)))
	s.handle("POST /tickets/{id}/attachments", s.page(s.ticketAction("attach", s.ticketAttach)))
	s.handle("GET /tickets/{id}/attachments/{attachment}", s.page(s.handleTicketAttachmentDownload))
	s.registerSLAUIRoutes()
}

// renderMarkdown is the one Markdown renderer of the pages; it holds no
// state beyond its configuration.
var renderMarkdown = sync.OnceValue(markdown.New)

// deskFormError shows a refusal the viewer can act on (a bad field, a
// conflict, a missing right, a file too large) on the page itself, by
// calling show with the message set; anything else is an error page.
func (s *Server) deskFormError(w http.ResponseWriter, r *http.Request, data pageData, err error, show func(pageData, int)) {
	switch code := tandem.ErrorCode(err); code {
	case tandem.EINVALID, tandem.ECONFLICT, tandem.EFORBIDDEN, tandem.EBADREQUEST, tandem.ETOOLARGE:
		data.Error = tandem.ErrorMessage(err)
		show(data, ErrorStatus(code))
	default:
		s.renderError(w, r, err, data)
	}
}

// deskPartyName names a party in a sentence: "internal IT" or "provider".
func deskPartyName(p tandem.PartyKind) string {
	if p == tandem.PartyProvider {
		return "provider"
	}
	return "internal IT"
}

// visibilityLabel names who may read an entry: a party-only entry is named
// after its author's party.
func visibilityLabel(v tandem.Visibility, author tandem.PartyKind) string {
	switch v {
	case tandem.VisibilityPublic:
		return "Public"
	case tandem.VisibilityTeams:
		return "Both teams"
	}
	if author == tandem.PartyProvider {
		return "Provider only"
	}
	return "Internal only"
}

// statusLabel writes a status for people: "pending customer".
func statusLabel(st tandem.TicketStatus) string { return strings.ReplaceAll(string(st), "-", " ") }

// deskNames finds names of users and organisations once per page.
type deskNames struct {
	s     *Server
	ctx   context.Context
	users map[int64]string
	orgs  map[int64]*tandem.Organization
}

func (s *Server) deskNames(ctx context.Context, orgs []*tandem.Organization) *deskNames {
	n := &deskNames{s: s, ctx: ctx, users: map[int64]string{}, orgs: map[int64]*tandem.Organization{}}
	for _, o := range orgs {
		n.orgs[o.ID] = o
	}
	return n
}

// know records names the services gave for users (tandem.Ticket.People):
// the viewer may know them even when they may not read those users.
func (n *deskNames) know(people map[int64]string) {
	for id, name := range people {
		if _, ok := n.users[id]; !ok {
			n.users[id] = name
		}
	}
}

// user names a user, or "user #id" when the viewer may not see them.
func (n *deskNames) user(id int64) string {
	if name, ok := n.users[id]; ok {
		return name
	}
	name := "user #" + strconv.FormatInt(id, 10)
	if u, err := n.s.UserService.FindUserByID(n.ctx, id); err == nil {
		name = u.Email
		if u.Name != "" {
			name = u.Name
		}
	}
	n.users[id] = name
	return name
}

// org returns an organisation in scope, nil when it cannot be read.
func (n *deskNames) org(id int64) *tandem.Organization {
	if o, ok := n.orgs[id]; ok {
		return o
	}
	o, err := n.s.OrganizationService.FindOrganizationByID(n.ctx, id)
	if err != nil {
		o = nil
	}
	n.orgs[id] = o
	return o
}

// deskOption is one option of a select.
type deskOption struct {
	Value, Label string
}

// ticketID reads /tickets/{id}.
func ticketID(r *http.Request) (int64, error) { return pathID(r, "ticket") }
