package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// An organisation's enrolment page, /orgs/{slug}/devices/enroll: its
// enrolment tokens (a new one shown once, with the one-line install
// command for each OS), and the local checks its agents run.

// enrollmentView is what enrollment.html renders.
type enrollmentView struct {
	Org    *tandem.Organization
	Tokens []enrollmentTokenRow
	// Created is the token just created, with its install commands.
	Created *tandem.EnrollmentToken
	// CreatedFor says how many machines it enrols, when bounded.
	CreatedFor string
	Commands   []installCommand
	Checks     []*tandem.AgentCheck
	Kinds      []deskOption
	// Missing lists the targets this server has no binary for.
	Missing  []string
	AgentDir string
	Expiries []deskOption
}

// enrollmentTokenRow is a token of the list, with its standing.
type enrollmentTokenRow struct {
	*tandem.EnrollmentToken
	Standing string // "" while usable, else revoked, expired, used up
}

// installCommand is the one line that installs and enrols the agent on
// one operating system.
type installCommand struct {
	OS, Shell, Line string
}

var enrollmentExpiries = []deskOption{{"1d", "1 day"}, {"7d", "7 days"}, {"30d", "30 days"}, {"90d", "90 days"}, {"365d", "1 year"}}

var checkKindLabels = map[agentproto.CheckKind]string{
	agentproto.CheckDiskFree: "Disk free below a threshold",
	agentproto.CheckCPU:      "CPU above a threshold for N minutes",
	agentproto.CheckMemory:   "Memory above a threshold for N minutes",
	agentproto.CheckService:  "Service not running",
	agentproto.CheckProcess:  "Process not running",
	agentproto.CheckFileAge:  "File older than N hours",
}

// installCommands are the install lines for a token on a server at base.
// Each downloads the binary for the machine's architecture from the
// server, puts it where the service will run it from, enrols, and
// installs the service.
func installCommands(base, token string) []installCommand {
	q := "'" + token + "'"
	return []installCommand{
		{"Linux", "as root (sudo)", `curl -fsSL -o /tmp/tandem-agent "` + base + `/agent/v1/download/linux-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')" && sudo install -m 0755 /tmp/tandem-agent /usr/local/bin/tandem-agent && sudo /usr/local/bin/tandem-agent enroll --server ` + base + ` --token ` + q + ` && sudo /usr/local/bin/tandem-agent install`},
		{"Windows", "in PowerShell as Administrator", `$d = "$env:ProgramFiles\Tandem"; New-Item -ItemType Directory -Force $d | Out-Null; Invoke-WebRequest -UseBasicParsing -OutFile "$d\tandem-agent.exe" "` + base + `/agent/v1/download/windows-$(if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'amd64' })"; & "$d\tandem-agent.exe" enroll --server ` + base + ` --token ` + q + `; & "$d\tandem-agent.exe" install`},
		{"macOS", "in Terminal, as an administrator", `curl -fsSL -o /tmp/tandem-agent "` + base + `/agent/v1/download/darwin-$(uname -m | sed 's/x86_64/amd64/')" && sudo install -m 0755 /tmp/tandem-agent /usr/local/bin/tandem-agent && sudo /usr/local/bin/tandem-agent enroll --server ` + base + ` --token ` + q + ` && sudo /usr/local/bin/tandem-agent install`},
	}
}

// enrollmentOrg finds the organisation of the path and checks the viewer
// may manage its devices: the page is of no use to anyone else.
func (s *Server) enrollmentOrg(r *http.Request, data pageData) (*tandem.Organization, error) {
	org, err := s.OrganizationService.FindOrganizationBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	if err := data.Actor.Can(tandem.ActionDeviceManage, org.ID); err != nil {
		return nil, err
	}
	return org, nil
}

func (s *Server) renderEnrollment(w http.ResponseWriter, r *http.Request, data pageData, status int, edit func(*enrollmentView)) {
	org, err := s.enrollmentOrg(r, data)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v := &enrollmentView{Org: org, Expiries: enrollmentExpiries, AgentDir: s.AgentDir}
	tokens, err := s.DeviceService.FindEnrollmentTokens(r.Context(), org.ID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	now := s.now()
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, enrollmentTokenRow{EnrollmentToken: t, Standing: t.Usable(now)})
	}
	if v.Checks, err = s.DeviceService.FindAgentChecks(r.Context(), org.ID); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	for _, k := range agentproto.CheckKinds {
		v.Kinds = append(v.Kinds, deskOption{string(k), checkKindLabels[k]})
	}
	for _, t := range agentTargets {
		if s.agentBinary(t) == "" {
			v.Missing = append(v.Missing, t)
		}
	}
	if edit != nil {
		edit(v)
	}
	data.Title, data.Current, data.Data = "Enrol devices", org, v
	if data.Form == nil {
		data.Form = map[string]string{"expires": "7d", "kind": string(agentproto.CheckDiskFree)}
	}
	if r.Method == http.MethodPost {
		w.Header().Set("HX-Push-Url", "/orgs/"+org.Slug+"/devices/enroll")
	}
	s.render(w, r, status, "enrollment", data)
}

func (s *Server) handleEnrollmentPage(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderEnrollment(w, r, data, http.StatusOK, nil)
}

// enrollmentFormError shows the page again with the form as sent and what
// is wrong with it; a fault of ours is the error page.
func (s *Server) enrollmentFormError(w http.ResponseWriter, r *http.Request, data pageData, form map[string]string, err error) {
	switch code := tandem.ErrorCode(err); code {
	case tandem.EINVALID, tandem.EBADREQUEST:
		data.Error, data.Form = tandem.ErrorMessage(err), form
		s.renderEnrollment(w, r, data, ErrorStatus(code), nil)
	default:
		s.renderError(w, r, err, data)
	}
}

