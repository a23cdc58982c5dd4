-- Placeholder on the rules branch only, so that 0011 follows a contiguous
-- list: the lead deletes it when merging the branches that own 0009 and 0010.
SELECT 1;
