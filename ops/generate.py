"""`crowdsource generate`: a synthetic but consistent history, for benchmarks and demos.

Everything follows from --seed. The small parts (days, people, vocabularies, vote patterns) are
planned in Python; the bulk (sentences, recordings, votes) is made by the server itself with
INSERT ... SELECT over generate_series and hash-based pseudo-random numbers, so ten million rows
never cross the wire. Consistency comes from construction, not from repair passes:

- sentence k of a language is recorded in "rounds" (recording j goes to sentence j mod S), the
  way "fewest recordings first" fills them, so no sentence gets more than its language's cap;
- the r-th recording of a sentence goes to pool rank s + r, so one person records it once;
- a recording's votes are made with it, from its counts, by people of the same language pool
  who had joined before it, never its author.

Loading into indexed tables costs several times more than indexing afterwards, so by default the
secondary indexes and unique/foreign-key constraints of the three bulk tables are dropped at the
start and rebuilt, from their own definitions, before the single transaction commits; the
per-row triggers (self-votes, counts are votes) are replaced by set-based checks. Any failure
rolls it all back.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
import unicodedata
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import psycopg
from psycopg import sql

from app.contributors.service import AGE_GROUPS, GENDERS
from app.errors import CrowdsourceError
from app.sentences.demo import demo_sentences
from ops.context import connect_database, settings_from_environment

DEFAULT_MIX = "hi:26,bn:13,ta:12,te:10,mr:9,kn:8,ml:7,gu:6,en:9"
VOCABULARY_SIZE = 120
DIGIT_WORDS = 5  # a sentence's first five words spell its id in base VOCABULARY_SIZE: unique
SCRAMBLE = 15_378_629_327  # ~0.618 * 120**5, prime to 120: id -> id * SCRAMBLE mod 120**5 is 1:1
MAX_ITEM_ID = 2**63 // SCRAMBLE  # beyond, id * SCRAMBLE overflows a bigint
JOIN_CURVE = 0.6  # share of a pool that has joined = (share of its recordings made) ** 0.6
# fmt: off
# Where speakers of a language mostly live (ISO 3166-2:IN); one in five lives anywhere.
HOME_REGIONS = {
    "hi": "UP BR MP RJ DL HR JH CG UK HP", "bn": "WB TR AS", "ta": "TN PY", "te": "AP TS",
    "mr": "MH GA", "kn": "KA", "ml": "KL LD", "gu": "GJ DH", "pa": "PB CH HR", "or": "OD",
    "as": "AS", "ur": "UP TS JK DL", "en": "KA MH DL TN TS WB", "ne": "SK WB", "mni": "MN",
}
AGE_SHARES = [8, 38, 27, 14, 7, 4, 1.5, 0.4, 0.1]  # in the order of AGE_GROUPS
GENDER_SHARES = [40, 58, 0.7, 1.3]  # in the order of GENDERS
BROWSERS = [("chrome", 70), ("safari", 12), ("firefox", 8), ("samsung", 5), ("edge", 5)]
NAMES = [
    "Asha", "Ravi", "Priya", "Arjun", "Meena", "Kiran", "Lakshmi", "Suresh", "Anita", "Vikram",
    "Divya", "Rahul", "Kavya", "Manoj", "Sunita", "Arun", "Pooja", "Ganesh", "Deepa", "Sanjay",
    "Nandini", "Imran", "Farah", "Joseph", "Mary", "Harpreet", "Gurpreet", "Tenzin", "Bipin",
    "Rekha", "Selvi", "Murugan", "Anjali", "Rohan", "Ishita", "Abdul", "Zoya", "Vinod", "Shreya",
]
# Unicode block of each ISO 15924 script we make pseudo-words in (Latin is handled apart).
SCRIPT_BLOCKS = {
    "Deva": (0x0900, 0x097F), "Beng": (0x0980, 0x09FF), "Guru": (0x0A00, 0x0A7F),
    "Gujr": (0x0A80, 0x0AFF), "Orya": (0x0B00, 0x0B7F), "Taml": (0x0B80, 0x0BFF),
    "Telu": (0x0C00, 0x0C7F), "Knda": (0x0C80, 0x0CFF), "Mlym": (0x0D00, 0x0D7F),
    "Arab": (0x0627, 0x064A), "Olck": (0x1C5A, 0x1C77), "Mtei": (0xABC0, 0xABE2),
}
# fmt: on
END_MARK = {"Deva": "।", "Beng": "।", "Arab": "۔"}


class GenerateError(CrowdsourceError):
    code = "generate_refused"


@dataclass
class LanguagePlan:
    """What one language gets: its recordings, sentences and pool of contributors."""

    code: str
    script: str
    cap: int  # the language's max_recordings_per_item
    recordings: int = 0
    sentences: int = 0
    rounds: int = 0  # the most recordings any of its sentences gets
    pool_base: int = 0  # its contributors are people pool_base .. pool_base + pool_size - 1
    pool_size: int = 0
    founders: int = 0  # ranks below this have joined before the history starts
    item_base: int = 0  # its sentences get ids item_base + 1 .. item_base + sentences
    cumulative: list[int] | None = None  # recordings made before each day (days + 1 values)


def parse_mix(text: str) -> dict[str, float]:
    """`hi:26,ta:12,en` -> shares by code (a code without weight weighs 1/rank, Zipf-like)."""
    mix: dict[str, float] = {}
    for rank, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        code, _, weight = part.partition(":")
        try:
            mix[code.strip()] = float(weight) if weight else 1.0 / (rank + 1)
        except ValueError:
            raise click.BadParameter(f"bad weight in {part!r}", param_hint="--languages") from None
        if mix[code.strip()] <= 0:
            raise click.BadParameter(
                f"weight must be positive in {part!r}", param_hint="--languages"
            )
    if not mix:
        raise click.BadParameter("no language given", param_hint="--languages")
    return mix


def allocate(total: int, shares: list[float], minimum: int = 0) -> list[int]:
    """Split `total` into parts proportional to `shares` (largest remainder), each >= minimum."""
    spare = total - minimum * len(shares)
    exact = [spare * s / sum(shares) for s in shares]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: spare - sum(parts)]:
        parts[i] += 1
    return [minimum + p for p in parts]


def vote_patterns(
    conn: psycopg.Connection[Any], votes_to_decide: int
) -> dict[str, list[tuple[int, int, float]]]:
    """(accepts, rejects, weight) per status, each reachable under the verdict rule when the
    minority votes come first; checked against the rule the app applies (the database's
    contribution_verdict, migration 0009)."""
    v = votes_to_decide

    def verdict_for(accepts: int, rejects: int) -> str:
        row = conn.execute(
            "SELECT contribution_verdict(%s, %s, %s)", (accepts, rejects, v)
        ).fetchone()
        assert row is not None
        return str(row[0])

    candidates = {
        "accepted": [(v, 0, 0.8), (v, 1, 0.2)],
        "rejected": [(0, v, 0.6), (1, v, 0.4)],
        "pending": [(0, 0, 0.45), (1, 0, 0.3), (0, 1, 0.1), (1, 1, 0.15)],
    }
    patterns: dict[str, list[tuple[int, int, float]]] = {}
    for status, options in candidates.items():
        patterns[status] = []
        for accepts, rejects, weight in options:
            majority = "reject" if status == "rejected" else "accept"
            minority = min(accepts, rejects) if status != "pending" else rejects
            order = [("accept" if majority == "reject" else "reject")] * minority
            order += [majority] * (accepts + rejects - minority)
            seen = [
                verdict_for(order[:n].count("accept"), order[:n].count("reject"))
                for n in range(len(order) + 1)
            ]
            if seen[-1] == status and all(s == "pending" for s in seen[:-1]):
                patterns[status].append((accepts, rejects, weight))
    return patterns


def vocabulary(code: str, script: str, rng: random.Random) -> list[str]:
    """VOCABULARY_SIZE distinct words: the demo sentences' words, then made-up ones."""
    words = dict.fromkeys(
        w.strip(".,;:!?।॥\"'()").lower()
        for line in demo_sentences().get(code, [])
        for w in line.split()
    )
    words.pop("", None)
    letters, signs = script_letters(script)
    while len(words) < VOCABULARY_SIZE:
        syllables = [rng.choice(letters) + rng.choice([*signs, ""]) for _ in range(3)]
        word = unicodedata.normalize("NFC", "".join(syllables[: rng.randint(2, 3)]))
        words[word] = None
    return list(words)[:VOCABULARY_SIZE]


