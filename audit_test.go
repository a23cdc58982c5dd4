package tandem_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// canonical mirrors the canonical form's fields, to read it back.
type canonical struct {
	Chain          string          `json:"chain"`
	Seq            int64           `json:"seq"`
	At             string          `json:"at"`
	ActorUserID    *int64          `json:"actor_user_id"`
	ActorEmail     string          `json:"actor_email"`
	ActorParty     string          `json:"actor_party"`
	OrganizationID *int64          `json:"organization_id"`
	Action         string          `json:"action"`
	Target         string          `json:"target"`
	Source         string          `json:"source"`
	Summary        json.RawMessage `json:"summary"`
	PrevHash       string          `json:"prev_hash"`
}

// jsonValue decodes JSON keeping numbers as written, for comparing values
// whatever their escaping.
func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	return v
}

// FuzzAuditCanonicalForm checks the form every audit hash covers: it is valid
// JSON; it reads back as the entry's values (for the UTF-8 text and JSON
// summaries Tandem writes; verification refuses anything else); its hash is
// deterministic, ignores the id and stored hash, survives the JSON lines
// export; and changing any one field changes it.
func FuzzAuditCanonicalForm(f *testing.F) {
	f.Add("org:1", int64(3), int64(1900000000123456), int64(7), true, "admin@msp.test", "provider", int64(1), true,
		"user.update", "user:7", "192.0.2.1", `{"name": "Ada", "role": "viewer"}`, strings.Repeat("ab", 32))
	f.Add("provider", int64(1), int64(0), int64(0), false, "", "system", int64(0), false, "provider.create", "provider", "", `{}`, "")
	f.Add("org:2", int64(-1), int64(-62135596800000000), int64(-5), true, "\"quoted\"@x", "anonymous", int64(9), true,
		"a\u2028b", "<script>&", "::1", `["<>&", 1e400, "\u00e9"]`, "prev")
	f.Add("org:3", int64(9223372036854775807), int64(253402300799999999), int64(1), true, "\xff\xfe", "internal", int64(2), true,
		"x", "y", "z", "not json", "\x00")
	f.Add("c", int64(2), int64(5), int64(1), false, "e", "p", int64(1), false, "a", "t", "s", ``, "h")
	f.Fuzz(func(t *testing.T, chain string, seq, atMicros, actorID int64, hasActor bool, email, party string, orgID int64, hasOrg bool,
		action, target, source, summary, prev string) {
		e := &tandem.AuditEntry{
			ID: 42, Chain: chain, Seq: seq, At: time.UnixMicro(atMicros).UTC(), ActorEmail: email, ActorParty: party,
			Action: action, Target: target, Source: source, Summary: json.RawMessage(summary), PrevHash: prev,
		}
		if hasActor {
			e.ActorUserID = &actorID
		}
		if hasOrg {
			e.OrganizationID = &orgID
		}
		form := e.CanonicalForm()
		if !json.Valid(form) {
			t.Fatalf("canonical form is not JSON: %q", form)
		}

		// It reads back as the entry's values.
		var got canonical
		if err := json.Unmarshal(form, &got); err != nil {
			t.Fatalf("read back %q: %v", form, err)
		}
		text := []string{chain, email, party, action, target, source, prev}
		utf8Text := utf8.ValidString(summary)
		for _, s := range text {
			utf8Text = utf8Text && utf8.ValidString(s)
		}
		if utf8Text {
			want := canonical{Chain: chain, Seq: seq, At: e.At.Format(tandem.AuditTimeLayout), ActorUserID: e.ActorUserID,
				ActorEmail: email, ActorParty: party, OrganizationID: e.OrganizationID, Action: action, Target: target, Source: source, PrevHash: prev}
			gotSummary := got.Summary
			got.Summary = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back %+v, want %+v", got, want)
			}
			var wantSummary any
			switch {
			case summary == "":
				wantSummary = nil
			case json.Valid([]byte(summary)):
				wantSummary = jsonValue(t, []byte(summary))
			default:
				wantSummary = summary // kept as a JSON string
			}
			if v := jsonValue(t, gotSummary); !reflect.DeepEqual(v, wantSummary) {
				t.Errorf("summary read back as %#v, want %#v", v, wantSummary)
			}
		}

		// The hash is deterministic and covers neither id nor stored hash.
		hash := e.ComputeHash()
		if len(hash) != 64 || hash != e.ComputeHash() {
			t.Fatalf("hash %q is not a stable SHA-256", hash)
		}
		same := *e
		same.ID, same.Hash = 7, "stored"
		if same.ComputeHash() != hash {
			t.Error("hash depends on the id or the stored hash")
		}

		// An auditor recomputes it from the JSON lines export.
		if year := e.At.Year(); utf8Text && year >= 0 && year <= 9999 {
			var line bytes.Buffer
			if err := tandem.NewAuditWriter(&line, tandem.AuditJSONLines).Write(e); err != nil {
				t.Fatalf("export: %v", err)
			}
			var back tandem.AuditEntry
			if err := json.Unmarshal(line.Bytes(), &back); err != nil {
				t.Fatalf("read export line %q: %v", line.Bytes(), err)
			}
			if back.ComputeHash() != hash {
				t.Errorf("hash recomputed from the export line %q differs", line.Bytes())
			}
		}

		// Changing any one field changes the hash.
		changes := map[string]func(c *tandem.AuditEntry){
			"chain":           func(c *tandem.AuditEntry) { c.Chain += "x" },
			"seq":             func(c *tandem.AuditEntry) { c.Seq++ },
			"at":              func(c *tandem.AuditEntry) { c.At = c.At.Add(time.Microsecond) },
			"actor_user_id":   func(c *tandem.AuditEntry) { c.ActorUserID = otherID(c.ActorUserID) },
			"actor_email":     func(c *tandem.AuditEntry) { c.ActorEmail += "x" },
			"actor_party":     func(c *tandem.AuditEntry) { c.ActorParty += "x" },
			"organization_id": func(c *tandem.AuditEntry) { c.OrganizationID = otherID(c.OrganizationID) },
			"action":          func(c *tandem.AuditEntry) { c.Action += "x" },
			"target":          func(c *tandem.AuditEntry) { c.Target += "x" },
			"source":          func(c *tandem.AuditEntry) { c.Source += "x" },
			"summary": func(c *tandem.AuditEntry) {
				if summary != "" && json.Valid([]byte(summary)) {
					c.Summary = json.RawMessage("[" + summary + "]")
				} else {
					c.Summary = json.RawMessage(summary + "x")
				}
			},
			"prev_hash": func(c *tandem.AuditEntry) { c.PrevHash += "0" },
		}
		for field, change := range changes {
			c := *e
			change(&c)
			if c.ComputeHash() == hash {
				t.Errorf("changing %s leaves the hash unchanged: %q vs %q", field, form, c.CanonicalForm())
			}
		}
	})
}

