-- Undo 0008: the links between translations and the duplicate-key index go; the sentences stay.
DROP INDEX dataset_rows_sentence_key;
DROP INDEX dataset_rows_parallel_row;
ALTER TABLE dataset_rows DROP COLUMN parallel_row_id;
DROP TABLE parallel_rows;
