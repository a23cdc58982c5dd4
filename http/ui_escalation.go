package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
)

// The escalation policies pages: /escalation lists the policies the
// viewer sees in the order they are tried, /escalation/new and
// /escalation/{id} edit one.

func (s *Server) registerEscalationUIRoutes() {
	s.handle("GET /escalation", s.page(s.handlePolicies))
	s.handle("GET /escalation/new", s.page(s.handlePolicyForm))
	s.handle("POST /escalation", s.page(s.handlePolicySave))
	s.handle("GET /escalation/{id}", s.page(s.handlePolicyForm))
	s.handle("POST /escalation/{id}", s.page(s.handlePolicySave))
	s.handle("POST /escalation/{id}/delete", s.page(s.handlePolicyDeleteForm))
	s.handle("POST /tickets/{id}/incidents/{incident}/acknowledge", s.page(s.ticketAction("incident", s.ticketIncidentAck)))
	s.handle("POST /tickets/{id}/incidents/{incident}/escalate", s.page(s.ticketAction("incident", s.ticketIncidentEscalate)))
	s.handle("POST /tickets/{id}/incidents/{incident}/reassign", s.page(s.ticketAction("incident", s.ticketIncidentReassign)))
	s.handle("GET /ack/{token}", s.handleAckForm)
	s.handle("POST /ack/{token}", s.handleAck)
}

// policyRow is one policy of the list, its matches in words.
type policyRow struct {
	*tandem.EscalationPolicy
	Scope   string // "every organisation", "Harbor Logistics"
	Matches string // "P1, P2 · network monitoring · outside business hours · new P1/P2 ticket"
	Path    string // "tech → admin (15 min each), repeated twice"
	Manage  bool
}

// policiesView is what escalation.html renders.
type policiesView struct {
	Rows   []policyRow
	Create bool
}

var triggerLabels = map[escalation.Trigger]string{escalation.TriggerTicket: "new P1/P2 ticket", escalation.TriggerSLAWarning: "SLA warning",
	escalation.TriggerSLABreach: "SLA breach", escalation.TriggerOLABreach: "OLA breach (handoff not accepted)"}

var hoursLabels = map[escalation.Hours]string{escalation.AnyHours: "any time", escalation.InsideHours: "inside business hours",
	escalation.OutsideHours: "outside business hours"}

// policyNames names what policies mention: organisations, areas, people,
// on-call schedules.
type policyNames struct {
	orgs      map[int64]string
	areas     map[int64]string
	users     map[int64]string
	schedules map[int64]string
}