// otherID returns a different optional id: none becomes one, one another.
func otherID(id *int64) *int64 {
	n := int64(1)
	if id != nil {
		n = *id ^ 1
	}
	return &n
}

func TestAuditChain(t *testing.T) {
	id := int64(12)
	if got := tandem.AuditChain(&id); got != "org:12" {
		t.Errorf("AuditChain(12) = %q", got)
	}
	if got := tandem.AuditChain(nil); got != tandem.ProviderChain {
		t.Errorf("AuditChain(nil) = %q", got)
	}
}

func TestAuditShard(t *testing.T) {
	last := tandem.AuditShards - 1
	for _, tt := range []struct {
		name  string
		owner string // "" when Tandem never writes such a chain
	}{
		{"org:12", "org:12"},
		{tandem.AuditShard("org:12", 0), "org:12"},
		{tandem.AuditShard("org:12", 1), "org:12"},
		{tandem.AuditShard("org:12", last), "org:12"},
		{tandem.AuditShard("provider", 3), "provider"},
		{"org:12/" + fmt.Sprint(tandem.AuditShards), ""},
		{"org:12/0", ""},
		{"org:12/01", ""},
		{"org:12/-1", ""},
		{"org:12/", ""},
		{"org:12/1/1", ""},
		{"org:0/1", ""},
		{"elsewhere/1", ""},
	} {
		valid := tt.owner != ""
		if got := tandem.ValidAuditChain(tt.name); got != valid {
			t.Errorf("ValidAuditChain(%q) = %v, want %v", tt.name, got, valid)
		}
		if valid && tandem.AuditChainOwner(tt.name) != tt.owner {
			t.Errorf("AuditChainOwner(%q) = %q, want %q", tt.name, tandem.AuditChainOwner(tt.name), tt.owner)
		}
	}
	if tandem.AuditShard("org:12", 2) != "org:12/2" {
		t.Errorf("AuditShard(org:12, 2) = %q", tandem.AuditShard("org:12", 2))
	}
}

