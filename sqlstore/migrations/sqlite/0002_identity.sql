-- Identity: multi-factor authentication, recovery codes, MFA policy,
-- session details, token scopes, login throttling and invitations.

ALTER TABLE users ADD COLUMN mfa_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
-- The last TOTP time step accepted, so each code works once.
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;

CREATE TABLE recovery_codes (
	id        INTEGER PRIMARY KEY,
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at   TEXT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Provider staff must use MFA unless the provider turns this off; an
-- organisation's it-admin can require it for the organisation's users.
ALTER TABLE provider ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

-- A session is fully signed in only once its second factor is verified.
ALTER TABLE sessions ADD COLUMN mfa_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- Token scope: read-only, and optionally one organisation.
ALTER TABLE api_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE;
-- A token created through another token is revoked with it, so a stolen token
-- cannot mint a replacement that outlives its revocation.
ALTER TABLE api_tokens ADD COLUMN parent_id INTEGER REFERENCES api_tokens (id) ON DELETE CASCADE;

-- Failed credential checks, for throttling per account and per source
-- address. kind says what was wrong: a password, or a second factor (a TOTP
-- or recovery code), which has a tighter limit of its own.
CREATE TABLE login_failures (
	id     INTEGER PRIMARY KEY,
	email  TEXT NOT NULL,
	source TEXT NOT NULL,
	kind   TEXT NOT NULL CHECK (kind IN ('password', 'second_factor')),
	at     TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_source ON login_failures (source, at);

CREATE TABLE invitations (
	id              INTEGER PRIMARY KEY,
	secret_hash     TEXT NOT NULL UNIQUE,
	email           TEXT NOT NULL,
	name            TEXT NOT NULL DEFAULT '',
	organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
	role            TEXT NOT NULL,
	invited_by      INTEGER REFERENCES users (id),
	created_at      TEXT NOT NULL,
	expires_at      TEXT NOT NULL,
	accepted_at     TEXT,
	revoked_at      TEXT
);
CREATE INDEX invitations_organization ON invitations (organization_id);
