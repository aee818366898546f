-- 0006 rate limits: the write and new-session limits' counts (app/security/counters.py), shared
-- by every worker and pod because they live in the one database every mode has.
--
-- One row per (what is counted over how long, who, fixed window). A check adds one to the
-- current window of each of its counts in one statement and reads the previous window beside
-- it (the sliding-window estimate needs both). UNLOGGED: the counts are worth nothing after a
-- crash, and skipping the WAL keeps a check's commit from waiting for a disk flush.
-- fillfactor 70 leaves room on each page so that `n = n + 1` stays a HOT update.
CREATE UNLOGGED TABLE rate_limit_counts (
    bucket       text NOT NULL,    -- what and over how long, e.g. 'validate.vote/60'
    key          text NOT NULL,    -- who: 'session:<uuid>' or 'address:<ip or /64>'
    window_start bigint NOT NULL,  -- epoch seconds, a multiple of the window's length
    expires_at   bigint NOT NULL,  -- window_start + 2 windows: no check reads the row after
    n            integer NOT NULL,
    PRIMARY KEY (bucket, key, window_start)
) WITH (fillfactor = 70);

-- The occasional prune deletes expired rows through this index, a few hundred at a time.
CREATE INDEX rate_limit_counts_expiry ON rate_limit_counts (expires_at);
