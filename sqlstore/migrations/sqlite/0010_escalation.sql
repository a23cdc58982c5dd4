-- Escalation: each party's policies, the incidents they run on tickets
-- (each with the policy as it was when it started), the steps each took
-- (who was notified at which level of which round) and the single-use
-- acknowledgement links sent to them.

CREATE TABLE escalation_policies (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE, -- NULL: a provider policy for every organisation
	party           TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	name            TEXT NOT NULL,
	position        INTEGER NOT NULL, -- order among the party's policies, lowest first
	owning_party    TEXT NOT NULL DEFAULT '' CHECK (owning_party IN ('', 'internal', 'provider')),
	priorities      TEXT NOT NULL DEFAULT '[]', -- JSON lists; empty: any
	area_ids        TEXT NOT NULL DEFAULT '[]',
	hours           TEXT NOT NULL CHECK (hours IN ('any', 'inside', 'outside')),
	triggers        TEXT NOT NULL DEFAULT '[]',
	levels          TEXT NOT NULL, -- JSON: [{targets, timeout_minutes}]
	repeats         INTEGER NOT NULL CHECK (repeats BETWEEN 0 AND 9),
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX escalation_policies_order ON escalation_policies (party, position, id);

CREATE TABLE incidents (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	policy_id       INTEGER REFERENCES escalation_policies (id) ON DELETE SET NULL,
	policy_name     TEXT NOT NULL,
	party           TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	trigger_kind    TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'resolved', 'exhausted')),
	level           INTEGER NOT NULL, -- from 0: the level last notified or skipped
	round           INTEGER NOT NULL, -- from 0
	next_step_at    TEXT,             -- while triggered: when the next level is due
	acknowledged_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
	acknowledged_at TEXT,
	resolved_at     TEXT,
	policy_snapshot TEXT NOT NULL, -- JSON: the policy's levels and repeats when the incident started
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
-- Due steps, earliest first: what the scheduler takes.
CREATE INDEX incidents_due ON incidents (next_step_at) WHERE state = 'triggered';
CREATE INDEX incidents_ticket ON incidents (ticket_id, id);

CREATE TABLE incident_steps (
	id          INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	level       INTEGER NOT NULL,
	round       INTEGER NOT NULL,
	at          TEXT NOT NULL,
	skipped     INTEGER NOT NULL,
	recipients  TEXT NOT NULL DEFAULT '[]', -- JSON: [{user_id, via}]
	-- Each level of each round is reached once: a step taken twice fails here.
	UNIQUE (incident_id, round, level)
);

CREATE TABLE incident_ack_tokens (
	id          INTEGER PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the link's token
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT
);
CREATE INDEX incident_ack_tokens_incident ON incident_ack_tokens (incident_id);
