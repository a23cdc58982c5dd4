package agentproto_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

// A refused message names the field that is wrong, as the agent's log and
// the server's answer show it.
func TestDecodeCheckinNamesTheField(t *testing.T) {
	const at = `"at":"2026-01-01T00:00:00Z"`
	for _, c := range []struct {
		name, body, field, message string
	}{
		{"UnknownTopLevel", `{"seq":1,` + at + `,"gpu_pct":3}`, "gpu_pct", "not a field"},
		{"UnknownNested", `{"seq":1,` + at + `,"metrics":{"cpu_pct":3,"gpu_pct":3}}`, "metrics.gpu_pct", "not a field"},
		{"UnknownInArray", `{"seq":1,` + at + `,"metrics":{"volumes":[{"mount":"/","inodes":3}]}}`, "metrics.volumes[0].inodes", "not a field"},
		{"WrongType", `{"seq":"one",` + at + `}`, "seq", "must be int64, not a JSON string"},
		{"WrongNestedType", `{"seq":1,` + at + `,"checks":[{"check_id":true}]}`, "checks[0].check_id", "not a JSON boolean"},
		{"Repeated", `{"seq":1,"seq":2,` + at + `}`, "seq", "appears twice"},
		{"CaseDiffers", `{"Seq":1,` + at + `}`, "Seq", "not a field"},
		{"Trailing", `{"seq":1,` + at + `} {}`, "", "more than one JSON value"},
		{"TrailingGarbage", `{"seq":1,` + at + `}x`, "", "more than one JSON value"},
		{"Truncated", `{"seq":1,`, "", "not a valid JSON object"},
		{"NotAnObject", `[1]`, "", "not a valid JSON object"},
		{"InvalidUTF8", "{\"seq\":1," + at + ",\"metrics\":{\"users\":[\"\xff\"]}}", "", "not a valid JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := agentproto.DecodeCheckin([]byte(c.body))
			var perr *agentproto.Error
			if !errors.As(err, &perr) {
				t.Fatalf("DecodeCheckin(%s) = %v; want an agentproto.Error", c.body, err)
			}
			if perr.Field != c.field || !strings.Contains(perr.Message, c.message) {
				t.Errorf("DecodeCheckin(%s) = field %q, %q; want field %q and a message containing %q", c.body, perr.Field, perr.Message, c.field, c.message)
			}
		})
	}
}
