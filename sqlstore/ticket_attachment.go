package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// DefaultMaxAttachmentBytes bounds one attachment unless configured otherwise.
const DefaultMaxAttachmentBytes = 25 << 20

// AddAttachment implements tandem.TicketService. It reads at most the size
// limit plus one byte from r, checks the content against the file name's
// kind, stores the bytes in the blob store, and then records the attachment,
// its timeline entry and its audit entry in one transaction. A file refused
// for its scope, rights, size or kind leaves nothing behind. The bytes are
// stored before the write transaction, so the upload does not hold the
// writer: if that transaction then fails (the ticket left the actor's scope
// or their rights changed while the bytes arrived, or the database refused
// the row), the blob stays without a row. Blobs are addressed by their
// content, so such a blob is inert — nothing serves it without a row, and
// the same bytes uploaded again reuse it. Only a.Filename and a.Visibility
// are read from a; the rest is filled in.
func (s *TicketService) AddAttachment(ctx context.Context, id int64, a *tandem.Attachment, r io.Reader) error {
	actor, err := tandem.RequireActor(ctx)
	if err != nil {
		return err
	}
	// Check scope and rights before reading a byte of the upload, in a read
	// transaction: the upload may be slow, and must not hold the writer.
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return err
	}
	_, err = checkAttachmentUpload(ctx, tx, actor, id, a)
	tx.Rollback()
	if err != nil {
		return err
	}
	if s.Blobs == nil {
		return tandem.Errorf(tandem.EINTERNAL, "attachments are not configured")
	}

	limit := s.MaxAttachmentBytes
	if limit <= 0 {
		limit = DefaultMaxAttachmentBytes
	}
	name := sanitizeFilename(a.Filename)
	var buf bytes.Buffer
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(ctxReader{ctx, r}, limit+1))
	if err != nil {
		return err
	}
	switch {
	case n > limit:
		return tandem.Errorf(tandem.ETOOLARGE, "%q is larger than %s: attach a smaller file, or compress it.", name, formatSize(limit))
	case n == 0:
		return tandem.Errorf(tandem.EINVALID, "%q is empty: attach a file with content.", name)
	}
	name, contentType, err := classifyAttachment(name, buf.Bytes())
	if err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := s.Blobs.Put(ctx, sum, bytes.NewReader(buf.Bytes())); err != nil {
		return err
	}

	actor, tx, err = s.db.writeAs(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The ticket may have changed hands while the bytes arrived.
	orgID, err := checkAttachmentUpload(ctx, tx, actor, id, a)
	if err != nil {
		return err
	}
	*a = tandem.Attachment{
		TicketID: id, Filename: name, ContentType: contentType, Size: n, SHA256: sum,
		Visibility: a.Visibility, Party: actor.Party, UploadedBy: actor.UserID, CreatedAt: tx.now,
	}
	if a.ID, err = tx.insert(ctx, `INSERT INTO ticket_attachments (ticket_id, filename, content_type, size, sha256, visibility, party, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.TicketID, a.Filename, a.ContentType, a.Size, a.SHA256, a.Visibility, a.Party, a.UploadedBy, at(a.CreatedAt)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = ? WHERE id = ?`, at(tx.now), id); err != nil {
		return err
	}
	body := fmt.Sprintf("Attached %s (%s)", a.Filename, formatSize(a.Size))
	data := map[string]any{"attachment_id": a.ID, "filename": a.Filename, "size": a.Size, "content_type": a.ContentType}
	if err := tx.record(ctx, actor, orgID, eventBy(actor, id, tandem.EventAttachment, a.Visibility, body, data), "ticket.attachment", attachmentAudit(a)); err != nil {
		return err
	}
	return tx.Commit()
}

// attachmentAudit is the audit summary of a new attachment. Both parties'
// staff read an organisation's audit trail, so a party-only file is named
// there by its id alone: its name and its checksum (which identifies a
// known document) stay with the party that uploaded it.
func attachmentAudit(a *tandem.Attachment) map[string]any {
	summary := map[string]any{"attachment_id": a.ID, "content_type": a.ContentType, "size": a.Size, "visibility": a.Visibility}
	if a.Visibility != tandem.VisibilityParty {
		summary["filename"], summary["sha256"] = a.Filename, a.SHA256
	}
	return summary
}

