-- Password reset requests, counted per typed address and per client
-- address to throttle them, whether or not an account uses the address
-- (so the throttle tells nothing of which ones exist). Rows older than
-- the throttle's window are pruned as requests come in.
CREATE TABLE password_reset_requests (
	id     INTEGER PRIMARY KEY,
	email  TEXT NOT NULL,
	source TEXT NOT NULL,
	at     TEXT NOT NULL
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, at);
CREATE INDEX password_reset_requests_source ON password_reset_requests (source, at);
