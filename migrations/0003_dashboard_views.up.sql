-- 0003 dashboard: materialized views over the transactional tables, refreshed CONCURRENTLY by
-- `crowdsource refresh` (each has a plain unique index on column names, as CONCURRENTLY needs),
-- and the record of refresh runs. Missing demographics are '' in the views, not NULL, so that
-- the unique indexes see them as one value.

ALTER TABLE languages ADD COLUMN goal_hours integer DEFAULT 1000 CHECK (goal_hours > 0);

CREATE TABLE dashboard_refreshes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    version     text,
    steps       jsonb NOT NULL DEFAULT '[]',
    error       text
);
CREATE INDEX dashboard_refreshes_recent ON dashboard_refreshes (started_at DESC);

-- Level 1: one pass over each big table.

-- Per language, speaker and demographic snapshot: what they recorded and what became of it.
CREATE MATERIALIZED VIEW dashboard_speakers AS
SELECT language_code,
       contributor_id,
       coalesce(region_code, '') AS region_code,
       coalesce(age_group, '')   AS age_group,
       coalesce(gender, '')      AS gender,
       count(*)                                                     AS recordings,
       coalesce(sum(duration_ms), 0)                                AS ms_recorded,
       count(*) FILTER (WHERE status = 'accepted')                  AS accepted,
       coalesce(sum(duration_ms) FILTER (WHERE status = 'accepted'), 0) AS ms_validated,
       count(*) FILTER (WHERE status = 'rejected')                  AS rejected
  FROM contributions
 WHERE kind = 'recording'
 GROUP BY language_code, contributor_id, coalesce(region_code, ''), coalesce(age_group, ''),
          coalesce(gender, '');
CREATE UNIQUE INDEX dashboard_speakers_key
    ON dashboard_speakers (language_code, contributor_id, region_code, age_group, gender);

-- Per language and validator: how many votes they cast.
CREATE MATERIALIZED VIEW dashboard_validators AS
SELECT c.language_code, v.validator_id, count(*) AS votes
  FROM validations v
  JOIN contributions c ON c.id = v.contribution_id
 GROUP BY c.language_code, v.validator_id;
CREATE UNIQUE INDEX dashboard_validators_key ON dashboard_validators (language_code, validator_id);

-- One row per language and UTC day with activity: recordings by the day they were made,
-- acceptances by the day they were decided. Cumulative values are derived when publishing.
CREATE MATERIALIZED VIEW dashboard_daily AS
SELECT coalesce(made.language_code, decided.language_code) AS language_code,
       coalesce(made.day, decided.day)                     AS day,
       coalesce(made.recordings, 0)                        AS recordings,
       coalesce(made.ms_recorded, 0)                       AS ms_recorded,
       coalesce(decided.accepted, 0)                       AS accepted,
       coalesce(decided.ms_validated, 0)                   AS ms_validated
  FROM (SELECT language_code, (created_at AT TIME ZONE 'UTC')::date AS day,
               count(*) AS recordings, coalesce(sum(duration_ms), 0) AS ms_recorded
          FROM contributions WHERE kind = 'recording'
         GROUP BY 1, 2) made
  FULL JOIN
       (SELECT language_code, (decided_at AT TIME ZONE 'UTC')::date AS day,
               count(*) AS accepted, coalesce(sum(duration_ms), 0) AS ms_validated
          FROM contributions WHERE kind = 'recording' AND status = 'accepted'
         GROUP BY 1, 2) decided
    ON decided.language_code = made.language_code AND decided.day = made.day;
CREATE UNIQUE INDEX dashboard_daily_key ON dashboard_daily (language_code, day);

-- Level 2: small views built from level 1.

