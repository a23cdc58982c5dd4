package testserver

import (
	"database/sql"
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
	return s.ackLinks(tb, fmt.Sprintf("ticket_id = %d AND user_id = %d AND channel = 'email'", ticketID, userID))
}

// PostedLinks returns the acknowledgement links of the escalation
// messages posted to a webhook's channel about a ticket, oldest first.
func (s *Server) PostedLinks(tb testing.TB, ticketID, webhookID int64) []string {
	tb.Helper()
	return s.ackLinks(tb, fmt.Sprintf("ticket_id = %d AND webhook_id = %d AND channel = 'webhook'", ticketID, webhookID))
}

// ackLinks reads the action_url of the escalation notifications matching
// where. The ids in it are integers, written in: the query needs no
// placeholder, whose syntax differs between the dialects.
func (s *Server) ackLinks(tb testing.TB, where string) []string {
	tb.Helper()
	rows, err := s.ReadPool().Query(`SELECT action_url FROM notifications WHERE ` + where + ` AND kind = 'escalation' ORDER BY id`)
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

// ReadPool is the database pool that reads: SQLite's readers, or
// PostgreSQL's one pool. Tests count and read rows with it, bypassing
// every scope.
func (s *Server) ReadPool() *sql.DB {
	if pool := s.Services.DB.Stats()["read"]; pool != nil {
		return pool
	}
	return s.Services.DB.Stats()["main"]
}
