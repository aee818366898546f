-- 0007 a schema that defends itself: what the code above already keeps true is now refused by
-- the database too, so a script, a hand-written fix or a future bug cannot store nonsense.
--
-- What this step enforces, and what it does not (issue #16):
-- * A contribution is about its item in the item's language: composite foreign key
--   (item_id, language_code) -> dataset_rows (id, language_code). No path makes a
--   contribution in another language than its item (there is no translation path yet; a
--   translation would point at its own language's row of a parallel item).
-- * Every enumerated column of contributions takes the values contributors' does (the
--   demographics are copied from the profile at upload time); region_code already has its FK.
--   device and browser take the names app/speak/views.py derives from the user agent (a new
--   browser name there needs a migration here).
-- * A known answer and the status agree. Not enforced: "a decided status agrees with the
--   counts and the threshold". VOTES_TO_DECIDE is a setting (a CHECK would freeze one value),
--   an operator's known answer decides whatever the votes say, and `known-answers unmark`
--   keeps the verdict the operator gave (its documented behaviour), so a decided status with
--   counts that would not decide it is a legitimate state. What holds on every path
--   (cast_vote, recompute_verdicts, mark_known_answer, reports remove/restore, the generator):
--     - a known answer from a clear majority has votes on its side only, at least one (CHECK);
--     - at the end of each transaction, a pending recording has no known answer (a known
--       answer is a settled one) and a known answer on a recording that is not removed is its
--       status (accept <-> accepted, reject <-> rejected). A deferred constraint trigger, not a
--       CHECK: a restore sets a removed recording back to pending and then recounts its votes,
--       which gives back the verdict its known answer stands for, in two statements.
--   "accept_count/reject_count equal the counted votes" holds on those paths too, but test
--   fixtures (tests/dashboard, tests/browser) insert decided rows without vote rows, so a
--   trigger for it is left for a later step.
-- * Every foreign key has an index whose leading columns are the key's (deleting a contributor
--   or a sentence, and the FK checks behind them, would otherwise scan the referencing table).
-- * languages.goal_hours is NOT NULL (a NULL goal was never set by the code; one left by a hand
--   edit becomes the default, 1000).

-- The target of the composite foreign key (the primary key alone does not carry the language).
ALTER TABLE dataset_rows
    ADD CONSTRAINT dataset_rows_id_language UNIQUE (id, language_code);
ALTER TABLE contributions
    ADD CONSTRAINT contributions_item_language_fkey FOREIGN KEY (item_id, language_code)
        REFERENCES dataset_rows (id, language_code);
-- An upload refusal names its item and language the same way.
ALTER TABLE upload_refusals
    ADD CONSTRAINT upload_refusals_item_language_fkey FOREIGN KEY (item_id, language_code)
        REFERENCES dataset_rows (id, language_code);

ALTER TABLE contributions
    ADD CONSTRAINT contributions_age_group_check
        CHECK (age_group IN ('teens', 'twenties', 'thirties', 'forties', 'fifties', 'sixties',
                             'seventies', 'eighties', 'nineties')),
    ADD CONSTRAINT contributions_gender_check
        CHECK (gender IN ('female', 'male', 'transgender', 'other')),
    ADD CONSTRAINT contributions_device_known CHECK (device IN ('mobile', 'desktop')),
    ADD CONSTRAINT contributions_browser_known
        CHECK (browser IN ('edge', 'opera', 'samsung', 'firefox', 'chrome', 'chromium', 'safari')),
    ADD CONSTRAINT contributions_mother_tongue_check
        CHECK (char_length(mother_tongue) BETWEEN 1 AND 60),
    ADD CONSTRAINT contributions_majority_without_dissent
        CHECK (known_answer_source IS DISTINCT FROM 'majority'
               OR (known_answer = 'accept' AND accept_count > 0 AND reject_count = 0)
               OR (known_answer = 'reject' AND reject_count > 0 AND accept_count = 0));

-- The row as it is when the transaction commits (it may have changed since the event).
CREATE FUNCTION check_known_answer_is_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_status text;
    answer text;
BEGIN
    SELECT status, known_answer INTO now_status, answer FROM contributions WHERE id = NEW.id;
    IF answer IS NOT NULL AND now_status <> 'removed'
       AND NOT (answer = 'accept' AND now_status = 'accepted'
                OR answer = 'reject' AND now_status = 'rejected') THEN
        RAISE EXCEPTION 'known answer % disagrees with status % of contribution %',
                        answer, now_status, NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contributions_known_answer_is_status';
    END IF;
    RETURN NULL;
END
$$;
-- Only rows that hold a known answer after the change queue an event (a bulk load of
-- recordings without known answers queues none).
CREATE CONSTRAINT TRIGGER contributions_known_answer_is_status
    AFTER INSERT OR UPDATE OF status, known_answer ON contributions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.known_answer IS NOT NULL)
    EXECUTE FUNCTION check_known_answer_is_status();

UPDATE languages SET goal_hours = 1000 WHERE goal_hours IS NULL;
ALTER TABLE languages ALTER COLUMN goal_hours SET NOT NULL;

-- Indexes behind the foreign keys that had none leading with their columns.
CREATE INDEX contributors_region ON contributors (region_code) WHERE region_code IS NOT NULL;
CREATE INDEX contributions_region ON contributions (region_code) WHERE region_code IS NOT NULL;
CREATE INDEX skips_contributor ON skips (contributor_id);
CREATE INDEX skips_item_id ON skips (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX skips_contribution_id ON skips (contribution_id) WHERE contribution_id IS NOT NULL;
CREATE INDEX reports_reporter ON reports (reporter_id);
CREATE INDEX reports_item_id ON reports (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX reports_contribution_id ON reports (contribution_id) WHERE contribution_id IS NOT NULL;
CREATE INDEX upload_refusals_item ON upload_refusals (item_id);
CREATE INDEX upload_refusals_language ON upload_refusals (language_code);
CREATE INDEX feedback_contributor ON feedback (contributor_id) WHERE contributor_id IS NOT NULL;
CREATE INDEX feedback_language ON feedback (language_code) WHERE language_code IS NOT NULL;
CREATE INDEX clip_servings_contribution ON clip_servings (contribution_id);
CREATE INDEX ingest_batches_language ON ingest_batches (language_code)
    WHERE language_code IS NOT NULL;
