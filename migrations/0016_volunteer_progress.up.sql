-- 0016 volunteers who come back, and own their data (issue #20): the tables behind badges,
-- streaks, weekly goals, leaderboard opt-in, certificates, contributor keys and erasures.
-- Everything personal hangs on contributors with ON DELETE CASCADE, so erasing a person
-- (app/contributors/erase.py) takes it with them.

-- leaderboard_opt_in: the person's display name may be shown on the public boards (off by
--   default; the boards list only people who said yes).
-- session_generation: a contributor key rotation moves it on; a session cookie of an older
--   generation is refused (the old devices lose access).
-- key_nonce: the random half of the contributor key (app/contributors/keys.py); NULL until the
--   key is first revealed, replaced on rotation.
-- time_zone: the IANA zone the person's browser last reported, for their streak's days.
ALTER TABLE contributors
    ADD COLUMN leaderboard_opt_in boolean NOT NULL DEFAULT false,
    ADD COLUMN session_generation integer NOT NULL DEFAULT 0 CHECK (session_generation >= 0),
    ADD COLUMN key_nonce bytea UNIQUE CHECK (octet_length(key_nonce) BETWEEN 8 AND 32),
    ADD COLUMN time_zone text CHECK (char_length(time_zone) BETWEEN 1 AND 64);

-- What a person has done per language × task × category, counted at the write (an upsert that
-- locks the row, so two concurrent writes of one person see 4 then 5, never 4 and 4): the
-- numbers badges are awarded from. Contributions count on arrival (a refused upload is not a
-- contribution); a vote counts when it is stored.
CREATE TABLE progress_counts (
    contributor_id uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    language_code  text NOT NULL REFERENCES languages (code),
    task           text NOT NULL CHECK (task IN ('speak', 'transcribe', 'translate', 'label')),
    category       text NOT NULL CHECK (category IN ('contribute', 'validate')),
    count          integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (contributor_id, language_code, task, category)
);
CREATE INDEX progress_counts_language ON progress_counts (language_code);
INSERT INTO progress_counts (contributor_id, language_code, task, category, count)
SELECT contributor_id, language_code,
       CASE kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                 WHEN 'translation' THEN 'translate' ELSE 'label' END,
       'contribute', count(*)
  FROM contributions GROUP BY 1, 2, 3;
INSERT INTO progress_counts (contributor_id, language_code, task, category, count)
SELECT v.validator_id, c.language_code,
       CASE c.kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                   WHEN 'translation' THEN 'translate' ELSE 'label' END,
       'validate', count(*)
  FROM validations v JOIN contributions c ON c.id = v.contribution_id
 GROUP BY 1, 2, 3;

-- Badges and milestones, each awarded once, at the write that crossed it (never by a read).
-- badge:  Bronze 5, Silver 50, Gold 200, Platinum 600 per language × task × category;
-- streak: 1/3/5/10/15 days in a row; items: 5/20/50/100/150 items (contributions and votes).
-- History from before this table earns its badges at the person's next write.
CREATE TABLE achievements (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contributor_id uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('badge', 'streak', 'items')),
    language_code  text REFERENCES languages (code),
    task           text CHECK (task IN ('speak', 'transcribe', 'translate', 'label')),
    category       text CHECK (category IN ('contribute', 'validate')),
    threshold      integer NOT NULL CHECK (threshold > 0),
    awarded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'badge') = (language_code IS NOT NULL AND task IS NOT NULL
                               AND category IS NOT NULL)),
    CHECK (kind <> 'badge' OR threshold IN (5, 50, 200, 600)),
    CHECK (kind <> 'streak' OR threshold IN (1, 3, 5, 10, 15)),
    CHECK (kind <> 'items' OR threshold IN (5, 20, 50, 100, 150))
);
CREATE UNIQUE INDEX achievements_once ON achievements
    (contributor_id, kind, coalesce(language_code, ''), coalesce(task, ''),
     coalesce(category, ''), threshold);
-- A language's rows are found when the language is deleted (the foreign key's check).
CREATE INDEX achievements_language ON achievements (language_code)
    WHERE language_code IS NOT NULL;

-- Items per day in the person's time zone (the day of the write there), per task: streaks and
-- the weekly goal's progress are read from here. History from before this table is counted in
-- UTC days.
CREATE TABLE daily_activity (
    contributor_id uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    day            date NOT NULL,
    task           text NOT NULL CHECK (task IN ('speak', 'transcribe', 'translate', 'label')),
    contributed    integer NOT NULL DEFAULT 0 CHECK (contributed >= 0),
    validated      integer NOT NULL DEFAULT 0 CHECK (validated >= 0),
    PRIMARY KEY (contributor_id, day, task)
);
INSERT INTO daily_activity (contributor_id, day, task, contributed, validated)
SELECT who, day, task, sum(contributed), sum(validated)
  FROM (SELECT contributor_id AS who, (created_at AT TIME ZONE 'UTC')::date AS day,
               CASE kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                         WHEN 'translation' THEN 'translate' ELSE 'label' END AS task,
               1 AS contributed, 0 AS validated
          FROM contributions
        UNION ALL
        SELECT v.validator_id, (v.created_at AT TIME ZONE 'UTC')::date,
               CASE c.kind WHEN 'recording' THEN 'speak' WHEN 'transcription' THEN 'transcribe'
                           WHEN 'translation' THEN 'translate' ELSE 'label' END,
               0, 1
          FROM validations v JOIN contributions c ON c.id = v.contribution_id) a
 GROUP BY 1, 2, 3;

-- A personal goal: items per week (contributions and votes) for one task.
CREATE TABLE weekly_goals (
    contributor_id uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    task           text NOT NULL CHECK (task IN ('speak', 'transcribe', 'translate', 'label')),
    target         integer NOT NULL CHECK (target BETWEEN 1 AND 10000),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contributor_id, task)
);

-- Certificates as issued: what the PDF says, so that GET /certificates/<code> can show it.
-- Erasing the person withdraws them (the code then verifies nothing).
CREATE TABLE certificates (
    code           text PRIMARY KEY CHECK (code ~ '^[A-Z0-9-]{8,32}$'),
    contributor_id uuid NOT NULL REFERENCES contributors (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    languages      text[] NOT NULL,
    contributions  integer NOT NULL CHECK (contributions >= 0),
    validations    integer NOT NULL CHECK (validations >= 0),
    issued_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_contributor ON certificates (contributor_id);

-- Erasures (tombstones): who asked to be erased, when, and what was removed. The same list is
-- kept in object storage (app/contributors/tombstones.py), because a database restored from
-- an older backup has lost this table's newer rows: restore, refresh and export read both.
-- No foreign key: the contributor row is gone.
CREATE TABLE erasures (
    contributor_id uuid PRIMARY KEY,
    requested_by   text NOT NULL CHECK (requested_by IN ('volunteer', 'operator')),
    erased_at      timestamptz NOT NULL DEFAULT now(),
    removed        jsonb NOT NULL DEFAULT '{}'
);
