package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
)

// The responsibility-matrix pages of an organisation: the grid of the
// accepted version and of the open proposal, the gap report, the history,
// and, for those allowed, a form to propose a version and a button to sign
// the proposal for their party. The CSV export and the printable view use the
// session, so a browser needs no API token for them.

func (s *Server) registerMatrixUIRoutes() {
	s.handle("GET /orgs/{slug}/matrix", s.page(s.withOrg(s.handleMatrixPage)))
	s.handle("POST /orgs/{slug}/matrix", s.page(s.withOrg(s.handleMatrixProposeForm)))
	s.handle("POST /orgs/{slug}/matrix/versions/{n}/sign", s.page(s.withOrg(s.handleMatrixSignForm)))
	s.handle("GET /orgs/{slug}/matrix.csv", s.page(s.withOrg(s.handleMatrixCSV)))
	s.handle("GET /orgs/{slug}/matrix/print", s.page(s.withOrg(s.handleMatrixPrint)))
}

// matrixLetters are the RACI letters in the order the grid and form show them.
var matrixLetters = []string{"R", "A", "C", "I"}

// matrixParties are the grid's columns.
var matrixParties = []tandem.PartyKind{tandem.PartyInternal, tandem.PartyProvider}

// withOrg resolves the organisation of an /orgs/{slug}/… page: one outside
// scope is not found.
func (s *Server) withOrg(h func(http.ResponseWriter, *http.Request, pageData, *tandem.Organization)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, data pageData) {
		org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		data.Current = org
		h(w, r, data, org)
	}
}

// matrixBox is one checkbox of the proposal form.
type matrixBox struct {
	Name, Letter, Label string
	Checked             bool
}

// matrixCell is one party's letters for one area, with the form's boxes.
type matrixCell struct {
	Party    tandem.PartyKind
	Accepted string
	Proposed string
	Boxes    []matrixBox
}

// matrixRow is one service area of the grid.
type matrixRow struct {
	Area  *tandem.ServiceArea
	Cells []matrixCell
}

// matrixSignature is one party's signature on a version.
type matrixSignature struct {
	Party  tandem.PartyKind
	Label  string
	Signed bool
	By     string
	At     *time.Time
	// Mine: the viewer may sign for this party now.
	Mine bool
}

// matrixPartyChange is what a version changed in one party's letters for
// one area, in words: "Provider: R → C".
type matrixPartyChange struct {
	Party, Before, After string
	// Note says what changed when the letters did not.
	Note string
}

// matrixAreaChange is everything a version changed in one service area.
type matrixAreaChange struct {
	Area    *tandem.ServiceArea
	Parties []matrixPartyChange
}

// matrixHistoryRow is one version in the history: who proposed it, where it
// stands, and its changes from the version before, area by area.
type matrixHistoryRow struct {
	*tandem.MatrixVersion
	ProposedByLabel string
	Areas           []matrixAreaChange
}

// matrixLegendEntry explains one RACI letter.
type matrixLegendEntry struct {
	Letter, Name, Meaning string
}

// matrixLegend says what each letter means between an internal IT team and
// its provider; the matrix page and its printable appendix both show it.
var matrixLegend = []matrixLegendEntry{
	{"R", "Responsible", "does the work: tickets in the area go to this party (to the Accountable one when both are Responsible)."},
	{"A", "Accountable", "owns the outcome and answers for it; exactly one party per area."},
	{"C", "Consulted", "is asked before changes and decisions in the area, and answers."},
	{"I", "Informed", "is told about changes and outcomes; no action expected."},
}

// matrixGapReport is the gap report of one version.
type matrixGapReport struct {
	Title string
	Gaps  []tandem.Gap
}

// matrixView is what matrix.html and matrix_print.html render.
type matrixView struct {
	Org        *tandem.Organization
	Rows       []matrixRow
	Accepted   *tandem.MatrixVersion
	Proposal   *tandem.MatrixVersion
	Signatures []matrixSignature
	Reports    []matrixGapReport
	History    []matrixHistoryRow
	Legend     []matrixLegendEntry
	// Edit: the viewer may propose a version; Sign: sign for their party.
	Edit bool
	Sign bool
	// Awaiting names the parties whose signature the proposal still needs.
	Awaiting []string
}

