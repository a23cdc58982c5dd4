package sqlstore_test

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// attDesk is the service desk with a blob store, and ways to count what
// is stored, so a test can tell that a refused upload left nothing behind.
type attDesk struct {
	*desk
	svc   *sqlstore.TicketService
	blobs func() int // stored blobs
}

// attPDF returns n bytes of a PDF, with a marker making it unique.
func attPDF(n int, marker string) []byte {
	b := []byte("%PDF-1.7\n% " + marker + "\n")
	return append(b, bytes.Repeat([]byte("0"), n-len(b))...)
}

// upload attaches content named name with visibility v as u.
func (d *attDesk) upload(u *tandem.User, ticketID int64, name string, v tandem.Visibility, content []byte) (*tandem.Attachment, error) {
	a := &tandem.Attachment{Filename: name, Visibility: v}
	err := d.svc.AddAttachment(d.as(u), ticketID, a, bytes.NewReader(content))
	return a, err
}

// mustUpload is upload failing the test on error.
func (d *attDesk) mustUpload(t *testing.T, u *tandem.User, ticketID int64, name string, v tandem.Visibility, content []byte) *tandem.Attachment {
	t.Helper()
	a, err := d.upload(u, ticketID, name, v, content)
	if err != nil {
		t.Fatalf("attach %s as %s: %v", name, u.Email, err)
	}
	return a
}

// list returns the names of the attachments u sees on a ticket.
func (d *attDesk) list(t *testing.T, u *tandem.User, ticketID int64) []string {
	t.Helper()
	list, err := d.svc.Attachments(d.as(u), ticketID)
	if err != nil {
		t.Fatalf("attachments of ticket %d as %s: %v", ticketID, u.Email, err)
	}
	names := []string{}
	for _, a := range list {
		names = append(names, a.Filename)
	}
	return names
}

// download opens an attachment as u and reads it whole.
func (d *attDesk) download(u *tandem.User, ticketID, id int64) (*tandem.Attachment, []byte, error) {
	a, rc, err := d.svc.OpenAttachment(d.as(u), ticketID, id)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return a, b, err
}

// stored counts attachment rows, attachment timeline entries and blobs.
func (d *attDesk) stored(t *testing.T) [3]int {
	t.Helper()
	var n [3]int
	var err error
	if n[0], err = sqlstore.CountRaw(d.DB, `SELECT COUNT(*) FROM ticket_attachments`); err != nil {
		t.Fatal(err)
	}
	if n[1], err = sqlstore.CountRaw(d.DB, `SELECT COUNT(*) FROM ticket_events WHERE kind = 'attachment'`); err != nil {
		t.Fatal(err)
	}
	n[2] = d.blobs()
	return n
}

