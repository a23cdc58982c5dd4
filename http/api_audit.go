package http

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// handleAuditList answers GET /api/v1/audit: one page of entries as JSON, or,
// with format=jsonl|csv or an Accept of application/x-ndjson or text/csv,
// every matching entry as a download.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	filter, err := parseAuditFilter(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format, err := auditExportFormat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format != "" {
		s.exportAudit(w, r, filter, format, func(err error) { s.writeError(w, r, err) })
		return
	}
	entries, next, err := s.AuditService.FindAuditEntries(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, entries, next)
}

// auditFilterParams are the query parameters parseAuditFilter reads but the
// cursor; links to other pages and to exports carry them.
var auditFilterParams = []string{"organization_id", "actor_user_id", "party", "action", "since", "until", "limit"}

// parseAuditFilter reads the audit filter from the query parameters; empty
// ones are unset. The API takes RFC 3339 times; the UI (dates true) also takes
// dates from its date inputs: since a day is from its start, until a day is
// to its end (UTC).
func parseAuditFilter(r *http.Request, dates bool) (tandem.AuditFilter, error) {
	var f tandem.AuditFilter
	var err error
	q := r.URL.Query()
	if f.OrganizationID, err = queryID(r, "organization_id"); err != nil {
		return f, err
	}
	if f.ActorUserID, err = queryID(r, "actor_user_id"); err != nil {
		return f, err
	}
	if v := q.Get("party"); v != "" {
		f.ActorParty = &v
	}
	if v := q.Get("action"); v != "" {
		f.Action = &v
	}
	if f.Since, err = queryTime(q, "since", dates, 0); err != nil {
		return f, err
	}
	if f.Until, err = queryTime(q, "until", dates, 24*time.Hour); err != nil {
		return f, err
	}
	f.Limit, f.Cursor, err = page(r)
	return f, err
}

// queryTime reads an optional time query parameter; a date (when allowed)
// means its start plus dayOffset.
func queryTime(q url.Values, name string, dates bool, dayOffset time.Duration) (*time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	if dates {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			t = t.Add(dayOffset)
			return &t, nil
		}
		return nil, tandem.Errorf(tandem.EBADREQUEST, "%s %q is neither a date such as 2030-03-14 nor an RFC 3339 time such as 2030-03-14T09:00:00Z.", name, v)
	}
	return nil, tandem.Errorf(tandem.EBADREQUEST, "%s %q is not an RFC 3339 time such as 2030-03-14T09:00:00Z.", name, v)
}

// auditExportFormat returns the export format a request asks for, or "" for
// a JSON page: the format parameter decides, else the Accept header.
func auditExportFormat(r *http.Request) (tandem.AuditFormat, error) {
	if v := r.URL.Query().Get("format"); v != "" {
		if v == "json" {
			return "", nil
		}
		return tandem.ParseAuditFormat(v)
	}
	// The most preferred of the types served wins; wildcards mean the
	// default, a JSON page.
	best, bestQ := tandem.AuditFormat(""), 0.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		var f tandem.AuditFormat
		switch mt {
		case "application/x-ndjson", "application/jsonl":
			f = tandem.AuditJSONLines
		case "text/csv":
			f = tandem.AuditCSV
		case "application/json":
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	return best, nil
}

// exportAudit streams every entry matching filter as a download. An error
// before the first byte goes to fail, so the client gets a proper error
// answer; an error after it cuts the connection, so a truncated export never
// looks complete.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, filter tandem.AuditFilter, format tandem.AuditFormat, fail func(error)) {
	rc := http.NewResponseController(w)
	var aw *tandem.AuditWriter
	err := tandem.ExportAudit(r.Context(), s.AuditService, filter, func(page []*tandem.AuditEntry) error {
		if aw == nil {
			h := w.Header()
			h.Set("Content-Type", format.ContentType())
			h.Set("Content-Disposition", `attachment; filename="tandem-audit-`+time.Now().UTC().Format("20060102T150405Z")+"."+string(format)+`"`)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			aw = tandem.NewAuditWriter(w, format)
		}
		for _, e := range page {
			if err := aw.Write(e); err != nil {
				return err
			}
		}
		if err := aw.Flush(); err != nil {
			return err
		}
		// A long export keeps going as long as pages keep coming.
		rc.SetWriteDeadline(time.Now().Add(time.Minute))
		return rc.Flush()
	})
	if err == nil {
		return
	}
	if aw == nil {
		fail(err)
		return
	}
	s.Logger.Error("audit export cut short", "method", r.Method, "route", r.Pattern, "entries", aw.Count(), "err", err)
	if conn, _, herr := rc.Hijack(); herr == nil {
		conn.Close()
	}
}