func TestAuditCheckpoint(t *testing.T) {
	hash := func(c byte) string { return strings.Repeat(string(c), 64) }
	cp := &tandem.AuditCheckpoint{
		TakenAt: time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC),
		Heads: []tandem.AuditHead{
			{Chain: "provider", Seq: 4, Hash: hash('a')},
			{Chain: "org:10", Seq: 12, Hash: hash('b')},
			{Chain: "org:2", Seq: 1, Hash: hash('c')},
			{Chain: "org:2/7", Seq: 5, Hash: hash('d')},
		},
	}

	t.Run("TextForm", func(t *testing.T) {
		text := cp.Text()
		s := string(text)
		if !strings.HasPrefix(s, "# Tandem audit checkpoint") || !strings.Contains(s, "Keep this file somewhere") {
			t.Errorf("text form lacks the advice header:\n%s", s)
		}
		wantTail := "taken 2030-03-14T09:00:00Z\norg:10 12 " + hash('b') + "\norg:2 1 " + hash('c') + "\norg:2/7 5 " + hash('d') + "\nprovider 4 " + hash('a') + "\n"
		if !strings.HasSuffix(s, wantTail) {
			t.Errorf("text form:\n%s\nwant it to end with:\n%s", s, wantTail)
		}
		back, err := tandem.ParseAuditCheckpoint(text)
		if err != nil {
			t.Fatal(err)
		}
		if !back.TakenAt.Equal(cp.TakenAt) || len(back.Heads) != 4 || back.Heads[0] != cp.Heads[1] {
			t.Errorf("parsed back %+v", back)
		}
	})

	t.Run("JSONForm", func(t *testing.T) {
		data, _ := json.Marshal(cp)
		back, err := tandem.ParseAuditCheckpoint(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, cp) {
			t.Errorf("parsed back %+v, want %+v", back, cp)
		}
	})

	for name, text := range map[string]string{
		"ErrFields":         "org:1 3\n",
		"ErrChainName":      "org:x 3 " + hash('a'),
		"ErrChainZero":      "org:0 3 " + hash('a'),
		"ErrShardZero":      "org:1/0 3 " + hash('a'),
		"ErrShardTooHigh":   "org:1/" + fmt.Sprint(tandem.AuditShards) + " 3 " + hash('a'),
		"ErrSeqZero":        "org:1 0 " + hash('a'),
		"ErrSeqText":        "org:1 three " + hash('a'),
		"ErrHashShort":      "org:1 3 abc",
		"ErrHashUpper":      "org:1 3 " + hash('A'),
		"ErrDuplicateChain": "org:1 3 " + hash('a') + "\norg:1 4 " + hash('b'),
		"ErrTakenTwice":     "taken 2030-03-14T09:00:00Z\ntaken 2030-03-14T09:00:00Z\n",
		"ErrTakenNotATime":  "taken yesterday\n",
		"ErrJSONUnknown":    `{"heads": [], "extra": 1}`,
		"ErrJSONBadHead":    `{"heads": [{"chain": "org:1", "seq": 1, "hash": "x"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tandem.ParseAuditCheckpoint([]byte(text))
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("ParseAuditCheckpoint(%q) = %v, want EINVALID", text, err)
			}
			if name != "ErrJSONUnknown" && !strings.Contains(tandem.ErrorMessage(err), "line") && !strings.Contains(tandem.ErrorMessage(err), "head 1") {
				t.Errorf("message %q does not say where", tandem.ErrorMessage(err))
			}
		})
	}
}

// FuzzParseAuditCheckpoint: any input is refused with EINVALID or parsed into
// a checkpoint whose text form parses back to the same heads.
func FuzzParseAuditCheckpoint(f *testing.F) {
	f.Add([]byte("# comment\ntaken 2030-03-14T09:00:00Z\norg:1 3 " + strings.Repeat("ab", 32) + "\n"))
	f.Add([]byte(`{"taken_at": "2030-03-14T09:00:00Z", "heads": [{"chain": "provider", "seq": 2, "hash": "` + strings.Repeat("0", 64) + `"}]}`))
	f.Add([]byte("org:1 +3 " + strings.Repeat("f", 64)))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := tandem.ParseAuditCheckpoint(data)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		text := cp.Text()
		back, err := tandem.ParseAuditCheckpoint(text)
		if err != nil {
			t.Fatalf("text form %q of a parsed checkpoint does not parse: %v", text, err)
		}
		if len(back.Heads) != len(cp.Heads) {
			t.Fatalf("heads %v became %v", cp.Heads, back.Heads)
		}
		for _, h := range cp.Heads {
			found := false
			for _, b := range back.Heads {
				found = found || b == h
			}
			if !found {
				t.Errorf("head %v lost in the text form", h)
			}
		}
	})
}
