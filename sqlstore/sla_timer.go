package sqlstore

import "context"

// syncTimers brings the sla_timers rows and tickets.sla_state of one ticket
// in line with its current state (status, priority, pauses, first response,
// handoffs) and its organisation's SLA policy and calendar. The ticket
// service calls it, in the same transaction, after every change to a ticket;
// it is idempotent.
func (tx *Tx) syncTimers(ctx context.Context, ticketID int64) error {
	return nil
}
