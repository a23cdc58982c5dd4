package localcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// fakeFacts is a machine described by maps: what is not in them does not
// run or exist; errs makes a name's fact unreadable.
type fakeFacts struct {
	services  map[string]bool
	processes map[string]bool
	files     map[string]time.Time
	errs      map[string]error
}

func (f fakeFacts) ServiceRunning(_ context.Context, name string) (bool, error) {
	if err := f.errs[name]; err != nil {
		return false, err
	}
	return f.services[name], nil
}

func (f fakeFacts) ProcessRunning(_ context.Context, name string) (bool, error) {
	if err := f.errs[name]; err != nil {
		return false, err
	}
	return f.processes[name], nil
}

func (f fakeFacts) FileModTime(path string) (time.Time, error) {
	if err := f.errs[path]; err != nil {
		return time.Time{}, err
	}
	t, ok := f.files[path]
	if !ok {
		return time.Time{}, fmt.Errorf("stat %s: %w", path, fs.ErrNotExist)
	}
	return t, nil
}

var errPermission = errors.New("stat /root/backup.tar: permission denied")
