-- 0006 rate limits: undo.
DROP TABLE rate_limit_counts;
