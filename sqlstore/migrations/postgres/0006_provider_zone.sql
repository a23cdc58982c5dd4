-- The provider's time zone: the one zone provider staff, who work across
-- organisations and their calendars, see every time in. An IANA name,
-- checked by the application (tandem.LoadTimeZone); UTC until set.
ALTER TABLE provider ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