func (s *Server) policyNames(ctx context.Context, data pageData) (*policyNames, error) {
	n := &policyNames{orgs: map[int64]string{}, areas: map[int64]string{}, users: map[int64]string{}, schedules: map[int64]string{}}
	for _, o := range data.Organizations {
		n.orgs[o.ID] = o.Name
		areas, err := s.MatrixService.FindServiceAreas(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range areas {
			n.areas[a.ID] = a.Name
		}
	}
	users, _, err := s.UserService.FindUsers(ctx, tandem.UserFilter{Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		n.users[u.ID] = personName(u)
	}
	schedules, err := s.OnCallService.FindOnCallSchedules(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, sc := range schedules {
		n.schedules[sc.ID] = sc.Name
	}
	return n, nil
}

func (n *policyNames) target(t tandem.EscalationTarget) string {
	switch t.Kind {
	case escalation.TargetQueue:
		return deskPartyName(tandem.PartyKind(t.Party)) + " queue"
	case escalation.TargetSchedule:
		if name, ok := n.schedules[t.ScheduleID]; ok {
			return "on call in " + name
		}
		return "on call in schedule " + strconv.FormatInt(t.ScheduleID, 10)
	}
	if name, ok := n.users[t.UserID]; ok {
		return name
	}
	return "user " + strconv.FormatInt(t.UserID, 10)
}

func (n *policyNames) row(a *tandem.Actor, p *tandem.EscalationPolicy) policyRow {
	r := policyRow{EscalationPolicy: p, Scope: "every organisation", Manage: a.Party == p.Party}
	if p.OrganizationID != nil {
		r.Scope = n.orgs[*p.OrganizationID]
	}
	var m []string
	if len(p.Priorities) > 0 {
		var prs []string
		for _, pr := range p.Priorities {
			prs = append(prs, pr.String())
		}
		m = append(m, strings.Join(prs, ", "))
	}
	if p.OwningParty != "" {
		m = append(m, "in the "+deskPartyName(p.OwningParty)+" queue")
	}
	if len(p.AreaIDs) > 0 {
		var areas []string
		for _, id := range p.AreaIDs {
			areas = append(areas, n.areas[id])
		}
		m = append(m, strings.Join(areas, ", "))
	}
	m = append(m, hoursLabels[p.Hours])
	var trs []string
	for _, t := range p.Triggers {
		trs = append(trs, triggerLabels[t])
	}
	r.Matches = strings.Join(append(m, strings.Join(trs, ", ")), " · ")
	var levels []string
	for _, l := range p.Levels {
		var who []string
		for _, t := range l.Targets {
			who = append(who, n.target(t))
		}
		levels = append(levels, fmt.Sprintf("%s (%d min)", strings.Join(who, " + "), l.TimeoutMinutes))
	}
	r.Path = strings.Join(levels, " → ")
	if p.Repeats > 0 {
		r.Path += fmt.Sprintf(", repeated %d more time%s", p.Repeats, map[bool]string{true: "s"}[p.Repeats > 1])
	}
	return r
}

func (s *Server) handlePolicies(w http.ResponseWriter, r *http.Request, data pageData) {
	ctx := r.Context()
	list, err := s.EscalationService.FindEscalationPolicies(ctx, tandem.EscalationPolicyFilter{})
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	names, err := s.policyNames(ctx, data)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v := &policiesView{Create: data.Actor.Can(tandem.ActionEscalationManage, data.Actor.OrganizationID) == nil}
	for _, p := range list {
		v.Rows = append(v.Rows, names.row(data.Actor, p))
	}
	data.Title, data.Data = "Escalation policies", v
	s.render(w, r, http.StatusOK, "escalation", data)
}

// escalationForm is what escalation_form.html renders.
type escalationForm struct {
	ID         int64
	Party      tandem.PartyKind
	Orgs       []deskOption // "" every organisation (provider only), or an id
	Areas      []areaGroup
	Users      []deskOption
	Schedules  []deskOption // the on-call schedules a level may name
	Priorities []int
	Triggers   []deskOption
	Levels     []levelForm
	Errors     map[string]string // field → message
}

// areaGroup is one organisation's areas, for the areas select.
type areaGroup struct {
	Org   string
	Areas []deskOption
}

// levelForm is one row of the levels table: N from 0, its fields named
// levels.N.timeout_minutes, levels.N.users, levels.N.queues, levels.N.schedules.
type levelForm struct {
	N         int
	Timeout   string
	Users     []string
	Queues    []string
	Schedules []string
}

func (l levelForm) HasUser(id string) bool          { return slices.Contains(l.Users, id) }
func (l levelForm) HasQueue(p string) bool          { return slices.Contains(l.Queues, p) }
func (l levelForm) HasSchedule(id string) bool      { return slices.Contains(l.Schedules, id) }
func (f *escalationForm) Error(field string) string { return f.Errors[field] }

// emptyLevels is how many blank level rows a form offers after the filled ones.
const emptyLevels = 2

func (s *Server) handlePolicyForm(w http.ResponseWriter, r *http.Request, data pageData) {
	p := &tandem.EscalationPolicy{Party: data.Actor.Party, Hours: escalation.AnyHours, Triggers: []escalation.Trigger{escalation.TriggerTicket}}
	if data.Actor.Party == tandem.PartyInternal {
		p.OrganizationID = &data.Actor.OrganizationID
	}
	if r.PathValue("id") != "" {
		id, err := pathID(r, "escalation policy")
		if err == nil {
			p, err = s.EscalationService.FindEscalationPolicy(r.Context(), id)
		}
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
	}
	s.renderPolicyForm(w, r, data, p, http.StatusOK, nil)
}

// renderPolicyForm shows p in the form, with err beside its field.
func (s *Server) renderPolicyForm(w http.ResponseWriter, r *http.Request, data pageData, p *tandem.EscalationPolicy, status int, err error) {
	ctx := r.Context()
	f := &escalationForm{ID: p.ID, Party: p.Party, Errors: map[string]string{}, Priorities: []int{1, 2, 3, 4, 5}}
	if err != nil {
		var fe *tandem.FieldError
		if errors.As(err, &fe) {
			f.Errors[fe.Field] = fe.Err.Message
		} else {
			data.Error = tandem.ErrorMessage(err)
		}
	}
	if p.Party == tandem.PartyProvider {
		f.Orgs = append(f.Orgs, deskOption{"", "Every organisation"})
	}
	for _, o := range data.Organizations {
		if p.Party == tandem.PartyProvider || o.ID == data.Actor.OrganizationID {
			f.Orgs = append(f.Orgs, deskOption{strconv.FormatInt(o.ID, 10), o.Name})
			areas, aerr := s.MatrixService.FindServiceAreas(ctx, o.ID)
			if aerr != nil {
				s.renderError(w, r, aerr, data)
				return
			}
			g := areaGroup{Org: o.Name}
			for _, a := range areas {
				g.Areas = append(g.Areas, deskOption{strconv.FormatInt(a.ID, 10), a.Name})
			}
			f.Areas = append(f.Areas, g)
		}
	}
	users, _, uerr := s.UserService.FindUsers(ctx, tandem.UserFilter{Limit: 500})
	if uerr != nil {
		s.renderError(w, r, uerr, data)
		return
	}
	for _, u := range users {
		if u.Active && u.Role != tandem.RoleRequester {
			f.Users = append(f.Users, deskOption{strconv.FormatInt(u.ID, 10), personName(u) + " (" + deskPartyName(u.Party) + ")"})
		}
	}
	schedules, serr := s.OnCallService.FindOnCallSchedules(ctx, nil)
	if serr != nil {
		s.renderError(w, r, serr, data)
		return
	}
	orgNames := map[int64]string{}
	for _, o := range data.Organizations {
		orgNames[o.ID] = o.Name
	}
	for _, sc := range schedules {
		owner := deskPartyName(tandem.PartyProvider)
		if sc.OrganizationID != nil {
			if *sc.OrganizationID != data.Actor.OrganizationID && p.Party == tandem.PartyInternal {
				continue
			}
			owner = orgNames[*sc.OrganizationID]
		}
		f.Schedules = append(f.Schedules, deskOption{strconv.FormatInt(sc.ID, 10), sc.Name + " (" + owner + ")"})
	}
	for _, t := range escalation.Triggers {
		f.Triggers = append(f.Triggers, deskOption{string(t), triggerLabels[t]})
	}
	for i, l := range p.Levels {
		lf := levelForm{N: i, Timeout: strconv.Itoa(l.TimeoutMinutes)}
		for _, t := range l.Targets {
			switch t.Kind {
			case escalation.TargetUser:
				lf.Users = append(lf.Users, strconv.FormatInt(t.UserID, 10))
			case escalation.TargetQueue:
				lf.Queues = append(lf.Queues, t.Party)
			case escalation.TargetSchedule:
				lf.Schedules = append(lf.Schedules, strconv.FormatInt(t.ScheduleID, 10))
			}
		}
		f.Levels = append(f.Levels, lf)
	}
	for i := len(p.Levels); i < min(len(p.Levels)+emptyLevels, tandem.MaxEscalationLevels); i++ {
		f.Levels = append(f.Levels, levelForm{N: i, Timeout: "15"})
	}
	data.Form = policyFormValues(p)
	data.Title, data.Data = "New escalation policy", f
	if p.ID != 0 {
		data.Title = "Escalation policy · " + p.Name
	}
	s.render(w, r, status, "escalation_form", data)
}

// policyFormValues are the single-valued fields of p as the form shows them.
func policyFormValues(p *tandem.EscalationPolicy) map[string]string {
	v := map[string]string{"name": p.Name, "position": strconv.Itoa(p.Position), "owning_party": string(p.OwningParty), "hours": string(p.Hours),
		"repeats": strconv.Itoa(p.Repeats)}
	if p.OrganizationID != nil {
		v["organization_id"] = strconv.FormatInt(*p.OrganizationID, 10)
	}
	for _, pr := range p.Priorities {
		v["priority."+strconv.Itoa(int(pr))] = "on"
	}
	for _, id := range p.AreaIDs {
		v["area."+strconv.FormatInt(id, 10)] = "on"
	}
	for _, t := range p.Triggers {
		v["trigger."+string(t)] = "on"
	}
	return v
}

// readPolicyForm reads the form into a policy; a field that is not even
// a number is refused here, beside its field.
func readPolicyForm(r *http.Request, a *tandem.Actor) (*tandem.EscalationPolicy, error) {
	p := &tandem.EscalationPolicy{Party: a.Party, Name: r.PostFormValue("name"), OwningParty: tandem.PartyKind(r.PostFormValue("owning_party")),
		Hours: escalation.Hours(r.PostFormValue("hours"))}
	var errs []error
	number := func(field, label string) int {
		v := strings.TrimSpace(r.PostFormValue(field))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, &tandem.FieldError{Field: field, Err: tandem.Errorf(tandem.EINVALID, "%s %q is not a whole number.", label, v)})
		}
		return n
	}
	p.Position = number("position", "Position")
	p.Repeats = number("repeats", "Repeats")
	if v := r.PostFormValue("organization_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &tandem.FieldError{Field: "organization_id", Err: tandem.Errorf(tandem.EINVALID, "Choose an organisation from the list.")}
		}
		p.OrganizationID = &id
	}
	for _, v := range r.PostForm["priorities"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, &tandem.FieldError{Field: "priorities", Err: tandem.Errorf(tandem.EINVALID, "Priority %q is not one of P1 to P5.", v)}
		}
		p.Priorities = append(p.Priorities, tandem.Priority(n))
	}
	for _, v := range r.PostForm["area_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &tandem.FieldError{Field: "area_ids", Err: tandem.Errorf(tandem.EINVALID, "Choose service areas from the list.")}
		}
		p.AreaIDs = append(p.AreaIDs, id)
	}
	for _, v := range r.PostForm["triggers"] {
		p.Triggers = append(p.Triggers, escalation.Trigger(v))
	}
	for i := range tandem.MaxEscalationLevels {
		prefix := "levels." + strconv.Itoa(i) + "."
		var l tandem.EscalationLevel
		for _, v := range r.PostForm[prefix+"users"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, &tandem.FieldError{Field: prefix + "targets", Err: tandem.Errorf(tandem.EINVALID, "Level %d: choose people from the list.", i+1)}
			}
			l.Targets = append(l.Targets, tandem.EscalationTarget{Kind: escalation.TargetUser, UserID: id})
		}
		for _, q := range r.PostForm[prefix+"queues"] {
			l.Targets = append(l.Targets, tandem.EscalationTarget{Kind: escalation.TargetQueue, Party: q})
		}
		for _, v := range r.PostForm[prefix+"schedules"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return nil, &tandem.FieldError{Field: prefix + "targets", Err: tandem.Errorf(tandem.EINVALID, "Level %d: choose on-call schedules from the list.", i+1)}
			}
			l.Targets = append(l.Targets, tandem.EscalationTarget{Kind: escalation.TargetSchedule, ScheduleID: id})
		}
		if len(l.Targets) == 0 {
			continue // a blank row
		}
		l.TimeoutMinutes = number(prefix+"timeout_minutes", fmt.Sprintf("Level %d: timeout", i+1))
		p.Levels = append(p.Levels, l)
	}
	if len(errs) > 0 {
		return p, errs[0]
	}
	return p, nil
}

