-- 0017 down: dashboard_leaderboard as 0013 made it.
ALTER TABLE contributors DROP CONSTRAINT contributors_opt_in_named;
DROP MATERIALIZED VIEW dashboard_ranks;

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