def script_letters(script: str) -> tuple[list[str], list[str]]:
    """Consonants (or letters) and vowel signs of a script, for pseudo-words."""
    if script not in SCRIPT_BLOCKS:
        return list("bcdfghjklmnprstvyz"), list("aeiou")
    low, high = SCRIPT_BLOCKS[script]
    if high - low == 0x7F:  # a Brahmic block: consonants sit at offsets 0x15-0x39
        low, high = low + 0x15, low + 0x39
    letters = [
        chr(c)
        for c in range(low, high + 1)
        if unicodedata.category(chr(c)) == "Lo"
        and not unicodedata.name(chr(c)).endswith((" NNNA", " RRA", " LLLA"))
    ]
    base = SCRIPT_BLOCKS[script][0]
    common = [0x3E, 0x3F, 0x40, 0x41, 0x42, 0x47, 0x48, 0x4B, 0x4C]  # aa i ii u uu e ai o au
    if script in ("Taml", "Telu", "Knda", "Mlym"):
        common += [0x46, 0x4A]  # short e and o
    signs = [chr(base + c) for c in common if "VOWEL SIGN" in unicodedata.name(chr(base + c), "")]
    return letters, signs


@dataclass
class Plan:
    """The small, Python-made part of a run: the calendar, the languages and the people."""

    now: datetime
    first_day: datetime  # midnight (UTC) starting the first day of the history
    day_count: int
    languages: list[LanguagePlan]
    people: list[tuple[Any, ...]]  # rows of gen_people
    salt: str  # mixed into every made-up identifier, so --append never repeats one


def day_weights(first_day: datetime, now: datetime, rng: random.Random) -> list[float]:
    """Relative activity per day: growth over the history, busier weekends, a few campaign
    days, some noise; today counts for the part of it that has passed."""
    count = (now - first_day).days + 1
    weights = []
    for d in range(count):
        rhythm = (1.0, 0.95, 0.95, 0.95, 1.0, 1.25, 1.3)[(first_day + timedelta(days=d)).weekday()]
        campaign = 2.5 if rng.random() < 4 / max(count, 30) else 1.0
        growth = math.exp(1.8 * (d + 0.5) / count)
        weights.append(growth * rhythm * campaign * rng.uniform(0.85, 1.15))
    weights[-1] *= (now - (first_day + timedelta(days=count - 1))) / timedelta(days=1)
    return weights