// checkAttachmentUpload decides whether the actor may attach a file of the
// requested visibility to the ticket, defaulting the visibility to public:
// ENOTFOUND outside scope, then EFORBIDDEN without the right, then the
// visibility. Workers of the ticket attach files of any visibility;
// requesters attach public files to the tickets they requested. It returns
// the ticket's organisation.
func checkAttachmentUpload(ctx context.Context, tx *Tx, actor *tandem.Actor, id int64, a *tandem.Attachment) (int64, error) {
	orgID, err := scopedTicketOrg(ctx, tx, actor, id)
	if err != nil {
		return 0, err
	}
	if err := checkUploadRights(ctx, tx, actor, id, orgID, a); err != nil {
		return 0, err
	}
	return orgID, nil
}

func checkUploadRights(ctx context.Context, tx *Tx, actor *tandem.Actor, id, orgID int64, a *tandem.Attachment) error {
	if actor.UserID == 0 {
		return tandem.Errorf(tandem.EFORBIDDEN, "Attachments are uploaded by a person; sign in as a user to attach a file.")
	}
	if actor.IsRequesterRole() {
		if err := actor.Can(tandem.ActionTicketRequest, orgID); err != nil {
			return err
		}
		var requester int64
		if err := tx.QueryRowContext(ctx, `SELECT requester_id FROM tickets WHERE id = ?`, id).Scan(&requester); err != nil {
			return err
		}
		if requester != actor.UserID {
			return tandem.Errorf(tandem.EFORBIDDEN, "You follow ticket %d but did not request it; only its requester and the IT teams attach files to it.", id)
		}
	} else if err := actor.Can(tandem.ActionTicketWork, orgID); err != nil {
		return err
	}
	if a.Visibility == "" {
		a.Visibility = tandem.VisibilityPublic
	}
	if !a.Visibility.Valid() {
		return tandem.Errorf(tandem.EINVALID, "Visibility %q is invalid: use public, teams or party.", a.Visibility)
	}
	if actor.IsRequesterRole() && a.Visibility != tandem.VisibilityPublic {
		return tandem.Errorf(tandem.EFORBIDDEN, "Requesters' attachments are public: both IT teams and you see them. Leave the visibility empty or set it to public.")
	}
	return nil
}

// Attachments implements tandem.TicketService.
func (s *TicketService) Attachments(ctx context.Context, id int64) ([]*tandem.Attachment, error) {
	a, tx, _, err := s.beginOnTicket(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	vis, args := visibilityScope(a, "e")
	return queryList(ctx, tx, scanAttachment, `SELECT `+attachmentColumns+` FROM ticket_attachments e WHERE e.ticket_id = ? AND `+vis+` ORDER BY e.id`,
		append([]any{id}, args...)...)
}

// OpenAttachment implements tandem.TicketService. An attachment the actor
// may not see does not exist for them (ENOTFOUND).
func (s *TicketService) OpenAttachment(ctx context.Context, id, attachmentID int64) (*tandem.Attachment, io.ReadCloser, error) {
	att, err := s.findAttachment(ctx, id, attachmentID)
	if err != nil {
		return nil, nil, err
	}
	if s.Blobs == nil {
		return nil, nil, tandem.Errorf(tandem.EINTERNAL, "attachments are not configured")
	}
	rc, err := s.Blobs.Open(ctx, att.SHA256)
	if err != nil {
		return nil, nil, err
	}
	return att, rc, nil
}

// findAttachment returns one attachment of a ticket in scope, if its
// visibility lets the actor read it. The transaction ends before the bytes
// are opened.
func (s *TicketService) findAttachment(ctx context.Context, id, attachmentID int64) (*tandem.Attachment, error) {
	a, tx, _, err := s.beginOnTicket(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	vis, args := visibilityScope(a, "e")
	att, err := scanAttachment(tx.QueryRowContext(ctx, `SELECT `+attachmentColumns+` FROM ticket_attachments e WHERE e.id = ? AND e.ticket_id = ? AND `+vis,
		append([]any{attachmentID, id}, args...)...))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("Attachment %d of ticket %d", attachmentID, id))
	}
	return att, nil
}

