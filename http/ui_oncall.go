package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/oncall"
)

func (s *Server) registerOnCallUIRoutes() {
	s.handle("GET /oncall", s.page(s.handleOnCallPage))
	s.handle("POST /oncall/feed", s.page(s.handleMyFeedRotate))
	s.handle("GET /oncall/new", s.page(s.handleOnCallNew))
	s.handle("POST /oncall", s.page(s.handleOnCallCreateForm))
	s.handle("GET /oncall/{id}", s.page(s.handleOnCallWeek))
	s.handle("GET /oncall/{id}/edit", s.page(s.handleOnCallEdit))
	s.handle("POST /oncall/{id}", s.page(s.handleOnCallUpdateForm))
	s.handle("POST /oncall/{id}/delete", s.page(s.handleOnCallDeleteForm))
	s.handle("POST /oncall/{id}/feed", s.page(s.handleScheduleFeedRotate))
}

// onCallRow is a schedule on the /oncall page with who is on call now.
type onCallRow struct {
	*tandem.OnCallSchedule
	Org string
	// Now is the member on call now; NameOnly marks a provider schedule
	// internal staff see by name.
	Now      string
	NameOnly bool
}

// onCallList is the /oncall page.
type onCallList struct {
	Rows      []onCallRow
	CanCreate bool
	// FeedURL is the viewer's personal feed, shown once after rotation.
	FeedURL string
}

// staffOnly refuses requesters the on-call pages, which have nothing of
// theirs; the route answers as if it did not exist.
func staffOnly(a *tandem.Actor, r *http.Request) error {
	if a.IsRequesterRole() {
		return tandem.Errorf(tandem.ENOTFOUND, "There is no page at %s.", r.URL.Path)
	}
	return nil
}

// canCreateSchedule: the viewer manages its own party's schedules.
func canCreateSchedule(a *tandem.Actor) bool {
	return a.Can(tandem.ActionOnCallManage, a.OrganizationID) == nil
}

func (s *Server) handleOnCallPage(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderOnCallList(w, r, data, "")
}

func (s *Server) renderOnCallList(w http.ResponseWriter, r *http.Request, data pageData, feedURL string) {
	if err := staffOnly(data.Actor, r); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	list, err := s.OnCallService.FindOnCallSchedules(r.Context(), nil)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	orgNames := map[int64]string{}
	for _, o := range data.Organizations {
		orgNames[o.ID] = o.Name
	}
	view := onCallList{CanCreate: canCreateSchedule(data.Actor), FeedURL: feedURL}
	now := s.now()
	for _, sc := range list {
		row := onCallRow{OnCallSchedule: sc, NameOnly: sc.Definition == nil, Org: "Provider"}
		if sc.OrganizationID != nil {
			row.Org = orgNames[*sc.OrganizationID]
		}
		if !row.NameOnly {
			if row.Now, err = s.OnCallService.OnCallAt(r.Context(), sc.ID, now); err != nil {
				s.renderError(w, r, err, data)
				return
			}
		}
		view.Rows = append(view.Rows, row)
	}
	data.Title, data.Data = "On call", view
	s.render(w, r, http.StatusOK, "oncall", data)
}

func (s *Server) handleMyFeedRotate(w http.ResponseWriter, r *http.Request, data pageData) {
	token, err := s.OnCallService.RotateMyFeed(r.Context())
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Notice = "Your new feed link is below; the old one no longer works."
	s.renderOnCallList(w, r, data, s.feedURL(r, token))
}

// feedURL is the secret address of a feed token.
func (s *Server) feedURL(r *http.Request, token string) string {
	return s.baseURL(r) + "/feeds/oncall/" + token + ".ics"
}

// onCallForm is the create and edit form.
type onCallForm struct {
	ID     int64
	Action string
	// Invalid names the field the error is about: name, timezone or
	// definition.
	Invalid string
}

// formFieldOf tells which field of the form a message is about, by the
// field it begins with.
func formFieldOf(msg string) string {
	switch {
	case strings.HasPrefix(msg, "Schedule name"), strings.Contains(msg, "schedule named"):
		return "name"
	case strings.HasPrefix(msg, "timezone"):
		return "timezone"
	}
	return "definition"
}

// exampleSchedule is the form's working example: the viewer's own address
// takes turns alone, weekly from the coming Monday, in the viewer's zone.
func exampleSchedule(data pageData, now time.Time) string {
	local := now.In(data.Loc)
	monday := local.AddDate(0, 0, (8-int(local.Weekday()))%7)
	if monday.Weekday() != time.Monday {
		monday = local
	}
	type layer struct {
		Name    string   `json:"name"`
		Start   string   `json:"start"`
		Turn    string   `json:"turn"`
		Members []string `json:"members"`
	}
	def := struct {
		Timezone  string  `json:"timezone"`
		Layers    []layer `json:"layers"`
		Overrides []any   `json:"overrides"`
	}{data.Loc.String(), []layer{{"primary", monday.Format(time.DateOnly) + "T09:00:00", "1w", []string{data.Actor.Email}}}, []any{}}
	b, _ := json.MarshalIndent(def, "", "  ")
	return string(b)
}

