-- Notifications: the outbox every channel delivers from, written in the
-- transaction of the event that causes it; the attempts at delivering
-- each; webhooks; each user's preferences; password reset links.

CREATE TABLE webhooks (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE, -- NULL: the provider's, for every organisation
	party           TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	name            TEXT NOT NULL,
	url             TEXT NOT NULL,
	format          TEXT NOT NULL CHECK (format IN ('json', 'slack', 'teams')),
	kinds           TEXT NOT NULL DEFAULT '[]', -- JSON list; empty: every kind
	secret          TEXT NOT NULL,              -- the signing key; stored as TOTP secrets are until the vault's envelope encryption
	allow_private   INTEGER NOT NULL DEFAULT 0,
	active          INTEGER NOT NULL DEFAULT 1,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);

-- The webhooks a notification fans out to (sendToWebhooks), found by
-- organisation, its own and the provider's (NULL), in the transaction of
-- every ticket event.
CREATE INDEX webhooks_fanout ON webhooks (organization_id, active);

CREATE TABLE notifications (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
	ticket_id       INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
	incident_id     INTEGER,
	user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
	webhook_id      INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
	address         TEXT NOT NULL DEFAULT '',
	channel         TEXT NOT NULL CHECK (channel IN ('inapp', 'email', 'webhook')),
	kind            TEXT NOT NULL,
	priority        INTEGER NOT NULL DEFAULT 0,
	subject         TEXT NOT NULL,
	body            TEXT NOT NULL,
	link            TEXT NOT NULL DEFAULT '',
	action_url      TEXT NOT NULL DEFAULT '',
	state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'held')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	-- The instant it is due: its first attempt (after the recipient's quiet
	-- hours), or the next after a failure. A claim moves it a lease ahead,
	-- so a replica that dies mid-delivery leaves it to another.
	next_attempt_at TEXT,
	claimed_by      TEXT,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	delivered_at    TEXT,
	read_at         TEXT
);
-- Due deliveries, earliest first: what the scheduler claims.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
-- A user's bell and notifications page.
CREATE INDEX notifications_inbox ON notifications (user_id, id) WHERE channel = 'inapp';
CREATE INDEX notifications_unread ON notifications (user_id) WHERE channel = 'inapp' AND read_at IS NULL;
CREATE INDEX notifications_ticket ON notifications (ticket_id, id) WHERE ticket_id IS NOT NULL;
CREATE INDEX notifications_org ON notifications (organization_id, id);
CREATE INDEX notifications_webhook ON notifications (webhook_id, id) WHERE webhook_id IS NOT NULL;

CREATE TABLE notification_attempts (
	id              INTEGER PRIMARY KEY,
	notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	at              TEXT NOT NULL,
	ok              INTEGER NOT NULL,
	status          INTEGER NOT NULL DEFAULT 0,
	error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);

CREATE TABLE notification_preferences (
	user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	off        TEXT NOT NULL DEFAULT '{}', -- JSON: channel → kinds turned off
	quiet_from TEXT NOT NULL DEFAULT '',
	quiet_to   TEXT NOT NULL DEFAULT '',
	time_zone  TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE password_resets (
	id          INTEGER PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the link's token
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
