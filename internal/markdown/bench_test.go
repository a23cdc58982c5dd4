package markdown_test

import (
	"testing"

	"github.com/tandemhq/tandem/internal/markdown"
)

// comment is a typical technician's comment: a few paragraphs, a list, a
// link, inline code, a short log excerpt and a small table.
const comment = "Hi Kim, thanks for the details.\n\n" +
	"I checked the **print server** and the queue for `PRN-3F-EAST` was paused after last night's patch run. Steps taken:\n\n" +
	"1. Resumed the queue and cleared 14 stuck jobs\n2. Restarted the *spooler* service\n3. Printed a test page — OK\n   - duplex: OK\n   - tray 2: jammed, cleared\n\n" +
	"Relevant log lines:\n\n```\n2026-03-01 08:59:12 [WARN] spooler: queue PRN-3F-EAST paused by policy (patch_window)\n2026-03-01 09:14:03 [INFO] spooler: queue resumed by tech_ops\n```\n\n" +
	"| printer | state | toner |\n|---|---|---|\n| PRN-3F-EAST | ready | 40% |\n| PRN-3F-WEST | ready | 85% |\n\n" +
	"See the runbook: [printing](https://wiki.example/runbooks/printing). If it happens again, reply here and I will escalate to the provider.\n"

func BenchmarkRenderComment(b *testing.B) {
	r := markdown.New()
	b.Run("Uncached", func(b *testing.B) {
		b.SetBytes(int64(len(comment)))
		for b.Loop() {
			r.RenderUncached(comment)
		}
	})
	b.Run("Cached", func(b *testing.B) {
		b.SetBytes(int64(len(comment)))
		r.Render(comment)
		for b.Loop() {
			r.Render(comment)
		}
	})
	b.Run("ShapeCheck", func(b *testing.B) {
		b.SetBytes(int64(len(comment)))
		for b.Loop() {
			markdown.ShapeTooCostly(comment)
		}
	})
}
