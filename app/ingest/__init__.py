"""Ingest: sentence files and media items into `dataset_rows`, one batch per run.

- `text`: normalisation and the per-language rules (scripts, words, digits, addresses).
- `readers`: text, CSV and TSV sentence files.
- `sentences`: checking, deduplicating and bulk-loading sentences (COPY into staging, one
  INSERT ... SELECT ... ON CONFLICT DO NOTHING, one transaction).
- `media_sources` and `media`: audio with transcripts and images with reference text, from a
  folder, an archive or a manifest, copied to storage under our keys.
- `batches`: listing, retiring and re-activating whole runs.
- `report`: counts and refusal reasons.
"""
