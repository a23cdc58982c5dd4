package tandem

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Whoever controls the database can rewrite a whole chain and its recorded
// head consistently; hashes alone cannot catch that. A checkpoint is every
// chain's head at one moment, kept by an auditor somewhere the database's
// administrators cannot write. Because each hash covers everything before it,
// finding each checkpointed head still in the log, at its seq and with its
// hash, proves the log up to there is unchanged and was neither rewritten nor
// cut short.

// AuditHead is the newest entry of one chain: its seq and hash.
type AuditHead struct {
	Chain string `json:"chain"`
	Seq   int64  `json:"seq"`
	Hash  string `json:"hash"`
}

// AuditCheckpoint is the head of every chain at one moment.
type AuditCheckpoint struct {
	TakenAt time.Time   `json:"taken_at"`
	Heads   []AuditHead `json:"heads"`
}

// checkpointAdvice opens the text form so that whoever finds the file knows
// what it is for.
const checkpointAdvice = `# Tandem audit checkpoint: the head (chain, seq, hash) of every audit chain.
# Keep this file somewhere the database's administrators cannot change it.
# "tandem audit verify --checkpoint FILE" proves the audit trail still
# extends these heads: no entry up to them was edited, removed or rewritten.
`

// Text returns the checkpoint's text form: an explanatory header, a "taken"
// line, then one "chain seq hash" line per chain in chain order. The form is
// stable, so two checkpoints diff line by line. (It is not MarshalText, which
// would make encoding/json write the checkpoint as one string.)
func (c *AuditCheckpoint) Text() []byte {
	var b bytes.Buffer
	b.WriteString(checkpointAdvice)
	fmt.Fprintf(&b, "taken %s\n", c.TakenAt.UTC().Format(time.RFC3339))
	heads := append([]AuditHead(nil), c.Heads...)
	sort.Slice(heads, func(i, j int) bool { return heads[i].Chain < heads[j].Chain })
	for _, h := range heads {
		fmt.Fprintf(&b, "%s %d %s\n", h.Chain, h.Seq, h.Hash)
	}
	return b.Bytes()
}

var (
	chainName = regexp.MustCompile(`^(provider|org:[1-9][0-9]{0,18})$`)
	hashText  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ParseAuditCheckpoint reads a checkpoint in its text form (see Text;
// blank lines and lines starting with # are ignored) or as a JSON object.
// Errors are EINVALID and name the line at fault.
func ParseAuditCheckpoint(data []byte) (*AuditCheckpoint, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return parseCheckpointJSON(t)
	}
	c := &AuditCheckpoint{Heads: []AuditHead{}}
	seen := map[string]bool{}
	taken := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<16)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] == "taken" {
			if taken || len(fields) != 2 {
				return nil, Errorf(EINVALID, "checkpoint line %d: write the time once, as \"taken 2030-03-14T09:00:00Z\".", n)
			}
			t, err := time.Parse(time.RFC3339, fields[1])
			if err != nil || !writableYear(t) {
				return nil, Errorf(EINVALID, "checkpoint line %d: %q is not an RFC 3339 time.", n, fields[1])
			}
			c.TakenAt, taken = t.UTC(), true
			continue
		}
		if len(fields) != 3 {
			return nil, Errorf(EINVALID, "checkpoint line %d: want \"chain seq hash\", found %d fields.", n, len(fields))
		}
		seq, _ := strconv.ParseInt(fields[1], 10, 64)
		h := AuditHead{Chain: fields[0], Seq: seq, Hash: fields[2]}
		if err := h.validate(seen); err != nil {
			return nil, Errorf(EINVALID, "checkpoint line %d: %s", n, err.(*Error).Message)
		}
		c.Heads = append(c.Heads, h)
	}
	if err := sc.Err(); err != nil {
		return nil, Errorf(EINVALID, "checkpoint cannot be read: %v.", err)
	}
	return c, nil
}

func parseCheckpointJSON(data []byte) (*AuditCheckpoint, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	c := &AuditCheckpoint{}
	if err := dec.Decode(c); err != nil {
		return nil, Errorf(EINVALID, "checkpoint is not valid JSON: %v.", err)
	}
	if dec.More() {
		return nil, Errorf(EINVALID, "checkpoint holds more than one JSON value.")
	}
	seen := map[string]bool{}
	for i, h := range c.Heads {
		if err := h.validate(seen); err != nil {
			return nil, Errorf(EINVALID, "checkpoint head %d: %s", i+1, err.(*Error).Message)
		}
	}
	if !c.TakenAt.IsZero() && !writableYear(c.TakenAt) {
		return nil, Errorf(EINVALID, "checkpoint taken_at %s is out of range.", c.TakenAt.Format(time.RFC3339))
	}
	if c.Heads == nil {
		c.Heads = []AuditHead{}
	}
	c.TakenAt = c.TakenAt.UTC()
	return c, nil
}

// writableYear reports whether t, in UTC, has a year RFC 3339 can write.
func writableYear(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// validate checks one head and that its chain was not seen before.
func (h AuditHead) validate(seen map[string]bool) error {
	switch {
	case !ValidAuditChain(h.Chain):
		return Errorf(EINVALID, "chain %q is not \"provider\" or \"org:<id>\", optionally followed by /<shard> from 1 to %d.", h.Chain, AuditShards-1)
	case h.Seq < 1:
		return Errorf(EINVALID, "seq of chain %s must be a positive integer.", h.Chain)
	case !hashText.MatchString(h.Hash):
		return Errorf(EINVALID, "hash of chain %s must be 64 lowercase hexadecimal digits.", h.Chain)
	case seen[h.Chain]:
		return Errorf(EINVALID, "chain %s is listed twice.", h.Chain)
	}
	seen[h.Chain] = true
	return nil
}
