-- On-call schedules: a party's rotations, their definition the exchange
-- JSON of package oncall; and the secret iCalendar feeds, one per schedule
-- and one per person, stored as the SHA-256 of their token.

CREATE TABLE oncall_schedules (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE, -- NULL: the provider's
	party           TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	name            TEXT NOT NULL,
	time_zone       TEXT NOT NULL,
	definition      TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
-- A party's schedule names are unique: an escalation names one.
CREATE UNIQUE INDEX oncall_schedules_name ON oncall_schedules (COALESCE(organization_id, 0), name);

CREATE TABLE oncall_feeds (
	id          INTEGER PRIMARY KEY,
	schedule_id INTEGER UNIQUE REFERENCES oncall_schedules (id) ON DELETE CASCADE,
	user_id     INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	token_hash  TEXT NOT NULL UNIQUE,
	created_at  TEXT NOT NULL,
	CHECK ((schedule_id IS NULL) <> (user_id IS NULL))
);
