-- 0002 contributor loop: undo.
DROP INDEX contributions_contributor;
DROP INDEX dataset_rows_language_id;
DROP INDEX contributions_to_validate;
CREATE INDEX contributions_to_validate
    ON contributions (language_code, created_at, id) WHERE status = 'pending';
ALTER TABLE reports DROP CONSTRAINT reports_other_has_note;
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
UPDATE reports SET reason = 'other', note = coalesce(note, reason) WHERE reason IN ('mismatch');
ALTER TABLE reports ADD CONSTRAINT reports_reason_check CHECK (reason IN ('offensive', 'grammar_or_spelling', 'wrong_language',
                                                    'hard_to_read', 'poor_audio', 'wrong_reading',
                                                    'personal_information', 'other'));
ALTER TABLE contributions DROP COLUMN report_count;
ALTER TABLE dataset_rows DROP COLUMN report_count;
DROP TABLE upload_refusals;
