package collect

import (
	"slices"
	"strings"
)

// linuxCommLen is how much of a program's name Linux keeps as a process's
// comm: TASK_COMM_LEN (16) less the terminating zero.
const linuxCommLen = 15

// commMatches says a process whose kernel name is comm may be the program
// name: they are equal, or name is longer than the kernel keeps and comm
// is its start. For a long name the caller confirms with the process's
// executable or command line.
func commMatches(comm, name string, limit int) (match, confirm bool) {
	if comm == name {
		return true, false
	}
	if len(name) > limit && comm == name[:limit] {
		return true, true
	}
	return false, false
}

// baseName is the last element of a slash-separated path, which is how a
// command line's first word names its program.
func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// windowsProcessMatches says a Windows executable file name ("sqlservr.exe")
// is the program name, compared as Windows compares file names, without
// case, and with or without the ".exe" people often leave out.
func windowsProcessMatches(exe, name string) bool {
	if i := strings.LastIndexAny(exe, `\/`); i >= 0 {
		exe = exe[i+1:]
	}
	return strings.EqualFold(exe, name) || strings.EqualFold(exe, name+".exe")
}

// uniqueSorted is names without blanks or repeats, sorted: the logged-in
// users, each once however many sessions they hold.
func uniqueSorted(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
