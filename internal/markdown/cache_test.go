package markdown

import (
	"crypto/sha256"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"testing"
)

func key(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// The cache keeps what fits its budget and drops the least recently used.
func TestHTMLCacheEvictsLeastRecentlyUsed(t *testing.T) {
	h := template.HTML(strings.Repeat("x", 1000))
	c := newHTMLCache(3 * entrySize(h))
	c.add(key("a"), h)
	c.add(key("b"), h)
	c.add(key("c"), h)
	if _, ok := c.get(key("a")); !ok { // a is now the most recently used
		t.Fatal("a dropped before the cache was full")
	}
	c.add(key("d"), h)
	for name, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok := c.get(key(name)); ok != want {
			t.Errorf("get(%s) found = %v, want %v", name, ok, want)
		}
	}
	if c.size > c.budget || c.order.Len() != 3 || len(c.entries) != 3 {
		t.Errorf("size %d of budget %d, %d entries, %d in order; want 3 within budget", c.size, c.budget, len(c.entries), c.order.Len())
	}
	c.add(key("huge"), template.HTML(strings.Repeat("x", 4*1000)))
	if _, ok := c.get(key("huge")); ok {
		t.Error("HTML larger than the whole budget was kept")
	}
}

// Concurrent page views share the cache safely (run with -race) and the
// budget holds.
func TestHTMLCacheConcurrent(t *testing.T) {
	c := newHTMLCache(50 * entrySize("<p>item 00</p>"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				src := fmt.Sprintf("item %02d", (i*7+g)%100)
				want := template.HTML("<p>" + src + "</p>")
				if got, ok := c.get(key(src)); ok && got != want {
					t.Errorf("get(%q) = %q, want %q", src, got, want)
					return
				}
				c.add(key(src), want)
			}
		})
	}
	wg.Wait()
	if c.size > c.budget || c.order.Len() != len(c.entries) {
		t.Errorf("size %d of budget %d, %d entries and %d in order", c.size, c.budget, len(c.entries), c.order.Len())
	}
}
