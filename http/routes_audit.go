package http

// registerAuditRoutes serves the audit trail: read-only, there is no route
// that edits or deletes an entry.
func (s *Server) registerAuditRoutes() {
	s.handle("GET /api/v1/audit", s.api(s.handleAuditList)) // api_audit.go
	s.handle("GET /audit", s.page(s.handleAuditPage))       // ui_audit.go
	s.handle("GET /audit/export", s.page(s.handleAuditExportPage))
}
