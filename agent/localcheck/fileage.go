package localcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// fileAge judges a file_age check, typically that last night's backup
// was written: failing when the file Target is missing or was last
// modified more than Hours ago; an error when it cannot be looked at
// (permission denied). A file modified in the future (a clock set back)
// counts as new.
func fileAge(now time.Time, c agentproto.Check, facts Facts) (agentproto.CheckState, string) {
	if c.Target == "" {
		return agentproto.CheckError, "the check names no file to watch"
	}
	if c.Hours <= 0 {
		return agentproto.CheckError, "the check sets no maximum age in hours"
	}
	mod, err := facts.FileModTime(c.Target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return agentproto.CheckFailing, fmt.Sprintf("%s does not exist", c.Target)
	case err != nil:
		return agentproto.CheckError, err.Error()
	}
	age := max(now.Sub(mod), 0)
	desc := fmt.Sprintf("%s is %s old (modified %s)", c.Target, formatAge(age), mod.UTC().Format(time.RFC3339))
	if age > time.Duration(c.Hours*float64(time.Hour)) {
		return agentproto.CheckFailing, desc + ", older than " + formatHours(c.Hours)
	}
	return agentproto.CheckOK, desc
}
