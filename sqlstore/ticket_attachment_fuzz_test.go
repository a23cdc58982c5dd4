package sqlstore

import (
	"bytes"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\ana\Desktop\invoice.pdf`, "invoice.pdf"},
		{"/tmp/", "attachment"},
		{"..", "attachment"},
		{"", "attachment"},
		{" . ", "attachment"},
		{".bashrc", "bashrc"},
		{"rep\x00ort\r\n.pdf", "report.pdf"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"}, // right-to-left override shows it as "invoiceexe.pdf"
		{"zero\u200Bwidth.txt", "zerowidth.txt"},
		{"tab\there.txt", "tabhere.txt"},
		{"no\u00A0break.txt", "no break.txt"},
		{`what"is<this>?.txt`, "what_is_this__.txt"},
		{"trailing.pdf. . ", "trailing.pdf"},
		{"bad\xffutf8.txt", "bad_utf8.txt"},
		{"Überweisung März.pdf", "Überweisung März.pdf"},
		{long + ".pdf", strings.Repeat("a", maxFilenameRunes-4) + ".pdf"},
		{long, strings.Repeat("a", maxFilenameRunes)},
		{strings.Repeat("é", 200) + ".docx", strings.Repeat("é", maxFilenameRunes-5) + ".docx"},
	}
	for _, tt := range tests {
		if got := sanitizeFilename(tt.in); got != tt.want {
			t.Errorf("sanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Samples of each kind's first bytes.
var (
	pdfHead  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
	pngHead  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpegHead = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	zipHead  = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00")
	oleHead  = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00")
	exeHead  = []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
	elfHead  = []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00")
)

func TestClassifyAttachment(t *testing.T) {
	tests := []struct {
		name, file string
		head       []byte
		// wantName and wantType are the stored name and type; empty
		// wantType means refused (EINVALID).
		wantName, wantType string
	}{
		{"PDF", "report.pdf", pdfHead, "report.pdf", "application/pdf"},
		{"PDFUpperCaseExtension", "REPORT.PDF", pdfHead, "REPORT.PDF", "application/pdf"},
		{"PNG", "screen.png", pngHead, "screen.png", "image/png"},
		{"JPEG", "photo.jpeg", jpegHead, "photo.jpeg", "image/jpeg"},
		{"JPG", "photo.jpg", jpegHead, "photo.jpg", "image/jpeg"},
		{"GIF", "anim.gif", []byte("GIF89a\x01\x00"), "anim.gif", "image/gif"},
		{"WebP", "pic.webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "pic.webp", "image/webp"},
		{"Text", "notes.txt", []byte("printer jams on tray 2\n"), "notes.txt", "text/plain; charset=utf-8"},
		{"Log", "app.log", []byte("2030-03-14 ERROR disk full\n"), "app.log", "text/plain; charset=utf-8"},
		{"LogUTF16", "app.log", []byte("\xff\xfeh\x00i\x00"), "app.log", "text/plain; charset=utf-16le"},
		{"CSV", "assets.csv", []byte("host,ip\npc1,10.0.0.1\n"), "assets.csv", "text/csv; charset=utf-8"},
		{"JSON", "config.json", []byte(`{"retries": 3}`), "config.json", "application/json"},
		{"XML", "export.xml", []byte(`<?xml version="1.0"?><devices/>`), "export.xml", "application/xml"},
		{"ZIP", "logs.zip", zipHead, "logs.zip", "application/zip"},
		{"DOCX", "contract.docx", zipHead, "contract.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"XLSX", "budget.xlsx", zipHead, "budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"PPTX", "review.pptx", zipHead, "review.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"EML", "phish.eml", []byte("From: a@example.com\r\nSubject: hi\r\n\r\nbody"), "phish.eml", "message/rfc822"},
		{"MSG", "mail.msg", oleHead, "mail.msg", "application/vnd.ms-outlook"},
		{"NoExtensionPDF", "attachment", pdfHead, "attachment.pdf", "application/pdf"},
		{"NoExtensionText", "passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), "passwd.txt", "text/plain; charset=utf-8"},

		{"ExecutableNamedPDF", "report.pdf", exeHead, "", ""},
		{"ELFNamedLog", "app.log", elfHead, "", ""},
		{"ExecutableNamedZIP", "tools.zip", exeHead, "", ""},
		{"HTMLNamedText", "notes.txt", []byte("<html><script>alert(1)</script>"), "", ""},
		{"ScriptNamedText", "notes.txt", []byte("<!-- hi --><script>alert(1)</script>"), "", ""},
		{"PDFNamedDOCX", "contract.docx", pdfHead, "", ""},
		{"MSGNotOLE", "mail.msg", []byte("From: a@example.com\r\n"), "", ""},
		{"SVGNamedXML", "logo.xml", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", ""},
		{"XHTMLNamedXML", "page.xml", []byte(`<?xml version="1.0"?><a:html xmlns:a="http://www.w3.org/1999/xhtml"/>`), "", ""},
		{"StylesheetXML", "data.xml", []byte(`<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>`), "", ""},
		{"EXE", "setup.exe", exeHead, "", ""},
		{"DLL", "lib.dll", exeHead, "", ""},
		{"MSI", "install.msi", oleHead, "", ""},
		{"BAT", "fix.bat", []byte("@echo off\r\n"), "", ""},
		{"CMD", "fix.cmd", []byte("@echo off\r\n"), "", ""},
		{"PowerShell", "fix.ps1", []byte("Get-Process\n"), "", ""},
		{"Shell", "fix.sh", []byte("#!/bin/sh\n"), "", ""},
		{"JavaScript", "fix.js", []byte("alert(1)\n"), "", ""},
		{"VBScript", "fix.vbs", []byte("MsgBox 1\n"), "", ""},
		{"JAR", "tool.jar", zipHead, "", ""},
		{"HTML", "page.html", []byte("<html></html>"), "", ""},
		{"HTM", "page.htm", []byte("<html></html>"), "", ""},
		{"SVG", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "", ""},
		{"DoubleExtension", "report.pdf.exe", exeHead, "", ""},
		{"UnknownExtension", "data.bin", []byte("\x00\x01\x02"), "", ""},
		{"NoExtensionExecutable", "attachment", exeHead, "", ""},
		{"NoExtensionZIP", "attachment", zipHead, "", ""}, // could be a .jar
		{"NoExtensionHTML", "attachment", []byte("<html>"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ct, err := classifyAttachment(tt.file, tt.head)
			if tt.wantType == "" {
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("classifyAttachment(%q) = %q, %q, %v; want EINVALID", tt.file, name, ct, err)
				}
				msg := tandem.ErrorMessage(err)
				if !strings.Contains(msg, tt.file) || !strings.Contains(msg, "PDF, PNG") {
					t.Fatalf("message %q should name %q and the allowed kinds", msg, tt.file)
				}
				return
			}
			if err != nil || name != tt.wantName || ct != tt.wantType {
				t.Fatalf("classifyAttachment(%q) = %q, %q, %v; want %q, %q", tt.file, name, ct, err, tt.wantName, tt.wantType)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{1, "1 bytes"}, {1023, "1023 bytes"}, {12 << 10, "12 KB"}, {12<<10 + 700, "13 KB"},
		{25 << 20, "25 MiB"}, {3<<20 + 400<<10, "3.4 MB"},
	} {
		if got := formatSize(tt.n); got != tt.want {
			t.Errorf("formatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// FuzzSanitizeFilename checks that whatever a client sends, the stored name
// is one path component of printable characters, bounded, never hidden or
// empty, and stable when sanitised again.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../etc/passwd", `..\..\win.ini`, "a\x00b", "\u202Egpj.exe", ".", "..", " ", "\xff\xfe", strings.Repeat("x", 500) + ".pdf", "a/b/", "é.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := sanitizeFilename(in)
		switch {
		case got == "":
			t.Fatal("empty name")
		case !utf8.ValidString(got):
			t.Fatalf("%q is not UTF-8", got)
		case strings.ContainsAny(got, `/\"<>:|?*`):
			t.Fatalf("%q holds a path separator or forbidden character", got)
		case got == "." || got == "..", strings.HasPrefix(got, "."), strings.HasSuffix(got, "."), strings.HasPrefix(got, " "), strings.HasSuffix(got, " "):
			t.Fatalf("%q starts or ends with a dot or space", got)
		case utf8.RuneCountInString(got) > maxFilenameRunes:
			t.Fatalf("%q is longer than %d characters", got, maxFilenameRunes)
		case sanitizeFilename(got) != got:
			t.Fatalf("sanitising %q again gives %q", got, sanitizeFilename(got))
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("%q holds %U", got, r)
			}
		}
	})
}

// FuzzClassifyAttachment checks that no name and content get past the type
// check unless the stored name ends in an allowed extension whose content
// check passes, that runnable extensions never do, and that refusals are
// EINVALID.
func FuzzClassifyAttachment(f *testing.F) {
	for _, s := range []struct {
		name string
		head []byte
	}{
		{"report.pdf", pdfHead}, {"report.pdf", exeHead}, {"x.docx", zipHead}, {"a", pngHead}, {"a.txt", []byte("hi")},
		{"a.svg", []byte("<svg/>")}, {"a.xml", []byte("<?xml?><svg/>")}, {"m.msg", oleHead}, {"", nil},
	} {
		f.Add(s.name, s.head)
	}
	f.Fuzz(func(t *testing.T, file string, head []byte) {
		file = sanitizeFilename(file)
		name, ct, err := classifyAttachment(file, head)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("refused with %v, want EINVALID", err)
			}
			return
		}
		ext := strings.ToLower(path.Ext(name))
		if slices.Contains(runnableExts, ext) {
			t.Fatalf("%q allowed as %s", name, ct)
		}
		var kind *attachmentKind
		for i, k := range attachmentKinds {
			if slices.Contains(k.exts, ext) {
				kind = &attachmentKinds[i]
			}
		}
		if kind == nil || !strings.HasPrefix(ct, kind.contentType) {
			t.Fatalf("%q allowed as %q: not an allowed kind", name, ct)
		}
		if mediaType(ct) == "text/html" || bytes.HasPrefix(head, []byte("MZ")) && mediaType(ct) != "text/plain" && mediaType(ct) != "text/csv" && mediaType(ct) != "application/json" && mediaType(ct) != "message/rfc822" && mediaType(ct) != "application/xml" {
			t.Fatalf("%q with head %q allowed as %q", name, head, ct)
		}
		if name != file && name != sanitizeFilename(file+ext) {
			t.Fatalf("stored name %q, sent %q", name, file)
		}
	})
}
