-- Acknowledgement links of chat messages: a link posted to a webhook (a
-- Slack or Teams channel) belongs to the webhook, not to one person, and
-- acknowledges as whoever signs in to use it. A link is either a user's
-- (sent by email) or a webhook's.
CREATE TABLE incident_ack_tokens_new (
	id          INTEGER PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE, -- SHA-256 of the link's token
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
	webhook_id  INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	used_at     TEXT,
	CHECK ((user_id IS NULL) <> (webhook_id IS NULL))
);
INSERT INTO incident_ack_tokens_new (id, token_hash, incident_id, user_id, created_at, expires_at, used_at)
	SELECT id, token_hash, incident_id, user_id, created_at, expires_at, used_at FROM incident_ack_tokens;
DROP TABLE incident_ack_tokens;
ALTER TABLE incident_ack_tokens_new RENAME TO incident_ack_tokens;
CREATE INDEX incident_ack_tokens_incident ON incident_ack_tokens (incident_id);
