package markdown_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/markdown"
)

var (
	// tagPattern finds the opening tags of the rendered HTML.
	tagPattern = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	// attrPattern finds the attribute names of a tag.
	attrPattern = regexp.MustCompile(`\s([^\s=/>]+)(?:="[^"]*")?`)
)

// allowed lists the tags Render may produce; anything else (script, style,
// iframe, object, form, svg, meta…) means the sanitiser let markup through.
var allowed = map[string]bool{
	"a": true, "p": true, "br": true, "hr": true, "em": true, "strong": true, "del": true, "code": true, "pre": true,
	"blockquote": true, "ul": true, "ol": true, "li": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "img": true, "input": true,
}

// FuzzRender checks that whatever the Markdown, the HTML holds only allowed
// tags, no event handler or style attribute, no target, no script URL, and
// that every link has rel="nofollow noopener", and that the HTML is no
// larger than the cap or, in the fallback, the text escaped.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"**bold** [link](https://x.example)",
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[x](javascript:alert(1))",
		"<a href=\"https://x\" target=_blank onclick=y>z</a>",
		"| a |\n|---|\n| <b onclick=x>1</b> |",
		"- [x] done\n- [ ] <svg onload=alert(1)>",
		"![i](data:image/png;base64,iVBORw0KGgo= \"t\")",
		"```html\n<script>\n```",
		"<div\nonmouseover=x>text</div>",
		"[a][r]\n\n[r]: <javascript:alert(1)> \"t\"",
		strings.Repeat(">", 40) + "<script>x</script>",
		"|" + strings.Repeat("a|", 70) + "\n|" + strings.Repeat("-|", 70) + "\n<b>",
	} {
		f.Add(s)
	}
	r := markdown.New()
	f.Fuzz(func(t *testing.T, src string) {
		got := string(r.Render(src))
		if len(got) > max(markdown.MaxHTML, maxFallback(src)) {
			t.Fatalf("Render(%d bytes) = %d bytes of HTML", len(src), len(got))
		}
		for _, m := range tagPattern.FindAllStringSubmatch(got, -1) {
			tag := strings.ToLower(m[1])
			if !allowed[tag] {
				t.Fatalf("Render(%q) = %q: tag <%s> got through", src, got, tag)
			}
			for _, a := range attrPattern.FindAllStringSubmatch(m[2], -1) {
				name := strings.ToLower(a[1])
				if strings.HasPrefix(name, "on") || name == "style" || name == "target" || name == "srcdoc" || name == "formaction" {
					t.Fatalf("Render(%q) = %q: attribute %s on <%s>", src, got, name, tag)
				}
			}
			if tag == "a" && !strings.Contains(m[2], `rel="nofollow noopener"`) {
				t.Fatalf("Render(%q) = %q: link %q without rel=\"nofollow noopener\"", src, got, m[0])
			}
		}
		lower := strings.ToLower(got)
		for _, bad := range []string{`href="javascript:`, `src="javascript:`, `href="vbscript:`, `href="data:`} {
			if strings.Contains(lower, bad) {
				t.Fatalf("Render(%q) = %q: holds %s", src, got, bad)
			}
		}
	})
}
