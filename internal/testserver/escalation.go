package testserver

import (
	"fmt"
	"testing"
	"time"
)

// RunScheduler runs the server's one scheduler once at now, as its loop
// would at that instant: tests move time forward this way, without
// waiting for the clock.
func (s *Server) RunScheduler(tb testing.TB, now time.Time) map[string]int {
	tb.Helper()
	fired, err := s.Services.Scheduler.RunDue(SystemContext(), now)
	if err != nil {
		tb.Fatalf("run the scheduler at %s: %v", now, err)
	}
	return fired
}

// EmailedLinks returns the acknowledgement links (action_url) of the
// escalation emails written to a user about a ticket, oldest first: what
// the outbox holds whether or not an SMTP server sent them.
func (s *Server) EmailedLinks(tb testing.TB, ticketID, userID int64) []string {
	tb.Helper()
	var pool = s.Services.DB.Stats()["read"]
	if pool == nil {
		pool = s.Services.DB.Stats()["main"] // PostgreSQL: one pool
	}
	// The ids are integers, written in: the query needs no placeholder,
	// whose syntax differs between the dialects.
	rows, err := pool.Query(fmt.Sprintf(`SELECT action_url FROM notifications WHERE ticket_id = %d AND user_id = %d AND channel = 'email'
		AND kind = 'escalation' ORDER BY id`, ticketID, userID))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var links []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			tb.Fatal(err)
		}
		links = append(links, l)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return links
}
