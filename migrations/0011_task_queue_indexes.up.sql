-- crowdsource:no-transaction
-- 0011 (issue #18, ADR 0010): the validate queue and the known-answer pools gain the kind after
-- the language, so one task's pending contributions never sit in another task's walk. Built
-- CONCURRENTLY under a new name, then swapped in under the old one (the plan tests name the
-- indexes), so the old index serves until the new one is valid. Each statement may be run
-- again: a run stopped half-way is finished by the next `migrate up`.
DROP INDEX CONCURRENTLY IF EXISTS contributions_to_validate_by_kind;
CREATE INDEX CONCURRENTLY contributions_to_validate_by_kind
    ON contributions (language_code, kind, (greatest(accept_count, reject_count)) DESC, created_at, id)
    WHERE status = 'pending';
DROP INDEX CONCURRENTLY IF EXISTS contributions_to_validate;
ALTER INDEX contributions_to_validate_by_kind RENAME TO contributions_to_validate;

DROP INDEX CONCURRENTLY IF EXISTS contributions_known_answers_by_kind;
CREATE INDEX CONCURRENTLY contributions_known_answers_by_kind
    ON contributions (language_code, kind, known_answer, id) WHERE known_answer IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS contributions_known_answers;
ALTER INDEX contributions_known_answers_by_kind RENAME TO contributions_known_answers;
