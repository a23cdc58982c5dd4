-- Endpoints enrolled with tandem-agent (issue 12): the tokens that enrol
-- them, the devices (assets of their organisation), their latest figures,
-- inventory, metric history (raw samples and hourly rollups), local
-- checks as configured and as they stand, and each device's history.

-- An enrolment token: only its SHA-256 is kept; it enrols at most
-- max_uses agents (NULL: any number) until it expires or is revoked.
CREATE TABLE enrollment_tokens (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	token_hash      TEXT NOT NULL UNIQUE,
	description     TEXT NOT NULL DEFAULT '',
	site            TEXT NOT NULL DEFAULT '',
	device_group    TEXT NOT NULL DEFAULT '',
	max_uses        INTEGER,
	uses            INTEGER NOT NULL DEFAULT 0,
	expires_at      TEXT NOT NULL,
	created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at      TEXT NOT NULL,
	revoked_at      TEXT
);
CREATE INDEX enrollment_tokens_org ON enrollment_tokens (organization_id, created_at);

-- The local checks agents run, per organisation and optionally one device
-- group ('' is every device of the organisation).
CREATE TABLE agent_checks (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	device_group    TEXT NOT NULL DEFAULT '',
	kind            TEXT NOT NULL,
	name            TEXT NOT NULL,
	threshold       REAL NOT NULL DEFAULT 0,
	minutes         INTEGER NOT NULL DEFAULT 0,
	target          TEXT NOT NULL DEFAULT '',
	hours           REAL NOT NULL DEFAULT 0,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX agent_checks_org ON agent_checks (organization_id, device_group);

-- The revision of each organisation's agent configuration: a check-in
-- carries the revision its agent runs, and gets the configuration back
-- only when it is not this one.
CREATE TABLE agent_config_revisions (
	organization_id INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	revision        INTEGER NOT NULL
);

CREATE TABLE devices (
	id                  INTEGER PRIMARY KEY,
	organization_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	enrollment_token_id INTEGER REFERENCES enrollment_tokens (id) ON DELETE SET NULL,
	hostname            TEXT NOT NULL,
	os                  TEXT NOT NULL,
	arch                TEXT NOT NULL,
	agent_version       TEXT NOT NULL DEFAULT '',
	site                TEXT NOT NULL DEFAULT '',
	device_group        TEXT NOT NULL DEFAULT '',
	-- SHA-256 of the agent's credential; after an admin rotates it the new
	-- one's hash waits in pending_credential_hash until the agent uses it.
	credential_hash         TEXT NOT NULL,
	pending_credential_hash TEXT,
	rotate_requested        INTEGER NOT NULL DEFAULT 0,
	status              TEXT NOT NULL CHECK (status IN ('online', 'offline', 'revoked')),
	enrolled_at         TEXT NOT NULL,
	last_seen_at        TEXT,
	-- When the device counts as offline unless it checks in: the scheduler's
	-- deadline for offline detection (devices_offline_due).
	offline_at          TEXT,
	revoked_at          TEXT,
	last_seq            INTEGER NOT NULL DEFAULT 0,
	checkin_interval_s  INTEGER NOT NULL DEFAULT 60,
	dropped_metrics     INTEGER NOT NULL DEFAULT 0,
	-- The latest figures, for the list.
	cpu_pct             REAL,
	memory_pct          REAL,
	disk_pct            REAL,
	uptime_s            INTEGER,
	latest              TEXT NOT NULL DEFAULT '{}', -- the last check-in's metrics as JSON (volumes, users, load)
	checks_failing      INTEGER NOT NULL DEFAULT 0,
	-- From the inventory, for the list and its filters.
	os_name             TEXT NOT NULL DEFAULT '',
	os_version          TEXT NOT NULL DEFAULT '',
	kernel              TEXT NOT NULL DEFAULT '',
	manufacturer        TEXT NOT NULL DEFAULT '',
	model               TEXT NOT NULL DEFAULT '',
	serial              TEXT NOT NULL DEFAULT '',
	memory_bytes        INTEGER NOT NULL DEFAULT 0,
	pending_updates     INTEGER NOT NULL DEFAULT 0,
	updates_pending_since TEXT,
	reboot_required     INTEGER NOT NULL DEFAULT 0,
	inventory_at        TEXT
);
CREATE INDEX devices_org ON devices (organization_id, hostname, id);
CREATE INDEX devices_offline_due ON devices (offline_at) WHERE status = 'online';

-- The latest inventory of each device as received (JSON), and its digest.
CREATE TABLE device_inventories (
	device_id   INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
	body        TEXT NOT NULL,
	digest      TEXT NOT NULL,
	received_at TEXT NOT NULL
);

-- One row per stored check-in: the sequence number is the key, so a
-- check-in replayed after a lost answer is stored once.
CREATE TABLE device_samples (
	device_id  INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	at         TEXT NOT NULL,
	cpu_pct    REAL NOT NULL,
	memory_pct REAL NOT NULL,
	swap_pct   REAL NOT NULL,
	disk_pct   REAL NOT NULL,
	load1      REAL NOT NULL,
	PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX device_samples_at ON device_samples (at);

-- Hourly rollups of the samples, kept longer than the samples: sums and
-- maxima added to by every check-in (the average is sum ÷ samples).
CREATE TABLE device_rollups (
	device_id  INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	hour       TEXT NOT NULL,
	samples    INTEGER NOT NULL,
	cpu_sum    REAL NOT NULL,
	cpu_max    REAL NOT NULL,
	memory_sum REAL NOT NULL,
	memory_max REAL NOT NULL,
	disk_max   REAL NOT NULL,
	PRIMARY KEY (device_id, hour)
) WITHOUT ROWID;
CREATE INDEX device_rollups_hour ON device_rollups (hour);

-- Each local check's state on each device; a row changes only when the
-- state does.
CREATE TABLE device_checks (
	device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	check_id  INTEGER NOT NULL,
	state     TEXT NOT NULL,
	output    TEXT NOT NULL,
	since     TEXT NOT NULL,
	PRIMARY KEY (device_id, check_id)
) WITHOUT ROWID;

-- A device's history: enrolled, inventory changes (software installed,
-- removed or upgraded, OS upgraded, memory changed), online and offline,
-- check state changes, revoked, credential rotated.
CREATE TABLE device_events (
	id              INTEGER PRIMARY KEY,
	device_id       INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	at              TEXT NOT NULL,
	kind            TEXT NOT NULL,
	summary         TEXT NOT NULL
);
CREATE INDEX device_events_device ON device_events (device_id, id);

-- Maintenance the scheduler runs on the clock (metric rollups and
-- retention): when each runs next, claimed with a lease.
CREATE TABLE scheduled_jobs (
	name         TEXT PRIMARY KEY,
	next_at      TEXT NOT NULL,
	claimed_by   TEXT,
	claimed_until TEXT
);
