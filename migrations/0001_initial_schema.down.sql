-- 0001 initial schema: drop everything the up step created, dependants first.
DROP TABLE feedback;
DROP TABLE reports;
DROP TABLE skips;
DROP TABLE validations;
DROP FUNCTION forbid_self_validation();
DROP TABLE contributions;
DROP TABLE dataset_rows;
DROP TABLE contributors;
DROP TABLE regions;
DROP TABLE languages;
