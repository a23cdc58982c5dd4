package agentproto

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Limits of a message, decompressed: what a real machine sends stays far
// below them, so a message over them is a bug or an attack.
const (
	MaxEnrollBytes    = 8 << 10
	MaxCheckinBytes   = 256 << 10
	MaxInventoryBytes = 16 << 20
	// MaxCompressedBytes bounds the body as sent, before gzip is undone.
	MaxCompressedBytes = 4 << 20

	MaxVolumes      = 256
	MaxUsers        = 256
	MaxCheckResults = 200
	MaxSoftware     = 20000
	MaxUpdates      = 5000
	MaxDisks        = 256
	MaxInterfaces   = 256
	MaxAddresses    = 64
	MaxTextLen      = 512  // a name, version, path or hostname
	MaxOutputLen    = 1024 // a check's output
)

// Error is a message the server refuses: its Field names what is wrong.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func errorf(field, format string, args ...any) error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrTooLarge is returned when a body is over its limit.
var ErrTooLarge = errors.New("message too large")

// gzipReaders are reused across messages: a gzip.Reader holds a
// decompressor's tables, tens of kilobytes, for each of thousands of
// check-ins a second.
var gzipReaders sync.Pool

// Body undoes the Content-Encoding of a message body ("" or "gzip") and
// reads at most limit bytes of it.
func Body(r io.Reader, encoding string, limit int) ([]byte, error) {
	capped := &cappedReader{r: r, left: MaxCompressedBytes}
	r = capped
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
	case "gzip":
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(r)
		} else {
			err = zr.Reset(r)
		}
		if err != nil {
			return nil, errorf("", "the body is not valid gzip (%v): send it gzipped as Content-Encoding says, or drop the header", err)
		}
		defer gzipReaders.Put(zr)
		r = zr
	default:
		return nil, errorf("", "Content-Encoding %q is not supported: send gzip or nothing", encoding)
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if capped.over {
		return nil, fmt.Errorf("%w: more than %d bytes as sent", ErrTooLarge, MaxCompressedBytes)
	}
	if err != nil {
		return nil, errorf("", "the body could not be read: %v", err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// cappedReader reads at most left bytes and marks over when the body
// holds more.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// decode reads exactly one JSON object into v: no unknown or repeated
// fields, valid UTF-8, no trailing data. It uses the JSON v2 decoder
// (github.com/go-json-experiment/json, the prototype of encoding/json/v2):
// a third of encoding/json's time and a seventh of its allocations for a
// check-in, thousands of which arrive each second.
func decode(data []byte, v any) error {
	if err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		var semantic *jsonv2.SemanticError
		var syntactic *jsontext.SyntacticError
		switch {
		case errors.As(err, &semantic) && errors.Is(err, jsonv2.ErrUnknownName):
			return errorf(fieldPath(semantic.JSONPointer), "is not a field of this message: remove it (or update the server)")
		case errors.As(err, &semantic) && semantic.JSONPointer != "" && semantic.GoType != nil:
			return errorf(fieldPath(semantic.JSONPointer), "must be %s, not a JSON %s", semantic.GoType, kindName(semantic.JSONKind))
		case errors.As(err, &syntactic) && errors.Is(err, jsontext.ErrDuplicateName):
			return errorf(fieldPath(syntactic.JSONPointer), "appears twice: send each field once")
		case errors.As(err, &syntactic) && syntactic.ByteOffset > 0 && syntactic.ByteOffset < int64(len(data)) &&
			jsontext.Value(data[:syntactic.ByteOffset]).IsValid():
			// One whole value, and then something.
			return errorf("", "the body holds more than one JSON value: send one object")
		default:
			return errorf("", "the body is not a valid JSON object: %v", err)
		}
	}
	return nil
}

// fieldPath writes a JSON pointer (/checks/0/state) as the validation
// errors name fields (checks[0].state).
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// kindName names a JSON value's kind for an error message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// DecodeEnroll decodes and checks an enrolment request.
func DecodeEnroll(data []byte) (*EnrollRequest, error) {
	var m EnrollRequest
	if err := decode(data, &m); err != nil {
		return nil, err
	}
	return &m, m.Validate()
}

// DecodeCheckin decodes and checks a check-in.
func DecodeCheckin(data []byte) (*Checkin, error) {
	var m Checkin
	if err := decode(data, &m); err != nil {
		return nil, err
	}
	return &m, m.Validate()
}

// DecodeInventory decodes and checks an inventory report.
func DecodeInventory(data []byte) (*InventoryReport, error) {
	var m InventoryReport
	if err := decode(data, &m); err != nil {
		return nil, err
	}
	return &m, m.Validate()
}

// Validate checks an enrolment request.
func (m *EnrollRequest) Validate() error {
	if m.Token == "" {
		return errorf("token", "is required: pass the enrolment token an admin created (--token)")
	}
	if err := text("token", m.Token, 200, true); err != nil {
		return err
	}
	if err := text("hostname", m.Hostname, 255, true); err != nil {
		return err
	}
	if err := validOS("os", m.OS); err != nil {
		return err
	}
	if err := text("arch", m.Arch, 32, true); err != nil {
		return err
	}
	return text("agent_version", m.AgentVersion, 64, false)
}

// Validate checks a check-in.
func (m *Checkin) Validate() error {
	if err := seqAndTime(m.Seq, m.At); err != nil {
		return err
	}
	if m.ConfigRevision < 0 {
		return errorf("config_revision", "must not be negative")
	}
	if m.DroppedMetrics < 0 {
		return errorf("dropped_metrics", "must not be negative")
	}
	if err := m.Metrics.validate("metrics"); err != nil {
		return err
	}
	if len(m.Checks) > MaxCheckResults {
		return errorf("checks", "holds %d results, more than %d", len(m.Checks), MaxCheckResults)
	}
	seen := map[int64]bool{}
	for i, c := range m.Checks {
		f := fmt.Sprintf("checks[%d]", i)
		if c.CheckID <= 0 {
			return errorf(f+".check_id", "must be the positive id of a configured check")
		}
		if seen[c.CheckID] {
			return errorf(f+".check_id", "check %d is reported twice", c.CheckID)
		}
		seen[c.CheckID] = true
		if !slices.Contains([]CheckState{CheckOK, CheckFailing, CheckError}, c.State) {
			return errorf(f+".state", "%q is not a state: use ok, failing or error", c.State)
		}
		if err := text(f+".output", c.Output, MaxOutputLen, false); err != nil {
			return err
		}
	}
	return nil
}

func (m *Metrics) validate(f string) error {
	if v := m.CPUPercent; math.IsNaN(v) || v < 0 || v > 100 {
		return errorf(f+".cpu_pct", "must be a percentage from 0 to 100, not %v", v)
	}
	for i, v := range [3]float64{m.Load1, m.Load5, m.Load15} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e6 {
			return errorf(f+"."+[3]string{"load1", "load5", "load15"}[i], "must be a load average from 0, not %v", v)
		}
	}
	if m.MemoryUsedBytes > m.MemoryTotalBytes {
		return errorf(f+".memory_used_bytes", "is more than memory_total_bytes")
	}
	if m.SwapUsedBytes > m.SwapTotalBytes {
		return errorf(f+".swap_used_bytes", "is more than swap_total_bytes")
	}
	if m.UptimeSeconds < 0 {
		return errorf(f+".uptime_s", "must not be negative")
	}
	if len(m.Volumes) > MaxVolumes {
		return errorf(f+".volumes", "holds %d volumes, more than %d", len(m.Volumes), MaxVolumes)
	}
	for i, v := range m.Volumes {
		vf := fmt.Sprintf("%s.volumes[%d]", f, i)
		if err := text(vf+".mount", v.Mount, MaxTextLen, true); err != nil {
			return err
		}
		if err := text(vf+".fs_type", v.FSType, 64, false); err != nil {
			return err
		}
		if v.UsedBytes > v.TotalBytes {
			return errorf(vf+".used_bytes", "is more than total_bytes")
		}
	}
	if len(m.Users) > MaxUsers {
		return errorf(f+".users", "holds %d users, more than %d", len(m.Users), MaxUsers)
	}
	for i, u := range m.Users {
		if err := text(fmt.Sprintf("%s.users[%d]", f, i), u, 256, true); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an inventory report.
func (m *InventoryReport) Validate() error {
	if err := seqAndTime(m.Seq, m.At); err != nil {
		return err
	}
	inv := &m.Inventory
	f := "inventory"
	if err := text(f+".hostname", inv.Hostname, 255, true); err != nil {
		return err
	}
	if err := validOS(f+".os", inv.OS); err != nil {
		return err
	}
	for name, v := range map[string]string{"os_name": inv.OSName, "os_version": inv.OSVersion, "kernel": inv.Kernel, "arch": inv.Arch,
		"manufacturer": inv.Manufacturer, "model": inv.Model, "serial": inv.Serial, "cpu_model": inv.CPUModel} {
		if err := text(f+"."+name, v, MaxTextLen, false); err != nil {
			return err
		}
	}
	if inv.CPUCores < 0 || inv.CPUCores > 65536 {
		return errorf(f+".cpu_cores", "must be from 0 to 65536, not %d", inv.CPUCores)
	}
	if len(inv.Disks) > MaxDisks {
		return errorf(f+".disks", "holds %d disks, more than %d", len(inv.Disks), MaxDisks)
	}
	for i, d := range inv.Disks {
		df := fmt.Sprintf("%s.disks[%d]", f, i)
		if err := text(df+".name", d.Name, MaxTextLen, true); err != nil {
			return err
		}
		if err := text(df+".model", d.Model, MaxTextLen, false); err != nil {
			return err
		}
	}
	if len(inv.Interfaces) > MaxInterfaces {
		return errorf(f+".interfaces", "holds %d interfaces, more than %d", len(inv.Interfaces), MaxInterfaces)
	}
	for i, n := range inv.Interfaces {
		nf := fmt.Sprintf("%s.interfaces[%d]", f, i)
		if err := text(nf+".name", n.Name, MaxTextLen, true); err != nil {
			return err
		}
		if err := text(nf+".mac", n.MAC, 64, false); err != nil {
			return err
		}
		if len(n.Addresses) > MaxAddresses {
			return errorf(nf+".addresses", "holds %d addresses, more than %d", len(n.Addresses), MaxAddresses)
		}
		for j, a := range n.Addresses {
			if err := text(fmt.Sprintf("%s.addresses[%d]", nf, j), a, 64, true); err != nil {
				return err
			}
		}
	}
	if len(inv.Software) > MaxSoftware {
		return errorf(f+".software", "holds %d packages, more than %d", len(inv.Software), MaxSoftware)
	}
	for i, s := range inv.Software {
		sf := fmt.Sprintf("%s.software[%d]", f, i)
		if err := text(sf+".name", s.Name, MaxTextLen, true); err != nil {
			return err
		}
		if err := text(sf+".version", s.Version, MaxTextLen, false); err != nil {
			return err
		}
		if err := text(sf+".publisher", s.Publisher, MaxTextLen, false); err != nil {
			return err
		}
		if err := text(sf+".source", s.Source, 32, true); err != nil {
			return err
		}
	}
	if len(inv.PendingUpdates) > MaxUpdates {
		return errorf(f+".pending_updates", "holds %d updates, more than %d", len(inv.PendingUpdates), MaxUpdates)
	}
	for i, u := range inv.PendingUpdates {
		uf := fmt.Sprintf("%s.pending_updates[%d]", f, i)
		if err := text(uf+".name", u.Name, MaxTextLen, true); err != nil {
			return err
		}
		if err := text(uf+".version", u.Version, MaxTextLen, false); err != nil {
			return err
		}
	}
	return nil
}

// maxClockSkew is how far in the future a message's time may be: an
// agent's clock that runs ahead more is wrong, and its samples would sort
// after every real one.
const maxClockSkew = 24 * time.Hour

func seqAndTime(seq int64, at time.Time) error {
	if seq <= 0 {
		return errorf("seq", "must be a positive sequence number, counting up from 1")
	}
	if at.IsZero() {
		return errorf("at", "is required: the RFC 3339 time the message was made")
	}
	if at.Year() < 2000 || at.After(time.Now().Add(maxClockSkew)) {
		return errorf("at", "%s is not a plausible time: set the machine's clock", at.Format(time.RFC3339))
	}
	return nil
}

func validOS(field, os string) error {
	if !slices.Contains([]string{OSLinux, OSWindows, OSMacOS}, os) {
		return errorf(field, "%q is not an operating system the agent runs on: use linux, windows or darwin", os)
	}
	return nil
}

// text checks a string field: valid UTF-8, no control characters, at most
// max bytes, present when required.
func text(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return errorf(field, "is required")
	case len(s) > max:
		return errorf(field, "is %d bytes long, more than %d", len(s), max)
	case !utf8.ValidString(s):
		return errorf(field, "is not valid UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }):
		return errorf(field, "contains a control character")
	}
	return nil
}
