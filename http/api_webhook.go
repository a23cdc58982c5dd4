package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

// The webhooks API: provider admins manage the provider's webhooks and
// read every organisation's; an organisation's IT admins manage its own.
// The secret is in the answer of the create and of rotate-secret only.

func (s *Server) registerWebhookRoutes() {
	s.handle("GET /api/v1/webhooks", s.api(s.handleWebhookList))
	s.handle("POST /api/v1/webhooks", s.api(s.handleWebhookCreate))
	s.handle("GET /api/v1/webhooks/{id}", s.api(s.handleWebhookGet))
	s.handle("PATCH /api/v1/webhooks/{id}", s.api(s.handleWebhookUpdate))
	s.handle("DELETE /api/v1/webhooks/{id}", s.api(s.handleWebhookDelete))
	s.handle("POST /api/v1/webhooks/{id}/rotate-secret", s.api(s.handleWebhookRotate))
	s.handle("POST /api/v1/webhooks/{id}/test", s.api(s.handleWebhookTest))
	s.handle("GET /api/v1/webhooks/{id}/deliveries", s.api(s.handleWebhookDeliveries))
	s.registerWebhookUIRoutes()
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	orgID, err := queryID(r, "organization_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.WebhookService.FindWebhooks(r.Context(), orgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// webhookRequest is the body of POST /webhooks; on PATCH every field is
// optional and organization_id is refused (a webhook stays whose it is).
type webhookRequest struct {
	OrganizationID *int64                     `json:"organization_id"`
	Name           *string                    `json:"name"`
	URL            *string                    `json:"url"`
	Format         *tandem.WebhookFormat      `json:"format"`
	Kinds          *[]tandem.NotificationKind `json:"kinds"`
	Active         *bool                      `json:"active"`
	AllowPrivate   *bool                      `json:"allow_private"`
}

// apply sets the fields the request holds on h.
func (req *webhookRequest) apply(h *tandem.Webhook) {
	if req.Name != nil {
		h.Name = *req.Name
	}
	if req.URL != nil {
		h.URL = *req.URL
	}
	if req.Format != nil {
		h.Format = *req.Format
	}
	if req.Kinds != nil {
		h.Kinds = *req.Kinds
	}
	if req.Active != nil {
		h.Active = *req.Active
	}
	if req.AllowPrivate != nil {
		h.AllowPrivate = *req.AllowPrivate
	}
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	var req webhookRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := &tandem.Webhook{OrganizationID: req.OrganizationID, Format: tandem.WebhookJSON, Active: true}
	req.apply(h)
	if err := s.WebhookService.CreateWebhook(r.Context(), h); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) handleWebhookGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.WebhookService.FindWebhook(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) handleWebhookUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req webhookRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.WebhookService.FindWebhook(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.OrganizationID != nil {
		s.writeError(w, r, tandem.Errorf(tandem.EINVALID, "organization_id cannot change: delete the webhook and create it where it belongs."))
		return
	}
	req.apply(h)
	if err := s.WebhookService.UpdateWebhook(r.Context(), h); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.WebhookService.DeleteWebhook(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	plain, err := s.WebhookService.RotateWebhookSecret(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": plain})
}

func (s *Server) handleWebhookTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.WebhookService.TestWebhook(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, n)
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "webhook")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, _, err := page(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.WebhookService.FindDeliveries(r.Context(), id, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}
