package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// auditSentence is an entry told as a person would tell it:
// Actor Before [Target] After, e.g. "Grace Lin set [ticket #12]'s status to
// resolved." The target links to what it names where the viewer may see it.
type auditSentence struct {
	Actor         string
	Before, After string
	TargetLabel   string
	TargetURL     string
	Fields        []auditField // what the sentence does not say, as a two-column list
}

// auditField is one line of an entry's list of changed fields. Exactly one
// of Time, JSON and Text is shown; URL links Text.
type auditField struct {
	Label string
	Text  string
	URL   string
	Time  *time.Time
	JSON  string // nested values, indented; they scroll inside their cell
}

// auditNames resolves the ids in entries to names and links, under the
// viewer's scope, asking for each user once per page.
type auditNames struct {
	ctx    context.Context
	users  tandem.UserService
	viewer *tandem.Actor
	orgs   map[int64]*tandem.Organization
	people map[int64]*tandem.User // nil: not visible to the viewer
}

func newAuditNames(ctx context.Context, users tandem.UserService, viewer *tandem.Actor, orgs []*tandem.Organization) *auditNames {
	n := &auditNames{ctx: ctx, users: users, viewer: viewer, orgs: map[int64]*tandem.Organization{}, people: map[int64]*tandem.User{}}
	for _, o := range orgs {
		n.orgs[o.ID] = o
	}
	return n
}

// user returns the user with the id when the viewer may see them, else nil.
func (n *auditNames) user(id int64) *tandem.User {
	if u, ok := n.people[id]; ok {
		return u
	}
	u, err := n.users.FindUserByID(n.ctx, id)
	if err != nil {
		u = nil
	}
	n.people[id] = u
	return u
}

// userLabel names a user: their name, else their address, else their id
// when the viewer may not see them.
func (n *auditNames) userLabel(id int64, fallback string) (label, url string) {
	u := n.user(id)
	switch {
	case u != nil && u.Name != "":
		return u.Name, n.peopleURL(u)
	case u != nil:
		return u.Email, n.peopleURL(u)
	case fallback != "":
		return fallback, ""
	}
	return "user #" + strconv.FormatInt(id, 10), ""
}

// peopleURL is the people page that lists u, when the viewer has one.
func (n *auditNames) peopleURL(u *tandem.User) string {
	if u.OrganizationID == nil {
		if n.viewer.Party == tandem.PartyProvider {
			return "/provider/people"
		}
		return ""
	}
	if o := n.orgs[*u.OrganizationID]; o != nil {
		return "/orgs/" + o.Slug + "/people"
	}
	return ""
}

// orgPage is a page of the entry's organisation (suffix "" for its home),
// when the viewer's switcher lists it.
func (n *auditNames) orgPage(id *int64, suffix string) string {
	if id == nil || n.orgs[*id] == nil {
		return ""
	}
	return "/orgs/" + n.orgs[*id].Slug + suffix
}