def make_plan(
    options: dict[str, Any],
    catalogue: dict[str, tuple[str, int]],
    regions: list[str],
    existing: tuple[int, int, int],
) -> Plan:
    """Split recordings, sentences and people between languages and days; make the people.

    `catalogue` maps language code to (script, recording cap); `existing` holds the highest
    dataset_rows and contributions ids and the number of contributors already there.
    Raises GenerateError when the numbers cannot make a consistent history.
    """
    rng = random.Random(options["seed"])
    mix = options["languages"]
    unknown = [code for code in mix if code not in catalogue]
    if unknown:
        raise GenerateError(f"unknown language code(s): {', '.join(unknown)}")
    votes = options["votes_to_decide"]
    founders = max(5, votes + 2)  # enough people for every vote on the first recordings
    if options["contributors"] < founders * len(mix):
        raise GenerateError(
            f"--contributors must be at least {founders * len(mix)} "
            f"({founders} per language) for {len(mix)} language(s)"
        )
    now = options["now"]
    first_day = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(
        days=options["days"] - 1
    )
    weights = day_weights(first_day, now, rng)
    running = [0.0]
    for weight in weights:
        running.append(running[-1] + weight)
    codes = list(mix)
    shares = [mix[c] for c in codes]
    plans = [LanguagePlan(c, *catalogue[c]) for c in codes]
    recordings = allocate(options["contributions"], shares)
    pools = allocate(options["contributors"], shares, minimum=founders)
    item_base, pool_base = existing[0], 0
    for lang, m, n in zip(plans, recordings, pools, strict=True):
        lang.recordings, lang.pool_size, lang.pool_base = m, n, pool_base
        wanted = options["sentences_per_language"]
        lang.sentences = wanted or math.ceil(m * 1.1 / lang.cap) + 10
        lang.rounds = math.ceil(m / lang.sentences)
        if lang.rounds > min(n, lang.cap):
            raise GenerateError(
                f"{lang.code}: {lang.sentences} sentences would need {lang.rounds} recordings "
                f"each, more than its cap of {lang.cap} or its {n} contributors; "
                "give more --sentences-per-language"
            )
        lang.founders = max(founders, lang.rounds)
        lang.item_base = item_base
        lang.cumulative = [round(m * r / running[-1]) for r in running]
        item_base += lang.sentences
        if item_base > MAX_ITEM_ID:
            raise GenerateError(f"too many sentences: ids would pass {MAX_ITEM_ID:,}")
        pool_base += n
    salt = f"{options['seed']}/{existing[1]}"
    people = [
        person
        for lang in plans
        for person in make_pool(lang, first_day, now, regions, codes, salt, rng)
    ]
    return Plan(now, first_day, len(weights), plans, people, salt)


