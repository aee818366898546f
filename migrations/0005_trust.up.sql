-- 0005 trust: what makes a verdict worth trusting. Which clips a session was handed and when
-- (a vote counts only after the clip could be heard), known-answer clips, each validator's
-- standing per language (warm-up, counting, distrusted), votes that are kept but do not count,
-- reports that do not hide on their own, and recordings an operator removed.

-- The clips a session was handed by the validate queue, and when (the first time).
CREATE TABLE clip_servings (
    contributor_id  uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    contribution_id bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    served_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contributor_id, contribution_id)
);
-- pruning old servings
CREATE INDEX clip_servings_served_at ON clip_servings (served_at);

-- Known-answer clips: settled recordings whose right answer is known (a clear majority, or an
-- operator's word), mixed into validators' queues to measure them.
ALTER TABLE contributions
    ADD COLUMN known_answer text CHECK (known_answer IN ('accept', 'reject')),
    ADD COLUMN known_answer_source text CHECK (known_answer_source IN ('majority', 'operator')),
    ADD CONSTRAINT contributions_known_answer_source
        CHECK ((known_answer IS NULL) = (known_answer_source IS NULL));
-- picking known-answer clips for a language
CREATE INDEX contributions_known_answers
    ON contributions (language_code, known_answer, id) WHERE known_answer IS NOT NULL;

-- A recording an operator removed after reports: out of every queue, verdict and export.
ALTER TABLE contributions DROP CONSTRAINT contributions_status_check;
ALTER TABLE contributions ADD CONSTRAINT contributions_status_check
    CHECK (status IN ('pending', 'accepted', 'rejected', 'removed'));

-- Each validator's standing per language: practice on known answers (warmup), then checks on
-- hidden known answers before their votes count (probation), counting, or distrusted.
CREATE TABLE validator_standing (
    validator_id      uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    language_code     text NOT NULL REFERENCES languages (code),
    state             text NOT NULL
                      CHECK (state IN ('warmup', 'probation', 'counting', 'distrusted')),
    practice_answered smallint NOT NULL DEFAULT 0 CHECK (practice_answered >= 0),
    practice_agreed   smallint NOT NULL DEFAULT 0 CHECK (practice_agreed >= 0),
    checks_answered   integer NOT NULL DEFAULT 0 CHECK (checks_answered >= 0),
    checks_agreed     integer NOT NULL DEFAULT 0 CHECK (checks_agreed >= 0),
    reason            text CHECK (char_length(reason) <= 200),
    created_at        timestamptz NOT NULL DEFAULT now(),
    changed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (validator_id, language_code)
);
CREATE INDEX validator_standing_language_state ON validator_standing (language_code, state);

-- What a vote was: an ordinary vote, a practice answer (warm-up, answer shown afterwards) or a
-- check (a known-answer clip mixed into the queue). Only ordinary votes of validators in good
-- standing count toward a verdict; the others are kept with counted = false.
ALTER TABLE validations
    ADD COLUMN role text NOT NULL DEFAULT 'vote' CHECK (role IN ('vote', 'practice', 'check')),
    ADD COLUMN counted boolean NOT NULL DEFAULT true,
    ADD COLUMN expected text CHECK (expected IN ('accept', 'reject')),
    ADD CONSTRAINT validations_role_counted CHECK (role = 'vote' OR NOT counted),
    ADD CONSTRAINT validations_role_expected CHECK ((role = 'vote') = (expected IS NULL));

-- A report from a session without a track record is kept (an operator sees it) but does not
-- count toward hiding; report_count on items counts only the counted ones.
ALTER TABLE reports ADD COLUMN counted boolean NOT NULL DEFAULT true;
-- the review queue: open reports per target
CREATE INDEX reports_open_contribution ON reports (contribution_id) WHERE status = 'open';
CREATE INDEX reports_open_item ON reports (item_id) WHERE status = 'open';
