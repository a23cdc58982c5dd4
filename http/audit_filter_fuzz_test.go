package http

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzParseAuditFilter feeds arbitrary query values to the audit filter
// parser: it never panics and refuses only with client errors (400).
func FuzzParseAuditFilter(f *testing.F) {
	f.Add("1", "2", "provider", "user.", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "50", true)
	f.Add("x", "-1", "", "", "2026-13-01", "yesterday", "0", false)
	f.Fuzz(func(t *testing.T, org, actor, party, action, since, until, limit string, dates bool) {
		q := url.Values{"organization_id": {org}, "actor_user_id": {actor}, "party": {party}, "action": {action},
			"since": {since}, "until": {until}, "limit": {limit}}
		r := httptest.NewRequest("GET", "/api/v1/audit?"+q.Encode(), nil)
		if _, err := parseAuditFilter(r, dates); err != nil {
			if code := tandem.ErrorCode(err); code != tandem.EBADREQUEST {
				t.Fatalf("parseAuditFilter failed with code %s: %v", code, err)
			}
		}
	})
}
