-- 0002 contributor loop: what speak and validate need beyond the first schema.

-- Uploads refused by the audio check, so "my contributions" can say what happened and why.
CREATE TABLE upload_refusals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contributor_id  uuid NOT NULL REFERENCES contributors (id),
    item_id         bigint NOT NULL REFERENCES dataset_rows (id),
    language_code   text NOT NULL REFERENCES languages (code),
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 8 AND 100),
    reason_code     text NOT NULL CHECK (reason_code ~ '^[a-z_]{1,40}$'),
    message         text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 500),
    size_bytes      integer CHECK (size_bytes >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contributor_id, idempotency_key)
);
CREATE INDEX upload_refusals_contributor ON upload_refusals (contributor_id, created_at);

-- Distinct reporters per item / contribution, kept in the transaction that inserts the report;
-- what reaches the report threshold leaves the queues.
ALTER TABLE dataset_rows ADD COLUMN report_count integer NOT NULL DEFAULT 0 CHECK (report_count >= 0);
ALTER TABLE contributions ADD COLUMN report_count integer NOT NULL DEFAULT 0 CHECK (report_count >= 0);

-- The reasons the validate and speak pages offer.
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
ALTER TABLE reports ADD CONSTRAINT reports_reason_check CHECK (reason IN (
    'offensive', 'wrong_language', 'mismatch', 'poor_audio', 'grammar_or_spelling', 'hard_to_read',
    'personal_information', 'other'));
ALTER TABLE reports ADD CONSTRAINT reports_other_has_note CHECK (reason <> 'other' OR note IS NOT NULL);

-- pick_clips_to_validate: pending recordings of a language, closest to a decision first, then oldest.
DROP INDEX contributions_to_validate;
CREATE INDEX contributions_to_validate
    ON contributions (language_code, (greatest(accept_count, reject_count)) DESC, created_at, id)
    WHERE status = 'pending';

-- pick_sentences_to_record: the id range of a language's sentences, for a random starting point.
CREATE INDEX dataset_rows_language_id ON dataset_rows (language_code, kind, id);

-- "My contributions", newest first.
CREATE INDEX contributions_contributor ON contributions (contributor_id, created_at);
