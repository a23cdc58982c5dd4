package http

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/tandemhq/tandem"
)

// The agent's binaries, offered by the server so that an install command is
// one line: GET /agent/v1/download/{target} serves
// tandem-agent-{target}[.exe] from Server.AgentDir (docs/AGENT_PROTOCOL.md).

// agentTargets are the operating systems and architectures tandem-agent is
// built for.
var agentTargets = []string{"linux-amd64", "linux-arm64", "windows-amd64", "windows-arm64", "darwin-amd64", "darwin-arm64"}

// agentFileName is the name of a target's binary in AgentDir.
func agentFileName(target string) string {
	name := "tandem-agent-" + target
	if len(target) > 8 && target[:8] == "windows-" {
		name += ".exe"
	}
	return name
}

// agentBinary is the path of a target's binary, "" when the server has none.
func (s *Server) agentBinary(target string) string {
	if s.AgentDir == "" || !slices.Contains(agentTargets, target) {
		return ""
	}
	p := filepath.Join(s.AgentDir, agentFileName(target))
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return p
}

func (s *Server) handleAgentDownload(w http.ResponseWriter, r *http.Request) {
	target := r.PathValue("target")
	if !slices.Contains(agentTargets, target) {
		s.writeError(w, r, tandem.Errorf(tandem.ENOTFOUND, "There is no tandem-agent for %q: the targets are linux-amd64, linux-arm64, windows-amd64, windows-arm64, darwin-amd64 and darwin-arm64.", target))
		return
	}
	p := s.agentBinary(target)
	if p == "" {
		s.writeError(w, r, tandem.Errorf(tandem.ENOTFOUND, "This server has no tandem-agent for %s: its administrator puts %s in the server's agent directory (tandem serve --agent-dir).", target, agentFileName(target)))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+agentFileName(target)+`"`)
	http.ServeFile(w, r, p)
}
