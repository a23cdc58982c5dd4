package tandem

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// PreferenceChannels are the channels a user chooses kinds for: webhooks
// belong to teams, not to people.
var PreferenceChannels = []Channel{ChannelInApp, ChannelEmail}

// PreferenceKinds are the kinds a user may turn off, in the order the
// settings page lists them. A password reset is always sent; a failed
// delivery is told to the admins in-app whatever they chose.
var PreferenceKinds = []NotificationKind{
	NotifyReply, NotifyResolved, NotifyPendingCustomer,
	NotifyNewTicket, NotifyHandoff, NotifyAssigned, NotifyWatchedComment,
	NotifyMajorTicket,
	NotifySLAWarning, NotifySLABreach, NotifyOLABreach,
	NotifyEscalation,
}

// RequesterKinds are the kinds a requester can receive: what the settings
// page offers them.
var RequesterKinds = []NotificationKind{NotifyReply, NotifyResolved, NotifyPendingCustomer, NotifyWatchedComment}

// KindLabels name the kinds as the settings page and emails speak of them.
var KindLabels = map[NotificationKind]string{
	NotifyReply:           "A public reply on my ticket",
	NotifyResolved:        "My ticket is resolved",
	NotifyPendingCustomer: "A question waits for my answer",
	NotifyNewTicket:       "A new ticket in my team's queue",
	NotifyHandoff:         "A handoff waits for my team",
	NotifyAssigned:        "A ticket is assigned to me",
	NotifyWatchedComment:  "A comment on a ticket I watch or work",
	NotifyMajorTicket:     "A new P1 or P2 ticket in an area my team is consulted or informed on",
	NotifySLAWarning:      "An SLA target is close",
	NotifySLABreach:       "An SLA target is breached",
	NotifyOLABreach:       "A handoff waited past its acceptance target (OLA)",
	NotifyEscalation:      "An escalation reaches me (P1 escalations always do)",
}

// Check normalises the preferences (kinds sorted and without repeats,
// times trimmed) and returns the field at fault and an EINVALID error
// saying how to fix it, or "" and nil. The fields are named as the API
// names them: off, quiet_from, quiet_to, time_zone.
func (p *NotificationPreferences) Check() (field string, err error) {
	off := map[Channel][]NotificationKind{}
	for ch, kinds := range p.Off {
		if !slices.Contains(PreferenceChannels, ch) {
			return "off", Errorf(EINVALID, "off: channel %q is unknown; choose kinds for inapp or email.", ch)
		}
		var list []NotificationKind
		for _, k := range kinds {
			if !slices.Contains(PreferenceKinds, k) {
				return "off", Errorf(EINVALID, "off.%s: kind %q is unknown or cannot be turned off; use one of %s.", ch, k, joinKinds(PreferenceKinds))
			}
			if !slices.Contains(list, k) {
				list = append(list, k)
			}
		}
		if len(list) > 0 {
			slices.Sort(list)
			off[ch] = list
		}
	}
	p.Off = off
	p.QuietFrom, p.QuietTo, p.TimeZone = strings.TrimSpace(p.QuietFrom), strings.TrimSpace(p.QuietTo), strings.TrimSpace(p.TimeZone)
	if p.QuietFrom == "" && p.QuietTo == "" {
		if p.TimeZone != "" {
			if _, err := LoadTimeZone(p.TimeZone); err != nil {
				return "time_zone", err
			}
		}
		return "", nil
	}
	from, err := ParseClock(p.QuietFrom)
	if err != nil {
		return "quiet_from", Errorf(EINVALID, "Quiet hours from: %s", err.Error())
	}
	to, err := ParseClock(p.QuietTo)
	if err != nil {
		return "quiet_to", Errorf(EINVALID, "Quiet hours to: %s", err.Error())
	}
	if from == to {
		return "quiet_to", Errorf(EINVALID, "Quiet hours to: %s is also when they start; give the time they end, or clear both for no quiet hours.", p.QuietTo)
	}
	if _, err := LoadTimeZone(p.TimeZone); err != nil {
		return "time_zone", Errorf(EINVALID, "Time zone of the quiet hours: %s", ErrorMessage(err))
	}
	return "", nil
}

// Validate is Check without the field.
func (p *NotificationPreferences) Validate() error {
	_, err := p.Check()
	return err
}

func joinKinds(list []NotificationKind) string {
	s := make([]string, len(list))
	for i, k := range list {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ParseClock reads a wall-clock time "HH:MM" (00:00 to 23:59) as minutes
// after midnight. Its errors say how to write one.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, Errorf(EINVALID, "%q is not a time; write it as HH:MM, such as 22:00 or 07:30.", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' || hh > 23 || mm > 59 || hh < 0 || mm < 0 {
		return 0, Errorf(EINVALID, "%q is not a time of day; write it as HH:MM from 00:00 to 23:59.", s)
	}
	return hh*60 + mm, nil
}

// QuietUntil reports whether t falls inside the quiet hours and, if so,
// when they end: the next QuietTo on the wall clock of TimeZone. A range
// whose end is before its start runs overnight (22:00–07:00). Local days
// are counted on the wall clock, so the hours hold across DST changes; an
// end that does not exist on a DST day moves forward by the gap. Invalid
// or empty quiet hours are never quiet.
func (p *NotificationPreferences) QuietUntil(t time.Time) (time.Time, bool) {
	if p == nil || p.QuietFrom == "" || p.QuietTo == "" {
		return time.Time{}, false
	}
	from, err1 := ParseClock(p.QuietFrom)
	to, err2 := ParseClock(p.QuietTo)
	loc, err3 := LoadTimeZone(p.TimeZone)
	if err1 != nil || err2 != nil || err3 != nil || from == to {
		return time.Time{}, false
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	y, mo, d := local.Date()
	endOn := func(days int) time.Time {
		return time.Date(y, mo, d+days, to/60, to%60, 0, 0, loc)
	}
	var end time.Time
	switch {
	case from < to && now >= from && now < to, from > to && now < to:
		end = endOn(0)
	case from > to && now >= from:
		end = endOn(1)
	default:
		return time.Time{}, false
	}
	// A wall-clock time repeated by a DST change may resolve before t;
	// the quiet hours have then ended already.
	return end, end.After(t)
}