const attachmentColumns = `e.id, e.ticket_id, e.filename, e.content_type, e.size, e.sha256, e.visibility, e.party, e.uploaded_by, e.created_at`

func scanAttachment(row scanner) (*tandem.Attachment, error) {
	att := &tandem.Attachment{}
	err := row.Scan(&att.ID, &att.TicketID, &att.Filename, &att.ContentType, &att.Size, &att.SHA256, &att.Visibility, &att.Party, &att.UploadedBy, scanTime(&att.CreatedAt))
	return att, err
}

// formatSize writes a byte count the way people read file sizes: "512
// bytes", "12 KB", "3.4 MB", and whole megabytes as "25 MiB"-style limits
// without a decimal.
func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}

// The kinds of file a ticket accepts: the documents, pictures, logs and
// e-mails of office and IT work. Each is recognised by its extension and
// confirmed by its content, so a program renamed report.pdf is refused; the
// stored content type comes from this table, never from the client.
type attachmentKind struct {
	name        string // for messages: "its content is not a PDF document"
	exts        []string
	contentType string
	// matches reports whether the content fits: detected is what
	// http.DetectContentType says of head.
	matches func(detected string, head []byte) bool
}

var attachmentKinds = []attachmentKind{
	{"PDF document", []string{".pdf"}, "application/pdf", detectedIs("application/pdf")},
	{"PNG image", []string{".png"}, "image/png", detectedIs("image/png")},
	{"JPEG image", []string{".jpg", ".jpeg"}, "image/jpeg", detectedIs("image/jpeg")},
	{"GIF image", []string{".gif"}, "image/gif", detectedIs("image/gif")},
	{"WebP image", []string{".webp"}, "image/webp", detectedIs("image/webp")},
	{"plain text", []string{".txt", ".log"}, "text/plain", detectedIs("text/plain")},
	{"CSV text", []string{".csv"}, "text/csv", detectedIs("text/plain")},
	{"JSON text", []string{".json"}, "application/json", detectedIs("text/plain")},
	{"plain XML document", []string{".xml"}, "application/xml", plainXML},
	{"ZIP archive", []string{".zip"}, "application/zip", detectedIs("application/zip")},
	{"Word document", []string{".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", detectedIs("application/zip")},
	{"Excel workbook", []string{".xlsx"}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", detectedIs("application/zip")},
	{"PowerPoint presentation", []string{".pptx"}, "application/vnd.openxmlformats-officedocument.presentationml.presentation", detectedIs("application/zip")},
	{"e-mail message", []string{".eml"}, "message/rfc822", detectedIs("text/plain")},
	// Outlook messages are OLE compound files, which content sniffing does
	// not name; their signature does.
	{"Outlook message", []string{".msg"}, "application/vnd.ms-outlook", func(_ string, head []byte) bool {
		return bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
	}},
}

// extByContent names the extension of the kinds content shows beyond doubt,
// for files that arrive without one.
var extByContent = map[string]string{
	"application/pdf": ".pdf",
	"image/png":       ".png",
	"image/jpeg":      ".jpg",
	"image/gif":       ".gif",
	"image/webp":      ".webp",
	"text/plain":      ".txt",
}

// allowedAttachmentKinds is the list users read when a file is refused.
const allowedAttachmentKinds = "PDF, PNG, JPEG, GIF, WebP, text (.txt, .log, .csv), JSON, XML, ZIP, Word, Excel or PowerPoint (.docx, .xlsx, .pptx) and e-mail (.eml, .msg)"

// runnableExts are programs and scripts, and the documents that run script
// when opened (HTML, SVG): refused whatever their content.
var runnableExts = []string{
	".exe", ".dll", ".com", ".scr", ".pif", ".cpl", ".sys", ".msi", ".msp", ".msix", ".appx", ".bat", ".cmd",
	".ps1", ".psm1", ".psd1", ".sh", ".bash", ".zsh", ".js", ".mjs", ".cjs", ".jse", ".vbs", ".vbe", ".wsf", ".wsh",
	".hta", ".lnk", ".reg", ".jar", ".apk", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".py", ".pl", ".rb", ".php",
	".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".svgz",
}

func detectedIs(want string) func(string, []byte) bool {
	return func(detected string, _ []byte) bool { return mediaType(detected) == want }
}

// mediaType is a content type without its parameters.
func mediaType(ct string) string {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt
}

// plainXML accepts XML that does not announce HTML, SVG or a style sheet,
// from which a browser would run script when the downloaded file is opened.
func plainXML(detected string, head []byte) bool {
	if mt := mediaType(detected); mt != "text/xml" && mt != "text/plain" {
		return false
	}
	lower := bytes.ToLower(head)
	for _, marker := range []string{"<svg", "<html", "<script", "http://www.w3.org/1999/xhtml", "<?xml-stylesheet", "<xsl:"} {
		if bytes.Contains(lower, []byte(marker)) {
			return false
		}
	}
	return true
}

// classifyAttachment decides whether a file named name (already sanitised)
// starting with head may be attached. It returns the name to store (with an
// extension added when it had none and the content shows its kind) and the
// content type to store, or EINVALID naming the file and the allowed kinds.
func classifyAttachment(name string, head []byte) (string, string, error) {
	if len(head) > 512 {
		head = head[:512]
	}
	detected := http.DetectContentType(head)
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		if ext = extByContent[mediaType(detected)]; ext == "" {
			return "", "", tandem.Errorf(tandem.EINVALID, "%q has no extension and its content is not a kind Tandem accepts: attach %s.", name, allowedAttachmentKinds)
		}
		name = sanitizeFilename(name + ext)
	}
	if slices.Contains(runnableExts, ext) {
		return "", "", tandem.Errorf(tandem.EINVALID, "%q is refused: programs, scripts, HTML and SVG files can run code when opened. Attach %s.", name, allowedAttachmentKinds)
	}
	for _, k := range attachmentKinds {
		if !slices.Contains(k.exts, ext) {
			continue
		}
		if !k.matches(detected, head) {
			return "", "", tandem.Errorf(tandem.EINVALID, "%q is refused: its content is not a %s. Attach %s.", name, k.name, allowedAttachmentKinds)
		}
		return name, storedType(k, detected), nil
	}
	return "", "", tandem.Errorf(tandem.EINVALID, "%q is not a kind of file Tandem accepts: attach %s.", name, allowedAttachmentKinds)
}

// storedType is the kind's content type, with the character set sniffing
// found for text.
func storedType(k attachmentKind, detected string) string {
	if !strings.HasPrefix(k.contentType, "text/") {
		return k.contentType
	}
	if _, params, err := mime.ParseMediaType(detected); err == nil && params["charset"] != "" {
		return k.contentType + "; charset=" + params["charset"]
	}
	return k.contentType
}

// maxFilenameRunes bounds a stored file name.
const maxFilenameRunes = 120

// sanitizeFilename makes a client's file name safe to store, show and send
// back in a Content-Disposition header: the last path component only,
// without control or formatting characters (such as the right-to-left
// override that disguises "fdp.exe"), without characters Windows forbids,
// without leading or trailing dots and spaces, and at most maxFilenameRunes
// long with its extension kept. An empty result becomes "attachment".
func sanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		case strings.ContainsRune(`"<>:|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if utf8.RuneCountInString(name) > maxFilenameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		base := []rune(strings.TrimSuffix(name, ext))
		base = base[:maxFilenameRunes-utf8.RuneCountInString(ext)]
		name = strings.Trim(string(base), " .") + ext
		name = strings.Trim(name, " .")
	}
	if name == "" {
		return "attachment"
	}
	return name
}
