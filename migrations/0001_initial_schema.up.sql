-- 0001 initial schema: reference data (languages, regions) and the transactional tables of the
-- contributor's loop. Constraints do the guarding; indexes serve the hot queries named beside them.

CREATE TABLE languages (
    code                    text PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}$'),   -- ISO 639-1, else 639-2/3
    name                    text NOT NULL UNIQUE,
    native_name             text NOT NULL,
    script                  text NOT NULL CHECK (script ~ '^[A-Z][a-z]{3}$'), -- ISO 15924
    direction               text NOT NULL DEFAULT 'ltr' CHECK (direction IN ('ltr', 'rtl')),
    is_active               boolean NOT NULL DEFAULT true,
    max_recordings_per_item smallint NOT NULL DEFAULT 3 CHECK (max_recordings_per_item BETWEEN 1 AND 100),
    created_at              timestamptz NOT NULL DEFAULT now()
);

INSERT INTO languages (code, name, native_name, script, direction) VALUES
    ('as',  'Assamese',  'অসমীয়া',    'Beng', 'ltr'),
    ('bn',  'Bengali',   'বাংলা',      'Beng', 'ltr'),
    ('brx', 'Bodo',      'बड़ो',        'Deva', 'ltr'),
    ('doi', 'Dogri',     'डोगरी',      'Deva', 'ltr'),
    ('en',  'English',   'English',    'Latn', 'ltr'),
    ('gu',  'Gujarati',  'ગુજરાતી',     'Gujr', 'ltr'),
    ('hi',  'Hindi',     'हिन्दी',       'Deva', 'ltr'),
    ('kn',  'Kannada',   'ಕನ್ನಡ',       'Knda', 'ltr'),
    ('kok', 'Konkani',   'कोंकणी',      'Deva', 'ltr'),
    ('ks',  'Kashmiri',  'كٲشُر',       'Arab', 'rtl'),
    ('mai', 'Maithili',  'मैथिली',      'Deva', 'ltr'),
    ('ml',  'Malayalam', 'മലയാളം',    'Mlym', 'ltr'),
    ('mni', 'Manipuri',  'ꯃꯤꯇꯩꯂꯣꯟ',   'Mtei', 'ltr'),
    ('mr',  'Marathi',   'मराठी',      'Deva', 'ltr'),
    ('ne',  'Nepali',    'नेपाली',      'Deva', 'ltr'),
    ('or',  'Odia',      'ଓଡ଼ିଆ',       'Orya', 'ltr'),
    ('pa',  'Punjabi',   'ਪੰਜਾਬੀ',      'Guru', 'ltr'),
    ('sa',  'Sanskrit',  'संस्कृतम्',     'Deva', 'ltr'),
    ('sat', 'Santali',   'ᱥᱟᱱᱛᱟᱲᱤ',    'Olck', 'ltr'),
    ('sd',  'Sindhi',    'سنڌي',       'Arab', 'rtl'),
    ('ta',  'Tamil',     'தமிழ்',      'Taml', 'ltr'),
    ('te',  'Telugu',    'తెలుగు',     'Telu', 'ltr'),
    ('ur',  'Urdu',      'اردو',       'Arab', 'rtl');

-- States and union territories of India, ISO 3166-2:IN codes without the "IN-" prefix.
CREATE TABLE regions (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('state', 'union_territory'))
);