def make_pool(
    lang: LanguagePlan,
    first_day: datetime,
    now: datetime,
    regions: list[str],
    codes: list[str],
    salt: str,
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    """The people who record `lang`, in the order they join, with their profiles.

    A quarter give no profile at all; the others skip single fields now and then (so each
    field is empty for about 30 %); one in ten chooses a display name.
    """
    assert lang.cumulative is not None
    home = [r for r in HOME_REGIONS.get(lang.code, "").split() if r in regions] or regions
    rows = []
    for rank in range(lang.pool_size):
        i = lang.pool_base + rank
        if rank < lang.founders or lang.recordings == 0:
            joined = first_day - timedelta(days=rng.uniform(0, 30))
        else:
            # one before the first recording this rank may make (`eligible` in the SQL)
            share = (rank / lang.pool_size) ** (1 / JOIN_CURVE)
            j = max(0, math.floor(share * lang.recordings) - 1)
            day = bisect_right(lang.cumulative, j) - 1
            joined = max(
                first_day + timedelta(days=day) - timedelta(hours=rng.uniform(0, 6)),
                first_day - timedelta(days=1),
            )
        silent = rng.random() < 0.25

        def given(value: Any, *, silent: bool = silent) -> Any:
            return None if silent or rng.random() < 0.07 else value

        others = [c for c in codes if c != lang.code] or ["other"]
        tongue = rng.choices([lang.code, rng.choice(others), "other"], [90, 8, 2])[0]
        region = rng.choice(home) if rng.random() < 0.8 else rng.choice(regions)
        name = None
        if rng.random() < 0.1:
            name = rng.choice(NAMES) + rng.choice(["", "", f" {chr(rng.randint(65, 90))}."])
        rows.append(
            (
                i,
                uuid.UUID(bytes=hashlib.md5(f"{salt}/person/{i}".encode()).digest()),
                rank,
                lang.pool_base,
                name,
                given(rng.choices(list(AGE_GROUPS), AGE_SHARES)[0]),
                given(rng.choices(list(GENDERS), GENDER_SHARES)[0]),
                given(tongue),
                given(region),
                min(joined, now),
            )
        )
    return rows


_TEMP_TABLES = """
CREATE TEMP TABLE gen_people (
    i integer PRIMARY KEY, id uuid NOT NULL, rank integer NOT NULL, pool_base integer NOT NULL,
    display_name text, age_group text, gender text, mother_tongue text, region_code text,
    joined timestamptz NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE gen_languages (
    code text PRIMARY KEY, recordings bigint, sentences bigint, rounds integer,
    pool_base integer, pool_size integer, founders integer, item_base bigint) ON COMMIT DROP;
CREATE TEMP TABLE gen_slots (
    slot integer PRIMARY KEY, code text, day_start timestamptz, day_seconds float8,
    j_start bigint, g_start bigint, n integer) ON COMMIT DROP;
"""

# u(k, stream): a uniform number in [0, 1) from the seed, a row's key and a stream number.
_UNIFORM = """
CREATE OR REPLACE FUNCTION pg_temp.u(k bigint, stream integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (hashint8extended(k, {seed} * 64 + stream) & 4503599627370495)::double precision
           / 4503599627370496
$$
"""

_CONTRIBUTORS = """
INSERT INTO contributors (id, display_name, age_group, gender, mother_tongue, region_code,
                          leaderboard_opt_in, created_at, updated_at)
SELECT id, display_name, age_group, gender, mother_tongue, region_code,
       display_name IS NOT NULL AND i % 2 = 0,  -- half the named show on the leaderboards
       joined, joined
  FROM gen_people
"""

# The first DIGIT_WORDS words spell (id * SCRAMBLE) mod size^5, a one-to-one scramble of the id:
# every sentence is unique and none starts like the next.
_SENTENCES = """
INSERT INTO dataset_rows (id, language_code, kind, text, source, contribution_count, created_at)
OVERRIDING SYSTEM VALUE
SELECT id, %(code)s, 'sentence',
       w[1 + n %% z] || ' ' || w[1 + n / z %% z] || ' ' || w[1 + n / (z * z) %% z] || ' '
       || w[1 + n / (z * z * z) %% z] || ' ' || w[1 + n / (z * z * z * z) %% z]
       || CASE WHEN e > 0 THEN ' ' || w[1 + floor(z * pg_temp.u(id, 21))::int] ELSE '' END
       || CASE WHEN e > 1 THEN ' ' || w[1 + floor(z * pg_temp.u(id, 22))::int] ELSE '' END
       || CASE WHEN e > 2 THEN ' ' || w[1 + floor(z * pg_temp.u(id, 23))::int] ELSE '' END
       || CASE WHEN e > 3 THEN ' ' || w[1 + floor(z * pg_temp.u(id, 24))::int] ELSE '' END
       || %(mark)s,
       'generated',
       CASE WHEN k < %(recordings)s THEN (%(recordings)s - 1 - k) / %(sentences)s + 1 ELSE 0 END,
       %(created)s
  FROM (SELECT %(item_base)s + k + 1 AS id, k, %(words)s::text[] AS w, %(size)s::bigint AS z,
               (%(item_base)s + k + 1) * %(scramble)s::bigint %% %(modulus)s::bigint AS n,
               floor(5 * pg_temp.u(%(item_base)s + k + 1, 20))::int AS e
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS k) AS s
"""

# Recording j of a language goes to its sentence j mod S, in round j / S, by pool rank s + round
# where s < eligible - rounds + 1 (skewed: veterans record most); `eligible` counts the people
# who had joined by the sentence's first round (make_pool computes the same join times).
# Its votes come in the same statement: the minority first, the deciding one at decided_at, by
# pool ranks below the author's (or founders), who had joined by then; never the author.
_RECORDINGS_AND_VOTES = """
WITH r AS MATERIALIZED (
    SELECT s.*, p.id AS author, p.rank, p.pool_base, p.age_group, p.gender, p.mother_tongue,
           p.region_code, (%(accepts)s::smallint[])[s.pattern] AS accepts,
           (%(rejects)s::smallint[])[s.pattern] AS rejects,
           CASE WHEN s.status <> 'pending' THEN s.created_at + least(
               interval '1 minute' + interval '3 days' * pg_temp.u(s.id, 7) ^ 3,
               (%(now)s - s.created_at) * 0.95) END AS decided_at
      FROM (
        SELECT q.*, CASE q.status
               WHEN 'accepted' THEN width_bucket(pg_temp.u(q.id, 6), %(accepted_cuts)s::float8[])
               WHEN 'rejected' THEN %(rejected_from)s
                   + width_bucket(pg_temp.u(q.id, 6), %(rejected_cuts)s::float8[])
               ELSE %(pending_from)s
                   + width_bucket(pg_temp.u(q.id, 6), %(pending_cuts)s::float8[])
               END + 1 AS pattern
          FROM (
            SELECT t.id, t.code, t.created_at, l.founders,
                   l.item_base + t.j %% l.sentences + 1 AS item_id,
                   l.pool_base + t.j / l.sentences + floor(
                       (greatest(l.founders, least(l.pool_size, ceil(
                           l.pool_size * ((t.j %% l.sentences)::float8 / l.recordings) ^ %(curve)s
                       )::integer)) - l.rounds + 1)
                       * pg_temp.u(l.item_base + t.j %% l.sentences + 1, 3) ^ 2)::integer AS person,
                   2000 + floor(5500 * pg_temp.u(l.item_base + t.j %% l.sentences + 1, 8)
                                + 2500 * pg_temp.u(t.id, 9))::integer AS duration_ms,
                   CASE WHEN t.created_at > %(now)s - interval '10 minutes'
                             OR pg_temp.u(t.id, 4) < 0.08 + 0.6 * (t.j::float8 / l.recordings) ^ 4
                        THEN 'pending'
                        WHEN pg_temp.u(t.id, 5) < 0.875 THEN 'accepted'
                        ELSE 'rejected' END AS status
              FROM (
                SELECT sl.code, sl.j_start + i AS j, %(id_base)s::bigint + sl.g_start + i + 1 AS id,
                       sl.day_start + make_interval(secs => sl.day_seconds * CASE  -- evenings, IST
                           WHEN pg_temp.u(%(id_base)s::bigint + sl.g_start + i + 1, 1) < 0.4
                           THEN 0.52 + 0.21 * pg_temp.u(%(id_base)s::bigint + sl.g_start + i + 1, 2)
                           ELSE pg_temp.u(%(id_base)s::bigint + sl.g_start + i + 1, 2) END
                       ) AS created_at
                  FROM gen_slots sl, generate_series(0, sl.n - 1) AS i
                 WHERE sl.slot BETWEEN %(first)s AND %(last)s
                OFFSET 0  -- a fence: compute each row's values once, not once per use
              ) AS t
              JOIN gen_languages l USING (code)
            OFFSET 0
          ) AS q
        OFFSET 0
      ) AS s
      JOIN gen_people p ON p.i = s.person
), recorded AS (
    INSERT INTO contributions (
        id, public_id, contributor_id, item_id, language_code, kind, idempotency_key, media_key,
        media_type, size_bytes, duration_ms, snr_db, device, browser,
        age_group, gender, mother_tongue, region_code,
        status, accept_count, reject_count, created_at, decided_at)
    OVERRIDING SYSTEM VALUE
    SELECT r.id, u.public_id, r.author, r.item_id, r.code, 'recording', 'generated-' || r.id,
           'recordings/' || r.code || '/' || left(u.public_id::text, 2) || '/' || u.public_id
           || '.webm',
           'audio/webm;codecs=opus', (r.duration_ms * (9 + 6 * pg_temp.u(r.id, 11)))::integer,
           r.duration_ms, round((12 + 26 * pg_temp.u(r.id, 12))::numeric, 1)::real,
           CASE WHEN pg_temp.u(r.id, 13) < 0.62 THEN 'mobile' ELSE 'desktop' END,
           (%(browsers)s::text[])[
               width_bucket(pg_temp.u(r.id, 14), %(browser_cuts)s::float8[]) + 1],
           r.age_group, r.gender, r.mother_tongue, r.region_code,
           r.status, r.accepts, r.rejects, r.created_at, r.decided_at
      FROM r
      CROSS JOIN LATERAL (SELECT md5(%(salt)s::text || '/recording/' || r.id)::uuid) u (public_id)
)
INSERT INTO validations (contribution_id, validator_id, verdict, created_at)
SELECT v.id, p.id,
       CASE WHEN v.status = 'rejected'
            THEN CASE WHEN v.m < v.accepts THEN 'accept' ELSE 'reject' END
            ELSE CASE WHEN v.m < v.rejects THEN 'reject' ELSE 'accept' END END,
       v.created_at + (coalesce(v.decided_at, v.created_at
                                + (%(now)s - v.created_at) * 0.9 * pg_temp.u(v.id, 15))
                       - v.created_at) * (v.m + 1) / (v.accepts + v.rejects)
  FROM (
    SELECT r.*, m, r.pool_base + (r.rank + 1 + m + floor(
               (w.ring - r.accepts - r.rejects) * pg_temp.u(r.id, 16) ^ 2)::integer
           ) %% w.ring AS voter
      FROM r
      CROSS JOIN LATERAL (SELECT greatest(r.rank + 1, r.founders) AS ring) AS w
      CROSS JOIN LATERAL generate_series(0, r.accepts + r.rejects - 1) AS m
  ) AS v
  JOIN gen_people p ON p.i = v.voter
"""

_SET_IDENTITY = """
SELECT setval(pg_get_serial_sequence(%(table)s, 'id'), max(id)) FROM {table} HAVING count(*) > 0
"""


class Progress:
    """One line per phase (and every few seconds within a long one), with timings."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last_line = self.started

    def done(self, name: str, rows: int | None, since: float, what: str = "rows") -> None:
        seconds = time.monotonic() - since
        count = f"{rows:,} {what}" if rows is not None else ""
        rate = f"{rows / seconds:>11,.0f} rows/s" if what == "rows" and rows and seconds else ""
        click.echo(f"  {name:<22}{count:>22} {seconds:>7.1f} s {rate}".rstrip())
        self.last_line = time.monotonic()

    def partial(self, name: str, rows: int, total: int, since: float) -> None:
        if time.monotonic() - self.last_line >= 5:
            seconds = time.monotonic() - since
            done = f"{rows:,} of {total:,}"
            click.echo(f"  {name:<22}{done:>22} {seconds:>7.1f} s ({rows / total:.0%})")
            self.last_line = time.monotonic()


def batches(sizes: list[int], batch_size: int) -> list[tuple[int, int, int]]:
    """Consecutive runs of items whose sizes add up to about batch_size: (first, last, rows)."""
    runs, first, rows = [], 0, 0
    for index, size in enumerate(sizes):
        rows += size
        if rows >= batch_size or index == len(sizes) - 1:
            runs.append((first, index, rows))
            first, rows = index + 1, 0
    return runs


def _cuts(weights: list[float]) -> list[float]:
    """Thresholds for width_bucket: cumulative shares, without the final 1."""
    total, running, cuts = sum(weights), 0.0, []
    for weight in weights[:-1]:
        running += weight
        cuts.append(running / total)
    return cuts


def fill(
    conn: psycopg.Connection[Any],
    plan: Plan,
    options: dict[str, Any],
    existing: tuple[int, int, int],
    progress: Progress,
) -> dict[str, int]:
    """Insert the planned history in the caller's transaction; return the rows made per table."""
    conn.execute(sql.SQL(_UNIFORM).format(seed=sql.Literal(options["seed"])))
    conn.execute(_TEMP_TABLES)
    with conn.cursor().copy("COPY gen_people FROM STDIN") as copy:
        for person in plan.people:
            copy.write_row(person)
    with conn.cursor().copy("COPY gen_languages FROM STDIN") as copy:
        for lang in plan.languages:
            copy.write_row(
                (
                    lang.code,
                    lang.recordings,
                    lang.sentences,
                    lang.rounds,
                    lang.pool_base,
                    lang.pool_size,
                    lang.founders,
                    lang.item_base,
                )
            )
    slot_sizes: list[int] = []
    with conn.cursor().copy("COPY gen_slots FROM STDIN") as copy:
        recorded = 0
        for day in range(plan.day_count):
            start = plan.first_day + timedelta(days=day)
            seconds = (min(start + timedelta(days=1), plan.now) - start).total_seconds()
            for lang in plan.languages:
                assert lang.cumulative is not None
                n = lang.cumulative[day + 1] - lang.cumulative[day]
                if n > 0:
                    copy.write_row(
                        (
                            len(slot_sizes),
                            lang.code,
                            start,
                            seconds,
                            lang.cumulative[day],
                            recorded,
                            n,
                        )
                    )
                    slot_sizes.append(n)
                    recorded += n
    conn.execute("ANALYZE gen_people, gen_languages, gen_slots")
    made: dict[str, int] = {}
    set_aside = set_aside_indexes(conn)

    since = time.monotonic()
    made["contributors"] = conn.execute(_CONTRIBUTORS).rowcount
    progress.done("contributors", made["contributors"], since)

    since, made["sentences"] = time.monotonic(), 0
    sentence_total = sum(lang.sentences for lang in plan.languages)
    rng = random.Random(options["seed"])
    for lang in plan.languages:
        words = vocabulary(lang.code, lang.script, rng)
        for first, last, rows in batches([1] * lang.sentences, options["batch_size"]):
            conn.execute(
                _SENTENCES,
                {
                    "code": lang.code,
                    "words": words,
                    "size": VOCABULARY_SIZE,
                    "modulus": VOCABULARY_SIZE**DIGIT_WORDS,
                    "scramble": SCRAMBLE,
                    "mark": END_MARK.get(lang.script, "."),
                    "recordings": lang.recordings,
                    "sentences": lang.sentences,
                    "item_base": lang.item_base,
                    "first": first,
                    "last": last,
                    "created": plan.first_day - timedelta(days=45),
                },
            )
            made["sentences"] += rows
            progress.partial("sentences", made["sentences"], sentence_total, since)
    progress.done("sentences", made["sentences"], since)

    patterns = vote_patterns(conn, options["votes_to_decide"])
    ordered = [p for status in ("accepted", "rejected", "pending") for p in patterns[status]]
    parameters = {
        "now": plan.now,
        "salt": plan.salt,
        "id_base": existing[1],
        "curve": JOIN_CURVE,
        "browsers": [b for b, _ in BROWSERS],
        "browser_cuts": _cuts([w for _, w in BROWSERS]),
        "accepts": [a for a, _, _ in ordered],
        "rejects": [r for _, r, _ in ordered],
        "accepted_cuts": _cuts([w for *_, w in patterns["accepted"]]),
        "rejected_cuts": _cuts([w for *_, w in patterns["rejected"]]),
        "pending_cuts": _cuts([w for *_, w in patterns["pending"]]),
        "rejected_from": len(patterns["accepted"]),
        "pending_from": len(patterns["accepted"]) + len(patterns["rejected"]),
    }
    since, made["recordings"], made["votes"] = time.monotonic(), 0, 0
    total = sum(slot_sizes)
    for first, last, rows in batches(slot_sizes, options["batch_size"]):
        statement = conn.execute(
            _RECORDINGS_AND_VOTES, {**parameters, "first": first, "last": last}
        )
        made["recordings"] += rows
        made["votes"] += statement.rowcount
        progress.partial("recordings", made["recordings"], total, since)
    progress.done("recordings", made["recordings"], since)
    progress.done("  with their votes", made["votes"], since)

    restore_indexes(conn, set_aside, existing[1], progress)
    for table in ("dataset_rows", "contributions"):
        conn.execute(sql.SQL(_SET_IDENTITY).format(table=sql.Identifier(table)), {"table": table})
    return made


# Loading into indexed, constrained tables costs several times more than building the indexes and
# checking the constraints afterwards, set-based (1M recordings: 104 s against 38 s; with the
# recordings and their votes in one statement, the per-row checks were slower still). So we set
# these structures aside and rebuild them in the same transaction: a failure anywhere rolls the
# drops back with everything else. Primary keys stay, and so does any unique index another
# table's foreign key relies on.
DEFERRED_TABLES = ["dataset_rows", "contributions", "validations"]
# Per-row triggers that would fire for every loaded row; each is replaced by one set-based
# check over the loaded rows (_HELD_CHECKS) before the transaction commits.
HELD_TRIGGERS = [
    ("validations", "validations_not_own"),  # nobody votes on their own recording
    ("validations", "validations_counted_insert"),  # counts are the counted votes (0009)
    ("contributions", "contributions_counts_are_votes"),
]
_SECONDARY_STRUCTURES = """
SELECT n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid), c.contype = 'f'
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE c.conrelid = ANY (%(tables)s::regclass[]) AND c.contype IN ('u', 'f')
   AND NOT (c.contype = 'u' AND EXISTS (
       SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
UNION ALL
SELECT n.nspname, t.relname, x.relname, pg_get_indexdef(i.indexrelid), NULL
  FROM pg_index i
  JOIN pg_class x ON x.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = x.relnamespace
 WHERE i.indrelid = ANY (%(tables)s::regclass[]) AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 5 NULLS FIRST, 1, 2, 3
"""
_HELD_CHECKS = {
    "generated votes are their author's own": """
SELECT count(*) FROM validations v JOIN contributions c ON c.id = v.contribution_id
 WHERE v.validator_id = c.contributor_id AND c.id > %(after)s
""",
    "generated recordings have counts that are not their counted votes": """
SELECT count(*) FROM contributions c
  LEFT JOIN (SELECT contribution_id,
                    count(*) FILTER (WHERE counted AND verdict = 'accept') AS a,
                    count(*) FILTER (WHERE counted AND verdict = 'reject') AS r
               FROM validations WHERE contribution_id > %(after)s GROUP BY contribution_id) v
         ON v.contribution_id = c.id
 WHERE c.id > %(after)s AND c.status <> 'removed'
   AND (c.accept_count <> coalesce(v.a, 0) OR c.reject_count <> coalesce(v.r, 0))
""",
}


@dataclass
class SetAside:
    structures: list[tuple[str, str, str, str, bool | None]]
    disabled: list[tuple[str, str]]


def set_aside_indexes(conn: psycopg.Connection[Any]) -> SetAside:
    """Drop the secondary indexes and the unique and foreign-key constraints of the bulk
    tables, and disable the per-row triggers of HELD_TRIGGERS, in the caller's transaction."""
    structures = conn.execute(_SECONDARY_STRUCTURES, {"tables": DEFERRED_TABLES}).fetchall()
    for schema, table, name, _definition, is_constraint in structures:
        if is_constraint is None:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
        else:
            conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(schema, table), sql.Identifier(name)
                )
            )
    disabled = []
    for table, trigger in HELD_TRIGGERS:
        enabled = conn.execute(
            "SELECT tgenabled = 'O' FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            (table, trigger),
        ).fetchone()
        if enabled and enabled[0]:
            conn.execute(
                sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                    sql.Identifier(table), sql.Identifier(trigger)
                )
            )
            disabled.append((table, trigger))
    return SetAside(structures, disabled)


