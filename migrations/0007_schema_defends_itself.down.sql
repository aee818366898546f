-- 0007 a schema that defends itself: undo exactly what the up step did (a goal_hours set to
-- 1000 from NULL stays 1000).

DROP INDEX ingest_batches_language;
DROP INDEX clip_servings_contribution;
DROP INDEX feedback_language;
DROP INDEX feedback_contributor;
DROP INDEX upload_refusals_language;
DROP INDEX upload_refusals_item;
DROP INDEX reports_contribution_id;
DROP INDEX reports_item_id;
DROP INDEX reports_reporter;
DROP INDEX skips_contribution_id;
DROP INDEX skips_item_id;
DROP INDEX skips_contributor;
DROP INDEX contributions_region;
DROP INDEX contributors_region;

ALTER TABLE languages ALTER COLUMN goal_hours DROP NOT NULL;

DROP TRIGGER contributions_known_answer_is_status ON contributions;
DROP FUNCTION check_known_answer_is_status();

ALTER TABLE contributions
    DROP CONSTRAINT contributions_majority_without_dissent,
    DROP CONSTRAINT contributions_mother_tongue_check,
    DROP CONSTRAINT contributions_browser_known,
    DROP CONSTRAINT contributions_device_known,
    DROP CONSTRAINT contributions_gender_check,
    DROP CONSTRAINT contributions_age_group_check;

ALTER TABLE upload_refusals DROP CONSTRAINT upload_refusals_item_language_fkey;
ALTER TABLE contributions DROP CONSTRAINT contributions_item_language_fkey;
ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_id_language;
