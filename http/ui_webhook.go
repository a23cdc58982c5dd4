package http

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/tandemhq/tandem"
)

// The webhook settings: /settings/webhooks, the provider's webhooks (for
// provider admins, with every organisation's listed), and
// /orgs/{slug}/webhooks, an organisation's (managed by its IT admins).
// Each webhook has its page (/webhooks/{id}: the form, a new secret, send
// a test, delete) and its delivery log (/webhooks/{id}/deliveries). A
// secret is shown once, in the answer of the create or the rotation that
// made it.

func (s *Server) registerWebhookUIRoutes() {
	s.handle("GET /settings/webhooks", s.page(s.handleWebhooksPage))
	s.handle("POST /settings/webhooks", s.page(s.handleWebhookCreateForm))
	s.handle("GET /orgs/{slug}/webhooks", s.page(s.withOrg(s.handleOrgWebhooksPage)))
	s.handle("POST /orgs/{slug}/webhooks", s.page(s.withOrg(s.handleOrgWebhookCreateForm)))
	s.handle("GET /webhooks/{id}", s.page(s.handleWebhookPage))
	s.handle("POST /webhooks/{id}", s.page(s.handleWebhookUpdateForm))
	s.handle("POST /webhooks/{id}/delete", s.page(s.handleWebhookDeleteForm))
	s.handle("POST /webhooks/{id}/rotate-secret", s.page(s.handleWebhookRotateForm))
	s.handle("POST /webhooks/{id}/test", s.page(s.handleWebhookTestForm))
	s.handle("GET /webhooks/{id}/deliveries", s.page(s.handleWebhookDeliveriesPage))
}

// webhookKindBox is one kind's checkbox of the form.
type webhookKindBox struct {
	Kind    tandem.NotificationKind
	Label   string
	Checked bool
}

// webhookKindLabels say what each kind a webhook may take tells.
var webhookKindLabels = map[tandem.NotificationKind]string{
	tandem.NotifyNewTicket:       "New ticket in a queue",
	tandem.NotifyMajorTicket:     "New P1 or P2 ticket",
	tandem.NotifyHandoff:         "Handoff waiting",
	tandem.NotifyAssigned:        "Ticket assigned",
	tandem.NotifyWatchedComment:  "Comment on a watched ticket",
	tandem.NotifyReply:           "Public reply",
	tandem.NotifyResolved:        "Ticket resolved",
	tandem.NotifyPendingCustomer: "Waiting on the requester",
	tandem.NotifySLAWarning:      "SLA warning",
	tandem.NotifySLABreach:       "SLA breach",
	tandem.NotifyOLABreach:       "OLA breach",
	tandem.NotifyDeliveryFailed:  "Delivery failed",
	tandem.NotifyEscalation:      "Escalation",
	tandem.NotifyWebhookTest:     "Test",
}

// webhookForm is the create and edit form's state.
type webhookForm struct {
	Action       string
	Name, URL    string
	Format       tandem.WebhookFormat
	Formats      []tandem.WebhookFormat
	Kinds        []webhookKindBox
	Active       bool
	AllowPrivate bool
	// Private says the viewer may allow private ranges (provider admins).
	Private bool
	// Manage says the viewer may change the webhook: else the form is
	// shown disabled.
	Manage bool
}

// webhookPage is what webhooks.html renders: a list or one webhook.
type webhookPage struct {
	List *webhooksView
	One  *webhookView
}

func newWebhookForm(a *tandem.Actor, action string, h *tandem.Webhook, manage bool) *webhookForm {
	f := &webhookForm{Action: action, Name: h.Name, URL: h.URL, Format: h.Format, Formats: tandem.WebhookFormats, Active: h.Active,
		AllowPrivate: h.AllowPrivate, Private: a.IsProviderAdmin(), Manage: manage}
	for _, k := range tandem.WebhookKinds {
		f.Kinds = append(f.Kinds, webhookKindBox{Kind: k, Label: webhookKindLabels[k], Checked: slices.Contains(h.Kinds, k)})
	}
	return f
}

// readWebhookForm reads a posted form onto h.
func readWebhookForm(w http.ResponseWriter, r *http.Request, h *tandem.Webhook) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	_ = r.ParseForm()
	h.Name, h.URL, h.Format = r.PostFormValue("name"), r.PostFormValue("url"), tandem.WebhookFormat(r.PostFormValue("format"))
	h.Active, h.AllowPrivate = r.PostFormValue("active") != "", r.PostFormValue("allow_private") != ""
	h.Kinds = nil
	for _, k := range r.PostForm["kinds"] {
		h.Kinds = append(h.Kinds, tandem.NotificationKind(k))
	}
}

