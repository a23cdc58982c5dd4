-- The home pages' figures (sqlstore/ticket_summary.go) are counts, read
-- from indexes rather than from the tickets and clocks themselves.
--
-- Open tickets, with every column the counts group and test (status too:
-- SQLite reads a column of the condition from the table unless the index
-- holds it): a count of an organisation's open tickets by party, assignee
-- and SLA state reads only this index, and only its open tickets (about a
-- quarter of a desk's). Queries write the condition exactly as here, so
-- the planner applies it.
CREATE INDEX tickets_open ON tickets (organization_id, owning_party, assignee_id, sla_state, status) WHERE status NOT IN ('resolved', 'closed');
-- Handoffs waiting for a party, by organisation: the few tickets with one.
CREATE INDEX tickets_awaiting ON tickets (organization_id, pending_handoff_id) WHERE pending_handoff_id IS NOT NULL;
-- The SLA attainment of a period: clocks met (breached_at says whether
-- within their target) and clocks breached, by organisation and instant,
-- so a month's verdicts are read without the history before it.
CREATE INDEX sla_timers_met ON sla_timers (organization_id, met_at, kind, breached_at) WHERE met_at IS NOT NULL;
CREATE INDEX sla_timers_breached ON sla_timers (organization_id, breached_at, kind) WHERE breached_at IS NOT NULL;
