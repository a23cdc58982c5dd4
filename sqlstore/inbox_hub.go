package sqlstore

import "sync"

// InboxHub tells this process's listeners, such as the bell's event
// stream, that a user's in-app notifications changed: new ones were
// written or some were marked read. It is fed after commit (Tx.Commit), so
// a listener that looks finds what it was told of, and a rolled-back
// change tells nobody. It carries no content: a listener reads the count
// again through the service, under the reader's own scope.
type InboxHub struct {
	mu   sync.Mutex
	subs map[int64]map[chan struct{}]struct{}
}

func newInboxHub() *InboxHub { return &InboxHub{subs: map[int64]map[chan struct{}]struct{}{}} }

// Inbox returns the hub of in-app notification changes.
func (db *DB) Inbox() *InboxHub { return db.inbox }

// Subscribe returns a channel that receives a signal whenever userID's
// in-app notifications change, and the function that ends the
// subscription. Signals do not queue: one pending signal stands for any
// number of changes, so a slow listener never blocks a commit.
func (h *InboxHub) Subscribe(userID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[userID] == nil {
		h.subs[userID] = map[chan struct{}]struct{}{}
	}
	h.subs[userID][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs[userID], ch)
			if len(h.subs[userID]) == 0 {
				delete(h.subs, userID)
			}
			h.mu.Unlock()
		})
	}
}

// publish signals every listener of the users, without blocking.
func (h *InboxHub) publish(userIDs []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range userIDs {
		for ch := range h.subs[id] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
