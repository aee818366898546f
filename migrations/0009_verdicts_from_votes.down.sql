-- Undo 0009: the counts are no longer checked against the votes; the verdict rule goes with it
-- (the code of this version computes it in SQL through contribution_verdict, so going down
-- means running the code of 0008's version too).
DROP TRIGGER validations_counted_delete ON validations;
DROP TRIGGER validations_counted_change ON validations;
DROP TRIGGER validations_counted_insert ON validations;
DROP TRIGGER contributions_counts_are_votes ON contributions;
DROP FUNCTION validations_counts_are_votes();
DROP FUNCTION contributions_counts_are_votes();
DROP FUNCTION check_counts_are_votes(bigint);
DROP FUNCTION contribution_verdict(bigint, bigint, integer);