-- Totals and goal progress per active language (zeros where nothing was recorded).
CREATE MATERIALIZED VIEW dashboard_language_totals AS
SELECT l.code AS language_code,
       coalesce(s.ms_recorded, 0)  AS ms_recorded,
       coalesce(s.ms_validated, 0) AS ms_validated,
       coalesce(s.recordings, 0)   AS recordings,
       coalesce(s.accepted, 0)     AS accepted,
       coalesce(s.rejected, 0)     AS rejected,
       coalesce(s.speakers, 0)     AS speakers,
       coalesce(v.validators, 0)   AS validators,
       l.goal_hours
  FROM languages l
  LEFT JOIN (SELECT language_code, sum(ms_recorded) AS ms_recorded, sum(ms_validated) AS ms_validated,
                    sum(recordings) AS recordings, sum(accepted) AS accepted, sum(rejected) AS rejected,
                    count(DISTINCT contributor_id) AS speakers
               FROM dashboard_speakers GROUP BY language_code) s ON s.language_code = l.code
  LEFT JOIN (SELECT language_code, count(*) AS validators
               FROM dashboard_validators GROUP BY language_code) v ON v.language_code = l.code
 WHERE l.is_active;
CREATE UNIQUE INDEX dashboard_language_totals_key ON dashboard_language_totals (language_code);

-- All languages together; people are counted once however many languages they worked in.
CREATE MATERIALIZED VIEW dashboard_overall AS
SELECT 1 AS id,
       (SELECT coalesce(sum(ms_recorded), 0) FROM dashboard_speakers)      AS ms_recorded,
       (SELECT coalesce(sum(ms_validated), 0) FROM dashboard_speakers)     AS ms_validated,
       (SELECT coalesce(sum(recordings), 0) FROM dashboard_speakers)       AS recordings,
       (SELECT coalesce(sum(accepted), 0) FROM dashboard_speakers)         AS accepted,
       (SELECT coalesce(sum(rejected), 0) FROM dashboard_speakers)         AS rejected,
       (SELECT count(DISTINCT contributor_id) FROM dashboard_speakers)     AS speakers,
       (SELECT count(DISTINCT validator_id) FROM dashboard_validators)     AS validators,
       (SELECT count(DISTINCT language_code) FROM dashboard_speakers)      AS languages;
CREATE UNIQUE INDEX dashboard_overall_key ON dashboard_overall (id);

-- Speakers and hours by region, age group and gender, per language and for all ('*').
CREATE MATERIALIZED VIEW dashboard_demographics AS
SELECT CASE WHEN GROUPING(language_code) = 1 THEN '*' ELSE language_code END AS language_code,
       CASE WHEN GROUPING(region_code) = 0 THEN 'region'
            WHEN GROUPING(age_group) = 0 THEN 'age_group'
            ELSE 'gender' END                                                AS dimension,
       CASE WHEN GROUPING(region_code) = 0 THEN region_code
            WHEN GROUPING(age_group) = 0 THEN age_group
            ELSE gender END                                                  AS key,
       count(DISTINCT contributor_id) AS speakers,
       sum(ms_recorded)               AS ms_recorded
  FROM dashboard_speakers
 GROUP BY GROUPING SETS ((language_code, region_code), (language_code, age_group),
                         (language_code, gender), (region_code), (age_group), (gender));
CREATE UNIQUE INDEX dashboard_demographics_key ON dashboard_demographics (language_code, dimension, key);

-- People who chose a display name, ranked per language by recordings + votes, then hours.
CREATE MATERIALIZED VIEW dashboard_leaderboard AS
SELECT language_code, contributor_id, display_name, recordings, ms_recorded, accepted, validations,
       row_number() OVER (PARTITION BY language_code
                          ORDER BY recordings + validations DESC, ms_recorded DESC, contributor_id) AS rank,
       count(*) OVER (PARTITION BY language_code) AS people
  FROM (SELECT coalesce(s.language_code, v.language_code) AS language_code,
               p.id AS contributor_id, p.display_name,
               coalesce(s.recordings, 0) AS recordings, coalesce(s.ms_recorded, 0) AS ms_recorded,
               coalesce(s.accepted, 0) AS accepted, coalesce(v.votes, 0) AS validations
          FROM (SELECT language_code, contributor_id, sum(recordings) AS recordings,
                       sum(ms_recorded) AS ms_recorded, sum(accepted) AS accepted
                  FROM dashboard_speakers GROUP BY language_code, contributor_id) s
          FULL JOIN dashboard_validators v
            ON v.language_code = s.language_code AND v.validator_id = s.contributor_id
          JOIN contributors p ON p.id = coalesce(s.contributor_id, v.validator_id)
         WHERE p.display_name IS NOT NULL) named;
CREATE UNIQUE INDEX dashboard_leaderboard_key ON dashboard_leaderboard (language_code, contributor_id);
