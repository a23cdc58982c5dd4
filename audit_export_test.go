package tandem_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func sampleEntry() *tandem.AuditEntry {
	actor, org := int64(3), int64(7)
	e := &tandem.AuditEntry{
		ID: 11, Chain: "org:7", Seq: 2, At: time.Date(2030, 3, 14, 9, 0, 0, 123456000, time.UTC),
		ActorUserID: &actor, ActorEmail: "=HYPERLINK(\"http://evil.test\")@acme.test", ActorParty: "internal", OrganizationID: &org,
		Action: "organization.update", Target: "organization:7", Source: "192.0.2.1",
		Summary: json.RawMessage(`{ "name": "Acme <Corp>" }`), PrevHash: strings.Repeat("a", 64),
	}
	e.Hash = e.ComputeHash()
	return e
}

func TestParseAuditFormat(t *testing.T) {
	for in, want := range map[string]tandem.AuditFormat{"jsonl": tandem.AuditJSONLines, "CSV": tandem.AuditCSV, " csv ": tandem.AuditCSV} {
		if got, err := tandem.ParseAuditFormat(in); err != nil || got != want {
			t.Errorf("ParseAuditFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "json", "xlsx"} {
		if _, err := tandem.ParseAuditFormat(in); tandem.ErrorCode(err) != tandem.EBADREQUEST || !strings.HasPrefix(tandem.ErrorMessage(err), "format ") {
			t.Errorf("ParseAuditFormat(%q) = %v; want EBADREQUEST naming format", in, err)
		}
	}
}

func TestAuditWriter(t *testing.T) {
	t.Run("JSONLines", func(t *testing.T) {
		var buf bytes.Buffer
		w := tandem.NewAuditWriter(&buf, tandem.AuditJSONLines)
		e := sampleEntry()
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 || w.Count() != 2 {
			t.Fatalf("%d lines, count %d: %q", len(lines), w.Count(), buf.String())
		}
		var back tandem.AuditEntry
		if err := json.Unmarshal([]byte(lines[0]), &back); err != nil {
			t.Fatal(err)
		}
		if back.Hash != e.Hash || back.ComputeHash() != e.Hash {
			t.Errorf("line %s does not carry a recomputable hash", lines[0])
		}
		if !strings.Contains(lines[0], `"Acme <Corp>"`) {
			t.Errorf("line %s escapes HTML; the export is not HTML", lines[0])
		}
	})

	t.Run("CSV", func(t *testing.T) {
		var buf bytes.Buffer
		w := tandem.NewAuditWriter(&buf, tandem.AuditCSV)
		e := sampleEntry()
		provider := *e
		provider.ActorUserID, provider.OrganizationID, provider.Chain = nil, nil, tandem.ProviderChain
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(&provider); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || !slices.Equal(rows[0], tandem.AuditCSVHeader) {
			t.Fatalf("rows = %q", rows)
		}
		col := func(row []string, name string) string { return row[slices.Index(tandem.AuditCSVHeader, name)] }
		for name, want := range map[string]string{
			"id": "11", "seq": "2", "at": "2030-03-14T09:00:00.123456Z", "actor_user_id": "3", "organization_id": "7",
			"summary": `{"name":"Acme <Corp>"}`, "hash": e.Hash, "prev_hash": e.PrevHash,
			// A spreadsheet must not run it as a formula.
			"actor_email": `'=HYPERLINK("http://evil.test")@acme.test`,
		} {
			if got := col(rows[1], name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if col(rows[2], "actor_user_id") != "" || col(rows[2], "organization_id") != "" {
			t.Errorf("absent ids should be empty cells: %q", rows[2])
		}
	})

	t.Run("CSVHeaderWithoutEntries", func(t *testing.T) {
		var buf bytes.Buffer
		w := tandem.NewAuditWriter(&buf, tandem.AuditCSV)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got, want := buf.String(), strings.Join(tandem.AuditCSVHeader, ",")+"\n"; got != want {
			t.Errorf("empty export = %q, want the header %q", got, want)
		}
	})
}

// pagedAudit serves n entries, ids n..1, in pages, recording the filters asked.
type pagedAudit struct {
	n       int64
	filters []tandem.AuditFilter
	err     error
}

func (p *pagedAudit) FindAuditEntries(ctx context.Context, f tandem.AuditFilter) ([]*tandem.AuditEntry, string, error) {
	p.filters = append(p.filters, f)
	if p.err != nil {
		return nil, "", p.err
	}
	start := p.n
	if f.Cursor != "" {
		c, _ := strconv.ParseInt(f.Cursor, 10, 64)
		start = c - 1
	}
	var page []*tandem.AuditEntry
	for id := start; id >= 1 && len(page) < f.Limit; id-- {
		page = append(page, &tandem.AuditEntry{ID: id})
	}
	next := ""
	if len(page) == f.Limit && page[len(page)-1].ID > 1 {
		next = strconv.FormatInt(page[len(page)-1].ID, 10)
	}
	return page, next, nil
}

func TestExportAudit(t *testing.T) {
	t.Run("EveryPage", func(t *testing.T) {
		svc := &pagedAudit{n: 1234}
		action := "user."
		var ids []int64
		calls := 0
		err := tandem.ExportAudit(t.Context(), svc, tandem.AuditFilter{Action: &action, Limit: 3}, func(page []*tandem.AuditEntry) error {
			calls++
			for _, e := range page {
				ids = append(ids, e.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1234 || ids[0] != 1234 || ids[1233] != 1 || calls != 3 {
			t.Errorf("exported %d entries in %d pages, from %d to %d", len(ids), calls, ids[0], ids[len(ids)-1])
		}
		for _, f := range svc.filters {
			if f.Limit != tandem.ExportPageSize || f.Action != &action {
				t.Errorf("page asked with %+v; want the filter kept and pages of %d", f, tandem.ExportPageSize)
			}
		}
	})

	t.Run("EmptyStillWrites", func(t *testing.T) {
		calls := 0
		err := tandem.ExportAudit(t.Context(), &pagedAudit{}, tandem.AuditFilter{}, func(page []*tandem.AuditEntry) error { calls++; return nil })
		if err != nil || calls != 1 {
			t.Errorf("empty export: %d calls, %v; want one call with an empty page", calls, err)
		}
	})

	t.Run("ErrorBeforeWriting", func(t *testing.T) {
		forbidden := tandem.Errorf(tandem.EFORBIDDEN, "no")
		err := tandem.ExportAudit(t.Context(), &pagedAudit{err: forbidden}, tandem.AuditFilter{}, func([]*tandem.AuditEntry) error {
			t.Error("write called although the first page failed")
			return nil
		})
		if !errors.Is(err, forbidden) {
			t.Errorf("err = %v, want the service's", err)
		}
	})
}
