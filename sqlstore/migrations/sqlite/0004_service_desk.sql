-- Service desk: tickets routed by the responsibility matrix, their timeline
-- (comments with a visibility, handoffs, SLA events), time, attachments, and
-- the business calendars, SLA policy and durable timers that run their clocks.

CREATE TABLE business_calendars (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	name            TEXT NOT NULL,
	definition      TEXT NOT NULL, -- the exchange JSON of package sla
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (organization_id, name)
);

-- One row per organisation once an admin sets a policy; none: the default.
CREATE TABLE sla_policies (
	organization_id INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	calendar_id     INTEGER REFERENCES business_calendars (id),
	warn_percent    INTEGER NOT NULL,
	targets         TEXT NOT NULL, -- JSON: []tandem.SLATarget
	olas            TEXT NOT NULL, -- JSON: []tandem.OLATarget
	priority_matrix TEXT NOT NULL, -- JSON: tandem.PriorityMatrix
	-- JSON: the calendars the clocks ran on before, each until it was
	-- replaced ([{"until": instant, "calendar": definition or null for
	-- 24×7}]): a change of calendar counts from when it is made.
	clock_history   TEXT NOT NULL DEFAULT '[]',
	updated_at      TEXT NOT NULL
);

CREATE TABLE tickets (
	id                INTEGER PRIMARY KEY,
	organization_id   INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	requester_id      INTEGER NOT NULL REFERENCES users (id),
	title             TEXT NOT NULL,
	description       TEXT NOT NULL DEFAULT '',
	area_id           INTEGER REFERENCES service_areas (id),
	impact            TEXT NOT NULL CHECK (impact IN ('high', 'medium', 'low')),
	urgency           TEXT NOT NULL CHECK (urgency IN ('high', 'medium', 'low')),
	priority          INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
	status            TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending-customer', 'pending-third-party', 'resolved', 'closed')),
	owning_party      TEXT NOT NULL CHECK (owning_party IN ('internal', 'provider')),
	unrouted          INTEGER NOT NULL DEFAULT 0,
	assignee_id       INTEGER REFERENCES users (id),
	-- Set while a handoff waits for the receiving party.
	pending_handoff_id INTEGER,
	sla_state         TEXT NOT NULL DEFAULT 'none' CHECK (sla_state IN ('none', 'ok', 'warning', 'breached', 'paused', 'met')),
	created_by        INTEGER NOT NULL REFERENCES users (id),
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	first_response_at TEXT,
	resolved_at       TEXT,
	closed_at         TEXT
);
-- The list is newest first within scope and filters, one page at a time;
-- these serve the common filters: an organisation's tickets, a party's
-- queue, an assignee's work, a requester's tickets, an SLA state, a
-- priority. Each is (column, id), so the first page of a filtered list reads
-- the index backwards from the newest match and stops after one page, where
-- (column, status, id) would sort every match of the column first. Status
-- and the other filters are checked on the rows read (about a quarter of a
-- desk's tickets are open), and a tag or a search drives the query from its
-- own index (ticket_list.go).
CREATE INDEX tickets_org ON tickets (organization_id, id);
CREATE INDEX tickets_party ON tickets (owning_party, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, id);
CREATE INDEX tickets_requester ON tickets (requester_id, id);
CREATE INDEX tickets_sla ON tickets (sla_state, id);
CREATE INDEX tickets_priority ON tickets (priority, id);
-- Few tickets wait for a handoff to be accepted: the "awaiting acceptance"
-- queues read only those.
CREATE INDEX tickets_pending_handoff ON tickets (id) WHERE pending_handoff_id IS NOT NULL;

CREATE TABLE ticket_tags (
	ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	tag       TEXT NOT NULL,
	PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

CREATE TABLE ticket_watchers (
	ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_watchers_user ON ticket_watchers (user_id, ticket_id);

-- Periods during which the resolution clock stood still (pending, resolved,
-- closed). They belong to the ticket, not to an assignee or a party, so a
-- pause survives reassignment, handoffs and reopening.
CREATE TABLE ticket_pauses (
	ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	started_at TEXT NOT NULL,
	ended_at   TEXT,
	PRIMARY KEY (ticket_id, started_at)
);

CREATE TABLE ticket_events (
	id         INTEGER PRIMARY KEY,
	ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	visibility TEXT NOT NULL CHECK (visibility IN ('public', 'teams', 'party')),
	party      TEXT NOT NULL DEFAULT '', -- the author's party; '' for the system
	actor_id   INTEGER REFERENCES users (id),
	body       TEXT NOT NULL DEFAULT '',
	data       TEXT, -- JSON
	created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_handoffs (
	id           INTEGER PRIMARY KEY,
	ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	from_party   TEXT NOT NULL CHECK (from_party IN ('internal', 'provider')),
	to_party     TEXT NOT NULL CHECK (to_party IN ('internal', 'provider')),
	reason       TEXT NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
	requested_by INTEGER NOT NULL REFERENCES users (id),
	requested_at TEXT NOT NULL,
	answered_by  INTEGER REFERENCES users (id),
	answered_at  TEXT,
	answer       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_handoffs_ticket ON ticket_handoffs (ticket_id, id);

CREATE TABLE ticket_time_entries (
	id         INTEGER PRIMARY KEY,
	ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	party      TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	minutes    INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
	billable   INTEGER NOT NULL DEFAULT 0,
	note       TEXT NOT NULL DEFAULT '',
	spent_on   TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX ticket_time_entries_ticket ON ticket_time_entries (ticket_id, id);

CREATE TABLE ticket_attachments (
	id           INTEGER PRIMARY KEY,
	ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	filename     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	visibility   TEXT NOT NULL CHECK (visibility IN ('public', 'teams', 'party')),
	party        TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	uploaded_by  INTEGER NOT NULL REFERENCES users (id),
	created_at   TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

-- Attachment bytes when they are kept in the database (replicas without a
-- shared disk); by default they are files in the data directory.
CREATE TABLE blobs (
	sha256     TEXT PRIMARY KEY,
	content    BLOB NOT NULL,
	created_at TEXT NOT NULL
);

-- Durable SLA and OLA clocks. The worker fires each warning and breach once:
-- it sets warned_at / breached_at in the same transaction that writes the
-- timeline event, guarded by "IS NULL".
--
-- A running clock stores its origin: its position on the organisation's
-- business clock (business nanoseconds since 2000-01-01 on the policy's
-- calendar, sla.Clock) at which it would have started had it never been
-- paused. Its due and warning instants follow from the origin and the
-- target of its class (target_class: the ticket's priority, "p1" to "p5",
-- or the receiving party of a handoff) in the policy in force, so a change
-- of targets rewrites no row; due_at, warn_at, target_minutes and
-- elapsed_minutes hold what they were when the row was last written, and
-- are the clock's final values once it stops (met, paused, cancelled).
CREATE TABLE sla_timers (
	id              INTEGER PRIMARY KEY,
	ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	organization_id INTEGER NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('response', 'resolution', 'accept')),
	party           TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	handoff_id      INTEGER REFERENCES ticket_handoffs (id) ON DELETE CASCADE,
	state           TEXT NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
	target_class    TEXT NOT NULL,
	origin          INTEGER,
	target_minutes  INTEGER NOT NULL,
	started_at      TEXT NOT NULL,
	due_at          TEXT,
	warn_at         TEXT,
	warned_at       TEXT,
	breached_at     TEXT,
	met_at          TEXT,
	elapsed_minutes REAL NOT NULL DEFAULT 0
);
CREATE INDEX sla_timers_ticket ON sla_timers (ticket_id);
-- What the worker scans, per organisation and class: running clocks not
-- yet warned whose origin lies a warning share of the target behind the
-- business clock's now, and warned ones a whole target behind. A clock is
-- in one of the two, or in neither once breached or stopped.
CREATE INDEX sla_timers_warn ON sla_timers (organization_id, target_class, kind, origin) WHERE state = 'running' AND warned_at IS NULL;
CREATE INDEX sla_timers_breach ON sla_timers (organization_id, target_class, kind, origin) WHERE state = 'running' AND warned_at IS NOT NULL;
-- Paused clocks by the time they used, for a change of targets to find
-- those that ran out before their pause.
CREATE INDEX sla_timers_paused ON sla_timers (organization_id, target_class, kind, elapsed_minutes) WHERE state = 'paused';

-- Full-text search of title and description (comments stay out: their
-- visibility differs per reader).
-- The organisation is indexed too, as a token matched alongside the words:
-- a search by someone who sees a few organisations then reads only their
-- matches, not every match of the installation.
CREATE VIRTUAL TABLE tickets_fts USING fts5 (title, description, organization_id, content = 'tickets', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO tickets_fts (rowid, title, description, organization_id) VALUES (new.id, new.title, new.description, new.organization_id);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, description, organization_id) VALUES ('delete', old.id, old.title, old.description, old.organization_id);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description, organization_id ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, description, organization_id) VALUES ('delete', old.id, old.title, old.description, old.organization_id);
	INSERT INTO tickets_fts (rowid, title, description, organization_id) VALUES (new.id, new.title, new.description, new.organization_id);
END;
