-- 0004 ingest batches: undo.
DROP INDEX dataset_rows_media_unique;
DROP INDEX dataset_rows_batch;
ALTER TABLE dataset_rows DROP COLUMN batch_id;
DROP TABLE ingest_batches;