// webhookRow is one webhook of a list, with whose it is.
type webhookRow struct {
	*tandem.Webhook
	Owner string
}

// webhooksView is what webhooks.html renders.
type webhooksView struct {
	Org     *tandem.Organization // nil: the provider's page
	Own     []webhookRow         // the page's webhooks
	Others  []webhookRow         // on the provider's page, every organisation's
	Manage  bool
	New     *webhookForm
	Heading string
}

// renderWebhooks renders the list page of org's webhooks (nil: the
// provider's), with the new webhook's form as h holds it.
func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization, h *tandem.Webhook, status int) {
	a := data.Actor
	var orgID *int64
	action, manage := "/settings/webhooks", a.CanManageWebhook(&tandem.Webhook{}) == nil
	v := &webhooksView{Org: org, Heading: "Provider webhooks"}
	if org != nil {
		orgID, action, v.Heading = &org.ID, "/orgs/"+org.Slug+"/webhooks", "Webhooks of "+org.Name
		manage = a.CanManageWebhook(&tandem.Webhook{OrganizationID: &org.ID}) == nil
	} else if err := a.Can(tandem.ActionProviderManage, 0); err != nil {
		s.renderError(w, r, err, data)
		return
	}
	list, err := s.WebhookService.FindWebhooks(r.Context(), orgID)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	names := map[int64]string{}
	for _, o := range data.Organizations {
		names[o.ID] = o.Name
	}
	for _, h := range list {
		row := webhookRow{Webhook: h, Owner: "Provider"}
		if h.OrganizationID != nil {
			row.Owner = names[*h.OrganizationID]
		}
		if org == nil && h.OrganizationID != nil {
			v.Others = append(v.Others, row)
		} else {
			v.Own = append(v.Own, row)
		}
	}
	v.Manage = manage
	if h == nil {
		h = &tandem.Webhook{Format: tandem.WebhookJSON, Active: true}
	}
	v.New = newWebhookForm(a, action, h, manage)
	data.Title, data.Data = v.Heading, &webhookPage{List: v}
	s.render(w, r, status, "webhooks", data)
}

func (s *Server) handleWebhooksPage(w http.ResponseWriter, r *http.Request, data pageData) {
	s.renderWebhooks(w, r, data, nil, nil, http.StatusOK)
}

func (s *Server) handleOrgWebhooksPage(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	s.renderWebhooks(w, r, data, org, nil, http.StatusOK)
}

func (s *Server) handleWebhookCreateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	s.createWebhook(w, r, data, nil)
}

func (s *Server) handleOrgWebhookCreateForm(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	s.createWebhook(w, r, data, org)
}

// createWebhook creates the posted webhook for org (nil: the provider) and
// shows its page with the secret, once; a refusal shows the list with the
// form as it was sent.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, data pageData, org *tandem.Organization) {
	h := &tandem.Webhook{}
	readWebhookForm(w, r, h)
	if org != nil {
		h.OrganizationID = &org.ID
	}
	if err := s.WebhookService.CreateWebhook(r.Context(), h); err != nil {
		s.deskFormError(w, r, data, err, func(d pageData, status int) { s.renderWebhooks(w, r, d, org, h, status) })
		return
	}
	data.Notice = "Webhook " + h.Name + " created. Copy its secret now: it is not shown again."
	w.Header().Set("HX-Push-Url", "/webhooks/"+strconv.FormatInt(h.ID, 10))
	s.renderWebhook(w, r, data, h, h.Secret, http.StatusCreated)
}

// webhookView is what webhook.html renders.
type webhookView struct {
	Webhook *tandem.Webhook
	Owner   string
	Back    string // the list it belongs to
	Form    *webhookForm
	Manage  bool
	// Secret is a secret just made, shown this once.
	Secret string
}

// webhookOwner names whose the webhook is and links its list; an
// organisation's webhook's pages are that organisation's (data.Current).
func webhookOwner(data *pageData, h *tandem.Webhook) (name, list string) {
	if h.OrganizationID == nil {
		return "the provider", "/settings/webhooks"
	}
	for _, o := range data.Organizations {
		if o.ID == *h.OrganizationID {
			data.Current = o
			return o.Name, "/orgs/" + o.Slug + "/webhooks"
		}
	}
	return "organisation " + strconv.FormatInt(*h.OrganizationID, 10), "/"
}

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, data pageData, h *tandem.Webhook, secret string, status int) {
	v := &webhookView{Webhook: h, Secret: secret, Manage: data.Actor.CanManageWebhook(h) == nil}
	v.Owner, v.Back = webhookOwner(&data, h)
	v.Form = newWebhookForm(data.Actor, "/webhooks/"+strconv.FormatInt(h.ID, 10), h, v.Manage)
	data.Title, data.Data = "Webhook "+h.Name, &webhookPage{One: v}
	s.render(w, r, status, "webhooks", data)
}

