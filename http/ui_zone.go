package http

import (
	"context"
	"html/template"
	"time"

	"github.com/tandemhq/tandem"
)

// viewerZone is the one zone every time on a page is shown in: an internal
// user's organisation calendar's zone; for provider staff, who work across
// organisations, UTC until the provider sets a zone of its own.
func (s *Server) viewerZone(ctx context.Context, a *tandem.Actor) *time.Location {
	if a.Party == tandem.PartyInternal && a.OrganizationID != 0 {
		return s.clockZone(ctx, a.OrganizationID)
	}
	return time.UTC
}

// whenFormat is how pages show an instant: day, month, year, time and the
// zone's abbreviation, so the zone is always named.
const whenFormat = "2 Jan 2006 15:04 MST"

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
