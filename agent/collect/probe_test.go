package collect

import "github.com/tandemhq/tandem/agent/localcheck"

// The agent hands a Probe to the local checks.
var _ localcheck.Facts = Probe{}
