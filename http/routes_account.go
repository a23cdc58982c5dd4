package http

func (s *Server) registerAccountRoutes() {}
