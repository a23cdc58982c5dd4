package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// notifyEvents writes, in the transaction that records them, the
// notifications the ticket events cause (what notifies whom), and starts
// the escalations they trigger. addEvent calls it for every event.
// (Filled in by the notification rules.)
func (tx *Tx) notifyEvents(ctx context.Context, events []*tandem.Event) error {
	return tx.triggerEscalations(ctx, events)
}
