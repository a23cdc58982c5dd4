-- Tenancy: the provider, client organisations with their two parties, users,
-- provider assignments, API tokens, browser sessions, setup links, audit log.
CREATE TABLE provider (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE organizations (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	slug       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE parties (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	kind            TEXT NOT NULL CHECK (kind IN ('internal', 'provider')),
	name            TEXT NOT NULL,
	UNIQUE (organization_id, kind)
);

CREATE TABLE users (
	id              INTEGER PRIMARY KEY,
	email           TEXT NOT NULL UNIQUE,
	name            TEXT NOT NULL DEFAULT '',
	role            TEXT NOT NULL,
	organization_id INTEGER REFERENCES organizations (id),
	password_hash   TEXT NOT NULL,
	active          INTEGER NOT NULL DEFAULT 1,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE user_organizations (
	user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX user_organizations_organization ON user_organizations (organization_id);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	secret_hash  TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	last_used_at TEXT
);

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	secret_hash  TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL
);

CREATE TABLE setup_tokens (
	id          INTEGER PRIMARY KEY,
	secret_hash TEXT NOT NULL UNIQUE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT
);

-- The audit trail: one hash chain per organisation ("org:<id>") and one for
-- the installation ("provider"). Each entry stores the SHA-256 of its
-- canonical form, which includes the previous entry's hash; audit_chains holds
-- each chain's head so appends serialise per chain.
CREATE TABLE audit_log (
	id              INTEGER PRIMARY KEY,
	chain           TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	at              TEXT NOT NULL,
	actor_user_id   INTEGER,
	actor_email     TEXT NOT NULL,
	actor_party     TEXT NOT NULL,
	organization_id INTEGER,
	action          TEXT NOT NULL,
	target          TEXT NOT NULL,
	source          TEXT NOT NULL,
	summary         TEXT NOT NULL,
	prev_hash       TEXT NOT NULL,
	hash            TEXT NOT NULL,
	UNIQUE (chain, seq)
);
CREATE INDEX audit_log_organization ON audit_log (organization_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TABLE audit_chains (
	chain     TEXT PRIMARY KEY,
	seq       INTEGER NOT NULL,
	head_hash TEXT NOT NULL
);
