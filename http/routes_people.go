package http

func (s *Server) registerPeopleRoutes() {}