// auditPhrases say what each action did, with %s where its target goes; a
// phrase without %s names no target (the actor acted on themselves).
var auditPhrases = map[string]string{
	"ticket.create":               "opened %s",
	"ticket.comment":              "commented on %s",
	"ticket.attachment":           "attached a file to %s",
	"ticket.handoff.request":      "asked to hand %s over",
	"ticket.handoff.answer":       "answered the hand-over request of %s",
	"ticket.watcher.add":          "added a watcher to %s",
	"ticket.watcher.remove":       "removed a watcher from %s",
	"ticket.time.add":             "logged time on %s",
	"sla.warning":                 "warned that an SLA of %s is close to its deadline",
	"sla.breach":                  "recorded that an SLA of %s was breached",
	"escalation_policy.create":    "created %s",
	"escalation_policy.delete":    "deleted %s",
	"incident.start":              "started %s",
	"incident.step":               "took the next step of %s",
	"incident.acknowledge":        "acknowledged %s",
	"incident.reassign":           "reassigned the ticket of %s and acknowledged it",
	"incident.escalate":           "escalated %s by hand",
	"incident.resolve":            "ended %s: its ticket was resolved",
	"incident.exhausted":          "recorded that %s ran out of levels",
	"matrix.propose":              "proposed %s",
	"matrix.sign":                 "signed %s",
	"matrix.accept":               "put %s in force",
	"matrix.withdraw":             "withdrew %s",
	"area.create":                 "created %s",
	"calendar.create":             "created %s",
	"calendar.delete":             "deleted %s",
	"calendar.import_holidays":    "imported holidays into %s",
	"organization.create":         "created %s",
	"provider.create":             "created %s",
	"setup.link":                  "made a setup link",
	"setup.complete":              "completed the setup as %s",
	"user.create":                 "created %s",
	"user.password_change":        "changed their password",
	"user.password_change_failed": "failed to change their password",
	"invitation.create":           "created %s",
	"invitation.revoke":           "revoked %s",
	"invitation.accept":           "accepted an invitation and joined as %s",
	"session.login":               "signed in",
	"session.login_failed":        "failed to sign in",
	"session.mfa_failed":          "failed a two-factor check",
	"session.mfa_verified":        "passed the two-factor check",
	"session.revoke":              "ended a session",
	"session.revoke_others":       "ended their other sessions",
	"session.revoke_all":          "ended every session of %s",
	"mfa.enable":                  "turned on two-factor authentication",
	"mfa.enable_failed":           "failed to turn on two-factor authentication",
	"mfa.disable":                 "turned off two-factor authentication",
	"mfa.disable_failed":          "failed to turn off two-factor authentication",
	"mfa.recovery_codes":          "made new recovery codes",
	"mfa.recovery_codes_failed":   "failed to make new recovery codes",
	"mfa.reset":                   "reset two-factor authentication of %s",
	"token.create":                "created %s",
	"token.revoke":                "revoked %s",
	"generate":                    "generated synthetic demo data",
}

// auditActions lists the actions the page can describe, for the action
// filter's suggestions.
func auditActions() []string {
	list := make([]string, 0, len(auditPhrases)+8)
	for a := range auditPhrases {
		list = append(list, a)
	}
	list = append(list, "ticket.update", "organization.update", "organization.require_mfa", "provider.require_mfa",
		"user.update", "area.update", "calendar.update", "sla_policy.update", "escalation_policy.update")
	slices.Sort(list)
	return list
}