func (s *Server) handleOnCallNew(w http.ResponseWriter, r *http.Request, data pageData) {
	if err := staffOnly(data.Actor, r); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if !canCreateSchedule(data.Actor) {
		s.renderError(w, r, data.Actor.Can(tandem.ActionOnCallManage, data.Actor.OrganizationID), data)
		return
	}
	data.Form = map[string]string{"timezone": data.Loc.String(), "definition": exampleSchedule(data, s.now())}
	data.Title, data.Data = "New on-call schedule", onCallForm{Action: "/oncall"}
	s.render(w, r, http.StatusOK, "oncall_form", data)
}

// scheduleFromForm reads the form's fields.
func scheduleFromForm(r *http.Request) (*tandem.OnCallSchedule, map[string]string) {
	form := map[string]string{
		"name":       r.PostFormValue("name"),
		"timezone":   strings.TrimSpace(r.PostFormValue("timezone")),
		"definition": r.PostFormValue("definition"),
	}
	return &tandem.OnCallSchedule{Name: form["name"], TimeZone: form["timezone"], Definition: json.RawMessage(form["definition"])}, form
}

func (s *Server) renderOnCallFormError(w http.ResponseWriter, r *http.Request, data pageData, form map[string]string, view onCallForm, err error) {
	data.Form = form
	view.Invalid = formFieldOf(tandem.ErrorMessage(err))
	data.Title, data.Data = "On-call schedule", view
	s.renderFormError(w, r, "oncall_form", err, data)
}

func (s *Server) handleOnCallCreateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	sc, form := scheduleFromForm(r)
	sc.Party = data.Actor.Party
	if sc.Party == tandem.PartyInternal {
		sc.OrganizationID = &data.Actor.OrganizationID
	}
	if err := s.OnCallService.CreateOnCallSchedule(r.Context(), sc); err != nil {
		s.renderOnCallFormError(w, r, data, form, onCallForm{Action: "/oncall"}, err)
		return
	}
	http.Redirect(w, r, "/oncall/"+itoa64(sc.ID), http.StatusSeeOther)
}

// scheduleOfPath finds the schedule of /oncall/{id}.
func (s *Server) scheduleOfPath(r *http.Request) (*tandem.OnCallSchedule, error) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		return nil, err
	}
	return s.OnCallService.FindOnCallSchedule(r.Context(), id)
}

func (s *Server) handleOnCallEdit(w http.ResponseWriter, r *http.Request, data pageData) {
	sc, err := s.scheduleOfPath(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	var pretty strings.Builder
	if sc.Definition != nil {
		var v any
		json.Unmarshal(sc.Definition, &v)
		b, _ := json.MarshalIndent(v, "", "  ")
		pretty.Write(b)
	}
	data.Form = map[string]string{"name": sc.Name, "timezone": sc.TimeZone, "definition": pretty.String()}
	data.Title, data.Data = "Edit "+sc.Name, onCallForm{ID: sc.ID, Action: "/oncall/" + itoa64(sc.ID)}
	s.render(w, r, http.StatusOK, "oncall_form", data)
}

func (s *Server) handleOnCallUpdateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	sc, form := scheduleFromForm(r)
	sc.ID = id
	if err := s.OnCallService.UpdateOnCallSchedule(r.Context(), sc); err != nil {
		s.renderOnCallFormError(w, r, data, form, onCallForm{ID: id, Action: "/oncall/" + itoa64(id)}, err)
		return
	}
	http.Redirect(w, r, "/oncall/"+itoa64(id), http.StatusSeeOther)
}

func (s *Server) handleOnCallDeleteForm(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if err := s.OnCallService.DeleteOnCallSchedule(r.Context(), id); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	http.Redirect(w, r, "/oncall", http.StatusSeeOther)
}

func (s *Server) handleScheduleFeedRotate(w http.ResponseWriter, r *http.Request, data pageData) {
	id, err := pathID(r, "on-call schedule")
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	token, err := s.OnCallService.RotateScheduleFeed(r.Context(), id)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	data.Notice = "The schedule's new feed link is below; the old one no longer works."
	s.renderWeek(w, r, data, s.feedURL(r, token))
}

// weekView is the /oncall/{id} page: seven days of shifts in the
// schedule's zone.
type weekView struct {
	Schedule       *tandem.OnCallSchedule
	Days           []weekDay
	Prev, Next     string
	Label          string
	NowMember      string
	CanEdit        bool
	FeedURL        string
	ThisWeek       bool
	MemberClassOf  map[string]string
	CurrentWeekURL string
	FeedWeeks      int
}

// weekDay is one column of the week view.
type weekDay struct {
	Date   time.Time
	Today  bool
	Blocks []weekBlock
}

