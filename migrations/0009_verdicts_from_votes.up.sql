-- 0009 verdicts from votes: the counts on a recording are its counted votes, and the rule that
-- turns counts into a verdict lives in one place, here (issue #16, left open by 0007).
--
-- * contribution_verdict(accepts, rejects, votes_to_decide) is Common Voice's rule: accepted at
--   >= N accepts with more accepts than rejects, rejected at >= N rejects with more rejects than
--   accepts, pending otherwise (ties stay pending). Both writers of a verdict call it: a vote
--   (app.validate.service.cast_vote) and a recount (app.validate.trust.recompute_verdicts). N is
--   the VOTES_TO_DECIDE setting, passed in; it is not frozen into a CHECK (0007 says why: an
--   operator's known answer decides whatever the votes say, and that verdict outlives `unmark`).
-- * At the end of each transaction, accept_count and reject_count of a recording that is not
--   removed equal its counted votes (validations with counted = true) by verdict. A deferred
--   constraint trigger on both tables: a vote inserts its row and then updates the counts, in
--   two statements; a standing change flips `counted` on many votes and then recounts. A
--   removed recording is exempt: a recount skips it (it takes no votes) and a restore recounts.
--   So "status = 'accepted' with 50 accepts and no votes" is refused at COMMIT.
-- * `crowdsource generate` disables these triggers for its bulk load and checks the same rule
--   over the loaded rows in one statement before it commits (ops/generate.py).
-- * A trigger checks only what changes after it exists, so the rows already stored are checked
--   here, once. The code always kept counts and votes together; a mismatch can only come from a
--   hand edit, and this step then stops and says which recordings (the README, "Commands",
--   gives the statement that makes the counts follow the votes, to run before trying again).

DO $$
DECLARE
    wrong bigint;
    first_ids text;
BEGIN
    WITH tally AS (
        SELECT contribution_id,
               count(*) FILTER (WHERE verdict = 'accept') AS a,
               count(*) FILTER (WHERE verdict = 'reject') AS r
          FROM validations WHERE counted GROUP BY contribution_id
    ), mismatched AS (
        SELECT c.id FROM contributions c LEFT JOIN tally t ON t.contribution_id = c.id
         WHERE c.status <> 'removed'
           AND (c.accept_count <> coalesce(t.a, 0) OR c.reject_count <> coalesce(t.r, 0))
    )
    SELECT count(*), (SELECT string_agg(id::text, ', ' ORDER BY id)
                        FROM (SELECT id FROM mismatched ORDER BY id LIMIT 5) AS five)
      INTO wrong, first_ids FROM mismatched;
    IF wrong > 0 THEN
        RAISE EXCEPTION '% recordings have accept_count/reject_count that are not their counted votes (contributions.id %)',
                        wrong, first_ids
            USING DETAIL = 'the votes are the record: recount them (README, "Recounting votes") and run migrate up again',
                  ERRCODE = 'check_violation';
    END IF;
END
$$;

CREATE FUNCTION contribution_verdict(accepts bigint, rejects bigint, votes_to_decide integer)
    RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN accepts >= votes_to_decide AND accepts > rejects THEN 'accepted'
                WHEN rejects >= votes_to_decide AND rejects > accepts THEN 'rejected'
                ELSE 'pending' END
$$;

-- The recording as it is when the transaction commits (it may have changed since the event, or
-- be gone: deleting a recording deletes its votes with it).
CREATE FUNCTION check_counts_are_votes(recording bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stored record;
    tally record;
BEGIN
    SELECT status, accept_count, reject_count INTO stored FROM contributions WHERE id = recording;
    IF NOT FOUND OR stored.status = 'removed' THEN
        RETURN;
    END IF;
    SELECT count(*) FILTER (WHERE verdict = 'accept') AS accepts,
           count(*) FILTER (WHERE verdict = 'reject') AS rejects
      INTO tally FROM validations v WHERE v.contribution_id = recording AND v.counted;
    IF stored.accept_count <> tally.accepts OR stored.reject_count <> tally.rejects THEN
        RAISE EXCEPTION 'contribution % has counts %/% but % accepting and % rejecting counted votes',
                        recording, stored.accept_count, stored.reject_count,
                        tally.accepts, tally.rejects
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contributions_counts_are_votes';
    END IF;
END
$$;

CREATE FUNCTION contributions_counts_are_votes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM check_counts_are_votes(NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION validations_counts_are_votes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM check_counts_are_votes(OLD.contribution_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.contribution_id <> OLD.contribution_id) THEN
        PERFORM check_counts_are_votes(NEW.contribution_id);
    END IF;
    RETURN NULL;
END
$$;

-- A new recording with no counts cannot have votes yet, so a bulk load of fresh recordings
-- queues no event; every change of the counts or the status does.
CREATE CONSTRAINT TRIGGER contributions_counts_are_votes
    AFTER INSERT OR UPDATE OF accept_count, reject_count, status ON contributions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.accept_count <> 0 OR NEW.reject_count <> 0 OR NEW.status <> 'pending')
    EXECUTE FUNCTION contributions_counts_are_votes();

-- Only a counted vote moves the counts: an uncounted, practice or check vote queues nothing.
CREATE CONSTRAINT TRIGGER validations_counted_insert
    AFTER INSERT ON validations
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.counted)
    EXECUTE FUNCTION validations_counts_are_votes();
CREATE CONSTRAINT TRIGGER validations_counted_change
    AFTER UPDATE OF counted, verdict, contribution_id ON validations
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.counted OR NEW.counted)
    EXECUTE FUNCTION validations_counts_are_votes();
CREATE CONSTRAINT TRIGGER validations_counted_delete
    AFTER DELETE ON validations
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.counted)
    EXECUTE FUNCTION validations_counts_are_votes();
