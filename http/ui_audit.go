package http

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tandemhq/tandem"
)

// auditView is what the audit page shows.
type auditView struct {
	Rows          []auditRow
	Organizations []auditOption // the organisation filter: the switcher's organisations
	Parties       []auditOption
	Action        string
	Since, Until  string // dates for the date inputs
	ActorUserID   string
	ActorLabel    string // who the actor filter shows, when set
	ClearActorURL string
	NextURL       string
	ExportJSONL   string
	ExportCSV     string
	Limit         string   // kept through a new filter, as paging keeps it
	Actions       []string // suggestions for the action filter
}

// auditRow is one entry as the table shows it: a sentence and a list of
// the fields it changed, not its raw summary.
type auditRow struct {
	*tandem.AuditEntry
	auditSentence
	Organization    string
	OrganizationURL string
	ActorURL        string // the page filtered to this actor
}

type auditOption struct {
	Value, Label string
	Selected     bool
}

// handleAuditPage shows the audit trail newest first, filtered by the query
// parameters the API takes (dates allowed for since and until).
func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request, data pageData) {
	q := r.URL.Query()
	data.Title = "Audit trail"
	filter, err := parseAuditFilter(r, true)
	if err == nil && filter.OrganizationID != nil {
		// An organisation outside scope is not found, as its page would be.
		if data.Current, err = s.OrganizationService.FindOrganizationByID(r.Context(), *filter.OrganizationID); err != nil {
			s.renderError(w, r, err, data)
			return
		}
	}
	view := newAuditView(q, data.Organizations)
	data.Data = view
	var entries []*tandem.AuditEntry
	var next string
	if err == nil {
		entries, next, err = s.AuditService.FindAuditEntries(r.Context(), filter)
	}
	switch tandem.ErrorCode(err) {
	case "":
	case tandem.EBADREQUEST:
		data.Error = tandem.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "audit", data)
		return
	default:
		s.renderError(w, r, err, data)
		return
	}
	names := newAuditNames(r.Context(), s.UserService, data.Actor, data.Organizations)
	for _, e := range entries {
		row := auditRow{AuditEntry: e, auditSentence: names.describe(e), Organization: "Provider"}
		if e.OrganizationID != nil {
			row.Organization = "#" + strconv.FormatInt(*e.OrganizationID, 10)
			if o := names.orgs[*e.OrganizationID]; o != nil {
				row.Organization, row.OrganizationURL = o.Name, names.orgPage(e.OrganizationID, "")
			}
		}
		if e.ActorUserID != nil {
			row.ActorURL = auditURL("/audit", q, map[string]string{"actor_user_id": strconv.FormatInt(*e.ActorUserID, 10)})
			if view.ActorUserID == strconv.FormatInt(*e.ActorUserID, 10) {
				view.ActorLabel = e.ActorEmail
			}
		}
		view.Rows = append(view.Rows, row)
	}
	if next != "" {
		view.NextURL = auditURL("/audit", q, map[string]string{"cursor": next})
	}
	s.render(w, r, http.StatusOK, "audit", data)
}

// handleAuditExportPage downloads the filtered audit trail for the logged-in
// user, in the format the format parameter names.
func (s *Server) handleAuditExportPage(w http.ResponseWriter, r *http.Request, data pageData) {
	filter, err := parseAuditFilter(r, true)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	format, err := tandem.ParseAuditFormat(r.URL.Query().Get("format"))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	s.exportAudit(w, r, filter, format, func(err error) { s.renderError(w, r, err, data) })
}

func newAuditView(q url.Values, orgs []*tandem.Organization) *auditView {
	v := &auditView{
		Action:      q.Get("action"),
		Since:       dateOnly(q.Get("since")),
		Until:       dateOnly(q.Get("until")),
		ActorUserID: q.Get("actor_user_id"),
		Limit:       q.Get("limit"),
		Actions:     auditActions(),
		ExportJSONL: auditURL("/audit/export", q, map[string]string{"format": "jsonl", "cursor": ""}),
		ExportCSV:   auditURL("/audit/export", q, map[string]string{"format": "csv", "cursor": ""}),
	}
	if v.ActorUserID != "" {
		v.ActorLabel = "user " + v.ActorUserID
		v.ClearActorURL = auditURL("/audit", q, map[string]string{"actor_user_id": ""})
	}
	v.Organizations = []auditOption{{Value: "", Label: "All you can see"}}
	for _, o := range orgs {
		id := strconv.FormatInt(o.ID, 10)
		v.Organizations = append(v.Organizations, auditOption{Value: id, Label: o.Name, Selected: q.Get("organization_id") == id})
	}
	v.Parties = []auditOption{{Value: "", Label: "Any"}}
	for _, p := range []string{"internal", "provider", "system", "anonymous"} {
		v.Parties = append(v.Parties, auditOption{Value: p, Label: p, Selected: q.Get("party") == p})
	}
	return v
}

// auditURL returns path with the filter parameters of q, changed by set (an
// empty value removes a parameter). The cursor is dropped unless set names
// it: a changed filter starts from the newest entry.
func auditURL(path string, q url.Values, set map[string]string) string {
	out := url.Values{}
	for _, name := range auditFilterParams {
		if v := q.Get(name); v != "" {
			out.Set(name, v)
		}
	}
	for name, v := range set {
		if v == "" {
			out.Del(name)
		} else {
			out.Set(name, v)
		}
	}
	if len(out) == 0 {
		return path
	}
	return path + "?" + out.Encode()
}

// dateOnly returns v when it is a date the date inputs can show.
func dateOnly(v string) string {
	if len(v) == len("2006-01-02") {
		return v
	}
	return ""
}
