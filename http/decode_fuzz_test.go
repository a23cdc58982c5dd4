package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzDecodeJSON feeds arbitrary bodies to the strict request decoder: it must
// never panic, must fail only with client error codes, and must never accept
// a body holding a field the target does not have.
func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"name":"Acme","slug":"acme"}`)
	f.Add(`{"name":5}`)
	f.Add(`{"name":"a"} {"name":"b"}`)
	f.Add(`{"nme":"typo"}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"name":"\u0000"}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/orgs", strings.NewReader(body))
		var req organizationCreateRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		if err == nil {
			var fields map[string]any
			if json.Unmarshal([]byte(body), &fields) != nil {
				t.Fatalf("accepted %q, which is not a JSON object", body)
			}
			for k := range fields {
				if !strings.EqualFold(k, "name") && !strings.EqualFold(k, "slug") {
					t.Fatalf("accepted unknown field %q in %q", k, body)
				}
			}
			return
		}
		switch code := tandem.ErrorCode(err); code {
		case tandem.EBADREQUEST, tandem.ETOOLARGE:
		default:
			t.Fatalf("decodeJSON(%q) failed with code %s: %v", body, code, err)
		}
	})
}