INSERT INTO regions (code, name, kind) VALUES
    ('AP', 'Andhra Pradesh', 'state'), ('AR', 'Arunachal Pradesh', 'state'),
    ('AS', 'Assam', 'state'), ('BR', 'Bihar', 'state'), ('CG', 'Chhattisgarh', 'state'),
    ('GA', 'Goa', 'state'), ('GJ', 'Gujarat', 'state'), ('HR', 'Haryana', 'state'),
    ('HP', 'Himachal Pradesh', 'state'), ('JH', 'Jharkhand', 'state'),
    ('KA', 'Karnataka', 'state'), ('KL', 'Kerala', 'state'), ('MP', 'Madhya Pradesh', 'state'),
    ('MH', 'Maharashtra', 'state'), ('MN', 'Manipur', 'state'), ('ML', 'Meghalaya', 'state'),
    ('MZ', 'Mizoram', 'state'), ('NL', 'Nagaland', 'state'), ('OD', 'Odisha', 'state'),
    ('PB', 'Punjab', 'state'), ('RJ', 'Rajasthan', 'state'), ('SK', 'Sikkim', 'state'),
    ('TN', 'Tamil Nadu', 'state'), ('TS', 'Telangana', 'state'), ('TR', 'Tripura', 'state'),
    ('UP', 'Uttar Pradesh', 'state'), ('UK', 'Uttarakhand', 'state'),
    ('WB', 'West Bengal', 'state'),
    ('AN', 'Andaman and Nicobar Islands', 'union_territory'),
    ('CH', 'Chandigarh', 'union_territory'),
    ('DH', 'Dadra and Nagar Haveli and Daman and Diu', 'union_territory'),
    ('DL', 'Delhi', 'union_territory'), ('JK', 'Jammu and Kashmir', 'union_territory'),
    ('LA', 'Ladakh', 'union_territory'), ('LD', 'Lakshadweep', 'union_territory'),
    ('PY', 'Puducherry', 'union_territory');

-- Anonymous by default: the id lives in a signed cookie. Every profile field is optional;
-- NULL means "not given" or "prefer not to say".
CREATE TABLE contributors (
    id            uuid PRIMARY KEY,
    display_name  text CHECK (char_length(display_name) BETWEEN 1 AND 30),
    age_group     text CHECK (age_group IN ('teens', 'twenties', 'thirties', 'forties', 'fifties',
                                            'sixties', 'seventies', 'eighties', 'nineties')),
    gender        text CHECK (gender IN ('female', 'male', 'transgender', 'other')),
    mother_tongue text CHECK (char_length(mother_tongue) BETWEEN 1 AND 60),
    region_code   text REFERENCES regions (code),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The items people contribute on: a sentence to read, or media (audio to transcribe, an image
-- to label) with its reference text. contribution_count is kept by the code that inserts
-- contributions, in the same transaction, so "fewest recordings first" needs no join.
CREATE TABLE dataset_rows (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    language_code      text NOT NULL REFERENCES languages (code),
    kind               text NOT NULL CHECK (kind IN ('sentence', 'audio', 'image', 'parallel')),
    text               text CHECK (char_length(text) BETWEEN 1 AND 1000),
    media_key          text,
    media_duration_ms  integer CHECK (media_duration_ms > 0),
    source             text CHECK (char_length(source) <= 200),
    is_active          boolean NOT NULL DEFAULT true,
    contribution_count integer NOT NULL DEFAULT 0 CHECK (contribution_count >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (kind NOT IN ('sentence', 'parallel') OR text IS NOT NULL),
    CHECK (kind NOT IN ('audio', 'image') OR media_key IS NOT NULL)
);
-- One copy of a sentence per language (md5: a btree entry cannot hold arbitrarily long text).
CREATE UNIQUE INDEX dataset_rows_sentence_unique
    ON dataset_rows (language_code, md5(text)) WHERE kind = 'sentence';
-- pick_sentences_to_record: active items of a language, fewest contributions first.
CREATE INDEX dataset_rows_to_contribute
    ON dataset_rows (language_code, kind, contribution_count, id) WHERE is_active;

CREATE TABLE contributions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid NOT NULL UNIQUE,            -- in URLs and object keys; ids stay internal
    contributor_id  uuid NOT NULL REFERENCES contributors (id),
    item_id         bigint NOT NULL REFERENCES dataset_rows (id),
    language_code   text NOT NULL REFERENCES languages (code),
    kind            text NOT NULL CHECK (kind IN ('recording', 'transcription', 'translation', 'label')),
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 8 AND 100),
    media_key       text,
    media_type      text CHECK (char_length(media_type) <= 100),
    size_bytes      integer CHECK (size_bytes > 0),
    duration_ms     integer CHECK (duration_ms > 0),
    snr_db          real,
    audio_measures  jsonb,
    text            text CHECK (char_length(text) BETWEEN 1 AND 2000),
    device          text CHECK (char_length(device) <= 200),
    browser         text CHECK (char_length(browser) <= 200),
    -- demographics as they were when the contribution was made
    age_group       text,
    gender          text,
    mother_tongue   text,
    region_code     text REFERENCES regions (code),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    accept_count    smallint NOT NULL DEFAULT 0 CHECK (accept_count >= 0),
    reject_count    smallint NOT NULL DEFAULT 0 CHECK (reject_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    UNIQUE (contributor_id, idempotency_key),        -- a retried upload returns the first result
    UNIQUE (contributor_id, item_id),                -- one contribution per person per item
    CHECK (kind <> 'recording' OR media_key IS NOT NULL),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- pick_clips_to_validate: pending contributions of a language, oldest first.
CREATE INDEX contributions_to_validate
    ON contributions (language_code, created_at, id) WHERE status = 'pending';
CREATE INDEX contributions_item ON contributions (item_id);
-- exports and dashboards by language and outcome.
CREATE INDEX contributions_language_status ON contributions (language_code, status, created_at);

CREATE TABLE validations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id bigint NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    validator_id    uuid NOT NULL REFERENCES contributors (id),
    verdict         text NOT NULL CHECK (verdict IN ('accept', 'reject')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contribution_id, validator_id)           -- one vote per validator per contribution
);
CREATE INDEX validations_validator ON validations (validator_id, created_at);

-- Nobody validates their own work, whatever the code above the database does.
CREATE FUNCTION forbid_self_validation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM contributions c
               WHERE c.id = NEW.contribution_id AND c.contributor_id = NEW.validator_id) THEN
        RAISE EXCEPTION 'a contributor cannot validate their own contribution'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER validations_not_own
    BEFORE INSERT OR UPDATE OF validator_id, contribution_id ON validations
    FOR EACH ROW EXECUTE FUNCTION forbid_self_validation();

