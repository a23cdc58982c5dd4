package http

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

func (s *Server) handleAttachmentList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.TicketService.Attachments(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, list, "")
}

// maxAttachmentBytes is the attachment limit the server applies to uploads.
func (s *Server) maxAttachmentBytes() int64 {
	if s.MaxAttachmentBytes > 0 {
		return s.MaxAttachmentBytes
	}
	return DefaultMaxAttachmentBytes
}

// handleAttachmentUpload stores the "file" part of a multipart/form-data
// body, with an optional "visibility" part (public when absent). The body
// may be as large as the attachment limit plus the multipart framing, not
// the 1 MiB of JSON bodies; the service checks the file's own size and type.
func (s *Server) handleAttachmentUpload(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ticket")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	file, a, err := s.readUpload(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer file.Close()
	if err := s.TicketService.AddAttachment(r.Context(), id, a, file); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// readUpload parses an attachment upload: exactly one "file" part and at
// most one "visibility" field, nothing else.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (multipart.File, *tandem.Attachment, error) {
	limit := s.maxAttachmentBytes()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Content-Type %q is not supported; upload the file as multipart/form-data with a part named \"file\".", r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	// Up to 1 MiB is kept in memory; the rest goes to a temporary file the
	// server removes when the request ends.
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, nil, tandem.Errorf(tandem.ETOOLARGE, "The upload is larger than the attachment limit of %d bytes.", limit)
		}
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "The upload is not valid multipart/form-data: %v.", err)
	}
	form := r.MultipartForm
	for name := range form.Value {
		if name != "visibility" {
			return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Unknown form field %q; send a \"file\" part and optionally \"visibility\".", name)
		}
	}
	for name := range form.File {
		if name != "file" {
			return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Unknown file part %q; name the part \"file\".", name)
		}
	}
	files := form.File["file"]
	if len(files) != 1 {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Send exactly one part named \"file\", got %d.", len(files))
	}
	// The service defaults an empty visibility to public and judges the
	// rest after the ticket's scope, so an outsider learns nothing.
	a := &tandem.Attachment{}
	if vs := form.Value["visibility"]; len(vs) > 1 {
		return nil, nil, tandem.Errorf(tandem.EBADREQUEST, "Field \"visibility\" is given more than once; send it once.")
	} else if len(vs) == 1 {
		a.Visibility = tandem.Visibility(vs[0])
	}
	fh := files[0]
	if fh.Size > limit {
		return nil, nil, tandem.Errorf(tandem.ETOOLARGE, "The file is %d bytes, above the attachment limit of %d bytes.", fh.Size, limit)
	}
	a.Filename, a.Size = fh.Filename, fh.Size
	a.ContentType = fh.Header.Get("Content-Type")
	f, err := fh.Open()
	if err != nil {
		return nil, nil, err
	}
	return f, a, nil
}

// handleAttachmentDownload serves an attachment's bytes, always as a
// download: a browser must never render a file a customer or technician
// uploaded in Tandem's origin.
func (s *Server) handleAttachmentDownload(w http.ResponseWriter, r *http.Request) {
	if err := s.serveAttachment(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

// serveAttachment sends attachment {attachment} of ticket {id} as a
// download in a sandbox. An error comes back only before anything is
// written, for the caller to answer in its own form (JSON or a page).
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	attID, err := pathInt(r, "attachment", "attachment")
	if err != nil {
		return err
	}
	a, body, err := s.TicketService.OpenAttachment(r.Context(), id, attID)
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", downloadType(a.ContentType))
	h.Set("Content-Disposition", contentDisposition(a.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	if a.Size > 0 {
		h.Set("Content-Length", itoa64(a.Size))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		s.Logger.Error("attachment download cut short", "route", r.Pattern, "attachment", a.ID, "err", err)
	}
	return nil
}

// downloadType is the Content-Type of a download: the stored type when it
// is a well-formed media type, application/octet-stream otherwise.
func downloadType(stored string) string {
	mt, params, err := mime.ParseMediaType(stored)
	if err != nil || stored == "" {
		return "application/octet-stream"
	}
	if t := mime.FormatMediaType(mt, params); t != "" {
		return t
	}
	return "application/octet-stream"
}

// contentDisposition returns "attachment" with the file's name as RFC 6266
// wants it: an ASCII fallback in filename and the exact name, percent-encoded
// UTF-8, in filename*. Path separators and control characters never reach
// the client.
func contentDisposition(name string) string {
	name = safeFilename(name)
	var fallback, encoded strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && r != '"' && r != '\\' && r != '%':
			fallback.WriteRune(r)
		default:
			fallback.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		// attr-char of RFC 8187: ALPHA / DIGIT / "!" / "#" / "$" / "&" /
		// "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			encoded.WriteByte(b)
		} else {
			encoded.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + encoded.String()
}

// safeFilename keeps the last path element of name, drops control and
// invisible formatting characters (such as right-to-left overrides that
// disguise an extension) and names an empty result "attachment".
func safeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	name = strings.TrimSpace(b.String())
	name = strings.Trim(name, ".")
	if name == "" {
		return "attachment"
	}
	if len(name) > 255 {
		// Keep whole characters.
		cut := 255
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name
}