def restore_indexes(
    conn: psycopg.Connection[Any], held: SetAside, after_id: int, progress: Progress
) -> None:
    """Rebuild what set_aside_indexes dropped, from the definitions read before, and check
    what the disabled triggers would have checked. Raises GenerateError if the schema does not
    come back identical or a loaded row breaks a trigger's rule (the transaction is then
    rolled back)."""
    conn.execute("SET maintenance_work_mem = '512MB'")
    for table in DEFERRED_TABLES:
        since = time.monotonic()
        mine = [s for s in held.structures if s[1] == table]
        for schema, _table, name, definition, is_constraint in mine:
            if is_constraint is None:
                conn.execute(sql.SQL(definition))  # from pg_get_indexdef
            else:
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                        sql.Identifier(schema, table), sql.Identifier(name)
                    )
                    + sql.SQL(definition)  # from pg_get_constraintdef
                )
        progress.done(f"rebuilt {table}", len(mine), since, "indexes+constraints")
    if (
        conn.execute(_SECONDARY_STRUCTURES, {"tables": DEFERRED_TABLES}).fetchall()
        != held.structures
    ):
        raise GenerateError("the rebuilt indexes and constraints differ from the originals")
    if held.disabled:
        since = time.monotonic()
        for table, trigger in held.disabled:
            conn.execute(
                sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(
                    sql.Identifier(table), sql.Identifier(trigger)
                )
            )
        for problem, check in _HELD_CHECKS.items():
            found = conn.execute(check, {"after": after_id}).fetchone()
            if found and found[0]:
                raise GenerateError(f"{found[0]} {problem}; nothing kept")
        progress.done("trigger checks", len(_HELD_CHECKS), since)