-- "Not this one": an item skipped while speaking, or a contribution skipped while validating.
CREATE TABLE skips (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contributor_id  uuid NOT NULL REFERENCES contributors (id),
    item_id         bigint REFERENCES dataset_rows (id),
    contribution_id bigint REFERENCES contributions (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(item_id, contribution_id) = 1)
);
CREATE UNIQUE INDEX skips_item ON skips (contributor_id, item_id) WHERE item_id IS NOT NULL;
CREATE UNIQUE INDEX skips_contribution
    ON skips (contributor_id, contribution_id) WHERE contribution_id IS NOT NULL;

CREATE TABLE reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id     uuid NOT NULL REFERENCES contributors (id),
    item_id         bigint REFERENCES dataset_rows (id),
    contribution_id bigint REFERENCES contributions (id) ON DELETE CASCADE,
    reason          text NOT NULL CHECK (reason IN ('offensive', 'grammar_or_spelling', 'wrong_language',
                                                    'hard_to_read', 'poor_audio', 'wrong_reading',
                                                    'personal_information', 'other')),
    note            text CHECK (char_length(note) <= 500),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(item_id, contribution_id) = 1)
);
CREATE UNIQUE INDEX reports_item ON reports (reporter_id, item_id) WHERE item_id IS NOT NULL;
CREATE UNIQUE INDEX reports_contribution
    ON reports (reporter_id, contribution_id) WHERE contribution_id IS NOT NULL;
CREATE INDEX reports_open ON reports (created_at) WHERE status = 'open';

CREATE TABLE feedback (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contributor_id uuid REFERENCES contributors (id) ON DELETE SET NULL,
    language_code  text REFERENCES languages (code),
    category       text NOT NULL CHECK (category IN ('bug', 'suggestion', 'praise', 'other')),
    rating         smallint CHECK (rating BETWEEN 1 AND 5),
    message        text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 2000),
    page           text CHECK (char_length(page) <= 200),
    created_at     timestamptz NOT NULL DEFAULT now()
);
