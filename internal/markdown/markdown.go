// Package markdown renders the Markdown of ticket descriptions and comments
// to HTML that is safe to put in a page: goldmark turns CommonMark (with
// GitHub's tables, strikethrough, autolinks and task lists) into HTML, and
// bluemonday's policy for user-generated content removes everything that
// could run script or restyle the page. Raw HTML in the Markdown is never
// passed through: goldmark leaves it out and the policy escapes the rest.
package markdown

import (
	"bytes"
	"html/template"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkRel is the rel of every link: search engines get no credit for links
// planted in tickets, and the target page gets no handle on the desk's
// window.
const linkRel = "nofollow noopener"

// Renderer turns Markdown into sanitised HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer.
func New() *Renderer {
	md := goldmark.New(
		// Without html.WithUnsafe goldmark drops javascript:, vbscript:,
		// file: and data: URLs (except data: images); rawAsText shows raw
		// HTML as text. The policy below is the second line of defence.
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(relTransformer{}, 100))),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(rawAsText{}, 100))),
	)
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	// Only the rel set above; never target, so no link opens a window that
	// could reach back through window.opener.
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	// The boxes of GFM task lists, which goldmark renders disabled.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	return &Renderer{md: md, policy: p}
}

// Render returns the sanitised HTML of src.
func (r *Renderer) Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// goldmark renders any input; should a writer fail, show the text.
		buf.Reset()
		buf.WriteString("<p>")
		template.HTMLEscape(&buf, []byte(src))
		buf.WriteString("</p>")
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}

// relTransformer sets linkRel on every link and autolink.
type relTransformer struct{}

func (relTransformer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Link, *ast.AutoLink:
			n.SetAttributeString("rel", []byte(linkRel))
		}
		return ast.WalkContinue, nil
	})
}

// rawAsText renders the raw HTML of the Markdown (blocks and inline tags) as
// escaped text, so someone pasting markup or an error page sees what they
// pasted, inert, rather than nothing.
type rawAsText struct{}

func (rawAsText) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
	reg.Register(ast.KindRawHTML, renderRawHTML)
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	_, _ = w.WriteString("<p>")
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		_, _ = w.Write(util.EscapeHTML(line.Value(source)))
	}
	if n.HasClosure() {
		_, _ = w.Write(util.EscapeHTML(n.ClosureLine.Value(source)))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*ast.RawHTML)
		for i := range n.Segments.Len() {
			seg := n.Segments.At(i)
			_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}