// weekBlock is a shift within one day.
type weekBlock struct {
	From, To string // local clock times, "24:00" for the next midnight
	Member   string
	// Local and Domain are Member's two parts: seven columns show the
	// local part only, the whole address in its title.
	Local, Domain string
	Class         string // the member's colour
	Now           bool
	Continues     bool // the shift began on an earlier day
	ContinuesOn   bool // and goes on after this day
}

func (s *Server) handleOnCallWeek(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderWeek(w, r, data, "")
}

func (s *Server) renderWeek(w http.ResponseWriter, r *http.Request, data pageData, feedURL string) {
	sc, err := s.scheduleOfPath(r)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	if sc.Definition == nil {
		s.renderError(w, r, tandem.Errorf(tandem.EFORBIDDEN, "The provider's on-call schedule %q shows its name to internal staff, not who is on call.", sc.Name), data)
		return
	}
	parsed, err := oncall.Parse(sc.Definition)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	loc := parsed.Location()
	now := s.now().In(loc)
	start := mondayOf(now)
	if v := r.URL.Query().Get("week"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil || d.Year() < 2000 || d.Year() > 2199 {
			s.renderError(w, r, tandem.Errorf(tandem.EINVALID, "week %q is not a date; write YYYY-MM-DD.", v), data)
			return
		}
		start = mondayOf(d)
	}
	end := start.AddDate(0, 0, 7)
	// A day either side, so a shift running over the week's edges is
	// marked as continuing.
	shifts, err := s.OnCallService.OnCallShifts(r.Context(), sc.ID, start.AddDate(0, 0, -1), end.AddDate(0, 0, 1))
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	view := weekView{
		Schedule: sc, CanEdit: canManageScheduleUI(data.Actor, sc), FeedURL: feedURL,
		Prev:           "/oncall/" + itoa64(sc.ID) + "?week=" + start.AddDate(0, 0, -7).Format(time.DateOnly),
		Next:           "/oncall/" + itoa64(sc.ID) + "?week=" + end.Format(time.DateOnly),
		CurrentWeekURL: "/oncall/" + itoa64(sc.ID),
		Label:          start.Format("2 Jan") + " – " + end.AddDate(0, 0, -1).Format("2 Jan 2006"),
		ThisWeek:       !now.Before(start) && now.Before(end),
		MemberClassOf:  map[string]string{},
		FeedWeeks:      tandem.OnCallFeedWeeks,
	}
	for i, m := range parsed.Members() {
		view.MemberClassOf[m] = "member-" + strconv.Itoa(i%8)
	}
	view.NowMember = parsed.Who(now)
	for d := 0; d < 7; d++ {
		dayStart, dayEnd := start.AddDate(0, 0, d), start.AddDate(0, 0, d+1)
		day := weekDay{Date: dayStart, Today: !now.Before(dayStart) && now.Before(dayEnd)}
		for _, sh := range shifts {
			if !sh.To.After(dayStart) || !sh.From.Before(dayEnd) {
				continue
			}
			b := weekBlock{Member: sh.Member, Class: view.MemberClassOf[sh.Member],
				// Only the day's part of a shift that holds now is marked.
				Now:       !now.Before(maxInstant(sh.From, dayStart)) && now.Before(minInstant(sh.To, dayEnd)),
				Continues: sh.From.Before(dayStart), ContinuesOn: sh.To.After(dayEnd)}
			b.From = dayClock(maxInstant(sh.From, dayStart).In(loc), dayStart)
			b.To = dayClock(minInstant(sh.To, dayEnd).In(loc), dayStart)
			b.Local, b.Domain, _ = strings.Cut(sh.Member, "@")
			if b.Member == "" {
				b.Class = "nobody"
			}
			day.Blocks = append(day.Blocks, b)
		}
		view.Days = append(view.Days, day)
	}
	data.Title, data.Data = sc.Name, view
	s.render(w, r, http.StatusOK, "oncall_week", data)
}

// canManageScheduleUI mirrors the service's rule to offer the edit links.
func canManageScheduleUI(a *tandem.Actor, sc *tandem.OnCallSchedule) bool {
	if a.Party != sc.Party {
		return false
	}
	var org int64
	if sc.OrganizationID != nil {
		org = *sc.OrganizationID
	}
	return a.Can(tandem.ActionOnCallManage, org) == nil
}

// mondayOf is the local midnight starting t's week (Monday).
func mondayOf(t time.Time) time.Time {
	back := (int(t.Weekday()) + 6) % 7
	d := t.AddDate(0, 0, -back)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, t.Location())
}

// dayClock is t's local time of day, "24:00" when it is the next day's
// midnight.
func dayClock(t, dayStart time.Time) string {
	if t.Day() != dayStart.Day() && t.Hour() == 0 && t.Minute() == 0 {
		return "24:00"
	}
	return t.Format("15:04")
}

func maxInstant(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minInstant(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
