-- 0012 dashboard per task (issue #18, ADR 0010 §8): what transcribe, translate and label have
-- gathered per language (and, for translate, per source language), refreshed CONCURRENTLY with
-- the speak views by `crowdsource refresh` and published as tasks.json. Speak's views are
-- unchanged. A clip's hours count once, however many transcripts it has.
CREATE MATERIALIZED VIEW dashboard_tasks AS
WITH items AS (
    SELECT d.id, d.language_code,
           CASE d.kind WHEN 'audio' THEN 'transcribe' WHEN 'prompt' THEN 'translate'
                       ELSE 'label' END AS task,
           coalesce(d.source_language_code, '') AS source_language_code,
           d.is_active, coalesce(d.media_duration_ms, 0) AS media_duration_ms
      FROM dataset_rows d
     WHERE d.kind IN ('audio', 'prompt', 'image')
), per_item AS (
    SELECT c.item_id,
           count(*)                                         AS contributions,
           count(*) FILTER (WHERE c.status = 'accepted')    AS accepted,
           count(*) FILTER (WHERE c.status = 'rejected')    AS rejected,
           count(*) FILTER (WHERE c.status = 'pending')     AS pending,
           count(*) FILTER (WHERE c.corrects_id IS NOT NULL) AS corrections
      FROM contributions c
     WHERE c.kind IN ('transcription', 'translation', 'label')
     GROUP BY c.item_id
)
SELECT i.language_code, i.task, i.source_language_code,
       count(*) FILTER (WHERE i.is_active)                      AS items,
       count(p.item_id)                                         AS items_contributed,
       count(p.item_id) FILTER (WHERE p.accepted > 0)           AS items_validated,
       coalesce(sum(p.contributions), 0)                        AS contributions,
       coalesce(sum(p.accepted), 0)                             AS accepted,
       coalesce(sum(p.rejected), 0)                             AS rejected,
       coalesce(sum(p.pending), 0)                              AS pending,
       coalesce(sum(p.corrections), 0)                          AS corrections,
       coalesce(sum(i.media_duration_ms) FILTER (WHERE p.item_id IS NOT NULL), 0)
                                                                AS ms_contributed,
       coalesce(sum(i.media_duration_ms) FILTER (WHERE p.accepted > 0), 0) AS ms_validated
  FROM items i
  LEFT JOIN per_item p ON p.item_id = i.id
 GROUP BY i.language_code, i.task, i.source_language_code;
CREATE UNIQUE INDEX dashboard_tasks_key
    ON dashboard_tasks (language_code, task, source_language_code);
