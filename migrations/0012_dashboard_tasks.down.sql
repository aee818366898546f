-- Undo 0012: the per-task view goes (tasks.json is no longer published by this version).
DROP MATERIALIZED VIEW dashboard_tasks;
