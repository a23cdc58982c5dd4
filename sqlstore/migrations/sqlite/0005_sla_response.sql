-- The staff actions an organisation's SLA policy counts as a response
-- besides a public reply (tandem.SLAPolicy.ResponseActions). JSON: a list
-- from "assign", "status", "time"; existing policies mark none, and the
-- first responses tickets recorded stay as they were.
ALTER TABLE sla_policies ADD COLUMN response_actions TEXT NOT NULL DEFAULT '[]';