// webhookFromPath reads the webhook of the {id} in the path.
func (s *Server) webhookFromPath(w http.ResponseWriter, r *http.Request, data pageData) (*tandem.Webhook, bool) {
	id, err := pathID(r, "webhook")
	if err == nil {
		var h *tandem.Webhook
		if h, err = s.WebhookService.FindWebhook(r.Context(), id); err == nil {
			return h, true
		}
	}
	s.renderError(w, r, err, data)
	return nil, false
}

func (s *Server) handleWebhookPage(w http.ResponseWriter, r *http.Request, data pageData) {
	if h, ok := s.webhookFromPath(w, r, data); ok {
		s.renderWebhook(w, r, data, h, "", http.StatusOK)
	}
}

func (s *Server) handleWebhookUpdateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	h, ok := s.webhookFromPath(w, r, data)
	if !ok {
		return
	}
	readWebhookForm(w, r, h)
	if err := s.WebhookService.UpdateWebhook(r.Context(), h); err != nil {
		s.deskFormError(w, r, data, err, func(d pageData, status int) { s.renderWebhook(w, r, d, h, "", status) })
		return
	}
	http.Redirect(w, r, "/webhooks/"+strconv.FormatInt(h.ID, 10), http.StatusSeeOther)
}

func (s *Server) handleWebhookDeleteForm(w http.ResponseWriter, r *http.Request, data pageData) {
	h, ok := s.webhookFromPath(w, r, data)
	if !ok {
		return
	}
	_, list := webhookOwner(&data, h)
	if err := s.WebhookService.DeleteWebhook(r.Context(), h.ID); err != nil {
		s.deskFormError(w, r, data, err, func(d pageData, status int) { s.renderWebhook(w, r, d, h, "", status) })
		return
	}
	http.Redirect(w, r, list, http.StatusSeeOther)
}

func (s *Server) handleWebhookRotateForm(w http.ResponseWriter, r *http.Request, data pageData) {
	h, ok := s.webhookFromPath(w, r, data)
	if !ok {
		return
	}
	secret, err := s.WebhookService.RotateWebhookSecret(r.Context(), h.ID)
	if err != nil {
		s.deskFormError(w, r, data, err, func(d pageData, status int) { s.renderWebhook(w, r, d, h, "", status) })
		return
	}
	data.Notice = "A new secret signs every request from now on; the old one no longer does. Copy it now: it is not shown again."
	w.Header().Set("HX-Push-Url", "/webhooks/"+strconv.FormatInt(h.ID, 10))
	s.renderWebhook(w, r, data, h, secret, http.StatusOK)
}

func (s *Server) handleWebhookTestForm(w http.ResponseWriter, r *http.Request, data pageData) {
	h, ok := s.webhookFromPath(w, r, data)
	if !ok {
		return
	}
	if _, err := s.WebhookService.TestWebhook(r.Context(), h.ID); err != nil {
		s.deskFormError(w, r, data, err, func(d pageData, status int) { s.renderWebhook(w, r, d, h, "", status) })
		return
	}
	http.Redirect(w, r, "/webhooks/"+strconv.FormatInt(h.ID, 10)+"/deliveries", http.StatusSeeOther)
}

// deliveriesView is what webhook_deliveries.html renders.
type deliveriesView struct {
	Webhook    *tandem.Webhook
	Owner      string
	Back       string
	Manage     bool
	Deliveries []*tandem.Notification
	Labels     map[tandem.NotificationKind]string
}

func (s *Server) handleWebhookDeliveriesPage(w http.ResponseWriter, r *http.Request, data pageData) {
	h, ok := s.webhookFromPath(w, r, data)
	if !ok {
		return
	}
	list, err := s.WebhookService.FindDeliveries(r.Context(), h.ID, 100)
	if err != nil {
		s.renderError(w, r, err, data)
		return
	}
	v := &deliveriesView{Webhook: h, Deliveries: list, Labels: webhookKindLabels, Manage: data.Actor.CanManageWebhook(h) == nil}
	v.Owner, v.Back = webhookOwner(&data, h)
	data.Title, data.Data = "Deliveries of "+h.Name, v
	s.render(w, r, http.StatusOK, "webhook_deliveries", data)
}
