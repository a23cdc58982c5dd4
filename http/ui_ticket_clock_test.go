package http

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// Business time is written in hours and minutes, and always says it is
// business time: "2 business hours left", never a bare "2h 13m".
func TestBusinessLeft(t *testing.T) {
	tests := []struct {
		left            float64 // business minutes, negative when overdue
		sentence, short string
	}{
		{0.5, "under a business minute left", "under 1 min left"},
		{1, "1 business minute left", "1 min left"},
		{45.9, "45 business minutes left", "45 min left"},
		{60, "1 business hour left", "1 h left"},
		{120, "2 business hours left", "2 h left"},
		{133, "2 h 13 min of business time left", "2 h 13 min left"},
		{2400, "40 business hours left", "40 h left"},
		{0, "overdue", "overdue"},
		{-35, "overdue by 35 business minutes", "overdue 35 min"},
		{-65, "overdue by 1 h 5 min of business time", "overdue 1 h 5 min"},
	}
	for _, tt := range tests {
		if sentence, short := businessLeft(tt.left); sentence != tt.sentence || short != tt.short {
			t.Errorf("businessLeft(%v) = %q, %q; want %q, %q", tt.left, sentence, short, tt.sentence, tt.short)
		}
	}
}

func TestClockOf(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	tests := []struct {
		name                   string
		timer                  tandem.Timer
		state, left, used, due string
		live                   bool
	}{
		{"Running", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerRunning, Minutes: 240, ElapsedMinutes: 120, DueAt: at(45 * time.Hour), WarnAt: at(30 * time.Minute)},
			"ok", "2 business hours left", "2 h of 4 h used", "due", true},
		{"Warning", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerRunning, Minutes: 60, ElapsedMinutes: 50.5, DueAt: at(10 * time.Minute), WarnAt: at(-5 * time.Minute)},
			"warning", "9 business minutes left", "50 min of 1 h used", "due", true},
		// The worker has not fired yet, and business time was rounded
		// down: the wall clock says it is due, so it is overdue.
		{"PastDueNotYetFired", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerRunning, Minutes: 60, ElapsedMinutes: 59.9, DueAt: at(-3 * time.Minute)},
			"breached", "overdue", "59 min of 1 h used", "due", true},
		{"Breached", tandem.Timer{Kind: tandem.TimerAccept, State: tandem.TimerBreached, Minutes: 30, ElapsedMinutes: 150, DueAt: at(-2 * time.Hour), BreachedAt: at(-2 * time.Hour)},
			"breached", "overdue by 2 business hours", "2 h 30 min of 30 min used", "due", true},
		{"BreachedThenMet", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerBreached, Minutes: 30, ElapsedMinutes: 90, DueAt: at(-2 * time.Hour), MetAt: at(-time.Hour)},
			"breached", "met late", "1 h 30 min of 30 min used", "was due", false},
		{"Paused", tandem.Timer{Kind: tandem.TimerResolution, State: tandem.TimerPaused, Minutes: 240, ElapsedMinutes: 30},
			"paused", "paused with 3 h 30 min of business time left", "30 min of 4 h used", "was due", false},
		{"Met", tandem.Timer{Kind: tandem.TimerResponse, State: tandem.TimerMet, Minutes: 30, ElapsedMinutes: 12, DueAt: at(time.Hour), MetAt: at(-time.Minute)},
			"met", "met", "12 min of 30 min used", "was due", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clockOf(&tt.timer, now)
			if c.State != tt.state || c.Left != tt.left || c.Used != tt.used || c.DueWord != tt.due || (c.Due != "") != tt.live {
				t.Errorf("clock = state %q, left %q, used %q, %q, live %v; want %q, %q, %q, %q, %v",
					c.State, c.Left, c.Used, c.DueWord, c.Due != "", tt.state, tt.left, tt.used, tt.due, tt.live)
			}
			if c.Elapsed > c.Target {
				t.Errorf("the meter shows %d of %d", c.Elapsed, c.Target)
			}
		})
	}
}
