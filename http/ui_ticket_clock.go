package http

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// deskClock is one timer as the pages show it. Its times are business
// time, counted only while the SLA calendar is open, so they are labelled
// as such and never shown as a wall-clock countdown: "2 business hours
// left" may last a whole weekend.
type deskClock struct {
	Kind  string // Response, Resolution, Acceptance of the handoff
	Party string
	// State is the CSS state: ok, warning, breached, paused, met, cancelled.
	State      string
	StateLabel string
	// Due and Warn are RFC 3339 instants for countdown.js, which turns the
	// clock to warning and overdue when they pass; empty when the clock is
	// not live (paused, met, cancelled).
	Due, Warn string
	DueAt     *time.Time // shown in the calendar's zone
	// DueWord introduces DueAt: "due", or "was due" once the clock stopped.
	DueWord string
	// Left says how much business time is left, or by how much the clock
	// is overdue, or why it does not count: "2 business hours left",
	// "overdue by 35 business minutes", "paused", "met".
	Left string
	// Short is Left for a list's cell, whose header says business time:
	// "2 h 13 min left", "overdue 35 min".
	Short string
	// Used is the business time used of the target: "38 min of 4 h used".
	Used string
	// Elapsed and Target are whole business minutes, for the meter.
	Elapsed, Target int
}

// liveTimer reports whether a timer still counts towards its due instant:
// running, or breached and not yet met.
func liveTimer(t *tandem.Timer) bool {
	return t.DueAt != nil && (t.State == tandem.TimerRunning || t.State == tandem.TimerBreached && t.MetAt == nil)
}

// hoursText writes whole business minutes in hours and minutes, as the
// SLA settings do: "45 min", "4 h", "1 h 30 min", "40 h" (no days: a
// business day is as long as its calendar says).
func hoursText(m int64) string { return sla.FormatDuration(int(m)) }

// businessText writes an amount of business time in a sentence: "1
// business minute", "45 business minutes", "2 business hours", "2 h 13 min
// of business time".
func businessText(m int64) string {
	plural := func(n int64, unit string) string {
		s := strconv.FormatInt(n, 10) + " business " + unit
		if n != 1 {
			s += "s"
		}
		return s
	}
	switch {
	case m < 60:
		return plural(m, "minute")
	case m%60 == 0:
		return plural(m/60, "hour")
	default:
		return hoursText(m) + " of business time"
	}
}

// businessLeft is what a live clock says with left business minutes to go
// (negative when overdue), in a sentence and for a list's cell.
func businessLeft(left float64) (sentence, short string) {
	if left > 0 {
		m := int64(math.Floor(left))
		if m == 0 {
			return "under a business minute left", "under 1 min left"
		}
		return businessText(m) + " left", hoursText(m) + " left"
	}
	m := int64(math.Floor(-left))
	if m == 0 {
		return "overdue", "overdue"
	}
	return "overdue by " + businessText(m), "overdue " + hoursText(m)
}

// clockOf describes a timer at now.
func clockOf(t *tandem.Timer, now time.Time) deskClock {
	elapsed := int64(math.Floor(t.ElapsedMinutes))
	c := deskClock{Party: deskPartyName(t.Party), DueAt: t.DueAt, Target: t.Minutes, Elapsed: int(min(elapsed, int64(t.Minutes))),
		Used: hoursText(elapsed) + " of " + hoursText(int64(t.Minutes)) + " used"}
	switch t.Kind {
	case tandem.TimerResponse:
		c.Kind = "Response"
	case tandem.TimerResolution:
		c.Kind = "Resolution"
	default:
		c.Kind = "Acceptance of the handoff"
	}
	c.DueWord = "was due"
	set := func(state, label, left string) { c.State, c.StateLabel, c.Left, c.Short = state, label, left, left }
	switch {
	case liveTimer(t):
		c.Due = t.DueAt.UTC().Format(time.RFC3339)
		if t.WarnAt != nil {
			c.Warn = t.WarnAt.UTC().Format(time.RFC3339)
		}
		c.State, c.StateLabel, c.DueWord = "ok", "running", "due"
		switch {
		case t.State == tandem.TimerBreached || !now.Before(*t.DueAt):
			c.State, c.StateLabel = "breached", "breached"
		case t.WarnAt != nil && !now.Before(*t.WarnAt):
			c.State, c.StateLabel = "warning", "warning"
		}
		left := float64(t.Minutes) - t.ElapsedMinutes
		if c.State == "breached" {
			left = min(left, 0) // due by the wall clock, whatever the rounding of business time
		}
		c.Left, c.Short = businessLeft(left)
	case t.State == tandem.TimerPaused:
		set("paused", "paused", "paused")
		if left := float64(t.Minutes) - t.ElapsedMinutes; left > 0 {
			sentence, _ := businessLeft(left)
			c.Left = "paused with " + sentence
		}
	case t.State == tandem.TimerBreached:
		set("breached", "breached", "breached")
		if t.MetAt != nil {
			c.Left, c.Short = "met late", "met late"
		}
	case t.State == tandem.TimerMet:
		set("met", "met", "met")
	default:
		set("cancelled", "cancelled", "cancelled")
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
		return clockOf(next, now)
	}
	c := deskClock{State: string(t.SLAState), Short: string(t.SLAState)}
	if t.SLAState == tandem.SLANone || t.SLAState == "" {
		c.State, c.Short = "none", "—"
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
