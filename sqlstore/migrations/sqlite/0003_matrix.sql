-- Service desk: each organisation's catalogue of service areas and its
-- responsibility matrix (RACI), in numbered versions signed by both parties.
CREATE TABLE service_areas (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	slug            TEXT NOT NULL,
	name            TEXT NOT NULL,
	position        INTEGER NOT NULL,
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL,
	UNIQUE (organization_id, slug)
);

CREATE TABLE matrix_versions (
	id                 INTEGER PRIMARY KEY,
	organization_id    INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	number             INTEGER NOT NULL,
	status             TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'superseded', 'withdrawn')),
	proposed_by        INTEGER REFERENCES users (id),
	proposed_at        TEXT NOT NULL,
	internal_signed_by INTEGER REFERENCES users (id),
	internal_signed_at TEXT,
	provider_signed_by INTEGER REFERENCES users (id),
	provider_signed_at TEXT,
	-- Who signed, as they were named when signing: the printed appendix names
	-- both signers for every reader, whatever each may look up later.
	internal_signer    TEXT NOT NULL DEFAULT '',
	provider_signer    TEXT NOT NULL DEFAULT '',
	accepted_at        TEXT,
	UNIQUE (organization_id, number)
);

CREATE TABLE matrix_assignments (
	version_id  INTEGER NOT NULL REFERENCES matrix_versions (id) ON DELETE CASCADE,
	area_id     INTEGER NOT NULL REFERENCES service_areas (id) ON DELETE CASCADE,
	party       TEXT NOT NULL CHECK (party IN ('internal', 'provider')),
	responsible INTEGER NOT NULL DEFAULT 0,
	accountable INTEGER NOT NULL DEFAULT 0,
	consulted   INTEGER NOT NULL DEFAULT 0,
	informed    INTEGER NOT NULL DEFAULT 0,
	user_id     INTEGER REFERENCES users (id),
	PRIMARY KEY (version_id, area_id, party)
);

-- Organisations created before this migration get the default catalogue
-- (tandem.DefaultServiceAreas); new ones get it when they are created.
WITH d (slug, name, position) AS (VALUES
	('end-user-support', 'End-user support', 1),
	('hardware-deployment', 'Hardware deployment', 2),
	('on-site-troubleshooting', 'On-site troubleshooting', 3),
	('business-systems', 'Business-specific systems', 4),
	('network-monitoring', '24/7 network monitoring', 5),
	('cybersecurity', 'Cybersecurity protection', 6),
	('backup-recovery', 'Backup & disaster recovery', 7),
	('cloud-infrastructure', 'Cloud infrastructure', 8),
	('strategic-planning', 'Strategic IT planning', 9),
	('patch-management', 'Patch management', 10),
	('identity-access', 'Identity & access', 11))
INSERT INTO service_areas (organization_id, slug, name, position, created_at, updated_at)
SELECT o.id, d.slug, d.name, d.position, o.created_at, o.created_at FROM organizations o CROSS JOIN d;
