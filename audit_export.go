package tandem

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// AuditFormat names a file format the audit trail is exported in.
type AuditFormat string

// The export formats. JSON lines is exact: each line is an AuditEntry whose
// hash an auditor can recompute from the line alone. CSV is for spreadsheets.
const (
	AuditJSONLines AuditFormat = "jsonl"
	AuditCSV       AuditFormat = "csv"
)

// ParseAuditFormat reads an export format name.
func ParseAuditFormat(s string) (AuditFormat, error) {
	switch f := AuditFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case AuditJSONLines, AuditCSV:
		return f, nil
	}
	return "", Errorf(EBADREQUEST, "format %q is not an export format: use jsonl or csv.", s)
}

// ContentType returns the media type of an export in the format.
func (f AuditFormat) ContentType() string {
	if f == AuditCSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// AuditCSVHeader is the first row of a CSV export: the fields of AuditEntry
// under their JSON names.
var AuditCSVHeader = []string{"id", "chain", "seq", "at", "actor_user_id", "actor_email", "actor_party",
	"organization_id", "action", "target", "source", "summary", "prev_hash", "hash"}

// AuditWriter writes audit entries in an export format. Call Flush at the
// end: it writes buffered data, and the CSV header when no entry came.
type AuditWriter struct {
	format AuditFormat
	csv    *csv.Writer
	json   *json.Encoder
	header bool
	n      int
}

// NewAuditWriter returns a writer of entries in format f to w.
func NewAuditWriter(w io.Writer, f AuditFormat) *AuditWriter {
	aw := &AuditWriter{format: f}
	if f == AuditCSV {
		aw.csv = csv.NewWriter(w)
	} else {
		aw.json = json.NewEncoder(w)
		aw.json.SetEscapeHTML(false)
	}
	return aw
}

// Write writes one entry.
func (w *AuditWriter) Write(e *AuditEntry) error {
	w.n++
	if w.json != nil {
		c := *e
		c.Summary = canonicalSummary(e.Summary)
		return w.json.Encode(&c)
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	return w.csv.Write([]string{
		strconv.FormatInt(e.ID, 10), e.Chain, strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(AuditTimeLayout),
		optionalID(e.ActorUserID), spreadsheetSafe(e.ActorEmail), e.ActorParty, optionalID(e.OrganizationID),
		spreadsheetSafe(e.Action), spreadsheetSafe(e.Target), spreadsheetSafe(e.Source), spreadsheetSafe(string(canonicalSummary(e.Summary))),
		e.PrevHash, e.Hash,
	})
}

// Flush writes what is buffered and reports any earlier write error.
func (w *AuditWriter) Flush() error {
	if w.csv == nil {
		return nil
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.csv.Flush()
	return w.csv.Error()
}

// Count returns the number of entries written.
func (w *AuditWriter) Count() int { return w.n }

func (w *AuditWriter) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	return w.csv.Write(AuditCSVHeader)
}

// canonicalSummary is the summary as the canonical form holds it: compact
// JSON, null when empty, and a JSON string when it is not JSON (which
// verification flags). Exported so, every line is valid and its hash can be
// recomputed from it.
func canonicalSummary(raw json.RawMessage) json.RawMessage {
	s := compactJSON(raw)
	if !json.Valid(s) {
		s, _ = json.Marshal(string(raw))
	}
	return s
}

func optionalID(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// spreadsheetSafe keeps a spreadsheet from running a cell as a formula
// (OWASP "CSV injection"): text starting with = + - @ or a tab or carriage
// return gets a leading apostrophe. The JSON lines export keeps text exact.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportPageSize is how many entries ExportAudit asks for at a time.
const ExportPageSize = 500

// ExportAudit pages through every entry matching filter, newest first, and
// hands each page to write; filter.Limit is ignored and filter.Cursor, when
// set, starts the export after that entry. The first page is fetched before
// write is first called, so a caller can still answer an error (a bad filter,
// EFORBIDDEN) before it has written anything. Paging by descending id is
// stable while entries are appended: the export holds what existed when its
// first page was read.
func ExportAudit(ctx context.Context, s AuditService, filter AuditFilter, write func(page []*AuditEntry) error) error {
	filter.Limit = ExportPageSize
	for {
		page, next, err := s.FindAuditEntries(ctx, filter)
		if err != nil {
			return err
		}
		if err := write(page); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		filter.Cursor = next
	}
}
