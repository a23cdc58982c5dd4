// Package commonpw knows the passwords people pick most often, so that new
// passwords can be checked against them (OWASP ASVS 2.1.7, NIST SP 800-63B
// 5.1.1.2). The list ships inside the binary; see README.md for its source.
package commonpw

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
)

//go:embed passwords.txt.gz
var listGz []byte

var (
	loadOnce sync.Once
	list     map[string]struct{}
)

// load decompresses the list on first use: about 30,000 entries, a few
// milliseconds, and no cost for commands that never check a password.
func load() {
	zr, err := gzip.NewReader(bytes.NewReader(listGz))
	if err != nil {
		panic("commonpw: embedded list is corrupt: " + err.Error()) // caught by the package's tests
	}
	list = make(map[string]struct{}, 30000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			list[w] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		panic("commonpw: embedded list is corrupt: " + err.Error())
	}
}

// IsCommon reports whether pw, ignoring case, is on the list. Case is
// ignored because "Password1" is guessed right after "password1".
func IsCommon(pw string) bool {
	loadOnce.Do(load)
	_, ok := list[strings.ToLower(pw)]
	return ok
}

// Len returns the number of passwords on the list.
func Len() int {
	loadOnce.Do(load)
	return len(list)
}
