package markdown_test

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/markdown"
)

func TestRender(t *testing.T) {
	r := markdown.New()
	tests := []struct {
		name string
		src  string
		want []string // substrings of the HTML
		not  []string // substrings it must not hold (compared in lower case)
	}{
		{name: "Emphasis", src: "Printer **on fire**, _again_", want: []string{"<p>Printer <strong>on fire</strong>, <em>again</em></p>"}},
		{name: "Link", src: "See [the wiki](https://wiki.example/printers).",
			want: []string{`<a href="https://wiki.example/printers" rel="nofollow noopener">the wiki</a>`}},
		{name: "Autolink", src: "Logs at https://logs.example/x and <https://a.example>",
			want: []string{`<a href="https://logs.example/x" rel="nofollow noopener">`, `<a href="https://a.example" rel="nofollow noopener">`}},
		{name: "Table", src: "| host | state |\n|---|---|\n| db1 | down |", want: []string{"<table>", "<td>db1</td>"}},
		{name: "TaskList", src: "- [x] rebooted\n- [ ] patched", want: []string{`<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`}},
		{name: "CodeKeepsMarkup", src: "Run `<b>` and\n\n```\n<script>x()</script>\n```", want: []string{"<code>&lt;b&gt;</code>", "&lt;script&gt;x()&lt;/script&gt;"}, not: []string{"<script", "<b>"}},
		{name: "ScriptBlockShownAsText", src: "<script>alert(document.cookie)</script>", want: []string{"&lt;script&gt;alert(document.cookie)&lt;/script&gt;"}, not: []string{"<script"}},
		{name: "InlineScriptShownAsText", src: "before <script>alert(1)</script> after", want: []string{"before &lt;script&gt;alert(1)&lt;/script&gt; after"}, not: []string{"<script"}},
		{name: "ImgOnerror", src: "<img src=x onerror=alert(1)>", want: []string{"&lt;img src=x onerror=alert(1)&gt;"}, not: []string{"<img"}},
		{name: "InlineImgOnerror", src: "look: <img src=x onerror=alert(1)>", not: []string{"<img"}},
		{name: "JavascriptLink", src: "[click](javascript:alert(1))", want: []string{">click</a>"}, not: []string{"javascript:", "href"}},
		{name: "JavascriptLinkMixedCase", src: "[click](JaVaScRiPt:alert(1))", not: []string{"javascript:", "href"}},
		{name: "JavascriptLinkEncoded", src: "[click](&#106;avascript:alert(1))", not: []string{"javascript:", "href"}},
		{name: "JavascriptLinkTabbed", src: "[click](java\tscript:alert(1))", not: []string{"href="}},
		{name: "VBScriptLink", src: "[click](vbscript:msgbox(1))", not: []string{"vbscript:", "href"}},
		{name: "DataHTMLLink", src: "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", not: []string{"data:", "href"}},
		{name: "ReferenceLinkJavascript", src: "[click][x]\n\n[x]: javascript:alert(1)", not: []string{"javascript:", "href"}},
		{name: "AutolinkJavascript", src: "<javascript:alert(1)>", not: []string{"href=\"javascript"}},
		{name: "OnAttributes", src: `<a href="https://x.example" onclick="steal()" target="_blank">x</a> <div onmouseover="steal()">y</div>`, not: []string{"<a ", "<div", "target=\"", " onclick=\"", " onmouseover=\""}},
		{name: "ImageJavascript", src: "![x](javascript:alert(1))", not: []string{"javascript:"}},
		{name: "ImageEvent", src: `![x](https://i.example/a.png "t\" onerror=\"alert(1)")`, not: []string{" onerror=\""}},
		{name: "Iframe", src: `<iframe src="https://evil.example"></iframe>`, not: []string{"<iframe"}},
		{name: "Style", src: "<style>body{display:none}</style>\n\n<p style=\"color:red\">x</p>", not: []string{"<style", "style=\""}},
		{name: "SVG", src: `<svg onload=alert(1)>`, not: []string{"<svg"}},
		{name: "Form", src: `<form action="https://evil.example"><input name=p></form>`, not: []string{"<form", "<input"}},
		{name: "Meta", src: `<meta http-equiv="refresh" content="0;url=https://evil.example">`, not: []string{"<meta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(r.Render(tt.src))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, want it to hold %q", tt.src, got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(strings.ToLower(got), strings.ToLower(n)) {
					t.Errorf("Render(%q) = %q, holds %q", tt.src, got, n)
				}
			}
		})
	}
}

// Every link carries exactly the rel Tandem sets, even where the Markdown
// tries to bring its own.
func TestRenderLinkRel(t *testing.T) {
	r := markdown.New()
	got := string(r.Render("[a](https://a.example) [b](/tickets/1 \"title\") www.c.example"))
	if n, rels := strings.Count(got, "<a "), strings.Count(got, `rel="nofollow noopener"`); n != 3 || rels != 3 {
		t.Errorf("Render = %q: %d links, %d with rel=\"nofollow noopener\"; want 3 and 3", got, n, rels)
	}
	if strings.Contains(got, "target") {
		t.Errorf("Render = %q: a link has a target", got)
	}
}
