package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// triggerEscalations starts, in the transaction that records the events,
// the escalation incidents they trigger (a new P1/P2 ticket, an SLA
// warning or breach, an OLA breach). (Filled in by the escalation work.)
func (tx *Tx) triggerEscalations(ctx context.Context, events []*tandem.Event) error {
	return nil
}
