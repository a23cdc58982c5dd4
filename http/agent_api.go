package http

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

// The agents' protocol, /agent/v1 (docs/AGENT_PROTOCOL.md): JSON bodies,
// gzip or not, decoded strictly by agentproto; the agent's credential as a
// bearer token. A 2xx means stored: the services answer once the write is
// committed.
func (s *Server) registerAgentRoutes() {
	s.handle("POST "+agentproto.PathEnroll, s.handleAgentEnroll)
	s.handle("POST "+agentproto.PathCheckin, s.handleAgentCheckin)
	s.handle("POST "+agentproto.PathInventory, s.handleAgentInventory)
	s.handle("GET "+agentproto.PathPrefix+"/download/{target}", s.handleAgentDownload)
}

// agentBody reads and decodes a message with decode, or answers the
// error itself and returns false.
func agentBody[T any](s *Server, w http.ResponseWriter, r *http.Request, limit int, decode func([]byte) (*T, error)) (*T, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "Content-Type %q is not supported; send application/json.", ct))
		return nil, false
	}
	data, err := agentproto.Body(r.Body, r.Header.Get("Content-Encoding"), limit)
	if err == nil {
		var m *T
		if m, err = decode(data); err == nil {
			return m, true
		}
	}
	var perr *agentproto.Error
	switch {
	case errors.Is(err, agentproto.ErrTooLarge):
		s.writeError(w, r, tandem.Errorf(tandem.ETOOLARGE, "The message is larger than %d bytes; the agent should never send one this size.", limit))
	case errors.As(err, &perr):
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "%s.", perr.Error()))
	default:
		s.writeError(w, r, tandem.Errorf(tandem.EBADREQUEST, "The message could not be read: %v.", err))
	}
	return nil, false
}

// agentCredential is the bearer credential of an agent's request.
func agentCredential(r *http.Request) string {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}

func (s *Server) handleAgentEnroll(w http.ResponseWriter, r *http.Request) {
	m, ok := agentBody(s, w, r, agentproto.MaxEnrollBytes, agentproto.DecodeEnroll)
	if !ok {
		return
	}
	resp, err := s.AgentService.Enroll(r.Context(), m, sourceAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) handleAgentCheckin(w http.ResponseWriter, r *http.Request) {
	cred := agentCredential(r)
	if cred == "" {
		s.writeError(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "Send the agent's credential as Authorization: Bearer <credential>."))
		return
	}
	m, ok := agentBody(s, w, r, agentproto.MaxCheckinBytes, agentproto.DecodeCheckin)
	if !ok {
		return
	}
	resp, err := s.AgentService.Checkin(r.Context(), cred, m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleAgentInventory(w http.ResponseWriter, r *http.Request) {
	cred := agentCredential(r)
	if cred == "" {
		s.writeError(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "Send the agent's credential as Authorization: Bearer <credential>."))
		return
	}
	m, ok := agentBody(s, w, r, agentproto.MaxInventoryBytes, agentproto.DecodeInventory)
	if !ok {
		return
	}
	resp, err := s.AgentService.Inventory(r.Context(), cred, m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
