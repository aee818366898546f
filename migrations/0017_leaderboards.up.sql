-- 0017 opt-in leaderboards per language × task × period (issue #20).
--
-- dashboard_leaderboard (0003/0013: speak only, all time, everyone with a display name) is
-- replaced by dashboard_ranks: every person's position per language × task × period among
-- everyone who contributed or voted there, opted in or not. The refresh publishes the boards
-- from it (only people who opted in, by name: app/dashboard/leaderboards.py), and
-- GET /api/v1/me/ranks reads the caller's rows by the contributor index (no aggregation per
-- request).
--
-- Periods: 'all' (all time) and 'week' (the 7 days before the refresh ran, a rolling window:
-- now() is the refresh's time). Score = contributions + votes of the task; contributions that
-- were removed do not count. Ties: more accepted contributions first, then whoever reached
-- the score first (the older latest item), then the contributor id (so ranks are unique).
DROP MATERIALIZED VIEW dashboard_leaderboard;

CREATE MATERIALIZED VIEW dashboard_ranks AS
WITH items AS (
    SELECT c.language_code, c.contributor_id,
           CASE c.kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                       WHEN 'translation' THEN 'translate' ELSE 'label' END AS task,
           1 AS contributed, 0 AS voted, (c.status = 'accepted')::int AS accepted, c.created_at
      FROM contributions c
     WHERE c.status <> 'removed'
    UNION ALL
    SELECT c.language_code, v.validator_id,
           CASE c.kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                       WHEN 'translation' THEN 'translate' ELSE 'label' END,
           0, 1, 0, v.created_at
      FROM validations v
      JOIN contributions c ON c.id = v.contribution_id
), per_person AS (
    SELECT language_code, task, contributor_id,
           sum(contributed) AS contributions, sum(voted) AS votes, sum(accepted) AS accepted,
           max(created_at) AS reached_at,
           sum(contributed) FILTER (WHERE created_at >= now() - interval '7 days') AS week_contributions,
           sum(voted) FILTER (WHERE created_at >= now() - interval '7 days')       AS week_votes,
           sum(accepted) FILTER (WHERE created_at >= now() - interval '7 days')    AS week_accepted,
           max(created_at) FILTER (WHERE created_at >= now() - interval '7 days')  AS week_reached_at
      FROM items
     GROUP BY language_code, task, contributor_id
), per_period AS (
    SELECT p.language_code, p.task, x.period, p.contributor_id,
           x.contributions, x.votes, x.accepted, x.reached_at
      FROM per_person p
     CROSS JOIN LATERAL (VALUES
           ('all', p.contributions, p.votes, p.accepted, p.reached_at),
           ('week', p.week_contributions, p.week_votes, p.week_accepted, p.week_reached_at)
         ) AS x (period, contributions, votes, accepted, reached_at)
     WHERE x.reached_at IS NOT NULL
)
SELECT language_code, task, period, contributor_id,
       contributions::integer AS contributions, votes::integer AS votes,
       accepted::integer AS accepted, reached_at,
       row_number() OVER (PARTITION BY language_code, task, period
                          ORDER BY contributions + votes DESC, accepted DESC, reached_at,
                                   contributor_id)::integer AS rank,
       count(*) OVER (PARTITION BY language_code, task, period)::integer AS people
  FROM per_period;
CREATE UNIQUE INDEX dashboard_ranks_key
    ON dashboard_ranks (language_code, task, period, contributor_id);
CREATE INDEX dashboard_ranks_contributor ON dashboard_ranks (contributor_id);

-- Nobody is opted in without a name to show (clearing the name opts the person out:
-- app/contributors/service.py), whatever the code above the database does.
ALTER TABLE contributors ADD CONSTRAINT contributors_opt_in_named
    CHECK (NOT leaderboard_opt_in OR display_name IS NOT NULL);