// partyName is a party's short name, as the grids' column headers show it.
func partyName(kind tandem.PartyKind) string {
	if kind == tandem.PartyProvider {
		return "Provider"
	}
	return "Internal IT"
}

// partyLabel names a party with its organisation, the way signatures do.
func partyLabel(org *tandem.Organization, kind tandem.PartyKind) string {
	label := partyName(kind)
	if p := org.Party(kind); p != nil && p.Name != "" {
		label += " (" + p.Name + ")"
	}
	return label
}

// matrixBoxName is the form field of one letter: a-<areaID>-<party>-<letter>.
func matrixBoxName(areaID int64, party tandem.PartyKind, letter string) string {
	return "a-" + strconv.FormatInt(areaID, 10) + "-" + string(party) + "-" + letter
}

// letterSet returns the letters of a version's assignment, "" when none.
func letterSet(v *tandem.MatrixVersion, areaID int64, party tandem.PartyKind) string {
	if v == nil {
		return ""
	}
	for _, a := range v.Assignments {
		if a.AreaID == areaID && a.Party == party {
			return a.Letters()
		}
	}
	return ""
}

// signerLabel prefers the signer as recorded at signing, which every reader
// of the organisation may see.
func signerLabel(recorded, looked string) string {
	if recorded != "" {
		return recorded
	}
	return looked
}

// userLabel names a signer, or their id when the viewer may not see them.
func (s *Server) userLabel(ctx context.Context, id *int64) string {
	if id == nil {
		return ""
	}
	if u, err := s.UserService.FindUserByID(ctx, *id); err == nil {
		if u.Name != "" && u.Name != u.Email {
			return u.Name + " <" + u.Email + ">"
		}
		return u.Email
	}
	return "user #" + strconv.FormatInt(*id, 10)
}

// signatures lists both parties' signatures on v.
func (s *Server) signatures(ctx context.Context, a *tandem.Actor, org *tandem.Organization, v *tandem.MatrixVersion) []matrixSignature {
	canSign := a.Can(tandem.ActionMatrixSign, org.ID) == nil && v.Status == tandem.MatrixProposed
	return []matrixSignature{
		{Party: tandem.PartyInternal, Label: partyLabel(org, tandem.PartyInternal), Signed: v.InternalSignedBy != nil,
			By: signerLabel(v.InternalSigner, s.userLabel(ctx, v.InternalSignedBy)), At: v.InternalSignedAt, Mine: canSign && a.Party == tandem.PartyInternal && v.InternalSignedBy == nil},
		{Party: tandem.PartyProvider, Label: partyLabel(org, tandem.PartyProvider), Signed: v.ProviderSignedBy != nil,
			By: signerLabel(v.ProviderSigner, s.userLabel(ctx, v.ProviderSignedBy)), At: v.ProviderSignedAt, Mine: canSign && a.Party == tandem.PartyProvider && v.ProviderSignedBy == nil},
	}
}

