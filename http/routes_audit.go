package http

func (s *Server) registerAuditRoutes() {}
