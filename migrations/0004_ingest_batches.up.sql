-- 0004 ingest batches: every `crowdsource ingest` run is one batch, so a whole run can be
-- listed, retired (its rows leave the queues, which filter on is_active) and re-activated.

CREATE TABLE ingest_batches (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('sentence', 'audio', 'image', 'parallel')),
    -- NULL only for a parallel run, whose rows go into several languages.
    language_code text REFERENCES languages (code),
    source        text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 200),
    options       jsonb NOT NULL DEFAULT '{}',
    added_count   integer NOT NULL DEFAULT 0 CHECK (added_count >= 0),
    refused_count integer NOT NULL DEFAULT 0 CHECK (refused_count >= 0),
    refusals      jsonb NOT NULL DEFAULT '{}',   -- refused lines per reason code
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((language_code IS NULL) = (kind = 'parallel'))
);

ALTER TABLE dataset_rows ADD COLUMN batch_id bigint REFERENCES ingest_batches (id);
-- retire / activate a batch: its rows. Rows from before batches (demo sentences) stay out.
CREATE INDEX dataset_rows_batch ON dataset_rows (batch_id) WHERE batch_id IS NOT NULL;
-- Ingested media is keyed by its content (see app/ingest/media.py), so one clip or image is
-- one item per language and kind: a re-run finds it here and adds nothing.
CREATE UNIQUE INDEX dataset_rows_media_unique
    ON dataset_rows (media_key) WHERE media_key IS NOT NULL;
