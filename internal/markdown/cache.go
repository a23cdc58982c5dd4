package markdown

import (
	"container/list"
	"crypto/sha256"
	"html/template"
	"sync"
)

// entryOverhead approximates what an entry costs beyond its HTML: the key
// twice (map and list element), the list element and the map slot.
const entryOverhead = 2*sha256.Size + 96

// htmlCache holds the HTML of recently rendered sources, least recently used
// first out, within a budget of bytes. It is safe for concurrent use. Two
// requests that miss on the same source at once both render it; the second
// stores the same HTML again, which is harmless.
type htmlCache struct {
	mu      sync.Mutex
	budget  int
	size    int
	order   *list.List // of *cacheEntry, most recently used at the front
	entries map[[sha256.Size]byte]*list.Element
}

type cacheEntry struct {
	key  [sha256.Size]byte
	html template.HTML
}

func newHTMLCache(budget int) *htmlCache {
	return &htmlCache{budget: budget, order: list.New(), entries: make(map[[sha256.Size]byte]*list.Element)}
}

func entrySize(h template.HTML) int { return len(h) + entryOverhead }

// get returns the HTML stored for key and marks it recently used.
func (c *htmlCache) get(key [sha256.Size]byte) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).html, true
}

// add stores h under key, dropping the least recently used entries until
// the cache fits its budget. HTML larger than the whole budget is not kept.
func (c *htmlCache) add(key [sha256.Size]byte, h template.HTML) {
	size := entrySize(h)
	if size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, html: h})
	c.size += size
	for c.size > c.budget {
		oldest := c.order.Back()
		ent := oldest.Value.(*cacheEntry)
		c.order.Remove(oldest)
		delete(c.entries, ent.key)
		c.size -= entrySize(ent.html)
	}
}