_CHECKS = """
SELECT to_regclass('validations') IS NOT NULL AS migrated,
       (SELECT count(*) FROM contributions) AS contributions,
       (SELECT coalesce(max(id), 0) FROM dataset_rows) AS max_item,
       (SELECT coalesce(max(id), 0) FROM contributions) AS max_contribution,
       (SELECT count(*) FROM contributors) AS contributors
"""


def generate_history(url: str, options: dict[str, Any]) -> str:
    """Fill the database at `url` with a synthetic history in one transaction, then vacuum and
    analyze what changed; return the one-line summary.

    Raises GenerateError when the database is not migrated, already holds contributions
    (without options["append"]) or the numbers cannot make a consistent history.
    """
    progress = Progress()
    with psycopg.connect(url) as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute("SET TIME ZONE 'UTC'")  # day arithmetic on timestamps without DST
        conn.execute("SET synchronous_commit = off")  # one commit at the end; nothing to wait for
        conn.execute("SET work_mem = '64MB'")
        conn.execute("SET temp_buffers = '64MB'")
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('crowdsource.generate'))")
        try:
            row = conn.execute(_CHECKS).fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
        if row is None or not row[0]:
            raise GenerateError("the database has no schema yet: run `crowdsource migrate up`")
        if row[1] and not options["append"]:
            raise GenerateError(
                f"the database already holds {row[1]:,} contributions; "
                "give --append to add a generated history to them"
            )
        existing = (row[2], row[3], row[4])
        catalogue = {
            code: (script, cap)
            for code, script, cap in conn.execute(
                "SELECT code, script, max_recordings_per_item FROM languages"
            )
        }
        regions = [code for (code,) in conn.execute("SELECT code FROM regions ORDER BY code")]
        plan = make_plan(options, catalogue, regions, existing)
        click.echo(
            f"generating {options['contributions']:,} recordings by {len(plan.people):,} "
            f"contributors in {len(plan.languages)} language(s) over {plan.day_count} days "
            f"(seed {options['seed']})"
        )
        made = fill(conn, plan, options, existing, progress)
        since = time.monotonic()
        conn.commit()
        progress.done("commit", None, since)
    if options["vacuum"]:
        since = time.monotonic()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET statement_timeout = 0")
            conn.execute("VACUUM (ANALYZE) contributors, dataset_rows, contributions, validations")
        progress.done("vacuum analyze", None, since)
    with psycopg.connect(url) as conn:
        shares: dict[str, int] = dict(
            conn.execute(
                "SELECT status, count(*) FROM contributions WHERE id > %s GROUP BY status",
                (existing[1],),
            ).fetchall()
        )
    recordings = max(made["recordings"], 1)
    breakdown = ", ".join(
        f"{shares.get(s, 0) / recordings:.1%} {s}" for s in ("accepted", "rejected", "pending")
    )
    return (
        f"generated {made['contributors']:,} contributors, {made['sentences']:,} sentences, "
        f"{made['recordings']:,} recordings ({breakdown}) and {made['votes']:,} votes "
        f"in {time.monotonic() - progress.started:.1f} s"
    )


