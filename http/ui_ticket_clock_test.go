package http

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// The server writes a clock's text as countdown.js does (TestBrowserTicketCountdown
// checks the script against the same strings).
func TestCountdownText(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		due  time.Duration // from now
		want string
	}{
		{30 * time.Second, "0m left"},
		{59*time.Minute + 59*time.Second, "59m left"},
		{time.Hour, "1h 0m left"},
		{2*time.Hour + 13*time.Minute + 30*time.Second, "2h 13m left"},
		{24 * time.Hour, "1d 0h left"},
		{51*time.Hour + 59*time.Minute, "2d 3h left"},
		{0, "overdue 0m"},
		{-35 * time.Minute, "overdue 35m"},
		{-(time.Hour + 35*time.Minute), "overdue 1h 35m"},
	}
	for _, tt := range tests {
		if got := countdownText(now.Add(tt.due), now); got != tt.want {
			t.Errorf("countdownText(now%+v) = %q, want %q", tt.due, got, tt.want)
		}
	}
}

func TestClockOf(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name                  string
		timer                 tandem.Timer
		state, countdown, due string
		live                  bool
	}{
		{"Running", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerRunning, Minutes: 60, DueAt: at(45 * time.Minute), WarnAt: at(30 * time.Minute)},
			"ok", "45m left", "Mon 2 Mar 2026 11:45 CET", true},
		{"Warning", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerRunning, Minutes: 60, DueAt: at(10 * time.Minute), WarnAt: at(-5 * time.Minute)},
			"warning", "10m left", "Mon 2 Mar 2026 11:10 CET", true},
		{"PastDueNotYetFired", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerRunning, Minutes: 60, DueAt: at(-3 * time.Minute)},
			"breached", "overdue 3m", "Mon 2 Mar 2026 10:57 CET", true},
		{"Breached", tandem.Timer{Kind: tandem.TimerAccept, State: tandem.TimerBreached, Minutes: 30, DueAt: at(-2 * time.Hour), BreachedAt: at(-2 * time.Hour)},
			"breached", "overdue 2h 0m", "Mon 2 Mar 2026 09:00 CET", true},
		{"BreachedThenMet", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerBreached, Minutes: 30, DueAt: at(-2 * time.Hour), MetAt: at(-time.Hour)},
			"breached", "met late", "Mon 2 Mar 2026 09:00 CET", false},
		{"Paused", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerPaused, Minutes: 240},
			"paused", "paused", "", false},
		{"Met", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerMet, Minutes: 30, DueAt: at(time.Hour), MetAt: at(-time.Minute)},
			"met", "met", "Mon 2 Mar 2026 12:00 CET", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clockOf(&tt.timer, now, berlin)
			if c.State != tt.state || c.Countdown != tt.countdown || c.DueText != tt.due || (c.Due != "") != tt.live {
				t.Errorf("clock = state %q, countdown %q, due %q, live %v; want %q, %q, %q, %v", c.State, c.Countdown, c.DueText, c.Due != "", tt.state, tt.countdown, tt.due, tt.live)
			}
		})
	}
}
