-- Undo 0013: the views as 0003 made them (every vote counted, whatever it was cast on).
DROP MATERIALIZED VIEW dashboard_validators CASCADE;

CREATE MATERIALIZED VIEW dashboard_validators AS
SELECT c.language_code, v.validator_id, count(*) AS votes
  FROM validations v
  JOIN contributions c ON c.id = v.contribution_id
 GROUP BY c.language_code, v.validator_id;
CREATE UNIQUE INDEX dashboard_validators_key ON dashboard_validators (language_code, validator_id);

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