func (s *Server) handleEnrollmentCreateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	org, err := s.enrollmentOrg(r, data)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	form := map[string]string{}
	for _, k := range []string{"description", "site", "group", "expires", "uses"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	validFor, err := tandem.ParseValidity(form["expires"])
	if err != nil {
		s.enrollmentFormError(w, r, data, form, err)
		return
	}
	t := &tandem.EnrollmentToken{OrganizationID: org.ID, Description: form["description"], Site: form["site"], Group: form["group"]}
	if v := form["uses"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.enrollmentFormError(w, r, data, form, tandem.Errorf(tandem.EINVALID, "Uses %q is not a whole number: give how many machines may enrol with the token, or leave it empty for any number.", v))
			return
		}
		t.MaxUses = &n
	}
	if err := s.DeviceService.CreateEnrollmentToken(r.Context(), t, validFor); err != nil {
		s.enrollmentFormError(w, r, data, form, err)
		return
	}
	data.Notice = "Enrolment token created. Copy it or an install command now: this page will not show the token again."
	base := s.baseURL(r)
	s.renderEnrollment(w, r, data, http.StatusCreated, func(v *enrollmentView) {
		v.Created, v.Commands = t, installCommands(base, t.Token)
		switch {
		case t.MaxUses == nil:
		case *t.MaxUses == 1:
			v.CreatedFor = "for one machine"
		default:
			v.CreatedFor = "for up to " + strconv.Itoa(*t.MaxUses) + " machines"
		}
	})
}

func (s *Server) handleEnrollmentRevokeForm(w http.ResponseWriter, r *http.Request, data pageData) {
	s.orgRecordAction(w, r, data, "Enrolment token", "", func(ctx context.Context, orgID int64) ([]int64, error) {
		tokens, err := s.DeviceService.FindEnrollmentTokens(ctx, orgID)
		ids := make([]int64, len(tokens))
		for i, t := range tokens {
			ids[i] = t.ID
		}
		return ids, err
	}, s.DeviceService.RevokeEnrollmentToken)
}

// orgRecordAction runs act on the record of the path's {id} when it is
// one of the organisation's (ids lists them): another organisation's is
// not found here, even for a viewer who may manage both. It then goes
// back to the enrolment page, at anchor.
func (s *Server) orgRecordAction(w http.ResponseWriter, r *http.Request, data pageData, noun, anchor string,
	ids func(context.Context, int64) ([]int64, error), act func(context.Context, int64) error) {
	org, err := s.enrollmentOrg(r, data)
	var id int64
	if err == nil {
		id, err = pathID(r, strings.ToLower(noun))
	}
	var mine []int64
	if err == nil {
		mine, err = ids(r.Context(), org.ID)
	}
	if err == nil && !slices.Contains(mine, id) {
		err = tandem.Errorf(tandem.ENOTFOUND, "%s %d not found.", noun, id)
	}
	if err == nil {
		err = act(r.Context(), id)
	}
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/orgs/"+org.Slug+"/devices/enroll"+anchor, http.StatusSeeOther)
}

func (s *Server) handleAgentCheckCreateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	org, err := s.enrollmentOrg(r, data)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	form := map[string]string{}
	for _, k := range []string{"kind", "name", "group", "threshold", "minutes", "target", "hours"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	c := &tandem.AgentCheck{OrganizationID: org.ID, Group: form["group"], Check: agentproto.Check{Kind: agentproto.CheckKind(form["kind"]), Name: form["name"], Target: form["target"]}}
	// Only the numbers the kind uses are read: the form shows all of them.
	number := func(field string, into *float64) error {
		v := form[field]
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return tandem.Errorf(tandem.EINVALID, "%s %q is not a number.", field, v)
		}
		*into = f
		return nil
	}
	var minutes float64
	switch c.Kind {
	case agentproto.CheckDiskFree:
		err = number("threshold", &c.Threshold)
	case agentproto.CheckCPU, agentproto.CheckMemory:
		if err = number("threshold", &c.Threshold); err == nil {
			err = number("minutes", &minutes)
			c.Minutes = int(minutes)
		}
	case agentproto.CheckFileAge:
		err = number("hours", &c.Hours)
	}
	if c.Kind != agentproto.CheckService && c.Kind != agentproto.CheckProcess && c.Kind != agentproto.CheckFileAge && c.Kind != agentproto.CheckDiskFree {
		c.Target = ""
	}
	if err == nil {
		err = s.DeviceService.CreateAgentCheck(r.Context(), c)
	}
	if err != nil {
		s.enrollmentFormError(w, r, data, form, err)
		return
	}
	data.Notice = "Local check " + c.Name + " added: agents pick it up with their next check-in."
	s.renderEnrollment(w, r, data, http.StatusCreated, nil)
}

func (s *Server) handleAgentCheckDeleteForm(w http.ResponseWriter, r *http.Request, data pageData) {
	s.orgRecordAction(w, r, data, "Local check", "#checks", func(ctx context.Context, orgID int64) ([]int64, error) {
		checks, err := s.DeviceService.FindAgentChecks(ctx, orgID)
		ids := make([]int64, len(checks))
		for i, c := range checks {
			ids[i] = c.ID
		}
		return ids, err
	}, s.DeviceService.DeleteAgentCheck)
}
