-- 0003 dashboard: undo.
DROP MATERIALIZED VIEW dashboard_leaderboard;
DROP MATERIALIZED VIEW dashboard_demographics;
DROP MATERIALIZED VIEW dashboard_overall;
DROP MATERIALIZED VIEW dashboard_language_totals;
DROP MATERIALIZED VIEW dashboard_daily;
DROP MATERIALIZED VIEW dashboard_validators;
DROP MATERIALIZED VIEW dashboard_speakers;
DROP TABLE dashboard_refreshes;
ALTER TABLE languages DROP COLUMN goal_hours;
