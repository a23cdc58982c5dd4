-- Placeholder for migration 0005, which another branch adds: migrations are
-- numbered without gaps and this branch needs 0006. Delete this file when
-- merging that branch's 0005.
SELECT 1;
