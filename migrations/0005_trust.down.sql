-- 0005 trust: undo exactly what the up step did.

DROP INDEX reports_open_item;
DROP INDEX reports_open_contribution;
ALTER TABLE reports DROP COLUMN counted;

ALTER TABLE validations
    DROP CONSTRAINT validations_role_expected,
    DROP CONSTRAINT validations_role_counted,
    DROP COLUMN expected,
    DROP COLUMN counted,
    DROP COLUMN role;

DROP TABLE validator_standing;

UPDATE contributions SET status = 'rejected' WHERE status = 'removed';
ALTER TABLE contributions DROP CONSTRAINT contributions_status_check;
ALTER TABLE contributions ADD CONSTRAINT contributions_status_check
    CHECK (status IN ('pending', 'accepted', 'rejected'));

DROP INDEX contributions_known_answers;
ALTER TABLE contributions
    DROP CONSTRAINT contributions_known_answer_source,
    DROP COLUMN known_answer_source,
    DROP COLUMN known_answer;

DROP TABLE clip_servings;