// TestTicketAttachments runs on each database with each blob store.
func TestTicketAttachments(t *testing.T) {
	t.Parallel()
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		dialect := db.Dialect()
		for _, store := range []string{"files", "database"} {
			t.Run(store, func(t *testing.T) {
				if store == "database" {
					// newDesk's users exist once per database.
					if dialect == sqlstore.Postgres {
						db = testdb.MustOpenPostgres(t)
					} else {
						db = testdb.MustOpenSQLite(t)
					}
				}
				d := newDesk(t, db)
				var blobs tandem.BlobStore
				ad := &attDesk{desk: d}
				if store == "files" {
					dir := filepath.Join(t.TempDir(), "attachments")
					blobs = sqlstore.NewFileBlobStore(dir)
					ad.blobs = func() int { return len(attBlobFiles(t, dir)) }
				} else {
					blobs = sqlstore.NewDBBlobStore(db)
					ad.blobs = func() int {
						n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM blobs`)
						if err != nil {
							t.Fatal(err)
						}
						return n
					}
				}
				ad.svc = sqlstore.NewTicketService(db, blobs)
				testTicketAttachments(t, ad)
			})
		}
	})
}

func testTicketAttachments(t *testing.T, d *attDesk) {
	// An end-user-support ticket: the internal team's queue.
	tk := d.open(d.Requester, "end-user-support", "Printer prints blank pages")
	laptop := d.open(d.Requester, "hardware-deployment", "New laptop")
	unrelated := d.open(d.ITAdmin, "", "Unrelated")

	t.Run("RoundTrip", func(t *testing.T) {
		mark := auditMark(t, d.DB)
		content := attPDF(12<<10, "round trip")
		a := &tandem.Attachment{Filename: "report.pdf", ContentType: "text/html", Size: 1}
		if err := d.svc.AddAttachment(d.as(d.ITTech), tk.ID, a, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.TicketID != tk.ID || a.Filename != "report.pdf" || a.ContentType != "application/pdf" ||
			a.Size != int64(len(content)) || a.SHA256 != attSum(content) || a.Visibility != tandem.VisibilityPublic ||
			a.Party != tandem.PartyInternal || a.UploadedBy != d.ITTech.ID || a.CreatedAt.IsZero() {
			t.Fatalf("stored %+v", a)
		}
		// Everyone on the ticket reads it back byte for byte, with the
		// type the content showed, not the one the client claimed.
		for _, u := range []*tandem.User{d.Requester, d.ITTech, d.ProviderTech, d.ProviderAdmin, d.Viewer} {
			got, b, err := d.download(u, tk.ID, a.ID)
			if err != nil {
				t.Fatalf("download as %s: %v", u.Email, err)
			}
			if !bytes.Equal(b, content) || *got != *a {
				t.Fatalf("download as %s: %+v, %d bytes; want %+v, %d bytes", u.Email, got, len(b), a, len(content))
			}
		}
		var ev *tandem.Event
		for _, e := range attTimeline(t, d, d.Requester, tk.ID) {
			if e.Kind == tandem.EventAttachment {
				ev = e
			}
		}
		if ev == nil || ev.Body != "Attached report.pdf (12 KB)" || ev.Visibility != tandem.VisibilityPublic ||
			ev.Party != tandem.PartyInternal || ev.ActorID == nil || *ev.ActorID != d.ITTech.ID {
			t.Fatalf("timeline entry %+v", ev)
		}
		entries := wantAudit(t, d.DB, mark, "ticket.attachment")
		var summary map[string]any
		if err := json.Unmarshal(entries[0].Summary, &summary); err != nil {
			t.Fatal(err)
		}
		if summary["filename"] != "report.pdf" || summary["sha256"] != a.SHA256 || summary["size"] != float64(len(content)) {
			t.Fatalf("audit summary %v", summary)
		}
		if bytes.Contains(entries[0].Summary, []byte("round trip")) {
			t.Fatal("audit summary holds the file's content")
		}
		if entries[0].OrganizationID == nil || *entries[0].OrganizationID != d.Org.ID || entries[0].Target != "ticket:"+strconv.FormatInt(tk.ID, 10) {
			t.Fatalf("audit entry %+v", entries[0])
		}
	})

	t.Run("SameFileStoredOnce", func(t *testing.T) {
		content := attPDF(2000, "twice")
		before := d.stored(t)
		first := d.mustUpload(t, d.ITTech, tk.ID, "invoice.pdf", "", content)
		second := d.mustUpload(t, d.ITAdmin, laptop.ID, "copy of invoice.pdf", "", content)
		if first.SHA256 != second.SHA256 || first.ID == second.ID {
			t.Fatalf("uploads %+v and %+v", first, second)
		}
		after := d.stored(t)
		if after[0] != before[0]+2 || after[2] != before[2]+1 {
			t.Fatalf("rows and blobs went from %v to %v, want two rows and one blob more", before, after)
		}
		_, b, err := d.download(d.Requester, laptop.ID, second.ID)
		if err != nil || !bytes.Equal(b, content) {
			t.Fatalf("download of the second copy: %d bytes, %v", len(b), err)
		}
	})

	t.Run("ErrTooLarge", func(t *testing.T) {
		before, mark := d.stored(t), auditMark(t, d.DB)
		big := io.MultiReader(bytes.NewReader(attPDF(1024, "big")), bytes.NewReader(make([]byte, sqlstore.DefaultMaxAttachmentBytes)))
		err := d.svc.AddAttachment(d.as(d.ITTech), tk.ID, &tandem.Attachment{Filename: "huge.pdf"}, big)
		wantCode(t, err, tandem.ETOOLARGE)
		if msg := tandem.ErrorMessage(err); !strings.Contains(msg, `"huge.pdf" is larger than 25 MiB`) {
			t.Fatalf("message %q", msg)
		}
		if after := d.stored(t); after != before {
			t.Fatalf("rows, events, blobs went from %v to %v after a refused upload", before, after)
		}
		wantAudit(t, d.DB, mark)
	})

	t.Run("ConfiguredLimit", func(t *testing.T) {
		limited := sqlstore.NewTicketService(d.DB, d.svc.Blobs)
		limited.MaxAttachmentBytes = 4000
		err := limited.AddAttachment(d.as(d.ITTech), tk.ID, &tandem.Attachment{Filename: "a.pdf"}, bytes.NewReader(attPDF(4001, "limit")))
		wantCode(t, err, tandem.ETOOLARGE)
		if err := limited.AddAttachment(d.as(d.ITTech), tk.ID, &tandem.Attachment{Filename: "a.pdf"}, bytes.NewReader(attPDF(4000, "limit"))); err != nil {
			t.Fatalf("a file of exactly the limit: %v", err)
		}
	})

	t.Run("ErrRefusedKinds", func(t *testing.T) {
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 2000)...)
		for _, tt := range []struct {
			name    string
			content []byte
		}{
			{"report.pdf", exe},
			{"setup.exe", exe},
			{"page.html", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")},
			{"page.htm", []byte("<html></html>")},
			{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
			{"notes.txt", []byte("<html><body><script>alert(1)</script>")},
			{"fix.ps1", []byte("Remove-Item -Recurse C:\\")},
			{"empty.pdf", nil},
		} {
			before, mark := d.stored(t), auditMark(t, d.DB)
			_, err := d.upload(d.ITTech, tk.ID, tt.name, "", tt.content)
			wantCode(t, err, tandem.EINVALID)
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.name) {
				t.Errorf("refusing %s: message %q does not name the file", tt.name, msg)
			}
			if after := d.stored(t); after != before {
				t.Fatalf("refusing %s: rows, events, blobs went from %v to %v", tt.name, before, after)
			}
			wantAudit(t, d.DB, mark)
		}
	})

	t.Run("FilenameSanitised", func(t *testing.T) {
		for _, tt := range []struct {
			sent    string
			content []byte
			want    string
		}{
			{"../../etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), "passwd.txt"},
			{`..\..\Users\ana\notes.txt`, []byte("printer jam\n"), "notes.txt"},
			{"rep\x00ort\r\n\u202e.pdf", attPDF(600, "control"), "report.pdf"},
			{"", attPDF(600, "unnamed"), "attachment.pdf"},
		} {
			a := d.mustUpload(t, d.ITTech, tk.ID, tt.sent, "", tt.content)
			if a.Filename != tt.want {
				t.Errorf("sent %q, stored %q, want %q", tt.sent, a.Filename, tt.want)
			}
		}
	})

	t.Run("Visibility", func(t *testing.T) {
		teams := d.mustUpload(t, d.ITTech, tk.ID, "switch-config.txt", tandem.VisibilityTeams, []byte("hostname core-sw1\n"))
		party := d.mustUpload(t, d.ProviderTech, tk.ID, "msp-notes.txt", tandem.VisibilityParty, []byte("contract renewal due\n"))
		if teams.Visibility != tandem.VisibilityTeams || party.Visibility != tandem.VisibilityParty || party.Party != tandem.PartyProvider {
			t.Fatalf("stored %+v and %+v", teams, party)
		}
		for _, tt := range []struct {
			who          *tandem.User
			teams, party bool
		}{
			{d.Requester, false, false},
			{d.ITTech, true, false},
			{d.ITAdmin, true, false},
			{d.Viewer, true, false},
			{d.ProviderTech, true, true},
			{d.ProviderAdmin, true, true},
		} {
			names := d.list(t, tt.who, tk.ID)
			for _, c := range []struct {
				a    *tandem.Attachment
				sees bool
			}{{teams, tt.teams}, {party, tt.party}} {
				listed := strings.Contains(strings.Join(names, "\n"), c.a.Filename)
				_, b, err := d.download(tt.who, tk.ID, c.a.ID)
				if c.sees {
					if !listed || err != nil || len(b) != int(c.a.Size) {
						t.Errorf("%s should see %s (%s): listed %v, download %v", tt.who.Email, c.a.Filename, c.a.Visibility, listed, err)
					}
					continue
				}
				if listed {
					t.Errorf("%s sees %s (%s) in the list", tt.who.Email, c.a.Filename, c.a.Visibility)
				}
				wantCode(t, err, tandem.ENOTFOUND)
				for _, e := range attTimeline(t, d, tt.who, tk.ID) {
					if strings.Contains(e.Body, c.a.Filename) {
						t.Errorf("%s sees the timeline entry %q", tt.who.Email, e.Body)
					}
				}
			}
		}
	})

	t.Run("PartyOnlyAuditEntry", func(t *testing.T) {
		// Both parties' staff read the organisation's audit trail: a
		// party-only file appears there by id, size, kind and visibility,
		// never by its name or checksum; a file both teams see keeps them.
		for _, tt := range []struct {
			v     tandem.Visibility
			named bool
		}{{tandem.VisibilityParty, false}, {tandem.VisibilityTeams, true}, {tandem.VisibilityPublic, true}} {
			mark := auditMark(t, d.DB)
			name := "takeover-plan-" + string(tt.v) + ".txt"
			a := d.mustUpload(t, d.ProviderTech, tk.ID, name, tt.v, []byte("notice period for "+string(tt.v)+"\n"))
			entries := wantAudit(t, d.DB, mark, "ticket.attachment")
			var summary map[string]any
			if err := json.Unmarshal(entries[0].Summary, &summary); err != nil {
				t.Fatal(err)
			}
			if summary["attachment_id"] != float64(a.ID) || summary["size"] != float64(a.Size) || summary["visibility"] != string(tt.v) ||
				summary["content_type"] != a.ContentType {
				t.Fatalf("%s: audit summary %v", tt.v, summary)
			}
			raw := string(entries[0].Summary)
			hasName, hasSum := strings.Contains(raw, "takeover-plan"), strings.Contains(raw, a.SHA256)
			if hasName != tt.named || hasSum != tt.named {
				t.Fatalf("%s: audit summary %s names the file: %v, holds its checksum: %v; want %v", tt.v, raw, hasName, hasSum, tt.named)
			}
		}
	})

	t.Run("ErrOutsider", func(t *testing.T) {
		a := d.mustUpload(t, d.ITTech, tk.ID, "inventory.csv", "", []byte("host,ip\npc1,10.0.0.1\n"))
		before := d.stored(t)
		for _, v := range []tandem.Visibility{"", tandem.VisibilityTeams, "bogus"} {
			_, err := d.upload(d.OutsiderAdmin, tk.ID, "x.txt", v, []byte("hello"))
			wantCode(t, err, tandem.ENOTFOUND)
		}
		_, err := d.svc.Attachments(d.as(d.OutsiderAdmin), tk.ID)
		wantCode(t, err, tandem.ENOTFOUND)
		_, _, err = d.download(d.OutsiderAdmin, tk.ID, a.ID)
		wantCode(t, err, tandem.ENOTFOUND)
		// A real attachment id under another ticket id is not found either.
		_, _, err = d.download(d.ITAdmin, unrelated.ID, a.ID)
		wantCode(t, err, tandem.ENOTFOUND)
		if after := d.stored(t); after != before {
			t.Fatalf("rows, events, blobs went from %v to %v", before, after)
		}
	})

	t.Run("Requesters", func(t *testing.T) {
		before := d.stored(t)
		_, err := d.upload(d.Requester, tk.ID, "photo.png", tandem.VisibilityTeams, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.EFORBIDDEN)
		_, err = d.upload(d.Requester, tk.ID, "photo.png", tandem.VisibilityParty, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.EFORBIDDEN)
		// Another requester's ticket does not exist for them.
		_, err = d.upload(d.Requester2, tk.ID, "photo.png", "", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.ENOTFOUND)
		// Following a ticket is not requesting it.
		if err := d.Tickets.AddWatcher(d.as(d.ITAdmin), tk.ID, d.Requester2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = d.upload(d.Requester2, tk.ID, "photo.png", "", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.EFORBIDDEN)
		// Viewers read but do not attach.
		_, err = d.upload(d.Viewer, tk.ID, "photo.png", "", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.EFORBIDDEN)
		_, err = d.upload(d.ITTech, tk.ID, "photo.png", "secret", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		wantCode(t, err, tandem.EINVALID)
		if after := d.stored(t); after != before {
			t.Fatalf("rows, events, blobs went from %v to %v", before, after)
		}
		a := d.mustUpload(t, d.Requester, tk.ID, "photo.png", "", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		if a.Visibility != tandem.VisibilityPublic || a.Party != tandem.PartyInternal || a.ContentType != "image/png" {
			t.Fatalf("stored %+v", a)
		}
		if names := d.list(t, d.ProviderTech, tk.ID); !strings.Contains(strings.Join(names, "\n"), "photo.png") {
			t.Fatalf("provider technician sees %q, not the requester's photo", names)
		}
	})

	t.Run("ErrNotConfigured", func(t *testing.T) {
		none := sqlstore.NewTicketService(d.DB, nil)
		err := none.AddAttachment(d.as(d.ITTech), tk.ID, &tandem.Attachment{Filename: "a.txt"}, strings.NewReader("hi"))
		wantCode(t, err, tandem.EINTERNAL)
	})
}

// attTimeline returns the timeline entries u sees, failing t on error.
func attTimeline(t *testing.T, d *attDesk, u *tandem.User, ticketID int64) []*tandem.Event {
	t.Helper()
	list, err := d.svc.Timeline(d.as(u), ticketID)
	if err != nil {
		t.Fatalf("timeline of ticket %d as %s: %v", ticketID, u.Email, err)
	}
	return list
}

// BenchmarkAddAttachment uploads distinct 1 MiB PDFs to one ticket on
// SQLite, with each blob store.
func BenchmarkAddAttachment(b *testing.B) {
	for _, store := range []string{"files", "database"} {
		b.Run(store, func(b *testing.B) {
			db := testdb.MustOpenSQLite(b)
			d := newDesk(b, db)
			var blobs tandem.BlobStore = sqlstore.NewDBBlobStore(db)
			if store == "files" {
				blobs = sqlstore.NewFileBlobStore(filepath.Join(b.TempDir(), "attachments"))
			}
			svc := sqlstore.NewTicketService(db, blobs)
			tk := d.open(d.ITTech, "", "Benchmark")
			content := attPDF(1<<20, "bench")
			b.SetBytes(int64(len(content)))
			b.ResetTimer()
			for i := range b.N {
				copy(content[len(content)-8:], strconv.Itoa(10000000+i))
				a := &tandem.Attachment{Filename: "report.pdf"}
				if err := svc.AddAttachment(d.as(d.ITTech), tk.ID, a, bytes.NewReader(content)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
