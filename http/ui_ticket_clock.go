package http

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
)

// deskClock is one timer as the pages show it.
type deskClock struct {
	Kind  string // Response, Resolution, Acceptance of a handoff
	Party string
	// State is the CSS state: ok, warning, breached, paused, met, cancelled.
	State      string
	StateLabel string
	// Due and Warn are RFC 3339 instants for countdown.js; empty when the
	// clock is not live (paused, met, cancelled).
	Due, Warn string
	DueText   string // the due instant in the calendar's zone
	Countdown string // "2h 13m left", "overdue 35m", "paused", "met"
	Elapsed   string // business minutes used
	Remaining string // business minutes left (negative when overdue)
	Target    int
}

// liveTimer reports whether a timer still counts towards its due instant:
// running, or breached and not yet met.
func liveTimer(t *tandem.Timer) bool {
	return t.DueAt != nil && (t.State == tandem.TimerRunning || t.State == tandem.TimerBreached && t.MetAt == nil)
}

// durationText writes a duration as the countdowns do: "45m", "2h 13m",
// "3d 4h". countdown.js writes the same text.
func durationText(d time.Duration) string {
	m := int64(d / time.Minute)
	switch {
	case m < 60:
		return strconv.FormatInt(m, 10) + "m"
	case m < 24*60:
		return strconv.FormatInt(m/60, 10) + "h " + strconv.FormatInt(m%60, 10) + "m"
	default:
		return strconv.FormatInt(m/(24*60), 10) + "d " + strconv.FormatInt(m%(24*60)/60, 10) + "h"
	}
}

// countdownText is what a live clock says at now.
func countdownText(due, now time.Time) string {
	if d := due.Sub(now); d > 0 {
		return durationText(d) + " left"
	}
	return "overdue " + durationText(now.Sub(due))
}

// minutesText writes business minutes, with one decimal where not whole.
func minutesText(m float64) string {
	m = math.Round(m*10) / 10
	if m == float64(int64(m)) {
		return strconv.FormatInt(int64(m), 10) + " min"
	}
	return strconv.FormatFloat(m, 'f', 1, 64) + " min"
}

// clockOf describes a timer at now, with instants in loc.
func clockOf(t *tandem.Timer, now time.Time, loc *time.Location) deskClock {
	c := deskClock{Party: deskPartyName(t.Party), Target: t.Minutes, Elapsed: minutesText(t.ElapsedMinutes), Remaining: minutesText(float64(t.Minutes) - t.ElapsedMinutes)}
	switch t.Kind {
	case tandem.TimerResponse:
		c.Kind = "Response"
	case tandem.TimerResolution:
		c.Kind = "Resolution"
	default:
		c.Kind = "Acceptance of the handoff"
	}
	if t.DueAt != nil {
		c.DueText = t.DueAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	}
	switch {
	case liveTimer(t):
		c.Due = t.DueAt.UTC().Format(time.RFC3339)
		if t.WarnAt != nil {
			c.Warn = t.WarnAt.UTC().Format(time.RFC3339)
		}
		c.Countdown = countdownText(*t.DueAt, now)
		c.State, c.StateLabel = "ok", "running"
		switch {
		case t.State == tandem.TimerBreached || !now.Before(*t.DueAt):
			c.State, c.StateLabel = "breached", "breached"
		case t.WarnAt != nil && !now.Before(*t.WarnAt):
			c.State, c.StateLabel = "warning", "warning"
		}
	case t.State == tandem.TimerPaused:
		c.State, c.StateLabel, c.Countdown = "paused", "paused", "paused"
	case t.State == tandem.TimerBreached:
		c.State, c.StateLabel, c.Countdown = "breached", "breached", "breached"
		if t.MetAt != nil {
			c.Countdown = "met late"
		}
	case t.State == tandem.TimerMet:
		c.State, c.StateLabel, c.Countdown = "met", "met", "met"
	default:
		c.State, c.StateLabel, c.Countdown = "cancelled", "cancelled", "cancelled"
	}
	return c
}

// listClock is the one clock a list row shows: the live timer due first, or
// the ticket's SLA state when none is live.
func listClock(t *tandem.Ticket, now time.Time) deskClock {
	var next *tandem.Timer
	for _, tm := range t.Timers {
		if liveTimer(tm) && (next == nil || tm.DueAt.Before(*next.DueAt)) {
			next = tm
		}
	}
	if next != nil {
		return clockOf(next, now, time.UTC)
	}
	c := deskClock{State: string(t.SLAState), Countdown: string(t.SLAState)}
	if t.SLAState == tandem.SLANone || t.SLAState == "" {
		c.State, c.Countdown = "none", "—"
	}
	return c
}

// clockZone returns the zone of the organisation's SLA calendar, UTC for
// 24×7 or when the viewer may not read it.
func (s *Server) clockZone(ctx context.Context, orgID int64) *time.Location {
	loc, err := s.SLAService.SLATimeZone(ctx, orgID)
	if err != nil {
		return time.UTC
	}
	return loc
}