func (s *Server) handlePolicySave(w http.ResponseWriter, r *http.Request, data pageData) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, tandem.Errorf(tandem.EBADREQUEST, "The form cannot be read; it may be larger than 1 MiB."), data)
		return
	}
	p, err := readPolicyForm(r, data.Actor)
	if err == nil {
		if r.PathValue("id") != "" {
			if p.ID, err = pathID(r, "escalation policy"); err == nil {
				err = s.EscalationService.UpdateEscalationPolicy(r.Context(), p)
			}
		} else {
			err = s.EscalationService.CreateEscalationPolicy(r.Context(), p)
		}
	}
	switch tandem.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/escalation", http.StatusSeeOther)
	case tandem.EINVALID, tandem.EFORBIDDEN, tandem.ECONFLICT:
		if p == nil {
			p = &tandem.EscalationPolicy{Party: data.Actor.Party}
		}
		s.renderPolicyForm(w, r, data, p, ErrorStatus(tandem.ErrorCode(err)), err)
	default:
		s.renderError(w, r, err, data)
	}
}

func (s *Server) handlePolicyDeleteForm(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "escalation policy")
	if err == nil {
		err = s.EscalationService.DeleteEscalationPolicy(r.Context(), id)
	}
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/escalation", http.StatusSeeOther)
}
