-- Acknowledgement links of chat messages: a link posted to a webhook (a
-- Slack or Teams channel) belongs to the webhook, not to one person, and
-- acknowledges as whoever signs in to use it. A link is either a user's
-- (sent by email) or a webhook's.
ALTER TABLE incident_ack_tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE incident_ack_tokens ADD COLUMN webhook_id BIGINT REFERENCES webhooks (id) ON DELETE CASCADE;
ALTER TABLE incident_ack_tokens ADD CONSTRAINT incident_ack_tokens_owner CHECK ((user_id IS NULL) <> (webhook_id IS NULL));
