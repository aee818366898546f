-- 0008 parallel rows and duplicate keys (issue #16, ingest that keeps meaning).
--
-- A parallel CSV row is one item: a `parallel_rows` row, whose translations are the sentences
-- (dataset_rows, kind 'sentence', one per language) that point at it. A row is ingested whole
-- or not at all, so every translation pair of the file stays linked.
CREATE TABLE parallel_rows (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id bigint NOT NULL REFERENCES ingest_batches (id),
    line     integer NOT NULL CHECK (line > 0),   -- where the record starts in the file
    UNIQUE (batch_id, line)                       -- also the index behind batch_id
);

ALTER TABLE dataset_rows ADD COLUMN parallel_row_id bigint REFERENCES parallel_rows (id);
-- One translation per language in a row; also the index behind the foreign key.
CREATE UNIQUE INDEX dataset_rows_parallel_row ON dataset_rows (parallel_row_id, language_code);

-- What counts as a duplicate sentence: its text without invisible format characters (ZWJ,
-- ZWNJ, zero-width space, direction marks, soft hyphen, BOM...), which the stored text keeps.
-- Must be spelled exactly as app.ingest.text.duplicate_key_sql, which the ingest queries use.
-- Not unique: rows already stored may hold such near-duplicates, which this must not refuse.
CREATE INDEX dataset_rows_sentence_key ON dataset_rows (
    language_code,
    md5(regexp_replace(text, '[\u00AD\u034F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]', '', 'g'))
) WHERE kind = 'sentence';
