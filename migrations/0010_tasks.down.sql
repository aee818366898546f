-- Undo 0010. Refused while rows of the new tasks exist (the constraints put back would not
-- hold): an operator removes them first, knowing what is lost.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM dataset_rows WHERE kind = 'prompt')
       OR EXISTS (SELECT 1 FROM ingest_batches WHERE kind = 'prompt')
       OR EXISTS (SELECT 1 FROM validator_standing WHERE task <> 'speak')
       OR EXISTS (SELECT 1 FROM reports
                  WHERE reason IN ('wrong_script', 'unreadable', 'mistranslation')) THEN
        RAISE EXCEPTION 'migration 0010 down: translate prompts, standings of other tasks or reports with the new reasons exist'
            USING HINT = 'delete them first if they may be lost';
    END IF;
END
$$;

ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
ALTER TABLE reports ADD CONSTRAINT reports_reason_check CHECK (reason IN (
    'offensive', 'wrong_language', 'mismatch', 'poor_audio', 'grammar_or_spelling', 'hard_to_read',
    'personal_information', 'other'));

DROP INDEX validator_standing_language_state;
ALTER TABLE validator_standing DROP CONSTRAINT validator_standing_pkey;
ALTER TABLE validator_standing ADD PRIMARY KEY (validator_id, language_code);
ALTER TABLE validator_standing DROP COLUMN task;
CREATE INDEX validator_standing_language_state ON validator_standing (language_code, state);

DROP TABLE language_tasks;

DROP INDEX contributions_corrects;
ALTER TABLE contributions
    DROP CONSTRAINT contributions_reference_scored,
    DROP COLUMN past_threshold,
    DROP COLUMN reference_metric,
    DROP COLUMN reference_score,
    DROP CONSTRAINT contributions_text_kinds_have_text,
    DROP CONSTRAINT contributions_correction_not_itself,
    DROP CONSTRAINT contributions_correction_is_text,
    DROP COLUMN corrects_id;

ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_source_contribution_is_audio;
DROP INDEX dataset_rows_source_contribution;
ALTER TABLE dataset_rows DROP COLUMN source_contribution_id;
ALTER TABLE dataset_rows DROP COLUMN media_measures;

DROP INDEX dataset_rows_prompts_to_contribute;
DROP INDEX dataset_rows_prompt_unique;
ALTER TABLE dataset_rows
    DROP CONSTRAINT dataset_rows_prompt_other_language,
    DROP CONSTRAINT dataset_rows_prompt_has_source,
    DROP CONSTRAINT dataset_rows_source_item_fkey,
    DROP COLUMN source_language_code,
    DROP COLUMN source_item_id;
ALTER TABLE ingest_batches DROP CONSTRAINT ingest_batches_kind_check;
ALTER TABLE ingest_batches ADD CONSTRAINT ingest_batches_kind_check
    CHECK (kind IN ('sentence', 'audio', 'image', 'parallel'));
ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_kind_check;
ALTER TABLE dataset_rows ADD CONSTRAINT dataset_rows_kind_check
    CHECK (kind IN ('sentence', 'audio', 'image', 'parallel'));
