package http

import (
	"context"
	"html/template"
	"time"

	"github.com/tandemhq/tandem"
)

// viewerZone is the one zone every time on a page is shown in: an internal
// user's organisation calendar's zone; for provider staff, who work across
// organisations, the provider's zone setting (UTC until an admin sets it).
// It runs for every page: one read of the provider's row, and the zone
// itself from the server's cache.
func (s *Server) viewerZone(ctx context.Context, a *tandem.Actor) *time.Location {
	if a.Party == tandem.PartyInternal && a.OrganizationID != 0 {
		return s.clockZone(ctx, a.OrganizationID)
	}
	p, err := s.OrganizationService.FindProvider(ctx)
	if err != nil {
		return time.UTC
	}
	return s.zone(p.TimeZone)
}

// inviteeZone is the zone an invited person will see times in once they
// have joined, for the invitation page they reach without a session: their
// organisation calendar's, or the provider's. Only the zone is read, as the
// system.
func (s *Server) inviteeZone(ctx context.Context, inv *tandem.Invitation) *time.Location {
	invitee := &tandem.Actor{Party: inv.Party}
	if inv.OrganizationID != nil {
		invitee.OrganizationID = *inv.OrganizationID
	}
	return s.viewerZone(tandem.NewContextWithActor(ctx, tandem.SystemActor), invitee)
}

// zone returns the zone of an IANA name, UTC for a name that is none (the
// service refuses to store one). Zones are cached by name: loading one
// parses its rules, and a server meets only a handful.
func (s *Server) zone(name string) *time.Location {
	if loc, ok := s.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := tandem.LoadTimeZone(name)
	if err != nil {
		return time.UTC
	}
	s.zones.Store(name, loc)
	return loc
}

// whenFormat is how pages show an instant: weekday, day, month, year, time and the
// zone's abbreviation, so the zone is always named.
const whenFormat = "Mon 2 Jan 2006 15:04 MST"

// when renders t in loc as a <time> element carrying the instant in UTC,
// the one way pages show an instant. A nil or zero time renders as "—".
func when(loc *time.Location, t any) template.HTML {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case *time.Time:
		if v != nil {
			at = *v
		}
	}
	if at.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	return template.HTML(`<time datetime="` + at.UTC().Format(time.RFC3339) + `">` +
		template.HTMLEscapeString(at.In(loc).Format(whenFormat)) + `</time>`)
}
