package localcheck

import (
	"context"
	"fmt"

	"github.com/tandemhq/tandem/agentproto"
)

// running judges a service or process check: failing when the service or
// process name is not running, an error when the machine cannot tell.
func running(ctx context.Context, what, name string, ask func(context.Context, string) (bool, error)) (agentproto.CheckState, string) {
	if name == "" {
		return agentproto.CheckError, fmt.Sprintf("the check names no %s to watch", what)
	}
	up, err := ask(ctx, name)
	switch {
	case err != nil:
		return agentproto.CheckError, err.Error()
	case up:
		return agentproto.CheckOK, fmt.Sprintf("%s %s is running", what, name)
	}
	return agentproto.CheckFailing, fmt.Sprintf("%s %s is not running", what, name)
}
