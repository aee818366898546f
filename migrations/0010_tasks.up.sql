-- 0010 tasks (issue #18, ADR 0010): the schema transcribe, translate and label share with speak.
--
-- One item belongs to one task, its kind says which: a sentence to read (speak), an audio clip
-- to transcribe, an image to label, and a prompt to translate (a source sentence and a target
-- language). Contributions of the three text tasks are texts; a validator may answer "needs a
-- change" with a corrected text, which is a new contribution linked to the one it corrects.
-- ADR 0010 planned this as several migrations (0010 to 0014); they are one, since every column
-- is new and empty and the code of this version needs them all. The two queue indexes that
-- gain `kind` are built again without a lock in 0011.

-- Translate items: one prompt per (source sentence, target language), in the target language,
-- so the cap, the row lock and "never twice for a person" are per pair. Its text, if any, is a
-- reference translation.
ALTER TABLE dataset_rows DROP CONSTRAINT dataset_rows_kind_check;
ALTER TABLE dataset_rows ADD CONSTRAINT dataset_rows_kind_check
    CHECK (kind IN ('sentence', 'audio', 'image', 'parallel', 'prompt'));
ALTER TABLE ingest_batches DROP CONSTRAINT ingest_batches_kind_check;
ALTER TABLE ingest_batches ADD CONSTRAINT ingest_batches_kind_check
    CHECK (kind IN ('sentence', 'audio', 'image', 'parallel', 'prompt'));
ALTER TABLE dataset_rows
    ADD COLUMN source_item_id bigint,
    ADD COLUMN source_language_code text,
    -- The source is a row of the source language (0007's (id, language_code) key).
    ADD CONSTRAINT dataset_rows_source_item_fkey FOREIGN KEY (source_item_id, source_language_code)
        REFERENCES dataset_rows (id, language_code),
    ADD CONSTRAINT dataset_rows_prompt_has_source CHECK (
        (kind = 'prompt') = (source_item_id IS NOT NULL)
        AND (source_item_id IS NULL) = (source_language_code IS NULL)),
    ADD CONSTRAINT dataset_rows_prompt_other_language CHECK (source_language_code <> language_code);
-- One prompt per sentence and target language; also the index behind the foreign key.
CREATE UNIQUE INDEX dataset_rows_prompt_unique ON dataset_rows (source_item_id, language_code)
    WHERE source_item_id IS NOT NULL;
-- pick items to translate: a pair's prompts, fewest contributions first (as
-- dataset_rows_to_contribute does for the other kinds).
CREATE INDEX dataset_rows_prompts_to_contribute
    ON dataset_rows (language_code, source_language_code, contribution_count, id)
    WHERE is_active AND kind = 'prompt';

-- What Pillow measured of an image at ingest: {"width": ..., "height": ..., "format": "png"}.
ALTER TABLE dataset_rows ADD COLUMN media_measures jsonb
    CHECK (media_measures IS NULL OR jsonb_typeof(media_measures) = 'object');

-- A transcribe item made from an accepted recording: it names the recording's object, and the
-- recording. No cascade: erasing a voice deletes the item and its transcriptions explicitly.
ALTER TABLE dataset_rows ADD COLUMN source_contribution_id bigint
    CONSTRAINT dataset_rows_source_contribution_fkey REFERENCES contributions (id);
CREATE UNIQUE INDEX dataset_rows_source_contribution ON dataset_rows (source_contribution_id)
    WHERE source_contribution_id IS NOT NULL;
ALTER TABLE dataset_rows ADD CONSTRAINT dataset_rows_source_contribution_is_audio
    CHECK (source_contribution_id IS NULL OR kind = 'audio');

-- Corrections: a text contribution made by a validator's "needs a change", linked to the one
-- it corrects. A correction of an erased contribution keeps its text and loses its link.
ALTER TABLE contributions
    ADD COLUMN corrects_id bigint
        CONSTRAINT contributions_corrects_fkey REFERENCES contributions (id) ON DELETE SET NULL,
    ADD CONSTRAINT contributions_correction_is_text CHECK (corrects_id IS NULL OR kind <> 'recording'),
    ADD CONSTRAINT contributions_correction_not_itself CHECK (corrects_id <> id),
    ADD CONSTRAINT contributions_text_kinds_have_text CHECK (kind = 'recording' OR text IS NOT NULL),
    -- The pre-check against the item's reference text (app/tasks/precheck.py): the score, its
    -- metric (character error rate, or chrF for translations), and whether it was past the
    -- language's threshold when the volunteer confirmed it.
    ADD COLUMN reference_score real CHECK (reference_score >= 0),
    ADD COLUMN reference_metric text CHECK (reference_metric IN ('cer', 'chrf')),
    ADD COLUMN past_threshold boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT contributions_reference_scored
        CHECK ((reference_score IS NULL) = (reference_metric IS NULL)
               AND (reference_score IS NOT NULL OR NOT past_threshold));
CREATE INDEX contributions_corrects ON contributions (corrects_id) WHERE corrects_id IS NOT NULL;

-- Where each new task is offered, and its numbers. Speak keeps its own on `languages`
-- (is_active, max_recordings_per_item, goal_hours). A task is offered in a language only when
-- its row exists and is open, and the language is active.
CREATE TABLE language_tasks (
    language_code   text NOT NULL REFERENCES languages (code),
    task            text NOT NULL CHECK (task IN ('transcribe', 'translate', 'label')),
    is_open         boolean NOT NULL DEFAULT true,
    -- contributions per item, corrections not counted against it
    cap             smallint NOT NULL DEFAULT 1 CHECK (cap BETWEEN 1 AND 100),
    -- milliseconds of audio for transcribe, items for translate and label; NULL: the default
    goal            bigint CHECK (goal > 0),
    -- counted votes that decide; NULL: the VOTES_TO_DECIDE setting
    votes_to_decide smallint CHECK (votes_to_decide BETWEEN 1 AND 15),
    -- transcribe: accepted recordings of the language become items too
    from_recordings boolean NOT NULL DEFAULT false CHECK (task = 'transcribe' OR NOT from_recordings),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (language_code, task)
);

-- Standing is per (validator, language, task): judging Hindi speech well shows nothing about
-- judging Hindi translations. Every standing so far is speak's.
ALTER TABLE validator_standing
    ADD COLUMN task text NOT NULL DEFAULT 'speak'
        CHECK (task IN ('speak', 'transcribe', 'translate', 'label'));
ALTER TABLE validator_standing DROP CONSTRAINT validator_standing_pkey;
ALTER TABLE validator_standing ADD PRIMARY KEY (validator_id, language_code, task);
DROP INDEX validator_standing_language_state;
CREATE INDEX validator_standing_language_state ON validator_standing (language_code, task, state);

-- What typed work may be reported for, beside speak's reasons.
ALTER TABLE reports DROP CONSTRAINT reports_reason_check;
ALTER TABLE reports ADD CONSTRAINT reports_reason_check CHECK (reason IN (
    'offensive', 'wrong_language', 'mismatch', 'poor_audio', 'grammar_or_spelling', 'hard_to_read',
    'personal_information', 'other', 'wrong_script', 'unreadable', 'mistranslation'));
