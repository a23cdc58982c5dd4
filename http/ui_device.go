package http

func (s *Server) registerDeviceUIRoutes() {}
