// Package markdown renders the Markdown of ticket descriptions and comments
// to HTML that is safe to put in a page: goldmark turns CommonMark (with
// GitHub's tables, strikethrough, autolinks and task lists) into HTML, and
// bluemonday's policy for user-generated content removes everything that
// could run script or restyle the page. Raw HTML in the Markdown is never
// passed through: goldmark leaves it out and the policy escapes the rest.
//
// Text whose shape would make the conversion costly (huge tables, deep
// nesting, thousands of link or emphasis openers; see shapeTooCostly), or
// whose HTML would exceed maxHTML, is shown escaped instead, preformatted,
// so a requester's 64 KiB cannot tie up the server on every page view. The
// HTML of recently rendered texts is cached, so a page view re-renders
// nothing that has not changed.
package markdown

import (
	"bytes"
	"crypto/sha256"
	"errors"
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

const (
	// maxHTML bounds the HTML of one text, before and after sanitising:
	// a 64 KiB ticket of ordinary Markdown comes to a few hundred KiB.
	maxHTML = 1 << 20
	// cacheBytes bounds the HTML the cache holds.
	cacheBytes = 16 << 20
)

// Renderer turns Markdown into sanitised HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	cache  *htmlCache
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
	return &Renderer{md: md, policy: p, cache: newHTMLCache(cacheBytes)}
}

// Render returns the sanitised HTML of src, or, when src is too costly to
// convert or its HTML too large, src escaped in a
// <pre class="markdown-fallback">.
func (r *Renderer) Render(src string) template.HTML {
	key := sha256.Sum256([]byte(src))
	if h, ok := r.cache.get(key); ok {
		return h
	}
	h := r.render(src)
	r.cache.add(key, h)
	return h
}

// render converts and sanitises src, bypassing the cache.
func (r *Renderer) render(src string) template.HTML {
	if shapeTooCostly(src) != "" {
		return fallback(src)
	}
	w := &cappedBuffer{max: maxHTML}
	if err := r.md.Convert([]byte(src), w); err != nil {
		// goldmark converts any input, so the error is the cap.
		return fallback(src)
	}
	out := r.policy.SanitizeBytes(w.buf.Bytes())
	if len(out) > maxHTML {
		return fallback(src)
	}
	return template.HTML(out)
}

// fallback shows src as it was typed, escaped, keeping its line breaks.
func fallback(src string) template.HTML {
	return template.HTML(`<pre class="markdown-fallback">` + template.HTMLEscapeString(src) + "</pre>")
}

// errTooLarge is what cappedBuffer returns once full.
var errTooLarge = errors.New("markdown: HTML too large")

// cappedBuffer keeps at most max bytes and refuses the write that would
// exceed them. goldmark buffers its output and keeps the first write error,
// so once the cap is hit the rest of the conversion writes nothing.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (w *cappedBuffer) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		return 0, errTooLarge
	}
	return w.buf.Write(p)
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
