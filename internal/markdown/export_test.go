package markdown

import "html/template"

// MaxHTML and the hooks below let the external tests measure what the cache
// would otherwise hide.
const MaxHTML = maxHTML

// ShapeTooCostly is shapeTooCostly.
var ShapeTooCostly = shapeTooCostly

// RenderUncached converts src as Render does, without the cache.
func (r *Renderer) RenderUncached(src string) template.HTML { return r.render(src) }