// describe tells one entry as a sentence and a list of what else changed.
func (n *auditNames) describe(e *tandem.AuditEntry) auditSentence {
	var s auditSentence
	switch {
	case e.ActorUserID != nil:
		s.Actor, _ = n.userLabel(*e.ActorUserID, e.ActorEmail)
	case e.ActorParty == "system":
		s.Actor = "Tandem"
	default:
		s.Actor = "Someone"
	}
	summary, raw := decodeSummary(e.Summary)
	used := map[string]bool{}
	take := func(key string) (any, bool) {
		v, ok := summary[key]
		if ok {
			used[key] = true
		}
		return v, ok
	}
	s.TargetLabel, s.TargetURL = n.target(e, summary, take)

	phrase, known := auditPhrases[e.Action]
	switch {
	case strings.HasSuffix(e.Action, ".require_mfa"):
		on, _ := take("require_mfa")
		who := "everyone in %s"
		if e.Action == "provider.require_mfa" {
			who = "provider staff"
		}
		if on == true {
			phrase = "required two-factor authentication of " + who
		} else {
			phrase = "stopped requiring two-factor authentication of " + who
		}
	case strings.HasSuffix(e.Action, ".update"):
		phrase = "changed %s"
		key := ""
		if _, ok := summary["status"]; ok {
			key = "status"
		} else if len(summary) == 1 {
			for k := range summary {
				key = k
			}
		}
		v, ok := summary[key]
		switch num, isNum := v.(json.Number); {
		case !ok || key == "":
		case key == "assignee_id" && v == nil:
			take(key)
			phrase = "unassigned %s"
		case key == "assignee_id" && isNum:
			if id, err := num.Int64(); err == nil {
				take(key)
				name, _ := n.userLabel(id, "")
				phrase = "assigned %s to " + name
			}
		default:
			if text, scalar := scalarText(v); scalar && !looksLikeTime(v) && !strings.HasSuffix(key, "_id") {
				take(key)
				phrase = "set %s’s " + strings.ToLower(fieldLabel(key)) + " to " + text
			}
		}
	case e.Action == "ticket.create":
		if title, ok := take("title"); ok {
			if text, _ := scalarText(title); text != "" {
				phrase = "opened %s, “" + text + "”"
			}
		}
	case e.Action == "ticket.time.add":
		if m, ok := take("minutes"); ok {
			if text, _ := scalarText(m); text != "" {
				phrase = "logged " + text + " minutes on %s"
			}
		}
	case e.Action == "session.login_failed":
		if email, ok := take("email"); ok {
			if text, _ := scalarText(email); text != "" {
				phrase = "failed to sign in as " + text
			}
		}
	case !known:
		phrase = "did " + e.Action + " to %s"
	}
	before, after, hasTarget := strings.Cut(phrase, "%s")
	if hasTarget && s.TargetLabel == "" {
		s.TargetLabel = e.Target
	}
	if !hasTarget {
		s.TargetLabel, s.TargetURL = "", ""
	}
	s.Before, s.After = before, after+"."
	if raw != "" {
		s.Fields = []auditField{{Label: "Summary", JSON: raw}}
	}
	// Addresses the sentence already names by a person's name are noise.
	if email, ok := summary["email"]; ok && e.ActorUserID != nil && email == e.ActorEmail && !hasTarget {
		used["email"] = true
	}
	keys := make([]string, 0, len(summary))
	for k := range summary {
		if !used[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	creation := strings.HasSuffix(e.Action, ".create")
	for _, k := range keys {
		// A new thing's empty fields say nothing: no assignee, no tags.
		if list, _ := summary[k].([]any); creation && (summary[k] == nil || list != nil && len(list) == 0) {
			continue
		}
		s.Fields = append(s.Fields, n.field(k, summary[k]))
	}
	return s
}

// target names an entry's target and links it: a ticket to its page, an
// organisation to its home, a matrix version or service area to the
// matrix, a calendar or SLA policy to the SLA page, a user or invitation to
// the people page that lists them.
func (n *auditNames) target(e *tandem.AuditEntry, summary map[string]any, take func(string) (any, bool)) (label, url string) {
	kind, idText, _ := strings.Cut(e.Target, ":")
	id, _ := strconv.ParseInt(idText, 10, 64)
	named := func(key, prefix string) string {
		if v, ok := take(key); ok {
			if text, _ := scalarText(v); text != "" {
				return prefix + text
			}
		}
		return ""
	}
	switch kind {
	case "ticket":
		return "ticket #" + idText, "/tickets/" + idText
	case "organization":
		label = "organisation #" + idText
		if o := n.orgs[id]; o != nil {
			label = o.Name
		} else if name := named("name", ""); name != "" {
			label = name
		}
		return label, n.orgPage(&id, "")
	case "matrix_version":
		label = "a version of the responsibility matrix"
		if v := named("number", ""); v != "" {
			label = "version " + v + " of the responsibility matrix"
		}
		return label, n.orgPage(e.OrganizationID, "/matrix")
	case "service_area":
		label = "service area #" + idText
		if name := named("name", ""); name != "" {
			label = "service area " + name
		}
		return label, n.orgPage(e.OrganizationID, "/matrix")
	case "escalation_policy":
		label = "escalation policy #" + idText
		if name := named("name", ""); name != "" {
			label = "escalation policy " + name
		}
		return label, "/escalation"
	case "incident":
		label = "escalation #" + idText
		if t := named("ticket_id", ""); t != "" {
			return label + " of ticket #" + t, "/tickets/" + t
		}
		return label, ""
	case "calendar":
		label = "calendar #" + idText
		if name := named("name", ""); name != "" {
			label = "calendar " + name
		}
		return label, n.orgPage(e.OrganizationID, "/sla")
	case "sla_policy":
		return "the SLA policy", n.orgPage(e.OrganizationID, "/sla")
	case "user":
		var fallback string
		if v, ok := summary["email"]; ok {
			fallback, _ = scalarText(v)
		}
		return n.userLabel(id, fallback)
	case "invitation":
		label = "invitation #" + idText
		if email := named("email", ""); email != "" {
			label = "an invitation to " + email
		}
		if e.OrganizationID != nil {
			return label, n.orgPage(e.OrganizationID, "/people")
		}
		if n.viewer.Party == tandem.PartyProvider {
			return label, "/provider/people"
		}
		return label, ""
	case "token":
		label = "API token #" + idText
		if name := named("name", ""); name != "" {
			label = "API token “" + name + "”"
		}
		return label, ""
	case "provider":
		if name := named("name", ""); name != "" {
			return "the provider " + name, ""
		}
		return "the provider", ""
	}
	return e.Target, ""
}

// userFields hold a user's id; organisationFields a list of organisation ids.
var (
	userFields         = map[string]bool{"assignee_id": true, "requester_id": true, "user_id": true, "invited_by": true}
	organisationFields = map[string]bool{"assigned_organizations": true}
	fieldLabels        = map[string]string{
		"assignee_id": "Assignee", "requester_id": "Requester", "user_id": "User", "invited_by": "Invited by",
		"area_id": "Service area", "calendar_id": "Calendar", "event_id": "Timeline event", "handoff_id": "Hand-over",
		"time_entry_id": "Time entry", "first_response_at": "First response", "expires_at": "Expires",
		"assigned_organizations": "Assigned organisations", "owning_party": "Owning party",
		"require_mfa": "Two-factor required", "read_only": "Read only", "spent_on": "Spent on",
		"sessions_ended": "Sessions ended", "recovery_codes": "Recovery codes", "olas": "OLAs",
	}
)

// fieldLabel is how a summary key reads: "owning_party" as "Owning party".
func fieldLabel(key string) string {
	if l, ok := fieldLabels[key]; ok {
		return l
	}
	l := strings.ReplaceAll(key, "_", " ")
	if l == "" {
		return l
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// field shows one summary value: a person by name, organisations by name, an
// instant in the viewer's zone (by the template), a list joined, anything
// nested as indented JSON.
func (n *auditNames) field(key string, v any) auditField {
	f := auditField{Label: fieldLabel(key)}
	if num, ok := v.(json.Number); ok && userFields[key] {
		if id, err := num.Int64(); err == nil {
			f.Text, f.URL = n.userLabel(id, "")
			return f
		}
	}
	if list, ok := v.([]any); ok && organisationFields[key] {
		names := make([]string, 0, len(list))
		for _, x := range list {
			text, _ := scalarText(x)
			if num, ok := x.(json.Number); ok {
				if id, err := num.Int64(); err == nil && n.orgs[id] != nil {
					text = n.orgs[id].Name
				}
			}
			names = append(names, text)
		}
		f.Text = strings.Join(names, ", ")
		if f.Text == "" {
			f.Text = "none"
		}
		return f
	}
	if looksLikeTime(v) {
		at, _ := time.Parse(time.RFC3339Nano, v.(string))
		f.Time = &at
		return f
	}
	if text, ok := scalarText(v); ok {
		f.Text = text
		return f
	}
	if list, ok := v.([]any); ok {
		texts := make([]string, 0, len(list))
		for _, x := range list {
			text, ok := scalarText(x)
			if !ok {
				texts = nil
				break
			}
			texts = append(texts, text)
		}
		if texts != nil || len(list) == 0 {
			f.Text = strings.Join(texts, ", ")
			if f.Text == "" {
				f.Text = "none"
			}
			return f
		}
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	f.JSON = string(b)
	return f
}

// decodeSummary reads a summary object with its numbers kept as written;
// raw is the summary as indented JSON when it is not an object.
func decodeSummary(summary json.RawMessage) (fields map[string]any, raw string) {
	d := json.NewDecoder(bytes.NewReader(summary))
	d.UseNumber()
	if err := d.Decode(&fields); err == nil && fields != nil {
		return fields, ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, summary, "", "  ") != nil {
		return nil, string(summary)
	}
	if buf.Len() == 0 || buf.String() == "null" {
		return nil, ""
	}
	return nil, buf.String()
}

// scalarText shows a JSON scalar: strings as they are, numbers as written,
// yes and no, "none" for null. ok is false for lists and objects.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "none", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "yes", true
		}
		return "no", true
	}
	return fmt.Sprint(v), false
}

// looksLikeTime reports a string that is an RFC 3339 instant, which the page
// shows in the viewer's zone.
func looksLikeTime(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len("2006-01-02T15:04:05Z") || s[10] != 'T' {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
