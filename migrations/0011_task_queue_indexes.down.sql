-- crowdsource:no-transaction
-- Undo 0011: the two indexes without the kind, swapped in the same way.
DROP INDEX CONCURRENTLY IF EXISTS contributions_to_validate_any_kind;
CREATE INDEX CONCURRENTLY contributions_to_validate_any_kind
    ON contributions (language_code, (greatest(accept_count, reject_count)) DESC, created_at, id)
    WHERE status = 'pending';
DROP INDEX CONCURRENTLY IF EXISTS contributions_to_validate;
ALTER INDEX contributions_to_validate_any_kind RENAME TO contributions_to_validate;

DROP INDEX CONCURRENTLY IF EXISTS contributions_known_answers_any_kind;
CREATE INDEX CONCURRENTLY contributions_known_answers_any_kind
    ON contributions (language_code, known_answer, id) WHERE known_answer IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS contributions_known_answers;
ALTER INDEX contributions_known_answers_any_kind RENAME TO contributions_known_answers;
