package collect

import (
	"os"
	"time"
)

// Probe answers the facts the local checks ask of this machine (it
// implements localcheck.Facts): whether a service or a process runs, and
// when a file was last written. Each OS answers in its own file; a
// service name is a systemd unit on Linux, a service name on Windows and
// a launchd label on macOS.
type Probe struct{}

// FileModTime is when the file at path was last modified, following
// symbolic links (a "latest" link to a backup gives the backup's age). A
// missing file gives an error wrapping fs.ErrNotExist, which a check
// tells from one it may not read.
func (Probe) FileModTime(path string) (time.Time, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}