@click.command()
@click.option(
    "--contributors",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="People to make (at least 5 per language).",
)
@click.option(
    "--contributions",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="Recordings to make.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=3650),
    default=365,
    show_default=True,
    help="Length of the history, ending now.",
)
@click.option(
    "--languages",
    "mix",
    default=DEFAULT_MIX,
    show_default=True,
    help="Language codes, each with an optional weight (code:weight); codes without "
    "one get Zipf-like shares in the order given.",
)
@click.option(
    "--sentences-per-language",
    type=click.IntRange(min=1),
    help="Sentences per language [default: enough that none gets more recordings "
    "than its language's cap, usually 3].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=2**40),
    default=1,
    show_default=True,
    help="Same seed, same history (relative to now).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1000),
    default=250_000,
    show_default=True,
    help="Rows per INSERT statement.",
)
@click.option("--append", is_flag=True, help="Add to a database that already has contributions.")
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="The history ends at this moment (ISO 8601; UTC if no offset) instead of the current "
    "time: the same --seed and --now make the same history.",
)
@click.option(
    "--vacuum/--no-vacuum",
    default=True,
    show_default=True,
    help="VACUUM ANALYZE the filled tables at the end.",
)
def generate(
    contributors: int,
    contributions: int,
    days: int,
    mix: str,
    sentences_per_language: int | None,
    seed: int,
    batch_size: int,
    append: bool,
    vacuum: bool,
    now_text: str | None,
) -> None:
    """Fill the database with a synthetic history, for benchmarks and demos.

    Makes contributors (a quarter without any profile, one in ten with a display name),
    sentences in each language's script, recordings spread over the last DAYS days (growing,
    busier at weekends and Indian evenings) with demographics copied from their author, and
    votes consistent with each recording's status (about 70 % accepted, 10 % rejected, 20 %
    pending, most of them recent). Everything is made by the database server in one
    transaction; 1 million recordings take under a minute, 10 million 6-7 minutes on 2 cores.

    For speed, the secondary indexes and the unique and foreign-key constraints of
    dataset_rows, contributions and validations are dropped for the load and rebuilt (so
    checked) before that transaction commits; the per-row triggers are replaced by set-based
    checks. A failure rolls everything back. The tables are locked meanwhile.

    No audio is written to storage: media_key names objects that do not exist, so playing a
    generated recording fails. Refuses a database that already holds contributions unless
    --append is given (which adds new people and sentences; it never touches existing rows).
    """
    now = _parse_now(now_text) if now_text else datetime.now(UTC)
    settings = settings_from_environment()
    url = connect_database(settings)
    options = {
        "contributors": contributors,
        "contributions": contributions,
        "days": days,
        "languages": parse_mix(mix),
        "sentences_per_language": sentences_per_language,
        "seed": seed,
        "batch_size": batch_size,
        "append": append,
        "vacuum": vacuum,
        "votes_to_decide": settings.votes_to_decide,
        "now": now,
    }
    click.echo(generate_history(url, options))


def _parse_now(text: str) -> datetime:
    """--now as an aware UTC datetime; a bad value is a usage error naming the option."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 timestamp such as 2026-12-07T12:00:00Z",
            param_hint="--now",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
