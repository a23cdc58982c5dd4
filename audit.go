package tandem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one record of the audit trail: who did what to which target,
// from where, and a summary of the change (never a secret). Entries form one
// hash chain per organisation and one for the installation: each stores the
// SHA-256 of its canonical form, which includes the previous entry's hash, so
// an edited, deleted, inserted or reordered entry breaks the chain.
type AuditEntry struct {
	ID             int64           `json:"id"`
	Chain          string          `json:"chain"`
	Seq            int64           `json:"seq"`
	At             time.Time       `json:"at"`
	ActorUserID    *int64          `json:"actor_user_id"`
	ActorEmail     string          `json:"actor_email"`
	ActorParty     string          `json:"actor_party"`
	OrganizationID *int64          `json:"organization_id"`
	Action         string          `json:"action"`
	Target         string          `json:"target"`
	Source         string          `json:"source"`
	Summary        json.RawMessage `json:"summary"`
	PrevHash       string          `json:"prev_hash"`
	Hash           string          `json:"hash"`
}

// ProviderChain names the chain of entries that belong to no organisation.
const ProviderChain = "provider"

// AuditChain names the first chain an organisation's entries belong to; nil
// is the provider chain.
func AuditChain(orgID *int64) string {
	if orgID == nil {
		return ProviderChain
	}
	return "org:" + strconv.FormatInt(*orgID, 10)
}

// AuditShards is how many chains an organisation's entries may be spread
// over: concurrent writers of one organisation each append to a chain no one
// else holds (on PostgreSQL), instead of queueing for one head. Each chain
// is whole on its own — seq from 1, every entry linked to the one before —
// and verification and checkpoints cover every chain.
const AuditShards = 16

// AuditShard names shard n of chain (an AuditChain): shard 0 is the chain
// itself, the others "org:<id>/<n>" ("provider/<n>").
func AuditShard(chain string, n int) string {
	if n == 0 {
		return chain
	}
	return chain + "/" + strconv.Itoa(n)
}

// ValidAuditChain reports whether name is a chain Tandem writes: a chain
// (AuditChain) or one of its shards.
func ValidAuditChain(name string) bool {
	owner := AuditChainOwner(name)
	if !chainName.MatchString(owner) {
		return false
	}
	if owner == name {
		return true
	}
	n, err := strconv.Atoi(name[len(owner)+1:])
	return err == nil && n >= 1 && n < AuditShards && AuditShard(owner, n) == name
}

// AuditChainOwner returns the chain that shard is one of (the shard's
// AuditChain): an entry whose organisation's AuditChain is not its chain's
// owner was moved.
func AuditChainOwner(shard string) string {
	if i := strings.LastIndexByte(shard, '/'); i >= 0 {
		return shard[:i]
	}
	return shard
}

// AuditTimeLayout is how entry times enter the canonical form: UTC,
// microseconds, fixed width — the precision both databases keep.
const AuditTimeLayout = "2006-01-02T15:04:05.000000Z"

// canonicalEntry fixes the field order and encoding of the hashed form.
type canonicalEntry struct {
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

// CanonicalForm returns the bytes an entry's hash covers: every field but
// the id (a storage detail) and the hash itself, as compact JSON in a fixed
// order, with the summary compacted.
func (e *AuditEntry) CanonicalForm() []byte {
	c := canonicalEntry{
		Chain: e.Chain, Seq: e.Seq, At: e.At.UTC().Format(AuditTimeLayout),
		ActorUserID: e.ActorUserID, ActorEmail: e.ActorEmail, ActorParty: e.ActorParty,
		OrganizationID: e.OrganizationID, Action: e.Action, Target: e.Target, Source: e.Source,
		Summary: compactJSON(e.Summary), PrevHash: e.PrevHash,
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only an invalid summary can fail; hash it as a string so the
		// entry still has a well-defined form.
		c.Summary, _ = json.Marshal(string(e.Summary))
		b, _ = json.Marshal(c)
	}
	return b
}

// ComputeHash returns the hex SHA-256 of the entry's canonical form.
func (e *AuditEntry) ComputeHash() string {
	sum := sha256.Sum256(e.CanonicalForm())
	return hex.EncodeToString(sum[:])
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// AuditFilter selects audit entries; the actor's scope always applies.
type AuditFilter struct {
	OrganizationID *int64
	ActorUserID    *int64
	ActorParty     *string
	Action         *string // exact action, or a prefix ending in "." such as "user."
	Since, Until   *time.Time
	Limit          int
	Cursor         string
}

// AuditService reads the audit trail. Nobody can edit or delete entries
// through the product; they are written by the services, in the same
// transaction as the change they record.
type AuditService interface {
	// FindAuditEntries returns one page of entries in the actor's scope, newest
	// first, and the cursor of the next page. Provider admins see every
	// chain; others see their organisations' chains; requesters none (EFORBIDDEN).
	FindAuditEntries(ctx context.Context, filter AuditFilter) ([]*AuditEntry, string, error)
}