// matrixView loads the organisation's areas and versions. checked, when not
// nil, fills the form from a submitted proposal instead of the stored one.
func (s *Server) matrixView(ctx context.Context, a *tandem.Actor, org *tandem.Organization, checked map[string]bool) (*matrixView, error) {
	areas, err := s.MatrixService.FindServiceAreas(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	history, err := s.MatrixService.MatrixHistory(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	v := &matrixView{Org: org, Edit: a.Can(tandem.ActionMatrixEdit, org.ID) == nil, Legend: matrixLegend}
	for _, h := range history {
		switch {
		case h.Status == tandem.MatrixAccepted && v.Accepted == nil:
			v.Accepted = h
		case h.Status == tandem.MatrixProposed && v.Proposal == nil:
			v.Proposal = h
		}
	}
	labels := map[int64]string{}
	for _, h := range history {
		row := matrixHistoryRow{MatrixVersion: h, Areas: areaChanges(areas, h.Changes)}
		if id := h.ProposedBy; id != nil {
			if _, ok := labels[*id]; !ok {
				labels[*id] = s.userLabel(ctx, id)
			}
			row.ProposedByLabel = labels[*id]
		}
		v.History = append(v.History, row)
	}
	// The form starts from the open proposal, else from the accepted version.
	base := v.Proposal
	if base == nil {
		base = v.Accepted
	}
	for _, area := range areas {
		row := matrixRow{Area: area}
		for _, party := range matrixParties {
			cell := matrixCell{Party: party, Accepted: letterSet(v.Accepted, area.ID, party), Proposed: letterSet(v.Proposal, area.ID, party)}
			current := letterSet(base, area.ID, party)
			for _, l := range matrixLetters {
				name := matrixBoxName(area.ID, party, l)
				on := checked[name]
				if checked == nil {
					on = containsLetter(current, l)
				}
				cell.Boxes = append(cell.Boxes, matrixBox{Name: name, Letter: l, Label: l + " for " + string(party) + " on " + area.Name, Checked: on})
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	title := "Gaps of the accepted version"
	if v.Accepted == nil {
		title = "Gaps (no version accepted yet)"
	}
	v.Reports = append(v.Reports, matrixGapReport{Title: title, Gaps: tandem.Gaps(areas, v.Accepted)})
	if v.Proposal != nil {
		v.Reports = append(v.Reports, matrixGapReport{Title: "Gaps of proposal v" + strconv.Itoa(v.Proposal.Number), Gaps: tandem.Gaps(areas, v.Proposal)})
		v.Signatures = s.signatures(ctx, a, org, v.Proposal)
		for _, sig := range v.Signatures {
			v.Sign = v.Sign || sig.Mine
			if !sig.Signed {
				v.Awaiting = append(v.Awaiting, string(sig.Party))
			}
		}
	}
	return v, nil
}

// areaChanges groups a version's changes (tandem.Diff) by service area, in
// catalogue order and, within an area, party by party.
func areaChanges(areas []*tandem.ServiceArea, changes []tandem.AssignmentChange) []matrixAreaChange {
	var out []matrixAreaChange
	for _, area := range areas {
		ac := matrixAreaChange{Area: area}
		for _, party := range matrixParties {
			for _, c := range changes {
				if c.AreaID == area.ID && c.Party == party {
					ac.Parties = append(ac.Parties, partyChange(c))
				}
			}
		}
		if len(ac.Parties) > 0 {
			out = append(out, ac)
		}
	}
	return out
}

// partyChange words one change: the letters before and after, "none" for no
// assignment, and a note when only the named person changed.
func partyChange(c tandem.AssignmentChange) matrixPartyChange {
	pc := matrixPartyChange{Party: partyName(c.Party), Before: "none", After: "none"}
	if c.Before != nil {
		pc.Before = c.Before.Letters()
	}
	if c.After != nil {
		pc.After = c.After.Letters()
	}
	if pc.Before == pc.After {
		pc.Note = "another person named"
	}
	return pc
}

func containsLetter(letters, l string) bool {
	for _, c := range letters {
		if string(c) == l {
			return true
		}
	}
	return false
}

// renderMatrix renders the matrix page with data.Error or data.Notice already set.
func (s *Server) renderMatrix(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, status int, checked map[string]bool) {
	v, err := s.matrixView(r.Context(), data.Actor, org, checked)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Title, data.Data = "Responsibility matrix · "+org.Name, v
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", "/orgs/"+org.Slug+"/matrix")
	}
	s.render(w, r, status, "matrix", data)
}

// matrixFormError shows a refusal the viewer can act on on the page itself.
func (s *Server) matrixFormError(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, err error, checked map[string]bool) {
	switch code := tandem.ErrorCode(err); code {
	case tandem.EINVALID, tandem.ECONFLICT, tandem.EFORBIDDEN, tandem.EBADREQUEST:
		data.Error = tandem.ErrorMessage(err)
		s.renderMatrix(w, r, data, org, ErrorStatus(code), checked)
	default:
		s.renderError(w, r, err, data)
	}
}

func (s *Server) handleMatrixPage(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	s.renderMatrix(w, r, data, org, http.StatusOK, nil)
}

// handleMatrixProposeForm proposes a version from the form's checkboxes.
func (s *Server) handleMatrixProposeForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.matrixFormError(w, r, data, org, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read."), nil)
		return
	}
	areas, err := s.MatrixService.FindServiceAreas(r.Context(), org.ID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	checked := map[string]bool{}
	var list []tandem.Assignment
	for _, area := range areas {
		for _, party := range matrixParties {
			a := tandem.Assignment{AreaID: area.ID, Party: party}
			for _, l := range matrixLetters {
				name := matrixBoxName(area.ID, party, l)
				if r.PostForm.Get(name) == "" {
					continue
				}
				checked[name] = true
				switch l {
				case "R":
					a.Responsible = true
				case "A":
					a.Accountable = true
				case "C":
					a.Consulted = true
				case "I":
					a.Informed = true
				}
			}
			if a.Letters() != "" {
				list = append(list, a)
			}
		}
	}
	v, err := s.MatrixService.ProposeMatrix(r.Context(), org.ID, list)
	if err != nil {
		s.matrixFormError(w, r, data, org, err, checked)
		return
	}
	data.Notice = "Version " + strconv.Itoa(v.Number) + " proposed. It takes effect once both parties have signed."
	s.renderMatrix(w, r, data, org, http.StatusOK, nil)
}

// handleMatrixSignForm signs a proposed version for the viewer's party.
func (s *Server) handleMatrixSignForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	n, err := versionPath(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v, err := s.MatrixService.SignMatrix(r.Context(), org.ID, n)
	if err != nil {
		s.matrixFormError(w, r, data, org, err, nil)
		return
	}
	data.Notice = "Version " + strconv.Itoa(v.Number) + " signed for " + string(data.Actor.Party) + "."
	if v.Status == tandem.MatrixAccepted {
		data.Notice = "Version " + strconv.Itoa(v.Number) + " is accepted: both parties have signed."
	}
	s.renderMatrix(w, r, data, org, http.StatusOK, nil)
}

// matrixVersion finds the version of ?version=N, or the accepted one.
func (s *Server) matrixVersion(r *http.Request, org *tandem.Organization) (*tandem.MatrixVersion, []*tandem.ServiceArea, error) {
	n, err := versionNumber(r)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.MatrixService.FindMatrixVersion(r.Context(), org.ID, n)
	if err != nil {
		return nil, nil, err
	}
	areas, err := s.MatrixService.FindServiceAreas(r.Context(), org.ID)
	return v, areas, err
}

// handleMatrixCSV downloads the accepted matrix, or ?version=N, as CSV.
func (s *Server) handleMatrixCSV(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	v, areas, err := s.matrixVersion(r, org)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeMatrixCSV(w, org.Slug, areas, v)
}

// matrixPrintView is what matrix_print.html renders.
type matrixPrintView struct {
	Org        *tandem.Organization
	Version    *tandem.MatrixVersion
	Rows       []matrixRow
	Signatures []matrixSignature
	Legend     []matrixLegendEntry
}

// handleMatrixPrint shows the accepted matrix, or ?version=N, as a page to
// print and attach to a contract.
func (s *Server) handleMatrixPrint(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	v, areas, err := s.matrixVersion(r, org)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	pv := &matrixPrintView{Org: org, Version: v, Signatures: s.signatures(r.Context(), data.Actor, org, v), Legend: matrixLegend}
	for _, area := range areas {
		row := matrixRow{Area: area}
		for _, party := range matrixParties {
			row.Cells = append(row.Cells, matrixCell{Party: party, Accepted: letterSet(v, area.ID, party)})
		}
		pv.Rows = append(pv.Rows, row)
	}
	data.Title, data.Data = "Responsibility matrix v"+strconv.Itoa(v.Number)+" · "+org.Name, pv
	s.render(w, r, http.StatusOK, "matrix_print", data)
}
