-- Deleting a local check deletes its standing on every device: without an
-- index on the check, that scanned every device's checks (a million rows
-- at 100,000 devices) while holding the writer.
CREATE INDEX device_checks_check ON device_checks (check_id);
